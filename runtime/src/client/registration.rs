//! Registration with the LwM2M server: Register with the objects served, Update before the
//! lifetime runs out or as soon as the objects change, Deregister, and retries with backoff.
//!
//! Every state that waits for the server has a deadline ([`Registrar::deadline`]): a retry
//! time, the next Update, or a guard that ends an exchange that never got an outcome. A
//! Register or Update whose object list does not fit one block goes block-wise (Block1).
//!
//! A failed Register is tried again after a jittered backoff (5 s doubling to 300 s),
//! forever. When the client has a Bootstrap-Server to fall back on, it follows the server's
//! Communication Retry settings ([`Retry`]) instead, and gives up on the server after the
//! last sequence: the client bootstraps once it gave up on every server, and until then tries
//! the server again after the Sequence Delay (at least [`MAX_RETRY_MS`]).

extern crate alloc;

use alloc::vec::Vec;

use super::account::{Binding, Retry, ServerSettings};
use super::announce::{ObjectList, add_binding, add_lifetime, fingerprint, links, object_list};
use super::session::device_accounts;
use super::transport::{MAX_TRANSMIT_WAIT_MS, Purpose, Rng, SEPARATE_RESPONSE_MS, confirmable};
use super::{Client, Config, Device, Event, Instant, Peer};
use crate::block::Block;
use crate::coap::{self, CoapOption, Message};
use crate::format::ContentFormat;

/// The first retry delay after a failed registration; it doubles up to [`MAX_RETRY_MS`].
/// Each wait is drawn between half the delay and the whole of it (jitter), so devices that
/// lost the network together do not come back together.
pub(crate) const FIRST_RETRY_MS: u64 = 5_000;
/// The longest wait between two Register attempts.
pub(crate) const MAX_RETRY_MS: u64 = 300_000;
/// How long a Register, Update or Deregister may go without an outcome before it is
/// abandoned: two exchanges (one may wait behind a notification) and a separate response.
const GUARD_MS: u64 = 2 * MAX_TRANSMIT_WAIT_MS + SEPARATE_RESPONSE_MS;
/// Most Location-Path segments taken from the server.
const MAX_LOCATION: usize = 8;

/// The Location-Path the server gave the registration, segment by segment.
type Location = Vec<Vec<u8>>;

/// Where the registration stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Registration {
    Stopped,
    Registering {
        guard: Instant,
    },
    Registered {
        location: Location,
        update_at: Instant,
    },
    Updating {
        location: Location,
        guard: Instant,
    },
    Deregistering {
        guard: Instant,
    },
    RetryAt(Instant),
    /// The retry settings ran out: tried again at `retry` (unless the client bootstraps
    /// first, having given up on every server).
    GaveUp {
        retry: Instant,
    },
    /// The server executed Disable: nothing goes to it, nothing from it is served, until the
    /// time comes to register again.
    Disabled {
        until: Instant,
    },
}

/// The rest of a Register or Update payload that goes block-wise.
#[derive(Clone, Debug)]
struct Blockwise {
    /// The request without its payload: the next block is a copy with the next slice.
    base: Message,
    payload: Vec<u8>,
    /// The block sent last.
    block: Block,
}

impl Blockwise {
    /// The request for the block at `num` of `szx` size, or `None` past the end.
    fn request(&self, num: u32, szx: u8) -> Option<Message> {
        let block = Block::new(num, false, szx);
        let start = usize::try_from(block.offset()?).ok()?;
        let size = block.size() as usize;
        let chunk = self.payload.get(start..)?;
        if chunk.is_empty() && num > 0 {
            return None;
        }
        let more = chunk.len() > size;
        let mut p = self.base.clone();
        coap::set_block_option(&mut p, CoapOption::Block1, Block::new(num, more, szx)).ok()?;
        coap::set_uint_option(&mut p, CoapOption::Size1, self.payload.len() as u32);
        p.payload = chunk.get(..size.min(chunk.len()))?.to_vec();
        Some(p)
    }
}

