//! Client-initiated bootstrap (LwM2M 1.1 Bootstrap interface): the Bootstrap-Request
//! (`POST /bs?ep=...`), the Bootstrap-Server's Write, Delete, Discover and Read served while
//! it configures the device, and Bootstrap-Finish, after which the client registers with the
//! management servers it was given.
//!
//! While bootstrapping, the client talks to [`Peer::Bootstrap`]
//! ([`Client::bootstrap_target`] says where it is); nothing goes to the management servers,
//! whose requests get 4.01 Unauthorized, and of the Bootstrap-Server's only the Bootstrap
//! interface is served (anything else is 4.01 too). The answer to Bootstrap-Finish goes to
//! the Bootstrap-Server before the Registers to the new servers.
//!
//! Every wait has an end: the Bootstrap-Request has a guard like a Register, and once the
//! Bootstrap-Server accepted it, the client waits at most [`FINISH_WAIT_MS`] after its last
//! request for Bootstrap-Finish. A bootstrap that fails (no answer, refused, no Finish in
//! time) is told with [`Event::BootstrapFailed`]; the client then goes back to the
//! management servers the objects hold, if any, or asks the Bootstrap-Server again after a jittered
//! backoff that doubles from 5 s to 300 s.

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::account::{BootstrapAccount, Security};
use super::registration::{FIRST_RETRY_MS, MAX_RETRY_MS};
use super::render::{instance_ids, links_in_blocks};
use super::routing::lookup;
use super::session::device_accounts;
use super::transport::{
    EXCHANGE_LIFETIME_MS, MAX_TRANSMIT_WAIT_MS, Purpose, SEPARATE_RESPONSE_MS, confirmable,
};
use super::{Client, Device, Event, Instant, Peer};
use crate::coap::{self, CoapOption, Message};
use crate::error::Error;
use crate::format::link::LinkWriter;
use crate::format::{self, ContentFormat, Shape};
use crate::object::{BootstrapLink, Object};
use crate::path::Path;
use crate::spec::{Multiplicity, Version};

/// How long the client waits for Bootstrap-Finish after the Bootstrap-Server's last request
/// (or its answer to the Bootstrap-Request): EXCHANGE_LIFETIME, 247 s.
pub const FINISH_WAIT_MS: u64 = EXCHANGE_LIFETIME_MS;
/// The longest a Bootstrap-Server may keep the client bootstrapping, however busy it keeps
/// it without finishing: four times [`FINISH_WAIT_MS`], about 16 minutes.
pub const MAX_BOOTSTRAP_MS: u64 = 4 * FINISH_WAIT_MS;
/// How long the Bootstrap-Request may go without an outcome before it is abandoned.
const GUARD_MS: u64 = MAX_TRANSMIT_WAIT_MS + SEPARATE_RESPONSE_MS;
/// 2.02 Deleted.
const DELETED: u8 = coap::code(2, 2);

/// Where an LwM2M server is and how to secure the line to it: what a runner binds a
/// [`Peer::Server`] ([`Client::server_targets`]) or [`Peer::Bootstrap`]
/// ([`Client::bootstrap_target`]) to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerTarget<'a> {
    /// The server's URI (empty when the application binds the server by other means).
    pub uri: &'a str,
    /// How to secure the line.
    pub security: &'a Security,
    /// The peer the client sends to and expects datagrams from on this line.
    pub peer: Peer,
}

/// Where the bootstrap stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not bootstrapping.
    Idle,
    /// The Bootstrap-Request goes at this time (after the hold-off or the backoff).
    RequestAt(Instant),
    /// The Bootstrap-Request waits for its answer until the guard.
    Requesting { guard: Instant },
    /// The Bootstrap-Server configures the device; without Finish by `until` (a while after
    /// its last request, and never past `end`), the client gives up.
    Serving { until: Instant, end: Instant },
}

