//! A sans-IO LwM2M client: datagrams and the time go in, datagrams and deadlines come out.
//!
//! The client registers with its LwM2M servers, serves Read, Write, Execute, Discover,
//! Write-Attributes and Observe on the objects it is given, streams block-wise writes to
//! resources that take chunks, and gives objects with work of their own a [`Context`] to
//! report changes and download over CoAP (Firmware Update, in the `lwm2m-fota` crate, is
//! one).
//!
//! Each server and how to reach it are an [`Account`]: URI and [`Security`] for whoever binds
//! its [`Peer::Server`], and [`ServerSettings`] the client follows (Short Server ID,
//! lifetime, binding, default notification periods, Disable Timeout, retries).
//! [`Client::new`] makes one (server 1) from the [`Config`]; [`Client::with_account`] takes
//! one read from Objects 0 and 1 (the `lwm2m-servers` crate), whose Server object then tells
//! the client through its [`Context`] when a server changes the settings, triggers an Update
//! or disables itself.
//!
//! # Several servers
//!
//! A client may have up to [`MAX_SERVERS`] management servers at once
//! ([`Client::with_accounts`], [`Client::set_account`], or every account the objects hold).
//! Each has its own line ([`Peer::Server`] with its Short Server ID), its own registration
//! (Register, Updates, retries, Disable) and its own observations and attributes; a change
//! an object reports, or a write by one server, reaches every server that observes the value.
//! Events about a registration name the server. The downloads and the Bootstrap-Server are
//! the client's, whichever server asked. Objects that
//! only a Bootstrap-Server may reach (Security: every resource without operations) answer a
//! normal server 4.01 Unauthorized and are not announced in Register.
//!
//! # Bootstrap
//!
//! A client with a Bootstrap-Server ([`BootstrapAccount`], given to
//! [`Client::with_accounts`] or [`Client::set_bootstrap_account`]; `lwm2m-servers` reads it
//! from the /0 instance whose Bootstrap-Server resource is true) bootstraps by itself:
//!
//! * at [`Client::register`], when it has no management-server account and none of its
//!   objects holds one ([`Object::accounts`]), after the Client Hold Off Time;
//! * when registration failed for as long as the server's Communication Retry settings say
//!   ([`Retry`]: `count` attempts spaced by a timer doubling from `timer_s`, `sequence_count`
//!   sequences `sequence_delay_s` apart). A client without a Bootstrap-Server keeps
//!   retrying with the backoff of the Liveness section, forever;
//! * when the application calls [`Client::bootstrap`].
//!
//! It sends `POST /bs?ep=...` and, from then on (the Bootstrap-Server may write before its
//! answer arrives), serves it the Bootstrap interface: Bootstrap-Write (PUT of `/o`, `/o/i` or `/o/i/r`, handed whole to
//! [`Object::bootstrap_write`], which checks it all before it changes anything: a malformed
//! /0 or /1 instance is 4.00 and changes nothing), Bootstrap-Delete (DELETE of `/`, `/o`,
//! `/o/i`: [`Object::bootstrap_delete`]; the Bootstrap-Server's own /0 instance stays, a
//! delete naming it is 4.00), Bootstrap-Discover (GET with Accept link format of `/` or
//! `/o`: `</>;lwm2m="1.1"`, then objects and instances, with `ssid` and `uri` of the
//! accounts' instances, [`Object::bootstrap_link`]), Bootstrap-Read (of the objects that
//! allow it, [`Object::bootstrap_readable`]: the Server object) and Bootstrap-Finish
//! (`POST /bs`). Anything else the Bootstrap-Server asks is refused with 4.01 (and a
//! malformed one with its own code: 4.00, 4.04, 4.05, 4.13). Finish is
//! answered 2.04 when some object holds a whole management-server account (a /0 instance
//! of a normal server and the /1 instance with its Short Server ID), 4.06 Not Acceptable
//! otherwise (the client stays in bootstrap). After 2.04 the client takes every
//! management-server account the objects hold ([`Event::Bootstrapped`]) and registers with
//! each. It bootstraps again when registration failed with every one of them.
//!
//! A Bootstrap-Server that stops talking ends the bootstrap [`FINISH_WAIT_MS`] (247 s)
//! after its last request, and one that keeps talking without finishing ends it
//! [`MAX_BOOTSTRAP_MS`] (about 16 minutes) after it began; an unanswered or refused
//! Bootstrap-Request ends it too
//! ([`Event::BootstrapFailed`]). The client then goes back to the management servers the
//! objects hold, if any (a new sequence of Register attempts with each), or asks the
//! Bootstrap-Server again after a jittered backoff that doubles from 5 s to 300 s. It never
//! stops for good.
//!
//! **The runner.** Each [`Peer::Server`] is the line to a management server and
//! [`Peer::Bootstrap`] the line to the Bootstrap-Server; the client talks to the management
//! servers or to the Bootstrap-Server, never to both at once.
//! [`Client::server_targets`] and [`Client::bootstrap_target`] give the URI and [`Security`]
//! to bind each to; the runner binds (a socket, a DTLS session with the account's PSK)
//! before it sends a datagram to the peer, and binds a [`Peer::Server`] again when its target
//! changes (after [`Event::Bootstrapped`]). A datagram is handed in as the peer whose line
//! it came on. While bootstrapping, a management server's request gets 4.01; outside
//! bootstrap, the Bootstrap-Server's does, and the Bootstrap operations are refused as any
//! management server's request for them is (DELETE 4.05, `POST /bs` 4.04, Discover of `/`
//! 4.04, /0 4.01).
//!
//! ```
//! use lwm2m_runtime::client::{Client, Config, Device, Instant, Peer};
//! use lwm2m_runtime::Object;
//!
//! let mut client = Client::new(Config::new("dev-1").unwrap(), 0x5eed);
//! let mut objects: [&mut dyn Object; 0] = [];
//! let mut device = Device::new(&mut objects);
//! client.register(Instant(0), &mut device);
//! // The Register request: POST /rd?ep=dev-1&lt=...&lwm2m=1.1&b=U.
//! let register = client.poll(Instant(0), &mut device).unwrap();
//! assert_eq!(register.to, Peer::Server(1));
//! // ... send it over UDP, hand every datagram received to `client.handle(...)`,
//! // and call `client.poll(...)` again by `client.timeout()`.
//! assert!(client.timeout().is_some(), "a retransmission is scheduled");
//! ```
//!
//! # Parts
//!
//! [`Client`] ties together parts that each keep their own state, one file each:
//!
//! * `transport`: confirmable exchanges with RFC 7252 retransmission, one in flight per
//!   peer and a small queue behind it (registration first), duplicate detection with cached
//!   responses. A full queue refuses, never overwrites: the caller keeps what it wanted.
//! * `announce`: what Register and Update announce (the object list, `lt=`, `b=`).
//! * `registration`: the `Registrar` (Register, block-wise when the object list is larger
//!   than a block; Update before the lifetime runs out or when the objects change;
//!   Deregister; retries with jittered exponential backoff) and the link-format object list.
//! * `routing`: a request from the server routed to its object and served (Read, Discover,
//!   Write, Write-Attributes, Execute), with the path checks and default formats.
//! * `render`: a read encoded in a content format, block by block, with a fingerprint.
//! * `blockwise`: Block1 writes, streamed to resources that take chunks and reassembled
//!   (up to 1 KiB) for any other, one transfer at a time per server, told apart by
//!   Request-Tag.
//! * `observe`: the `Observer` (observations, their attributes, the notification pass).
//! * `session`: the management servers, each with its account, `Registrar` and `Observer`.
//! * `download`: the downloader over CoAP Block2, for the object that asked.
//! * `context`: what an object may ask of the client when it is polled ([`Context`]).
//! * `queue`: LwM2M Queue Mode, the window after the last exchange and the sleep after it.
//! * `bootstrap`: client-initiated bootstrap: the Bootstrap-Request, the Bootstrap interface
//!   served, Finish, and the bound on a silent Bootstrap-Server.
//!
//! # Liveness
//!
//! Every exchange the client starts ends, with an answer, a reset or a timeout (93 s at
//! most); Register, Update, Deregister and the Bootstrap-Request have a guard beyond that; a
//! failed Register is tried again after a wait drawn between half and all of a backoff that
//! doubles from 5 s to 300 s (or, with a Bootstrap-Server to fall back on, as the Bootstrap
//! section says); and [`Client::timeout`] is never `None` while the client is registered,
//! registering or bootstrapping. Notifications go one at a time when the line to the server
//! is free, each rendered when it leaves, so a retransmission carries the newest value (RFC
//! 7641 4.5.2). [`Config::recovery_bound_ms`] states how soon a device without a
//! Bootstrap-Server is registered again after the network heals; `tests/tests/network_faults.rs` checks it on a simulated network with loss,
//! duplication, reordering, outages, server restarts and address changes.
//!
//! # Heap
//!
//! The client allocates: each received datagram is decoded into a CoAP message (one small
//! allocation per option, plus the payload), each response is built the same way, and
//! content formats that decode in place (JSON, base64) use the payload's own buffer. Nothing
//! on the heap outlives the request except the servers' sessions (account, observations and
//! attributes, a few KiB each), cached responses for duplicate detection (at most 8, one
//! datagram each), confirmable messages in flight or queued (one in flight per peer, at most
//! 14 in all), a Register or Update payload being sent block-wise (one per server), and a
//! Block1 value being reassembled (1 KiB, one per server). `cargo test -p lwm2m-tests --test
//! heap` measures the peak per request kind: 0.1 to 0.9 KiB for registration, reads in every
//! format, writes, Discover, Observe and notifications, and 1.4 KiB for a 1 KiB firmware block,
//! the same for a 16 KiB and a 256 KiB image.

