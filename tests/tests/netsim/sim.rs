//! The client, its application, the two links and the server on one virtual clock.
//!
//! [`Sim::run`] jumps from event to event (a client deadline, an arrival, a server timer, a
//! change of the value, a restart or rebinding) until the schedule's end, driving the client
//! sans-IO: `handle` for each datagram that reaches it, `poll` until `None`, `timeout` for
//! the next wake-up. Everything the device sends is classified and checked as it leaves,
//! against the application's value at that moment; the [`Report`] holds what the properties
//! measure.

use std::collections::VecDeque;

use coap_lite::{CoapOption, MessageType, Packet};
use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Client, Config, Device, Event, Instant, Peer, Transmit};

use super::Rng;
use super::app::App;
use super::faults::{Direction, Schedule, Timeline};
use super::link::{Datagram, Link, LinkParams, LinkStats};
use super::server::{self, Accepted, Received, Server, ServerConfig};
use lwm2m_fota_server::coap::{self, CONTENT, DELETE, GET, POST};

/// Watches every call into the client (a heap counter, in the heap test).
pub trait Meter {
    /// Before a call.
    fn enter(&mut self) {}
    /// After it; `handed_out` bytes of datagrams left the client with it.
    fn leave(&mut self, handed_out: usize) {
        let _ = handed_out;
    }
}

impl Meter for () {}

/// What a datagram the device sent was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Register.
    Register,
    /// Update.
    Update,
    /// Deregister.
    Deregister,
    /// A notification (CON or NON, with Observe).
    Notification,
    /// An ACK or RST: the answer to something the server sent.
    Response,
    /// Anything else.
    Other,
}

/// A datagram the device sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// When it left.
    pub at: u64,
    /// What it was.
    pub kind: Kind,
    /// A retransmission: a confirmable message with the message ID and bytes of one sent
    /// within the last EXCHANGE_LIFETIME.
    pub retransmission: bool,
    /// Its size in bytes.
    pub len: usize,
    /// Its token, as a number (tokens of the client are 4 bytes).
    pub token: u64,
}

/// A notification whose value was not the application's value when it left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// When it left.
    pub at: u64,
    /// The value it carried.
    pub carried: String,
    /// The application's value then.
    pub current: String,
    /// When the value last changed.
    pub changed_at: u64,
    /// Whether it was a retransmission.
    pub retransmission: bool,
}

/// A notification for an observation made under an earlier registration (its Observe
/// reached the device before the 2.01 of a newer one), sent after the device learned of the
/// newer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orphan {
    /// When it left.
    pub at: u64,
    /// The registration its observation was made for.
    pub of: u32,
    /// The registration the device held.
    pub held: u32,
}

/// What a run measured.
#[derive(Debug)]
pub struct Report {
    /// The start and the end of each episode.
    pub heals: Vec<u64>,
    /// The end of the run.
    pub end: u64,
    /// Every datagram the device sent, in order.
    pub sent: Vec<Sent>,
    /// Every successful Register and Update, in the server's view.
    pub accepted: Vec<Accepted>,
    /// Everything the server received.
    pub server_log: Vec<Received>,
    /// Notifications with a stale value.
    pub stale: Vec<Stale>,
    /// Notifications of observations from an earlier registration.
    pub orphans: Vec<Orphan>,
    /// Times the client was registered but had no deadline (`timeout()` was `None`).
    pub no_deadline: Vec<u64>,
    /// When the client asked to be polled again at once for 10 s of simulated time on end:
    /// the run stopped there.
    pub busy_from: Option<u64>,
    /// Events the client reported, with their times.
    pub events: Vec<(u64, Event)>,
    /// The link towards the server.
    pub up: LinkStats,
    /// The link towards the device.
    pub down: LinkStats,
    /// Calls to `Client::poll`.
    pub polls: u64,
    /// Server restarts.
    pub restarts: u32,
    /// When the server restarted and when the device's address changed.
    pub forgotten_at: Vec<u64>,
    /// The registration lifetime, in ms.
    pub lifetime_ms: u64,
    /// Registrations the server let expire.
    pub expired: u32,
    /// Whether the client considered itself registered when the run ended.
    pub registered_at_end: bool,
    /// The client's next deadline when the run ended.
    pub deadline_at_end: Option<u64>,
}