/// Whether this build bootstraps (the `bootstrap` feature). Without it the client never asks
/// a Bootstrap-Server, answers [`Peer::Bootstrap`] with 4.01, and retries its management
/// servers for ever; the code of client-initiated bootstrap is left out of the build.
const BOOTSTRAP: bool = cfg!(feature = "bootstrap");

/// The bootstrap state machine.
pub(super) struct Bootstrapper {
    /// On the heap: most devices have none, and an account with its keys is about 1 KiB.
    account: Option<Box<BootstrapAccount>>,
    state: State,
    retry_ms: u64,
    /// Bootstrap-Finish was accepted: the client takes the accounts once the 2.04 is
    /// queued.
    finished: bool,
    /// The answer to the last accepted Finish (its message ID and bytes) until the exchange
    /// lifetime ends: a retransmission of it gets the same answer.
    finish_answer: Option<(u16, Vec<u8>, Instant)>,
}

impl Bootstrapper {
    pub(super) fn new(account: Option<BootstrapAccount>) -> Self {
        Self {
            account: account.map(Box::new),
            state: State::Idle,
            retry_ms: FIRST_RETRY_MS,
            finished: false,
            finish_answer: None,
        }
    }

    /// The Bootstrap-Server is at work at `now`: the wait for Finish starts again, within
    /// [`MAX_BOOTSTRAP_MS`] of the first time it was.
    fn serving(&mut self, now: Instant) {
        let end = match self.state {
            State::Serving { end, .. } => end,
            _ => now.after(MAX_BOOTSTRAP_MS),
        };
        self.state = State::Serving {
            until: now.after(FINISH_WAIT_MS).min(end),
            end,
        };
    }

    /// A registration succeeded: the next failed bootstrap waits the first backoff again.
    pub(super) fn registered(&mut self) {
        self.retry_ms = FIRST_RETRY_MS;
    }

    /// The answer to a retransmission of the Finish accepted last, if `mid` is its and it
    /// is recent.
    pub(super) fn finish_answer(&self, now: Instant, mid: u16) -> Option<&[u8]> {
        if !BOOTSTRAP {
            return None;
        }
        self.finish_answer
            .as_ref()
            .filter(|(m, _, until)| *m == mid && now < *until)
            .map(|(_, bytes, _)| bytes.as_slice())
    }

    pub(super) fn account(&self) -> Option<&BootstrapAccount> {
        if !BOOTSTRAP {
            return None;
        }
        self.account.as_deref()
    }

    /// Whether the client bootstraps (talks to [`Peer::Bootstrap`]).
    pub(super) fn is_active(&self) -> bool {
        if !BOOTSTRAP {
            return false;
        }
        self.state != State::Idle
    }

    /// When the Bootstrap-Request goes, its guard runs out, or the wait for Finish ends.
    pub(super) fn deadline(&self) -> Option<Instant> {
        if !BOOTSTRAP {
            return None;
        }
        match self.state {
            State::Idle => None,
            State::RequestAt(at) => Some(at),
            State::Requesting { guard } => Some(guard),
            State::Serving { until, .. } => Some(until),
        }
    }
}

impl Client {
    /// The Bootstrap-Server the client falls back on, if it has one (never without the
    /// `bootstrap` feature).
    pub fn bootstrap_account(&self) -> Option<&BootstrapAccount> {
        self.bootstrap.account()
    }

    /// Gives the client a Bootstrap-Server to fall back on (or takes it away). With one,
    /// registration follows the server's Communication Retry settings and bootstraps when
    /// they run out; without, it retries forever. Without the `bootstrap` feature the account
    /// is kept but never used.
    pub fn set_bootstrap_account(&mut self, account: Option<BootstrapAccount>) {
        self.bootstrap.account = account.map(Box::new);
    }

    /// Whether the client is bootstrapping (it talks to [`Peer::Bootstrap`], not to the
    /// management servers).
    pub fn is_bootstrapping(&self) -> bool {
        self.bootstrap.is_active()
    }