/// The registration state machine. It builds the requests and reads their responses; the
/// client sends them and hands the outcomes back.
pub(super) struct Registrar {
    state: Registration,
    retry_ms: u64,
    /// A fingerprint of the objects last announced: when it changes, an Update announces them.
    announced: u64,
    /// The Register or Update going block-wise.
    blockwise: Option<Blockwise>,
    /// The lifetime and binding the server last heard: an Update carries them again when
    /// they change.
    announced_lifetime: u32,
    announced_binding: Binding,
    /// A Disable waits for its Deregister: the account stays off until then.
    disable_until: Option<Instant>,
    /// Failed Registers in the current sequence, and sequences that failed (only counted
    /// under a [`Retry`] policy).
    attempts: u32,
    sequences: u32,
}

impl Registrar {
    pub(super) fn new() -> Self {
        Self {
            state: Registration::Stopped,
            retry_ms: FIRST_RETRY_MS,
            announced: 0,
            blockwise: None,
            announced_lifetime: 0,
            announced_binding: Binding::udp(),
            disable_until: None,
            attempts: 0,
            sequences: 0,
        }
    }

    /// Whether the server disabled the account and the client waits to register again.
    pub(super) fn is_disabled(&self) -> bool {
        self.is_off() || self.disable_until.is_some()
    }

    /// Whether the account is off after a Disable (its Deregister is over): nothing from
    /// the server is served.
    pub(super) fn is_off(&self) -> bool {
        matches!(self.state, Registration::Disabled { .. })
    }

    /// Whether the retry settings ran out for this server.
    pub(super) fn gave_up(&self) -> bool {
        matches!(self.state, Registration::GaveUp { .. })
    }

    pub(super) fn is_registered(&self) -> bool {
        matches!(
            self.state,
            Registration::Registered { .. } | Registration::Updating { .. }
        )
    }

    /// Whether a Register, Update or Deregister waits for its outcome.
    pub(super) fn is_busy(&self) -> bool {
        matches!(
            self.state,
            Registration::Registering { .. }
                | Registration::Updating { .. }
                | Registration::Deregistering { .. }
        )
    }

