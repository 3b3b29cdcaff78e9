//! A small LwM2M server for the simulated network, sans-IO like the client: datagrams and the
//! time in, datagrams and a deadline out. Addresses are the device's NAT address (`u32`).
//!
//! It accepts Register (2.01 with a Location-Path `rd/<id>`), Update (2.04, or 4.04 for a
//! registration it does not hold) and Deregister; a registration expires when its lifetime
//! passes without an Update. After each Register it writes pmin/pmax to the observed
//! resource, observes it, and reads it periodically. It acknowledges notifications of the
//! observations it holds and resets the others. A restart forgets everything but the
//! record: [`Server::log`] (every datagram received, with its time and address) and
//! [`Server::accepted`] (every successful Register and Update).
//!
//! Its own requests go to the address the registration was last made or updated from, one
//! at a time, retransmitted 4 times from 2 s, doubling. Responses go to where the request
//! came from.

use std::collections::VecDeque;

use coap_lite::{CoapOption, MessageType, Packet};
use lwm2m_fota_server::coap::{self, CHANGED, CONTENT, CREATED, DELETE, DELETED, GET, NOT_FOUND};
use lwm2m_fota_server::coap::{POST, PUT};

/// The resource the server observes and reads: /3/0/9 Battery Level.
pub const OBSERVED: &str = "3/0/9";

/// What the server asks of a device once it registers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Observe [`OBSERVED`] after each Register.
    pub observe: bool,
    /// pmin to write before observing, in seconds.
    pub pmin_s: Option<u32>,
    /// pmax to write before observing, in seconds.
    pub pmax_s: Option<u32>,
    /// Read [`OBSERVED`] this often, in ms.
    pub read_every_ms: Option<u64>,
}

/// What a received datagram was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// A Register, accepted as registration `id`.
    Register {
        /// The registration it created.
        id: u32,
    },
    /// An Update of registration `id`; `known` is whether the server held it.
    Update {
        /// The registration named.
        id: u32,
        /// Whether it was answered 2.04 (else 4.04).
        known: bool,
    },
    /// A Deregister.
    Deregister,
    /// A notification (a CON or NON response with Observe).
    Notification {
        /// Its token.
        token: Vec<u8>,
        /// Its code.
        code: u8,
        /// Its payload, as text.
        payload: String,
        /// Whether it belongs to an observation the server holds (else it is reset).
        known: bool,
    },
    /// The answer to one of the server's requests.
    Response {
        /// Its code.
        code: u8,
    },
    /// An empty ACK or RST.
    Empty {
        /// RST rather than ACK.
        reset: bool,
    },
    /// Anything else (a malformed datagram, a request for another path).
    Other,
}

/// A datagram the server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// When.
    pub at: u64,
    /// From which device address.
    pub from: u32,
    /// What it was.
    pub what: What,
    /// A duplicate of a confirmable message already answered (answered again from the cache).
    pub duplicate: bool,
}

/// A successful Register or Update: the device is registered in the server's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// When the server received it.
    pub at: u64,
    /// An Update rather than a Register.
    pub update: bool,
    /// The registration.
    pub id: u32,
}

/// What one of the server's requests is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Attributes,
    Observe,
    Read,
}

/// The registration the server holds.
struct Registration {
    id: u32,
    lifetime_ms: u64,
    /// Where the server's requests go: the address of the last Register or Update.
    addr: u32,
    expires: u64,
}

/// The server's request in flight, with its retransmission state.
struct Outgoing {
    purpose: Purpose,
    mid: u16,
    token: Vec<u8>,
    bytes: Vec<u8>,
    addr: u32,
    due: u64,
    tries: u32,
}

/// A response to a confirmable message, kept for its retransmissions.
struct Cached {
    addr: u32,
    mid: u16,
    bytes: Vec<u8>,
    expires: u64,
}

/// RFC 7252 ACK_TIMEOUT (no random factor: the server is deterministic without a seed).
const ACK_TIMEOUT_MS: u64 = 2_000;
/// RFC 7252 MAX_RETRANSMIT.
const MAX_RETRANSMIT: u32 = 4;
/// RFC 7252 EXCHANGE_LIFETIME: how long an answer is kept for retransmitted requests.
const EXCHANGE_LIFETIME_MS: u64 = 247_000;