    /// Where [`Peer::Bootstrap`] leads: the Bootstrap-Server account, if the client has one.
    /// A runner binds the peer to this URI and security.
    pub fn bootstrap_target(&self) -> Option<ServerTarget<'_>> {
        let a = self.bootstrap.account()?;
        Some(ServerTarget {
            uri: &a.server_uri,
            security: &a.security,
            peer: Peer::Bootstrap,
        })
    }

    /// Starts a client-initiated bootstrap now (after the Client Hold Off Time): what the
    /// client does by itself when it has no management server or cannot register with any.
    /// Registration stops, observations end, and the client talks to [`Peer::Bootstrap`].
    /// Nothing happens without a Bootstrap-Server account.
    pub fn bootstrap(&mut self, now: Instant) {
        self.start_bootstrap(now);
    }

    pub(super) fn start_bootstrap(&mut self, now: Instant) {
        let Some(account) = self.bootstrap.account() else {
            warn!("no Bootstrap-Server to ask for an account");
            return;
        };
        let at = now.after(u64::from(account.hold_off_s) * 1000);
        info!("bootstrap: asking the Bootstrap-Server at {:?}", at);
        self.leave_servers(now);
        self.bootstrap.state = State::RequestAt(at);
        self.push_event(Event::BootstrapStarted);
    }

    /// The client stops talking to the management servers: whatever went on with them ends.
    fn leave_servers(&mut self, now: Instant) {
        for s in &mut self.servers {
            s.registrar.halt();
            self.transport.abandon(s.peer());
            self.transport.forget(s.peer());
            s.observer.clear();
        }
        self.queue.touch(now);
    }

    /// Sends the Bootstrap-Request when it is due; gives up on a guard or a Finish that ran
    /// out.
    pub(super) fn tick_bootstrap(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        if !BOOTSTRAP {
            return;
        }
        match self.bootstrap.state {
            State::RequestAt(at) if at <= now => {
                // Answers cached for an earlier bootstrap must not answer this one's requests.
                self.transport.forget(Peer::Bootstrap);
                let mut p = confirmable(coap::POST);
                p.add_option(CoapOption::UriPath, b"bs");
                let mut q: heapless::String<96> = heapless::String::new();
                // `ep=` and a 64-byte endpoint always fit.
                let _ = q.push_str("ep=");
                let _ = q.push_str(&self.config.endpoint);
                p.add_option(CoapOption::UriQuery, q.as_bytes());
                self.bootstrap.state = State::Requesting {
                    guard: now.after(GUARD_MS),
                };
                if self
                    .transport
                    .request(now, p, Peer::Bootstrap, Purpose::Bootstrap)
                    .is_err()
                {
                    self.bootstrap_failed(now, device);
                }
            }
            State::Requesting { guard } if guard <= now => {
                warn!("bootstrap: the Bootstrap-Request got no outcome in time");
                self.transport.abandon(Peer::Bootstrap);
                self.bootstrap_failed(now, device);
            }
            State::Serving { until, .. } if until <= now => {
                warn!("bootstrap: no Bootstrap-Finish in time");
                self.bootstrap_failed(now, device);
            }
            _ => {}
        }
    }

    /// The outcome of the Bootstrap-Request (`None`: reset or timed out).
    pub(super) fn on_bootstrap_request(
        &mut self,
        now: Instant,
        response: Option<&Message>,
        device: &mut Device<'_, '_>,
    ) {
        // The Bootstrap-Server may have started before its answer came (or got lost): it
        // is configuring the device, which is what counts.
        if !matches!(self.bootstrap.state, State::Requesting { .. }) {
            return;
        }
        match response.map(|p| p.code) {
            Some(coap::CHANGED) => {
                info!("bootstrap: the Bootstrap-Server accepted the request");
                self.bootstrap.serving(now);
            }
            code => {
                warn!("bootstrap: the request failed (code {:?})", code);
                self.bootstrap_failed(now, device);
            }
        }
    }

    /// The bootstrap failed: after a backoff (half to all of a wait that doubles from 5 s to
    /// 300 s until a registration succeeds), back to the management servers the objects hold
    /// now (not those in RAM: the Bootstrap-Server may have deleted them), or, with none,
    /// ask the Bootstrap-Server again.
    fn bootstrap_failed(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        self.push_event(Event::BootstrapFailed);
        self.transport.abandon(Peer::Bootstrap);
        let half = self.bootstrap.retry_ms / 2;
        let wait = half + self.transport.rng.up_to(half);
        self.bootstrap.retry_ms = (self.bootstrap.retry_ms * 2).min(MAX_RETRY_MS);
        let accounts = device_accounts(device);
        if accounts.is_empty() {
            warn!("bootstrap: asking again in {} ms", wait);
            self.take_accounts(now, accounts);
            self.bootstrap.state = State::RequestAt(now.after(wait));
            return;
        }
        warn!("bootstrap: registering again in {} ms", wait);
        self.bootstrap.state = State::Idle;
        self.take_accounts(now, accounts);
        for s in &mut self.servers {
            s.registrar.retry_at(now.after(wait));
        }
    }

    /// After a request of the Bootstrap-Server is answered: once Finish was accepted, the
    /// client takes the accounts it was given and registers with each.
    pub(super) fn after_bootstrap_request(
        &mut self,
        now: Instant,
        answered: (u16, &[u8]),
        device: &mut Device<'_, '_>,
    ) {
        if !core::mem::take(&mut self.bootstrap.finished) {
            return;
        }
        self.bootstrap.finish_answer =
            Some((answered.0, answered.1.to_vec(), now.after(FINISH_WAIT_MS)));
        let accounts = device_accounts(device);
        info!("bootstrapped: registering with {} servers", accounts.len());
        self.bootstrap.state = State::Idle;
        // The Bootstrap-Request is answered; a retransmitted Finish is answered from
        // `finish_answer`, not from the cache, which the new server's requests may fill.
        self.transport.abandon(Peer::Bootstrap);
        self.leave_servers(now);
        self.take_accounts(now, accounts);
        self.push_event(Event::Bootstrapped);
        self.register(now, device);
    }

    /// Serves one request of the Bootstrap-Server: Bootstrap-Finish (`POST /bs`),
    /// Bootstrap-Discover (GET, link format), Bootstrap-Read (GET, of Object 1),
    /// Bootstrap-Write (PUT) and Bootstrap-Delete (DELETE). Anything else answers 4.01.
    pub(super) fn serve_bootstrap(
        &mut self,
        now: Instant,
        request: &Message,
        device: &mut Device<'_, '_>,
    ) -> Result<Message, (Error, Option<u32>)> {
        let plain = |e: Error| (e, None);
        // Every request shows the Bootstrap-Server is at work: Finish may take as long again
        // (but no longer than the whole bootstrap may).
        self.bootstrap.serving(now);
        let code = request.code;
        let segments: Vec<&[u8]> = request.options(CoapOption::UriPath).collect();
        if segments == [b"bs"] {
            if code != coap::POST {
                return Err(plain(Error::Unauthorized));
            }
            return self.finish(request, device).map_err(plain);
        }
        let path = Path::from_segments(segments).map_err(plain)?;
        if request.option(CoapOption::Observe).is_some() {
            return Err(plain(Error::Unauthorized));
        }
        match code {
            coap::GET if accepts_links(request).map_err(plain)? => {
                discover(request, &path, device, self.config.max_block).map_err(plain)
            }
            coap::GET => {
                // Bootstrap-Read: of the objects that allow it (LwM2M 1.1: Server).
                let id = path.object().ok_or(plain(Error::Unauthorized))?;
                let object = lookup(device.objects, id).ok_or(plain(Error::NotFound))?;
                if !object.bootstrap_readable() {
                    return Err(plain(Error::Unauthorized));
                }
                self.bootstrap_read(now, request, &path, object)
                    .map_err(plain)
            }
            // Write-Attributes is not for the Bootstrap-Server.
            coap::PUT
                if request.payload.is_empty()
                    && request.options(CoapOption::UriQuery).next().is_some() =>
            {
                Err(plain(Error::Unauthorized))
            }
            coap::PUT => write(request, &path, device).map_err(plain),
            coap::DELETE => delete(request, &path, device).map_err(plain),
            _ => Err(plain(Error::Unauthorized)),
        }
    }

    /// Bootstrap-Finish: 2.04 when some object holds a whole management-server account
    /// (the client takes them all once the answer is queued), 4.06 Not Acceptable
    /// otherwise, the client staying in bootstrap.
    fn finish(&mut self, request: &Message, device: &mut Device<'_, '_>) -> Result<Message, Error> {
        if device_accounts(device).is_empty() {
            warn!("Bootstrap-Finish without a management server: 4.06");
            return Err(Error::NotAcceptable);
        }
        self.bootstrap.finished = true;
        Ok(coap::response_to(request, coap::CHANGED))
    }
}