impl Report {
    /// For each heal, how long until the server held the device's registration: 0 when it
    /// already did at the heal (accepted since the last restart and address change, and not
    /// expired), else until it accepted a Register or Update (`None`: not before the run
    /// ended).
    pub fn recoveries(&self) -> Vec<(u64, Option<u64>)> {
        self.heals
            .iter()
            .map(|&h| {
                // Registered in the server's view at the heal: an acceptance since the last
                // restart and address change, not expired (its answer may have been lost in
                // the fault; the server holds the registration all the same).
                let forgotten = self.forgotten_at.iter().filter(|&&f| f <= h).max();
                let holds = h > 0
                    && self
                        .accepted
                        .iter()
                        .rev()
                        .find(|a| a.at < h)
                        .is_some_and(|a| {
                            forgotten.is_none_or(|&f| a.at > f) && a.at + self.lifetime_ms > h
                        });
                let after = if holds {
                    Some(0)
                } else {
                    self.accepted.iter().find(|a| a.at >= h).map(|a| a.at - h)
                };
                (h, after)
            })
            .collect()
    }

    /// The most datagrams matching `count` that left in any `window_ms` (a half-open window
    /// starting at a datagram), and where that window starts.
    pub fn busiest(&self, window_ms: u64, count: impl Fn(&Sent) -> bool) -> (usize, u64) {
        let times: Vec<u64> = self
            .sent
            .iter()
            .filter(|s| count(s))
            .map(|s| s.at)
            .collect();
        let mut best = (0, 0);
        let mut j = 0;
        for (i, &start) in times.iter().enumerate() {
            j = j.max(i);
            while times.get(j).is_some_and(|&t| t < start + window_ms) {
                j += 1;
            }
            if j - i > best.0 {
                best = (j - i, start);
            }
        }
        best
    }

    /// Successful Updates the server received in [from, to).
    pub fn updates_between(&self, from: u64, to: u64) -> Vec<u64> {
        self.accepted
            .iter()
            .filter(|a| a.update && (from..to).contains(&a.at))
            .map(|a| a.at)
            .collect()
    }
}

/// Ten seconds of polling at once on end: the client is spinning.
const BUSY_LIMIT_MS: u64 = 10_000;

/// RFC 7252 EXCHANGE_LIFETIME (247 s): how long a retransmission may follow its original.
const EXCHANGE_LIFETIME_MS: u64 = 247_000;

/// The simulation. See the [module documentation](self).
pub struct Sim<M: Meter = ()> {
    /// The virtual clock, in ms.
    pub now: u64,
    rng: Rng,
    /// The faults in absolute time.
    pub timeline: Timeline,
    up_params: LinkParams,
    down_params: LinkParams,
    /// The client under test.
    pub client: Client,
    /// The application.
    pub app: App,
    /// The server.
    pub server: Server,
    up: Link,
    down: Link,
    /// The device's current address (NAT rebindings change it).
    addr: u32,
    next_restart: usize,
    next_rebind: usize,
    /// Confirmable messages the device sent recently: (time, message ID, bytes).
    recent: VecDeque<(u64, u16, Vec<u8>)>,
    /// The registration the device last learned of (its 2.01 reached the client), and the
    /// number of the delivery that brought it.
    device_registration: (u32, u64),
    /// Datagrams delivered to the client so far.
    deliveries: u64,
    /// Observe requests delivered to the client: their token and the number of the first
    /// delivery of each.
    observes: Vec<(Vec<u8>, u64)>,
    busy_since: Option<u64>,
    report: Report,
    /// What watches the client calls.
    pub meter: M,
}

impl Sim<()> {
    /// A simulation of `schedule`.
    pub fn new(schedule: &Schedule) -> Self {
        Sim::with_meter(schedule, ())
    }
}

impl<M: Meter> Sim<M> {
    /// A simulation of `schedule` whose client calls `meter` watches.
    pub fn with_meter(schedule: &Schedule, meter: M) -> Self {
        let mut rng = Rng::new(schedule.seed);
        let mut config = Config::new("sim-1").unwrap_or_else(|_| unreachable!());
        config.lifetime = schedule.lifetime_s;
        let client = Client::new(config, rng.next_u64());
        let app = App::new(schedule.change_every_ms, 0, &mut rng);
        let server = Server::new(ServerConfig {
            observe: true,
            pmin_s: schedule.pmin_s,
            pmax_s: schedule.pmax_s,
            read_every_ms: schedule.read_every_s.map(|s| u64::from(s) * 1000),
        });
        let timeline = Timeline::new(schedule);
        let report = Report {
            heals: timeline.heals.clone(),
            end: timeline.end,
            sent: Vec::new(),
            accepted: Vec::new(),
            server_log: Vec::new(),
            stale: Vec::new(),
            orphans: Vec::new(),
            no_deadline: Vec::new(),
            busy_from: None,
            events: Vec::new(),
            up: LinkStats::default(),
            down: LinkStats::default(),
            polls: 0,
            restarts: 0,
            forgotten_at: timeline
                .restarts
                .iter()
                .chain(&timeline.rebinds)
                .copied()
                .collect(),
            lifetime_ms: u64::from(schedule.lifetime_s) * 1000,
            expired: 0,
            registered_at_end: false,
            deadline_at_end: None,
        };
        Self {
            now: 0,
            rng,
            timeline,
            up_params: schedule.up,
            down_params: schedule.down,
            client,
            app,
            server,
            up: Link::default(),
            down: Link::default(),
            addr: 1,
            next_restart: 0,
            next_rebind: 0,
            recent: VecDeque::new(),
            device_registration: (0, 0),
            deliveries: 0,
            observes: Vec::new(),
            busy_since: None,
            report,
            meter,
        }
    }