extern crate alloc;

use alloc::vec::Vec;

use crate::coap::{self, Message, MessageType};
use crate::error::Error;
use crate::format::ContentFormat;
use crate::object::Object;
use crate::value::Time;

mod account;
mod announce;
mod blockwise;
mod bootstrap;
mod context;
mod download;
mod observe;
mod queue;
mod registration;
mod render;
mod routing;
mod session;
mod transport;

pub use account::{
    Account, Binding, BootstrapAccount, KEY_MAX, Retry, Secret, Security, ServerSettings, URI_MAX,
};
pub use bootstrap::{FINISH_WAIT_MS, MAX_BOOTSTRAP_MS, ServerTarget};
pub use context::{Context, DownloadError, DownloadEvent, DownloadRequest, DownloadUri, Scheme};
pub use observe::Attributes;
pub use session::{MAX_SERVERS, TooManyServers};

use bootstrap::Bootstrapper;
use context::{Asks, ServerAsk};
use download::Downloader;
use queue::Queue;
use session::Session;
use transport::{Exchange, Outcome, Purpose, Transport};

/// A point in time, in milliseconds from any fixed start (monotonic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(pub u64);

impl Instant {
    /// `ms` milliseconds later.
    pub const fn after(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Milliseconds since `earlier` (0 if it is later).
    pub const fn since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// Who a datagram comes from or goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Peer {
    /// The LwM2M management server of this Short Server ID ([`Client::server_targets`] says
    /// where it is).
    Server(u16),
    /// The LwM2M Bootstrap-Server, while the client bootstraps
    /// ([`Client::bootstrap_target`] says where it is).
    Bootstrap,
    /// The CoAP server of a download ([`Client::download_peer`] names it).
    Download,
}

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub to: Peer,
    /// The CoAP message.
    pub data: Vec<u8>,
}