    /// When an Update, a retry or a guard is due: never `None` while registration runs.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.state {
            Registration::Stopped => None,
            Registration::Registered { update_at, .. } => Some(*update_at),
            Registration::RetryAt(at)
            | Registration::Disabled { until: at }
            | Registration::GaveUp { retry: at } => Some(*at),
            Registration::Registering { guard }
            | Registration::Updating { guard, .. }
            | Registration::Deregistering { guard } => Some(*guard),
        }
    }

    /// Sends the Update at `now` rather than later (the server may have forgotten us, or a
    /// device in queue mode woke up).
    pub(super) fn update_now(&mut self, now: Instant) {
        if let Registration::Registered { update_at, .. } = &mut self.state {
            *update_at = (*update_at).min(now);
        }
    }

    /// The network changed: a waiting Register goes now, with the backoff starting over,
    /// and a registered device updates at once.
    pub(super) fn connection_changed(&mut self, now: Instant) {
        match &mut self.state {
            Registration::RetryAt(at) => {
                *at = now;
                self.retry_ms = FIRST_RETRY_MS;
            }
            Registration::Registered { update_at, .. } => *update_at = now,
            _ => {}
        }
    }

    /// The Register request: `POST /rd?ep=..&lt=..&lwm2m=1.1&b=..[&Q]` with the objects.
    fn register(
        &mut self,
        now: Instant,
        config: &Config,
        settings: &ServerSettings,
        objects: &ObjectList,
    ) -> Message {
        let mut p = confirmable(coap::POST);
        p.add_option(CoapOption::UriPath, b"rd");
        let mut q: heapless::String<96> = heapless::String::new();
        // `ep=` and a 64-byte endpoint always fit.
        let _ = q.push_str("ep=");
        let _ = q.push_str(&config.endpoint);
        p.add_option(CoapOption::UriQuery, q.as_bytes());
        add_lifetime(&mut p, settings.lifetime);
        p.add_option(CoapOption::UriQuery, b"lwm2m=1.1");
        add_binding(&mut p, &settings.binding);
        if config.queue_mode {
            p.add_option(CoapOption::UriQuery, b"Q");
        }
        self.announced_lifetime = settings.lifetime;
        self.announced_binding = settings.binding.clone();
        self.announced = fingerprint(objects);
        self.state = Registration::Registering {
            guard: now.after(GUARD_MS),
        };
        self.with_links(p, config, objects)
    }

    /// `p` with the object list as its payload, or its first block when it does not fit.
    fn with_links(&mut self, mut p: Message, config: &Config, objects: &ObjectList) -> Message {
        coap::set_uint_option(
            &mut p,
            CoapOption::ContentFormat,
            u32::from(ContentFormat::LinkFormat.number()),
        );
        let payload = links(config, objects);
        if payload.len() <= config.max_block {
            self.blockwise = None;
            p.payload = payload;
            return p;
        }
        let transfer = Blockwise {
            base: p.clone(),
            payload,
            block: Block::new(0, true, Block::szx_for(config.max_block)),
        };
        let first = transfer.request(0, transfer.block.szx);
        self.blockwise = Some(transfer);
        // The first block always exists: the payload is longer than one block.
        first.unwrap_or(p)
    }

    /// The next block of a Register or Update that goes block-wise, after the server's
    /// 2.31 Continue (in the size the server asked for, RFC 7959 2.5).
    fn next_block(&mut self, now: Instant, response: &Message) -> Option<Message> {
        // Each block is an exchange of its own: the guard starts again with it.
        if let Registration::Registering { guard } | Registration::Updating { guard, .. } =
            &mut self.state
        {
            *guard = now.after(GUARD_MS);
        }
        let transfer = self.blockwise.as_mut()?;
        let acked = coap::block_option(response, CoapOption::Block1)?.ok()?;
        let sent = transfer.block;
        if acked.num != sent.num {
            return None;
        }
        let szx = acked.szx.min(sent.szx);
        let next_offset = sent.offset()?.checked_add(sent.size())?;
        let num = next_offset / Block::new(0, false, szx).size();
        let p = transfer.request(num, szx)?;
        transfer.block = coap::block_option(&p, CoapOption::Block1)?.ok()?;
        Some(p)
    }

    /// Registration ends (Deregister answered or given up, or nothing to deregister): it
    /// stays stopped, or, after a Disable, waits for the end of the Disable Timeout.
    pub(super) fn stop(&mut self) {
        self.blockwise = None;
        self.state = match self.disable_until.take() {
            Some(until) => Registration::Disabled { until },
            None => Registration::Stopped,
        };
    }

    /// The Deregister request, when registered; otherwise registration just stops.
    fn deregister(&mut self, now: Instant) -> Option<Message> {
        let (Registration::Registered { location, .. } | Registration::Updating { location, .. }) =
            &self.state
        else {
            self.stop();
            return None;
        };
        let mut p = confirmable(coap::DELETE);
        for segment in location {
            p.add_option(CoapOption::UriPath, segment);
        }
        self.state = Registration::Deregistering {
            guard: now.after(GUARD_MS),
        };
        Some(p)
    }

    /// The request due at `now`, if any: a retried Register (or the first after a Disable),
    /// or an Update when the lifetime is three quarters over, the objects changed (the Update
    /// then lists them) or the lifetime or binding changed (it then carries them).
    fn due(
        &mut self,
        now: Instant,
        config: &Config,
        settings: &ServerSettings,
        objects: impl FnOnce() -> ObjectList,
    ) -> Option<(Message, Purpose)> {
        match &self.state {
            Registration::RetryAt(at)
            | Registration::Disabled { until: at }
            | Registration::GaveUp { retry: at }
                if *at <= now =>
            {
                let p = self.register(now, config, settings, &objects());
                Some((p, Purpose::Register))
            }
            Registration::Registered {
                location,
                update_at,
            } => {
                let objects = objects();
                let changed = fingerprint(&objects) != self.announced;
                let lifetime = settings.lifetime != self.announced_lifetime;
                let binding = settings.binding != self.announced_binding;
                if *update_at > now && !changed && !lifetime && !binding {
                    return None;
                }
                let location = location.clone();
                let mut p = confirmable(coap::POST);
                for segment in &location {
                    p.add_option(CoapOption::UriPath, segment);
                }
                if lifetime {
                    add_lifetime(&mut p, settings.lifetime);
                    self.announced_lifetime = settings.lifetime;
                }
                if binding {
                    add_binding(&mut p, &settings.binding);
                    self.announced_binding = settings.binding.clone();
                }
                if changed {
                    p = self.with_links(p, config, &objects);
                    self.announced = fingerprint(&objects);
                } else {
                    self.blockwise = None;
                }
                self.state = Registration::Updating {
                    location,
                    guard: now.after(GUARD_MS),
                };
                Some((p, Purpose::Update))
            }
            _ => None,
        }
    }

    /// Whether the guard of a Register, Update or Deregister ran out at `now`.
    fn guard_expired(&self, now: Instant) -> bool {
        self.is_busy() && self.deadline().is_some_and(|at| at <= now)
    }

    /// The answer to Register (`None`: reset or timed out): registered, or the code of the
    /// failure for [`Registrar::failed`].
    fn on_register(
        &mut self,
        now: Instant,
        settings: &ServerSettings,
        response: Option<&Message>,
    ) -> Result<(), Option<u8>> {
        if let Some(p) = response.filter(|p| p.code == coap::CREATED) {
            let location: Location = p
                .options(CoapOption::LocationPath)
                .map(<[u8]>::to_vec)
                .collect();
            if location.len() <= MAX_LOCATION {
                info!("registered ({} Location-Path segments)", location.len());
                self.registered(now, settings, location);
                return Ok(());
            }
            warn!(
                "the server's Location-Path has {} segments, more than {}",
                location.len(),
                MAX_LOCATION
            );
        }
        Err(response.map(|p| p.code))
    }

    /// A Register failed: try again after the backoff, with jitter; or, under a `policy`
    /// (the client has a Bootstrap-Server to fall back on), after the policy's wait. `false`
    /// when the policy's last sequence failed: the server is given up on, and tried again
    /// after the Sequence Delay unless the client bootstraps first.
    pub(super) fn failed(
        &mut self,
        now: Instant,
        rng: &mut Rng,
        code: Option<u8>,
        policy: Option<&Retry>,
    ) -> bool {
        self.blockwise = None;
        let wait = match policy {
            None => {
                let half = self.retry_ms / 2;
                self.retry_ms = (self.retry_ms * 2).min(MAX_RETRY_MS);
                half + rng.up_to(half)
            }
            // The policy's wait, never under the first backoff (a Retry Timer of 0 would
            // retry at once), with the same jitter.
            Some(policy) => match self.next_attempt(policy) {
                Some(wait) => {
                    let wait = wait.max(FIRST_RETRY_MS);
                    wait / 2 + rng.up_to(wait / 2)
                }
                None => {
                    let wait = (u64::from(policy.sequence_delay_s) * 1000).max(MAX_RETRY_MS);
                    warn!(
                        "registration failed (code {:?}) for the last time; again in {} ms",
                        code, wait
                    );
                    self.state = Registration::GaveUp {
                        retry: now.after(wait),
                    };
                    return false;
                }
            },
        };
        warn!(
            "registration failed (code {:?}); retry in {} ms",
            code, wait
        );
        self.state = Registration::RetryAt(now.after(wait));
        true
    }

    /// The wait before the next Register under `policy`: the Communication Retry Timer,
    /// doubled after each failed attempt of a sequence, the Sequence Delay Timer between
    /// sequences; `None` once the last sequence failed (the counts start over).
    fn next_attempt(&mut self, policy: &Retry) -> Option<u64> {
        self.attempts += 1;
        if self.attempts < policy.count.max(1) {
            let doublings = (self.attempts - 1).min(20);
            return Some((u64::from(policy.timer_s) * 1000) << doublings);
        }
        self.attempts = 0;
        self.sequences += 1;
        if self.sequences < policy.sequence_count.max(1) {
            return Some(u64::from(policy.sequence_delay_s) * 1000);
        }
        self.sequences = 0;
        None
    }

    /// Registers again at `at` (after a failed bootstrap).
    pub(super) fn retry_at(&mut self, at: Instant) {
        self.state = Registration::RetryAt(at);
    }

    /// Registration stops without an exchange (bootstrap takes over the server's line).
    pub(super) fn halt(&mut self) {
        self.blockwise = None;
        self.disable_until = None;
        self.state = Registration::Stopped;
    }

    /// The answer to Update: `true` when it was accepted, `false` when the client must
    /// register again.
    fn on_update(&mut self, now: Instant, settings: &ServerSettings, code: Option<u8>) -> bool {
        let location = match &self.state {
            Registration::Updating { location, .. } => location.clone(),
            _ => Vec::new(),
        };
        if code != Some(coap::CHANGED) {
            warn!(
                "registration update failed (code {:?}); registering again",
                code
            );
            return false;
        }
        self.registered(now, settings, location);
        true
    }

    fn registered(&mut self, now: Instant, settings: &ServerSettings, location: Location) {
        // Update before the lifetime runs out: at three quarters of it; a lifetime of 0
        // never runs out.
        let lifetime_ms = u64::from(settings.lifetime) * 1000;
        let update_at = match lifetime_ms {
            0 => Instant(u64::MAX),
            ms => now.after(ms * 3 / 4),
        };
        self.state = Registration::Registered {
            location,
            update_at,
        };
        self.blockwise = None;
        self.retry_ms = FIRST_RETRY_MS;
        self.attempts = 0;
        self.sequences = 0;
    }
}