/// Whether the request asks for link format (Discover); 4.06 for an Accept the client does
/// not know.
fn accepts_links(request: &Message) -> Result<bool, Error> {
    match coap::uint_option(request, CoapOption::Accept).transpose()? {
        None => Ok(false),
        Some(a) => u16::try_from(a)
            .ok()
            .and_then(ContentFormat::from_number)
            .map(|f| f == ContentFormat::LinkFormat)
            .ok_or(Error::NotAcceptable),
    }
}

/// Bootstrap-Discover of `/` or `/o`: `</>;lwm2m="1.1"`, then every object (with `ver=`
/// when it is not 1.0, alone when it has no instance) and instance, accounts' instances
/// with their `ssid` and `uri`.
fn discover(
    request: &Message,
    path: &Path,
    device: &mut Device<'_, '_>,
    max_block: usize,
) -> Result<Message, Error> {
    if path.len() > 1 {
        return Err(Error::BadRequest);
    }
    if let Some(id) = path.object() {
        lookup(device.objects, id).ok_or(Error::NotFound)?;
    }
    let mut order: Vec<usize> = Vec::new();
    let id = |i: &usize| device.objects.get(*i).map(|o| o.info().id);
    for i in 0..device.objects.len() {
        super::announce::insert_sorted(&mut order, i, id);
    }
    let mut out = Vec::new();
    let mut w = LinkWriter::new(&mut out);
    w.raw_link("/")?;
    w.quoted_attr("lwm2m", "1.1")?;
    for i in order {
        let Some(object) = device.objects.get_mut(i) else {
            continue;
        };
        let info = object.info();
        if path.object().is_some_and(|id| id != info.id) {
            continue;
        }
        let instances = instance_ids(*object, &Path::ROOT);
        let versioned = info.object_version != Version::new(1, 0);
        if versioned || instances.is_empty() {
            w.link(&Path::new(&[info.id]).ok_or(Error::Internal)?)?;
            if versioned {
                w.version_attr("ver", info.object_version)?;
            }
        }
        for instance in instances {
            w.link(&Path::new(&[info.id, instance]).ok_or(Error::Internal)?)?;
            let mut result = Ok(());
            object.bootstrap_link(instance, &mut |link: BootstrapLink<'_>| {
                if let Some(ssid) = link.ssid {
                    result = result.and_then(|()| w.attr("ssid", ssid.into()));
                }
                if let Some(uri) = link.uri {
                    result = result.and_then(|()| w.quoted_attr("uri", uri));
                }
            });
            result?;
        }
    }
    links_in_blocks(request, out, max_block)
}