/// What the client serves, handed in on each call so the application keeps ownership.
pub struct Device<'d, 'o> {
    /// The objects, in any order.
    pub objects: &'d mut [&'o mut dyn Object],
    /// The wall-clock time, when the application knows it (objects may stamp changes).
    pub clock: Option<Time>,
}

impl<'d, 'o> Device<'d, 'o> {
    /// The objects, with no wall-clock time.
    pub fn new(objects: &'d mut [&'o mut dyn Object]) -> Self {
        Self {
            objects,
            clock: None,
        }
    }

    /// With the wall-clock time.
    pub fn at(mut self, clock: Time) -> Self {
        self.clock = Some(clock);
        self
    }
}

/// Something the application should know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A server accepted the registration.
    Registered {
        /// The server's Short Server ID.
        server: u16,
    },
    /// The registration with a server failed; the client tries again after a backoff (or
    /// the server's retry settings, see the module documentation, Bootstrap).
    RegistrationFailed {
        /// The server's Short Server ID.
        server: u16,
    },
    /// A registration update succeeded.
    Updated {
        /// The server's Short Server ID.
        server: u16,
    },
    /// The client deregistered from a server.
    Deregistered {
        /// The server's Short Server ID.
        server: u16,
    },
    /// The client started bootstrapping: it talks to [`Peer::Bootstrap`] now
    /// ([`Client::bootstrap_target`]).
    BootstrapStarted,
    /// The Bootstrap-Server finished (Bootstrap-Finish answered 2.04): the client's
    /// management servers are those it provisioned ([`Client::server_targets`]), which the
    /// client registers with.
    Bootstrapped,
    /// The bootstrap failed (the Bootstrap-Request unanswered or refused, or no
    /// Bootstrap-Finish in time): the client goes back to its management server if it has
    /// one, or asks the Bootstrap-Server again after a backoff.
    BootstrapFailed,
    /// Queue mode: the device has been quiet for the configured window and may sleep
    /// (radio off) until `until`, when [`Client::poll`] must run again. It announces
    /// itself with a Registration Update when it wakes.
    MaySleep {
        /// The next thing the client must do.
        until: Instant,
    },
}