impl Client {
    /// Whether the client is registered with every management server it has (and has one).
    pub fn is_registered(&self) -> bool {
        !self.servers.is_empty() && self.servers.iter().all(|s| s.registrar.is_registered())
    }

    /// Whether the client is registered with server `short_server_id`.
    pub fn is_registered_with(&self, short_server_id: u16) -> bool {
        self.session(short_server_id)
            .is_some_and(|s| s.registrar.is_registered())
    }

    /// Whether server `short_server_id` disabled its account (Disable, /1/x/4): the client
    /// deregistered from it or is deregistering, and registers again when the Disable
    /// Timeout ends.
    pub fn is_disabled(&self, short_server_id: u16) -> bool {
        self.session(short_server_id)
            .is_some_and(|s| s.registrar.is_disabled())
    }

    /// Starts registration with every management server the client is not registered with
    /// and not registering with (one disabled, or waiting for a retry, registers now). A
    /// client without a management account takes those the objects hold
    /// ([`Object::accounts`]); with none, it bootstraps when it has a Bootstrap-Server, and
    /// does nothing otherwise. A client that is bootstrapping goes on with it.
    ///
    /// [`Object::accounts`]: crate::Object::accounts
    pub fn register(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        if self.bootstrap.is_active() {
            return;
        }
        if self.servers.is_empty() {
            let accounts = device_accounts(device);
            if accounts.is_empty() {
                self.start_bootstrap(now);
                return;
            }
            self.take_accounts(now, accounts);
        }
        for id in self.server_ids() {
            let going = self
                .session(id)
                .is_some_and(|s| s.registrar.is_registered() || s.registrar.is_busy());
            if !going {
                self.register_with(now, id, device);
            }
        }
    }