/// Bootstrap-Write of `/o`, `/o/i` or `/o/i/r`: decoded, then handed whole to the object,
/// which checks it all before it changes anything. One datagram's worth: a Block1 write is
/// refused with 4.13.
fn write(request: &Message, path: &Path, device: &mut Device<'_, '_>) -> Result<Message, Error> {
    let id = path.object().ok_or(Error::MethodNotAllowed)?;
    let object = lookup(device.objects, id).ok_or(Error::NotFound)?;
    if coap::block_option(request, CoapOption::Block1).is_some() {
        return Err(Error::TooLarge);
    }
    let format = match coap::uint_option(request, CoapOption::ContentFormat).transpose()? {
        Some(cf) => u16::try_from(cf)
            .ok()
            .and_then(ContentFormat::from_number)
            .ok_or(Error::UnsupportedContentFormat)?,
        None if path.len() >= 3 => ContentFormat::Text,
        None => return Err(Error::UnsupportedContentFormat),
    };
    let info = object.info();
    let shape = |p: &Path| {
        let r = info.resource(p.resource()?)?;
        Some(Shape {
            kind: r.kind,
            multiple: r.multiplicity == Multiplicity::Multiple,
        })
    };
    let mut payload = request.payload.clone();
    let items = format::decode(format, path, &mut payload, &shape)?;
    if items
        .iter()
        .any(|i| !i.path.starts_with(path) || i.path.len() < 3)
    {
        return Err(Error::BadRequest);
    }
    object.bootstrap_write(&items)?;
    Ok(coap::response_to(request, coap::CHANGED))
}