/// Client settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Endpoint Client Name (`ep`).
    pub endpoint: heapless::String<64>,
    /// Registration lifetime in seconds (`lt`) of the account [`Client::new`] makes; a client
    /// made with [`Client::with_account`] takes its account's
    /// ([`ServerSettings::lifetime`]) instead.
    pub lifetime: u32,
    /// The largest block and the largest response payload, in bytes (16 to 1024).
    pub max_block: usize,
    /// The format of multiple-value reads that name no Accept, announced in registration.
    pub default_format: ContentFormat,
    /// LwM2M Queue Mode: the server holds its requests while the device sleeps (see
    /// [`Event::MaySleep`]).
    pub queue_mode: bool,
    /// In queue mode, how long the device stays reachable after its last exchange, in
    /// milliseconds (LwM2M's default is MAX_TRANSMIT_WAIT, 93 s).
    pub queue_window_ms: u64,
}

impl Config {
    /// Defaults for `endpoint`: lifetime 300 s, 1024-byte blocks, SenML CBOR, always
    /// reachable (no queue mode). 4.00 for an empty or longer than 64-byte endpoint.
    pub fn new(endpoint: &str) -> Result<Self, Error> {
        if endpoint.is_empty() {
            return Err(Error::BadRequest);
        }
        Ok(Self {
            endpoint: heapless::String::try_from(endpoint).map_err(|_| Error::BadRequest)?,
            lifetime: 300,
            max_block: 1024,
            default_format: ContentFormat::DEFAULT_MULTI,
            queue_mode: false,
            queue_window_ms: transport::MAX_TRANSMIT_WAIT_MS,
        })
    }

    /// The longest a device takes to be registered again, in the server's view, after the
    /// network heals (an outage ends, the server restarts, the device's address changes),
    /// when the healed network loses nothing: in milliseconds.
    ///
    /// Whichever of these applies, after the heal:
    /// * a Register or Update in flight is retransmitted or gives up within 48 s (the last
    ///   of RFC 7252's retransmission intervals at the largest random factor), and one that
    ///   gives up is retried after the backoff, at most 300 s;
    /// * a registration the server forgot (a restart) is found out by the next Update, due
    ///   at three quarters of the lifetime, or at once when the server resets a
    ///   notification;
    /// * one more exchange (Update answered 4.04, then Register) takes a round trip each.
    ///
    /// So: the larger of (48 s + 300 s) and three quarters of the lifetime, plus a margin of
    /// 10 s for the round trips. With the default lifetime of 300 s that is 358 s.
    pub fn recovery_bound_ms(&self) -> u64 {
        let last_interval = transport::LAST_INTERVAL_MS;
        let retry = last_interval + registration::MAX_RETRY_MS;
        let update = u64::from(self.lifetime) * 1000 * 3 / 4;
        retry.max(update) + 10_000
    }
}