    /// Registers at time 0 and runs to the end of the schedule.
    pub fn run(mut self) -> Report {
        self.start();
        let end = self.timeline.end;
        self.run_until(end);
        self.finish()
    }

    /// Starts registration now.
    pub fn start(&mut self) {
        let now = Instant(self.now);
        self.meter.enter();
        let mut objects: [&mut dyn Object; 1] = [&mut self.app.meter];
        self.client.register(now, &mut Device::new(&mut objects));
        self.meter.leave(0);
        self.step();
    }

    /// Runs until `end` (or until the client spins).
    pub fn run_until(&mut self, end: u64) {
        while self.now < end && self.report.busy_from.is_none() {
            let next = self.next_event().unwrap_or(end).clamp(self.now + 1, end);
            self.now = next;
            self.step();
        }
    }

    /// The report so far, and the server's record.
    pub fn finish(mut self) -> Report {
        self.report.accepted = std::mem::take(&mut self.server.accepted);
        self.report.server_log = std::mem::take(&mut self.server.log);
        self.report.up = self.up.stats;
        self.report.down = self.down.stats;
        self.report.restarts = self.server.restarts;
        self.report.expired = self.server.expired;
        self.report.registered_at_end = self.client.is_registered();
        self.report.deadline_at_end = self.client.timeout().map(|t| t.0);
        self.report
    }

    /// The report so far (the server's record is in [`Sim::server`]).
    pub fn report(&self) -> &Report {
        &self.report
    }