/// Bootstrap-Delete of `/` (every instance of every object that lets them go), `/o` or
/// `/o/i`.
fn delete(request: &Message, path: &Path, device: &mut Device<'_, '_>) -> Result<Message, Error> {
    match (path.object(), path.len()) {
        (None, _) => {
            for object in device.objects.iter_mut() {
                match object.bootstrap_delete(None) {
                    Ok(()) | Err(Error::MethodNotAllowed) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        (Some(id), 1 | 2) => {
            let object: &mut dyn Object = lookup(device.objects, id).ok_or(Error::NotFound)?;
            object.bootstrap_delete(path.instance())?;
        }
        _ => return Err(Error::BadRequest),
    }
    Ok(coap::response_to(request, DELETED))
}

/// Run by `firmware_target` (`cargo test -p lwm2m-runtime --no-default-features`).
#[cfg(all(test, not(feature = "bootstrap")))]
mod without_bootstrap {
    use super::*;
    use crate::client::{Config, Instant};

    #[test]
    fn without_bootstrap_a_bootstrap_account_is_never_used() {
        let account = BootstrapAccount {
            server_uri: heapless::String::try_from("coap://127.0.0.1:5783").unwrap(),
            security: Default::default(),
            hold_off_s: 0,
        };
        let config = Config::new("dev-1").unwrap();
        let mut client = Client::with_accounts(config, [], Some(account), 1);
        assert!(client.bootstrap_account().is_none());
        assert!(client.bootstrap_target().is_none());
        let mut objects: [&mut dyn crate::Object; 0] = [];
        let mut device = Device::new(&mut objects);
        // No management server and no bootstrap: nothing is sent, nothing bootstraps.
        client.register(Instant(0), &mut device);
        client.bootstrap(Instant(0));
        assert!(!client.is_bootstrapping());
        assert!(client.poll(Instant(1_000), &mut device).is_none());
        // A Bootstrap-Server's request: 4.01.
        let mut delete = coap_lite::Packet::new();
        delete.header.set_type(coap_lite::MessageType::Confirmable);
        delete.header.code = coap_lite::MessageClass::Request(coap_lite::RequestType::Delete);
        delete.header.message_id = 7;
        let bytes = delete.to_bytes().unwrap();
        client.handle(Instant(2_000), Peer::Bootstrap, &bytes, &mut device);
        let answer = client.poll(Instant(2_000), &mut device).unwrap();
        let answer = coap_lite::Packet::from_bytes(&answer.data).unwrap();
        assert_eq!(
            answer.header.code,
            coap_lite::MessageClass::Response(coap_lite::ResponseType::Unauthorized)
        );
        assert!(!client.is_bootstrapping());
    }
}