/// The LwM2M client. See the [module documentation](self).
pub struct Client {
    config: Config,
    /// The management servers, by Short Server ID (at most [`MAX_SERVERS`]).
    servers: Vec<Session>,
    bootstrap: Bootstrapper,
    transport: Transport,
    downloads: Downloader,
    events: heapless::Deque<Event, 16>,
    /// The earliest time an object asked to be polled again.
    wake: Option<Instant>,
    queue: Queue,
}

/// Rounds of object polls in one go: objects that ask to be polled again at once (one
/// report or step each time) get this many turns before the client moves on.
const POLL_ROUNDS: usize = 16;

impl Client {
    /// A client that has not registered yet, for a server the application binds
    /// [`Peer::Server`]`(1)` to: its account is [`Account::unprovisioned`] with the configured
    /// lifetime. `seed` seeds message IDs, tokens and backoff jitter: give each boot a
    /// different one.
    pub fn new(config: Config, seed: u64) -> Self {
        let account = Account::unprovisioned(config.lifetime);
        Self::with_account(config, account, seed)
    }

    /// A client that has not registered yet, for the server of `account` (as the
    /// `lwm2m-servers` crate reads it from Objects 0 and 1): its lifetime, binding and
    /// default notification periods.
    pub fn with_account(config: Config, account: Account, seed: u64) -> Self {
        Self::with_accounts(config, [account], None, seed)
    }

    /// A client that has not registered yet, for the management servers of `accounts` (one
    /// per Short Server ID, at most [`MAX_SERVERS`]: the lowest IDs), with the
    /// Bootstrap-Server of `bootstrap` to fall back on (see the module documentation,
    /// Bootstrap). With no management account, [`Client::register`] takes those the objects
    /// hold ([`Object::accounts`]), or bootstraps.
    pub fn with_accounts(
        config: Config,
        accounts: impl IntoIterator<Item = Account>,
        bootstrap: Option<BootstrapAccount>,
        seed: u64,
    ) -> Self {
        let mut client = Self {
            queue: Queue::new(config.queue_mode, config.queue_window_ms),
            config,
            servers: Vec::new(),
            bootstrap: Bootstrapper::new(bootstrap),
            transport: Transport::new(seed),
            downloads: Downloader::default(),
            events: heapless::Deque::new(),
            wake: None,
        };
        for account in session::lowest(accounts) {
            // `lowest` leaves at most MAX_SERVERS: there is always room.
            let _ = client.set_account(Instant(0), account);
        }
        client
    }

    /// Hands in one datagram received from `from`.
    pub fn handle(
        &mut self,
        now: Instant,
        from: Peer,
        datagram: &[u8],
        device: &mut Device<'_, '_>,
    ) {
        // Malformed datagrams are dropped: nothing in them can be trusted to answer.
        let Ok(packet) = Message::decode(datagram) else {
            warn!(
                "a malformed datagram ({} bytes) from {:?}: dropped",
                datagram.len(),
                from
            );
            return;
        };
        // A server the client has no account for gets 4.01 for a request (`serve`); a
        // response from it matches nothing in flight.
        if let Peer::Server(id) = from
            && self.session(id).is_some_and(|s| s.registrar.is_off())
        {
            debug!("server {} is disabled: its datagram is ignored", id);
            return;
        }
        if matches!(from, Peer::Server(_) | Peer::Bootstrap) {
            self.queue.touch(now);
        }
        match self.transport.on_message(now, from, packet) {
            None => {}
            Some(Ok(outcome)) => self.on_outcome(now, outcome, device),
            Some(Err(request)) if matches!(from, Peer::Server(_) | Peer::Bootstrap) => {
                self.serve(now, from, request, device)
            }
            Some(Err(request)) => {
                // Requests from the download server are not served.
                warn!("a request from the download server: reset");
                if request.kind == MessageType::Confirmable
                    && let Ok(bytes) =
                        coap::to_bytes(&Message::new(MessageType::Reset, request.mid))
                {
                    self.transport.send_now(from, bytes);
                }
            }
        }
    }