    /// Sends Register to server `id`.
    fn register_with(&mut self, now: Instant, id: u16, device: &mut Device<'_, '_>) {
        let objects = object_list(device);
        let Some(s) = self.servers.iter_mut().find(|s| s.id() == id) else {
            return;
        };
        s.registrar.disable_until = None;
        let p = s
            .registrar
            .register(now, &self.config, &s.account.settings, &objects);
        self.send_registration(now, id, p, Purpose::Register);
    }

    /// Server `id` disabled its account for `seconds`: deregister from it (after the answer
    /// to the Execute, which is queued first), stay off, register again when the time is up.
    pub(super) fn disable(&mut self, now: Instant, id: u16, seconds: u32) {
        let until = now.after(u64::from(seconds) * 1000);
        info!("disabled by server {} for {} s", id, seconds);
        let Some(s) = self.servers.iter_mut().find(|s| s.id() == id) else {
            return;
        };
        s.registrar.disable_until = Some(until);
        if !s.registrar.is_registered() {
            // A Register in flight would be answered to a server that is off by then.
            self.transport.abandon_registration(now, Peer::Server(id));
        }
        self.deregister_from(now, id);
    }

    /// Sends Deregister to every server the client is registered with.
    pub fn deregister(&mut self, now: Instant) {
        for id in self.server_ids() {
            self.deregister_from(now, id);
        }
    }

    /// Sends Deregister to server `short_server_id`, if the client is registered with it.
    pub fn deregister_from(&mut self, now: Instant, short_server_id: u16) {
        let p = self
            .session_mut(short_server_id)
            .and_then(|s| s.registrar.deregister(now));
        if let Some(p) = p {
            self.send_registration(now, short_server_id, p, Purpose::Deregister);
        }
    }

    /// Starts a registration exchange; one that cannot start counts as failed at once.
    fn send_registration(&mut self, now: Instant, id: u16, p: Message, purpose: Purpose) {
        if self
            .transport
            .request(now, p, Peer::Server(id), purpose)
            .is_err()
        {
            self.registration_failed(now, id, purpose);
        }
    }