/// The server. See the [module documentation](self).
pub struct Server {
    config: ServerConfig,
    registration: Option<Registration>,
    /// The next registration ID: never reused, restarts included.
    next_id: u32,
    /// Tokens of the observations held.
    observations: Vec<Vec<u8>>,
    queue: VecDeque<(Purpose, Packet)>,
    outstanding: Option<Outgoing>,
    outbox: VecDeque<(u32, Vec<u8>)>,
    cache: VecDeque<Cached>,
    mid: u16,
    token: u32,
    next_read: Option<u64>,
    /// Every datagram received.
    pub log: Vec<Received>,
    /// Every successful Register and Update.
    pub accepted: Vec<Accepted>,
    /// Every Observe token sent, with the registration it was sent for.
    pub observe_tokens: Vec<(Vec<u8>, u32)>,
    /// Restarts so far.
    pub restarts: u32,
    /// Registrations that expired (no Update within their lifetime).
    pub expired: u32,
}

impl Server {
    /// A server that asks `config` of each device that registers.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            registration: None,
            next_id: 1,
            observations: Vec::new(),
            queue: VecDeque::new(),
            outstanding: None,
            outbox: VecDeque::new(),
            cache: VecDeque::new(),
            mid: 0x7000,
            token: 0x5100_0000,
            next_read: None,
            log: Vec::new(),
            accepted: Vec::new(),
            observe_tokens: Vec::new(),
            restarts: 0,
            expired: 0,
        }
    }

    /// The registration held, if any.
    pub fn registration(&self) -> Option<u32> {
        self.registration.as_ref().map(|r| r.id)
    }

    /// Forgets every registration, observation, request and cached response.
    pub fn restart(&mut self) {
        self.restarts += 1;
        self.forget();
        self.outbox.clear();
        self.cache.clear();
    }

    /// Drops the registration and everything that hangs on it.
    fn forget(&mut self) {
        self.registration = None;
        self.observations.clear();
        self.queue.clear();
        self.outstanding = None;
        self.next_read = None;
    }

    /// When [`Server::poll`] must run next.
    pub fn timeout(&self) -> Option<u64> {
        [
            self.outstanding.as_ref().map(|o| o.due),
            self.next_read,
            self.registration.as_ref().map(|r| r.expires),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs what is due at `now` and returns the next datagram to send, with its address.
    pub fn poll(&mut self, now: u64) -> Option<(u32, Vec<u8>)> {
        if self.registration.as_ref().is_some_and(|r| r.expires <= now) {
            self.expired += 1;
            self.forget();
        }
        if let Some(o) = self.outstanding.as_mut()
            && o.due <= now
        {
            if o.tries >= MAX_RETRANSMIT {
                self.outstanding = None;
                self.send_next(now);
            } else {
                o.tries += 1;
                o.due = now + (ACK_TIMEOUT_MS << o.tries);
                self.outbox.push_back((o.addr, o.bytes.clone()));
            }
        }
        if self.next_read.is_some_and(|at| at <= now) {
            self.next_read = self.config.read_every_ms.map(|every| now + every);
            let mut p = request(GET);
            p.add_option(CoapOption::Accept, Vec::new());
            self.enqueue(now, Purpose::Read, p);
        }
        self.outbox.pop_front()
    }

    /// Hands in a datagram from device address `from`.
    pub fn handle(&mut self, now: u64, from: u32, datagram: &[u8]) {
        let Ok(p) = Packet::from_bytes(datagram) else {
            self.record(now, from, What::Other, false);
            return;
        };
        let kind = p.header.get_type();
        let c = coap::code_of(&p);
        self.cache.retain(|c| c.expires > now);
        if kind == MessageType::Confirmable
            && let Some(cached) = self
                .cache
                .iter()
                .find(|c| c.addr == from && c.mid == p.header.message_id)
        {
            let bytes = cached.bytes.clone();
            self.outbox.push_back((from, bytes));
            let what = self.classify(&p);
            self.record(now, from, what, true);
            return;
        }
        let what = if c == 0 {
            let reset = kind == MessageType::Reset;
            if reset
                && self
                    .outstanding
                    .as_ref()
                    .is_some_and(|o| o.mid == p.header.message_id)
            {
                self.outstanding = None;
                self.send_next(now);
            }
            What::Empty { reset }
        } else if c >> 5 == 0 {
            self.request(now, from, &p)
        } else if kind == MessageType::Acknowledgement {
            self.response(now, &p)
        } else {
            self.notification(now, from, &p)
        };
        self.record(now, from, what, false);
    }

    /// Appends to [`Server::log`].
    fn record(&mut self, at: u64, from: u32, what: What, duplicate: bool) {
        self.log.push(Received {
            at,
            from,
            what,
            duplicate,
        });
    }

    /// What a duplicate was, for the log (without acting on it).
    fn classify(&self, p: &Packet) -> What {
        let c = coap::code_of(p);
        let path = coap::path_of(p);
        match (c, path.as_str(), registration_id(&path)) {
            (POST, "rd", _) => What::Register { id: 0 },
            (POST, _, Some(id)) => What::Update { id, known: false },
            (DELETE, _, _) => What::Deregister,
            _ if c >> 5 != 0 => What::Notification {
                token: p.get_token().to_vec(),
                code: c,
                payload: String::from_utf8_lossy(&p.payload).into_owned(),
                known: self.observations.iter().any(|t| t == p.get_token()),
            },
            _ => What::Other,
        }
    }

    /// Answers `p` (a request or a notification) with `code` (0: an empty ACK or RST).
    fn answer(&mut self, p: &Packet, kind: MessageType, c: u8) -> Packet {
        let mut r = coap::message(kind, c);
        r.header.message_id = if p.header.get_type() == MessageType::Confirmable {
            p.header.message_id
        } else {
            self.next_mid()
        };
        if c != 0 {
            r.set_token(p.get_token().to_vec());
        }
        r
    }

    /// Sends answer `r` to `p` back to `from`, kept for retransmissions of a confirmable `p`.
    fn send_answer(&mut self, now: u64, from: u32, p: &Packet, r: &Packet) {
        let Ok(bytes) = r.to_bytes() else { return };
        if p.header.get_type() == MessageType::Confirmable {
            self.cache.push_back(Cached {
                addr: from,
                mid: p.header.message_id,
                bytes: bytes.clone(),
                expires: now + EXCHANGE_LIFETIME_MS,
            });
        }
        self.outbox.push_back((from, bytes));
    }

    /// Serves Register, Update and Deregister; 4.04 for anything else.
    fn request(&mut self, now: u64, from: u32, p: &Packet) -> What {
        let kind = if p.header.get_type() == MessageType::Confirmable {
            MessageType::Acknowledgement
        } else {
            MessageType::NonConfirmable
        };
        let c = coap::code_of(p);
        let held = self.registration.as_ref().map(|r| r.id);
        let path = coap::path_of(p);
        let (answer, what) = match (c, path.as_str(), registration_id(&path)) {
            (POST, "rd", _) => {
                let id = self.next_id;
                self.next_id += 1;
                let lifetime_ms = lifetime_ms(p).unwrap_or(86_400_000);
                self.forget();
                self.registration = Some(Registration {
                    id,
                    lifetime_ms,
                    addr: from,
                    expires: now + lifetime_ms,
                });
                self.accepted.push(Accepted {
                    at: now,
                    update: false,
                    id,
                });
                let mut r = self.answer(p, kind, CREATED);
                r.add_option(CoapOption::LocationPath, b"rd".to_vec());
                r.add_option(CoapOption::LocationPath, id.to_string().into_bytes());
                (r, What::Register { id })
            }
            (POST, _, Some(id)) => {
                let known = held == Some(id);
                if let Some(r) = self.registration.as_mut().filter(|_| known) {
                    r.lifetime_ms = lifetime_ms(p).unwrap_or(r.lifetime_ms);
                    r.expires = now + r.lifetime_ms;
                    r.addr = from;
                    self.accepted.push(Accepted {
                        at: now,
                        update: true,
                        id,
                    });
                }
                let c = if known { CHANGED } else { NOT_FOUND };
                (self.answer(p, kind, c), What::Update { id, known })
            }
            (DELETE, _, Some(id)) => {
                let known = held == Some(id);
                if known {
                    self.forget();
                }
                let c = if known { DELETED } else { NOT_FOUND };
                (self.answer(p, kind, c), What::Deregister)
            }
            _ => (self.answer(p, kind, NOT_FOUND), What::Other),
        };
        self.send_answer(now, from, p, &answer);
        if let What::Register { .. } = what {
            self.registered(now);
        }
        what
    }

    /// A new registration: write the attributes, observe, and schedule the reads.
    fn registered(&mut self, now: u64) {
        if self.config.pmin_s.is_some() || self.config.pmax_s.is_some() {
            let mut p = request(PUT);
            for (name, value) in [("pmin", self.config.pmin_s), ("pmax", self.config.pmax_s)] {
                if let Some(v) = value {
                    p.add_option(CoapOption::UriQuery, format!("{name}={v}").into_bytes());
                }
            }
            self.enqueue(now, Purpose::Attributes, p);
        }
        if self.config.observe {
            let mut p = request(GET);
            p.add_option(CoapOption::Observe, Vec::new());
            p.add_option(CoapOption::Accept, Vec::new()); // text/plain
            self.enqueue(now, Purpose::Observe, p);
        }
        self.next_read = self.config.read_every_ms.map(|every| now + every);
    }

    /// A piggybacked response to one of the server's requests.
    fn response(&mut self, now: u64, p: &Packet) -> What {
        let c = coap::code_of(p);
        let ours = self
            .outstanding
            .take_if(|o| o.mid == p.header.message_id && o.token == p.get_token());
        if let Some(o) = ours {
            let observing = c == CONTENT && p.get_option(CoapOption::Observe).is_some();
            if o.purpose == Purpose::Observe && !observing {
                self.observations.retain(|t| *t != o.token);
            }
            self.send_next(now);
        }
        What::Response { code: c }
    }

    /// A notification (or a separate response, which the server never asks for).
    fn notification(&mut self, now: u64, from: u32, p: &Packet) -> What {
        let known = self.observations.iter().any(|t| t == p.get_token());
        let kind = if known {
            MessageType::Acknowledgement
        } else {
            MessageType::Reset
        };
        if p.header.get_type() == MessageType::Confirmable || !known {
            let mut r = self.answer(p, kind, 0);
            r.header.message_id = p.header.message_id;
            self.send_answer(now, from, p, &r);
        }
        What::Notification {
            token: p.get_token().to_vec(),
            code: coap::code_of(p),
            payload: String::from_utf8_lossy(&p.payload).into_owned(),
            known,
        }
    }

    /// A fresh message ID for a request or a NON answer.
    fn next_mid(&mut self) -> u16 {
        self.mid = self.mid.wrapping_add(1);
        self.mid
    }

    /// Queues a request; it goes when the one in flight is answered or given up.
    fn enqueue(&mut self, now: u64, purpose: Purpose, p: Packet) {
        self.queue.push_back((purpose, p));
        self.send_next(now);
    }

    /// Sends the next queued request to the registration's address, if none is in flight.
    fn send_next(&mut self, now: u64) {
        if self.outstanding.is_some() {
            return;
        }
        let Some(reg) = self.registration.as_ref() else {
            self.queue.clear();
            return;
        };
        let (addr, id) = (reg.addr, reg.id);
        let Some((purpose, mut p)) = self.queue.pop_front() else {
            return;
        };
        let mid = self.next_mid();
        self.token = self.token.wrapping_add(1);
        let token = self.token.to_be_bytes().to_vec();
        p.header.message_id = mid;
        p.set_token(token.clone());
        if purpose == Purpose::Observe {
            self.observations.push(token.clone());
            self.observe_tokens.push((token.clone(), id));
        }
        let Ok(bytes) = p.to_bytes() else { return };
        self.outbox.push_back((addr, bytes.clone()));
        self.outstanding = Some(Outgoing {
            purpose,
            mid,
            token,
            bytes,
            addr,
            due: now + ACK_TIMEOUT_MS,
            tries: 0,
        });
    }
}

/// A confirmable request for [`OBSERVED`].
fn request(code: u8) -> Packet {
    let mut p = coap::message(MessageType::Confirmable, code);
    coap::set_path(&mut p, OBSERVED);
    p
}

/// The registration a path `rd/<id>` names.
fn registration_id(path: &str) -> Option<u32> {
    path.strip_prefix("rd/")?.parse().ok()
}

/// The `lt=` query of a Register or Update, in ms.
fn lifetime_ms(p: &Packet) -> Option<u64> {
    coap::strings(p, CoapOption::UriQuery)
        .iter()
        .find_map(|q| q.strip_prefix("lt=")?.parse::<u64>().ok())
        .map(|s| s * 1000)
}

/// The registration ID in the Location-Path of a 2.01 (`rd/<id>`).
pub fn location_id(p: &Packet) -> Option<u32> {
    if coap::code_of(p) != CREATED {
        return None;
    }
    let segments = p.get_option(CoapOption::LocationPath)?;
    let last = segments.back()?;
    std::str::from_utf8(last).ok()?.parse().ok()
}