    /// Runs what is due at `now` (retransmissions, registration updates, notifications,
    /// object polls, downloads) and returns the next datagram to send. Call until it returns `None`, then
    /// again at [`Client::timeout`] or when a datagram arrives.
    pub fn poll(&mut self, now: Instant, device: &mut Device<'_, '_>) -> Option<Transmit> {
        // What is queued goes first (the answer to the request just handled before any
        // work of the objects' own, such as verifying an image).
        let transmit = match self.transport.pop() {
            Some(t) => t,
            None => {
                self.tick(now, device);
                self.transport.pop()?
            }
        };
        if matches!(transmit.to, Peer::Server(_) | Peer::Bootstrap) {
            self.queue.touch(now);
        }
        Some(transmit)
    }

    /// When [`Client::poll`] must run next, if anything is scheduled.
    pub fn timeout(&self) -> Option<Instant> {
        // Notifications wait while the line to their server is busy: its outcome brings them.
        let servers = self
            .servers
            .iter()
            .flat_map(|s| {
                let observations = if self.transport.busy(s.peer()) {
                    None
                } else {
                    s.observer.deadline()
                };
                [s.registrar.deadline(), observations]
            })
            .flatten()
            .min();
        [
            self.transport.deadline(),
            servers,
            self.bootstrap.deadline(),
            self.downloads.deadline(),
            self.wake,
            // The end of the queue-mode window matters only once nothing else goes on.
            self.queue.deadline().filter(|_| self.idle()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // --- internals -----------------------------------------------------------------------

    /// Runs every part that has something due: timed-out exchanges first, then registration,
    /// observations, the objects' own work, and the download.
    fn tick(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        if self.queue.is_asleep()
            && self
                .servers
                .iter()
                .any(|s| due(s.registrar.deadline()) || due(s.observer.deadline()))
            && self.queue.wake(now)
        {
            debug!("queue mode: awake, announcing with an update");
            for s in &mut self.servers {
                s.registrar.update_now(now);
            }
        }
        let (config, transport) = (&self.config, &mut self.transport);
        for s in &mut self.servers {
            let peer = s.peer();
            if let Some(token) = transport.notification_due(now, peer) {
                s.observer.refresh(&token, peer, config, transport, device);
            }
        }
        for failed in self.transport.on_timeout(now) {
            self.on_outcome(now, Outcome::TimedOut(failed), device);
        }
        self.tick_bootstrap(now, device);
        self.tick_registration(now, device);
        self.check_observations(now, device);
        self.poll_objects(now, device);
        self.tick_download(now, device);
        if self.queue.falls_asleep(now, self.idle()) {
            let until = self.timeout().unwrap_or(now);
            debug!("queue mode: may sleep until {:?}", until);
            self.push_event(Event::MaySleep { until });
        }
    }

    /// Registered with some server, and nothing going on with any: what queue mode waits for
    /// before the device may sleep (until the next retry, Update or notification).
    fn idle(&self) -> bool {
        self.servers.iter().any(|s| s.registrar.is_registered())
            && self
                .servers
                .iter()
                .all(|s| !s.registrar.is_busy() && !self.transport.busy(s.peer()))
            && self.downloads.owner().is_none()
    }

    /// Polls every object ([`Object::poll`]), again at once for those that ask, up to
    /// [`POLL_ROUNDS`] times, notifying what each reports as changed.
    pub(super) fn poll_objects(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        self.wake = None;
        for _ in 0..POLL_ROUNDS {
            let mut again = false;
            for i in 0..device.objects.len() {
                let mut asks = Asks::default();
                if let Some(object) = device.objects.get_mut(i) {
                    let mut cx = Context {
                        now,
                        clock: device.clock,
                        object: object.info().id,
                        asks: &mut asks,
                        downloads: &mut self.downloads,
                    };
                    object.poll(&mut cx);
                }
                again |= asks.wake.is_some_and(|w| w <= now);
                self.apply(now, asks, device);
            }
            if !again {
                return;
            }
        }
        // Objects still busy: the next poll continues.
        self.wake = Some(now);
    }

    /// Hands a download event to the object it is for.
    fn deliver(
        &mut self,
        now: Instant,
        owner: u16,
        event: DownloadEvent<'_>,
        device: &mut Device<'_, '_>,
    ) {
        let mut asks = Asks::default();
        if let Some(object) = device.objects.iter_mut().find(|o| o.info().id == owner) {
            let mut cx = Context {
                now,
                clock: device.clock,
                object: owner,
                asks: &mut asks,
                downloads: &mut self.downloads,
            };
            object.download(&mut cx, event);
        }
        self.apply(now, asks, device);
    }

    /// Does what an object asked during a poll: take new server settings, send an Update,
    /// disable a server, notify the paths it changed, remember when it wants to be polled
    /// again. What is asked of a server the client does not have is ignored.
    fn apply(&mut self, now: Instant, asks: Asks, device: &mut Device<'_, '_>) {
        for ask in asks.servers {
            let id = ask.short_server_id();
            let Some(session) = self.session_mut(id) else {
                debug!(
                    "an ask for server {} ignored: the client has no account for it",
                    id
                );
                continue;
            };
            match ask {
                ServerAsk::Settings(settings) => self.set_settings(now, settings),
                ServerAsk::Update(_) => session.registrar.update_now(now),
                ServerAsk::Disable { seconds, .. } => self.disable(now, id, seconds),
            }
        }
        if !asks.changed.is_empty() {
            for path in &asks.changed {
                for s in &mut self.servers {
                    s.observer.changed(path, true);
                }
            }
            self.check_observations(now, device);
        }
        if let Some(at) = asks.wake.filter(|&at| at > now) {
            self.wake = Some(self.wake.map_or(at, |w| w.min(at)));
        }
    }

    /// Queues an event for the board; when the queue is full the oldest one is dropped.
    fn push_event(&mut self, event: Event) {
        if self.events.is_full() {
            let _ = self.events.pop_front();
        }
        let _ = self.events.push_back(event);
    }

    /// Hands the outcome of an exchange to the part that started it.
    fn on_outcome(&mut self, now: Instant, outcome: Outcome, device: &mut Device<'_, '_>) {
        let (exchange, response): (Exchange, Option<Message>) = match outcome {
            Outcome::Response(e, p) => (e, Some(p)),
            Outcome::Reset(e) | Outcome::TimedOut(e) => (e, None),
        };
        let server = match exchange.to {
            Peer::Server(id) => Some(id),
            Peer::Bootstrap | Peer::Download => None,
        };
        match (exchange.purpose, server) {
            (Purpose::Register | Purpose::Update | Purpose::Deregister, Some(id)) => {
                self.on_registration(now, id, exchange.purpose, response.as_ref(), device);
            }
            (Purpose::Notify, Some(id)) => {
                let Some(s) = self.session_mut(id) else {
                    return;
                };
                match response {
                    Some(_) => s.observer.delivered(&exchange.token),
                    // A reset or unanswered notification ends the observation (RFC 7641
                    // 4.5). (Unless the server observed again with the same token
                    // meanwhile: that observation is a new one.)
                    None if s.observer.in_flight(&exchange.token) => {
                        debug!("a notification was reset or not acknowledged: observation ended");
                        s.observer.remove_token(&exchange.token);
                        // A server that forgot the observation may have forgotten us too.
                        s.registrar.update_now(now);
                    }
                    None => {}
                }
            }
            (Purpose::Register | Purpose::Update | Purpose::Deregister | Purpose::Notify, None) => {
            }
            (Purpose::Fetch, _) => self.on_fetch(now, response, device),
            (Purpose::Bootstrap, _) => self.on_bootstrap_request(now, response.as_ref(), device),
        }
        // The line to a server may be free again: what waited for it goes.
        self.tick_registration(now, device);
        self.check_observations(now, device);
    }
}