    /// A registration exchange with server `id` ended without an answer.
    fn registration_failed(&mut self, now: Instant, id: u16, purpose: Purpose) {
        match purpose {
            Purpose::Register | Purpose::Update => self.register_failed(now, id, None),
            _ => self.deregistered(id),
        }
    }

    /// Registration with server `id` ended (Deregister answered or given up).
    fn deregistered(&mut self, id: u16) {
        if let Some(s) = self.session_mut(id) {
            s.registrar.stop();
            s.observer.clear();
        }
        self.push_event(Event::Deregistered { server: id });
    }

    /// A Register (or the Update before it) with server `id` failed: it is tried again after
    /// the backoff, or, for a client with a Bootstrap-Server, after the server's retry
    /// policy says; when the policy ran out for every server, the client bootstraps.
    fn register_failed(&mut self, now: Instant, id: u16, code: Option<u8>) {
        let with_policy = self.bootstrap.account().is_some();
        let Some(s) = self.servers.iter_mut().find(|s| s.id() == id) else {
            return;
        };
        let policy = with_policy.then_some(&s.account.settings.retry);
        let retrying = s
            .registrar
            .failed(now, &mut self.transport.rng, code, policy);
        self.push_event(Event::RegistrationFailed { server: id });
        if !retrying && self.servers.iter().all(|s| s.registrar.gave_up()) {
            self.start_bootstrap(now);
        }
    }

    /// Sends the Registers and Updates that are due, and ends those whose guard ran out.
    pub(super) fn tick_registration(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        for id in self.server_ids() {
            let expired = self.session(id).and_then(|s| {
                s.registrar
                    .guard_expired(now)
                    .then_some(match s.registrar.state {
                        Registration::Registering { .. } => Purpose::Register,
                        Registration::Updating { .. } => Purpose::Update,
                        _ => Purpose::Deregister,
                    })
            });
            if let Some(purpose) = expired {
                warn!(
                    "a registration exchange with server {} got no outcome in time: abandoned",
                    id
                );
                self.transport.abandon_registration(now, Peer::Server(id));
                self.registration_failed(now, id, purpose);
            }
            let Some(s) = self.servers.iter_mut().find(|s| s.id() == id) else {
                continue;
            };
            let due = s.registrar.due(now, &self.config, &s.account.settings, || {
                object_list(device)
            });
            if let Some((p, purpose)) = due {
                self.send_registration(now, id, p, purpose);
            }
        }
    }

    /// The outcome of a Register, Update or Deregister with server `id` (`None`: reset or
    /// timed out).
    pub(super) fn on_registration(
        &mut self,
        now: Instant,
        id: u16,
        purpose: Purpose,
        response: Option<&Message>,
        device: &mut Device<'_, '_>,
    ) {
        let Some(s) = self.servers.iter_mut().find(|s| s.id() == id) else {
            return;
        };
        if s.registrar.is_off() {
            // Disabled meanwhile: the outcome of an exchange from before is no longer news.
            return;
        }
        if let Some(p) = response.filter(|p| p.code == coap::CONTINUE)
            && matches!(purpose, Purpose::Register | Purpose::Update)
        {
            match s.registrar.next_block(now, p) {
                Some(next) => self.send_registration(now, id, next, purpose),
                None => {
                    warn!("server {} broke the block-wise registration", id);
                    self.registration_failed(now, id, purpose);
                }
            }
            return;
        }
        match purpose {
            Purpose::Register => {
                match s.registrar.on_register(now, &s.account.settings, response) {
                    Ok(()) => {
                        // A new registration: the server observes anew what it wants.
                        s.observer.clear();
                        self.transport.abandon_notifications(now, Peer::Server(id));
                        self.bootstrap.registered();
                        self.push_event(Event::Registered { server: id });
                    }
                    Err(code) => self.register_failed(now, id, code),
                }
            }
            Purpose::Update => {
                let code = response.map(|p| p.code);
                if s.registrar.on_update(now, &s.account.settings, code) {
                    self.push_event(Event::Updated { server: id });
                } else {
                    // The server forgot us (4.04) or did not answer: register again.
                    self.register_with(now, id, device);
                }
            }
            Purpose::Deregister => self.deregistered(id),
            Purpose::Notify | Purpose::Fetch | Purpose::Bootstrap => {}
        }
    }
}