    fn next_event(&self) -> Option<u64> {
        [
            self.client.timeout().map(|t| t.0),
            self.up.next_arrival(),
            self.down.next_arrival(),
            self.server.timeout(),
            self.app.next_change(),
            self.timeline.next_event(self.now),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Everything due at `now`: faults, the application, arrivals, what the client and the
    /// server send.
    fn step(&mut self) {
        let now = self.now;
        while self.timeline.restarts.get(self.next_restart) == Some(&now) {
            self.next_restart += 1;
            self.server.restart();
        }
        while self.timeline.rebinds.get(self.next_rebind) == Some(&now) {
            self.next_rebind += 1;
            self.addr += 1;
        }
        if self.app.tick(now, &mut self.rng) {
            self.meter.enter();
            self.client.notify_changed(Instant(now));
            self.meter.leave(0);
        }
        let out = self.timeline.out(now);
        while let Some(d) = self.up.pop_due(now) {
            if out {
                self.up.stats.outage += 1;
            } else {
                self.server.handle(now, d.addr, &d.bytes);
            }
        }
        while let Some(d) = self.down.pop_due(now) {
            if out {
                self.down.stats.outage += 1;
            } else if d.addr != self.addr {
                self.down.stats.stale_address += 1;
            } else {
                self.deliver(&d.bytes);
            }
        }
        while let Some(t) = self.poll() {
            self.sent(&t);
            let params = self.timeline.params(&self.up_params, Direction::Up, now);
            let d = Datagram {
                addr: self.addr,
                bytes: t.data,
            };
            self.up.send(now, &mut self.rng, &params, out, d);
        }
        self.take_events(None);
        while let Some((addr, bytes)) = self.server.poll(now) {
            let params = self
                .timeline
                .params(&self.down_params, Direction::Down, now);
            let d = Datagram { addr, bytes };
            self.down.send(now, &mut self.rng, &params, out, d);
        }
        let deadline = self.client.timeout();
        if self.client.is_registered() && deadline.is_none() {
            self.report.no_deadline.push(now);
        }
        if deadline.is_some_and(|t| t.0 <= now) {
            let since = *self.busy_since.get_or_insert(now);
            if now - since >= BUSY_LIMIT_MS {
                self.report.busy_from = Some(since);
            }
        } else {
            self.busy_since = None;
        }
    }

    /// Hands a datagram from the server to the client.
    fn deliver(&mut self, bytes: &[u8]) {
        let now = Instant(self.now);
        self.meter.enter();
        let mut objects: [&mut dyn Object; 1] = [&mut self.app.meter];
        self.client
            .handle(now, Peer::Server(1), bytes, &mut Device::new(&mut objects));
        self.meter.leave(0);
        self.deliveries += 1;
        let p = Packet::from_bytes(bytes).ok();
        if let Some(p) = p
            .as_ref()
            .filter(|p| coap::code_of(p) == GET && p.get_option(CoapOption::Observe).is_some())
            && !self.observes.iter().any(|(t, _)| t == p.get_token())
        {
            self.observes
                .push((p.get_token().to_vec(), self.deliveries));
        }
        self.take_events(p.as_ref().and_then(server::location_id));
    }

    /// Collects the client's events; a `Registered` right after a 2.01 for registration
    /// `created` means the device now holds that one.
    fn take_events(&mut self, created: Option<u32>) {
        while let Some(e) = self.client.poll_event() {
            if matches!(e, Event::Registered { .. })
                && let Some(id) = created
            {
                self.device_registration = self.device_registration.max((id, self.deliveries));
            }
            self.report.events.push((self.now, e));
        }
    }

    fn poll(&mut self) -> Option<Transmit> {
        let now = Instant(self.now);
        self.meter.enter();
        let mut objects: [&mut dyn Object; 1] = [&mut self.app.meter];
        let t = self.client.poll(now, &mut Device::new(&mut objects));
        self.meter
            .leave(t.as_ref().map_or(0, |t| t.data.capacity()));
        self.report.polls += 1;
        t
    }

    /// Classifies and checks a datagram as it leaves the device.
    fn sent(&mut self, t: &Transmit) {
        let now = self.now;
        let len = t.data.len();
        let parsed = Packet::from_bytes(&t.data).ok();
        let Some(p) = parsed.filter(|_| t.to == Peer::Server(1)) else {
            self.report.sent.push(Sent {
                at: now,
                kind: Kind::Other,
                retransmission: false,
                len,
                token: 0,
            });
            return;
        };
        let kind_of_message = p.header.get_type();
        let c = u8::from(p.header.code);
        let kind = match kind_of_message {
            MessageType::Acknowledgement | MessageType::Reset => Kind::Response,
            _ if c == POST && p.get_option(CoapOption::UriQuery).is_some() => Kind::Register,
            _ if c == POST => Kind::Update,
            _ if c == DELETE => Kind::Deregister,
            _ if c >> 5 != 0 && p.get_option(CoapOption::Observe).is_some() => Kind::Notification,
            _ => Kind::Other,
        };
        self.recent
            .retain(|(at, ..)| at + EXCHANGE_LIFETIME_MS > now);
        let mid = p.header.message_id;
        let retransmission = kind_of_message == MessageType::Confirmable
            && self
                .recent
                .iter()
                .any(|(_, m, b)| *m == mid && *b == t.data);
        if kind_of_message == MessageType::Confirmable && !retransmission {
            self.recent.push_back((now, mid, t.data.clone()));
        }
        let token = p
            .get_token()
            .iter()
            .fold(0u64, |t, &b| (t << 8) | u64::from(b));
        self.report.sent.push(Sent {
            at: now,
            kind,
            retransmission,
            len,
            token,
        });
        if kind != Kind::Notification {
            return;
        }
        if c == CONTENT {
            let carried = String::from_utf8_lossy(&p.payload).into_owned();
            let current = self.app.value();
            if carried != current {
                self.report.stale.push(Stale {
                    at: now,
                    carried,
                    current,
                    changed_at: self.app.changed_at,
                    retransmission,
                });
            }
        }
        // An observation is an orphan when its Observe reached the device before the 2.01 of
        // a later registration: a reordered Observe that arrives after it is a new one.
        let of = self
            .server
            .observe_tokens
            .iter()
            .find(|(token, _)| token.as_slice() == p.get_token())
            .map(|&(_, id)| id);
        let arrived = self
            .observes
            .iter()
            .find(|(token, _)| token.as_slice() == p.get_token())
            .map(|&(_, delivery)| delivery);
        let (held, learned) = self.device_registration;
        if let (Some(of), Some(arrived)) = (of, arrived)
            && of < held
            && arrived < learned
        {
            self.report.orphans.push(Orphan { at: now, of, held });
        }
    }
}
