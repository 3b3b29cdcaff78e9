//! A sans-IO LwM2M server that updates one device's firmware.
//!
//! It accepts the registration, observes /5/0/3 State, /5/0/5 Update Result and /4/0/2 Radio
//! Signal Strength, reads /3/0/3 Firmware Version, and runs a list of [`Job`]s: each delivers
//! an image by PUSH (Block1 writes to /5/0/0) or PULL (a Package URI; the server serves the
//! image over CoAP Block2 itself), executes Update once the device reports Downloaded, and
//! judges the outcome when the device comes back: State, Update Result and the version it runs.
//!
//! The server reacts to what it sees rather than following a script, so a device that reboots
//! or loses power at any point is picked up where it stands: a download that survived is
//! updated, anything else is reset and tried again, up to [`Settings::attempts`].
//!
//! Addresses are opaque (`A`): the UDP runner uses socket addresses, tests an enum.

use std::collections::VecDeque;

use coap_lite::{CoapOption, MessageType, Packet};

use crate::coap::{self, Block};

/// How an image reaches the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Block1 writes to /5/0/0, in blocks of `16 << szx` bytes (the device may ask for less).
    Push {
        /// The block size exponent to start with.
        szx: u8,
    },
    /// The device fetches the Package URI. For a `coap://` URI whose path the server serves,
    /// the server answers the Block2 requests itself.
    Pull {
        /// The Package URI.
        uri: String,
    },
}

/// What a job should end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Update Result 1 and the image's version running.
    Success,
    /// Update Result 8 with the old version still running (the image fails its self-test).
    RolledBack,
    /// The download or update is refused with this Update Result.
    Refused(u8),
}

/// One update to deliver.
#[derive(Clone, Debug)]
pub struct Job {
    /// A name for messages.
    pub name: String,
    /// The package.
    pub image: Vec<u8>,
    /// The version the image carries (what /3/0/3 should read after a success).
    pub version: String,
    /// How to deliver it.
    pub method: Method,
    /// Push only when /4/0/2 Radio Signal Strength is at least this, in dBm.
    pub min_rssi: Option<i64>,
    /// What the job should end with.
    pub expect: Expect,
    /// Cancel (/5/0/10) once this many bytes were delivered: a server changing its mind.
    pub cancel_after: Option<u32>,
}

/// Server settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Tries per job before it is judged failed.
    pub attempts: u32,
    /// Time before a confirmable request is first retransmitted, in ms (doubles each time).
    pub ack_timeout_ms: u64,
    /// Retransmissions before a request is given up.
    pub max_retransmit: u32,
    /// The path (after `/`) under which a PULL image is served.
    pub image_path: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            attempts: 3,
            ack_timeout_ms: 2_000,
            max_retransmit: 4,
            image_path: "fw/image.bin".into(),
        }
    }
}

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// /5/0/3 at the end.
    pub state: u8,
    /// /5/0/5 at the end.
    pub result: u8,
    /// /3/0/3 at the end.
    pub version: String,
    /// Whether it is what the job expected.
    pub as_expected: bool,
    /// Attempts made.
    pub attempts: u32,
}

/// Counters of what went over the network, for benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Confirmable requests sent (first transmissions).
    pub requests: u32,
    /// Retransmissions of them.
    pub retransmissions: u32,
    /// Block2 responses served for PULL.
    pub blocks_served: u32,
    /// Image bytes in those responses.
    pub bytes_served: u64,
    /// Image bytes in pushed blocks (first transmissions and retransmissions).
    pub bytes_pushed: u64,
}

/// What the server saw and did, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A device registered (again, after a reboot).
    Registered {
        /// Its endpoint name.
        endpoint: String,
        /// Its object links.
        objects: String,
    },
    /// /3/0/3 read.
    Version(String),
    /// /5/0/3 reported.
    State(u8),
    /// /5/0/5 reported.
    Result(u8),
    /// /4/0/2 reported.
    Rssi(i64),
    /// Waiting for the signal to reach the job's minimum.
    WaitingForSignal {
        /// The last reported strength.
        rssi: i64,
        /// The minimum.
        min: i64,
    },
    /// A job's attempt begins.
    Attempt {
        /// The job.
        job: usize,
        /// 1 for the first try.
        attempt: u32,
    },
    /// Bytes delivered so far (pushed and acknowledged, or served).
    Progress {
        /// Delivered.
        done: u32,
        /// The package size.
        total: u32,
    },
    /// The device refused a pushed block.
    PushRefused {
        /// The response code.
        code: u8,
    },
    /// Update executed.
    UpdateExecuted,
    /// Cancel executed.
    Cancelled,
    /// A job ended.
    JobDone {
        /// The job.
        job: usize,
        /// How.
        outcome: Outcome,
    },
    /// All jobs ended; `true` when every one went as expected.
    Finished(bool),
}

/// What a request of ours was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Observe(Watch),
    ReadVersion,
    Attributes,
    Reset,
    Push(Block),
    WriteUri,
    Execute,
    Cancel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Watch {
    State,
    Result,
    Rssi,
}

struct Outgoing {
    purpose: Purpose,
    token: Vec<u8>,
    mid: u16,
    bytes: Vec<u8>,
    due: u64,
    tries: u32,
}

/// The per-attempt progress of the current job.
#[derive(Default)]
struct Attempt {
    number: u32,
    /// The download was started (first block written or URI written).
    started: bool,
    /// The push finished with 2.04.
    pushed: bool,
    /// Update was executed.
    executed: bool,
    /// The push was refused with this code.
    refused: Option<u8>,
    /// The device reported State or Update Result since the download started (before that,
    /// what the server holds may describe an earlier attempt).
    fresh: bool,
    /// Cancel was sent.
    cancelled: bool,
    next_block: u32,
    szx: u8,
}

/// The server.
pub struct Server<A> {
    settings: Settings,
    jobs: Vec<Job>,
    current: usize,
    attempt: Attempt,
    device: Option<A>,
    location: u32,
    registered: bool,
    state: Option<u8>,
    result: Option<u8>,
    rssi: Option<i64>,
    version: Option<String>,
    observations: Vec<(Vec<u8>, Watch)>,
    asked_signal: bool,
    queue: VecDeque<(Purpose, Packet)>,
    outstanding: Option<Outgoing>,
    outbox: VecDeque<(A, Vec<u8>)>,
    events: VecDeque<Event>,
    /// Recent responses by address, message ID and token, for retransmitted requests.
    responses: VecDeque<(A, u16, Vec<u8>, Vec<u8>)>,
    mid: u16,
    token: u32,
    finished: Option<bool>,
    all_ok: bool,
    stats: Stats,
    /// Each job's ETag, computed once.
    etags: Vec<[u8; 8]>,
}

impl<A: Clone + PartialEq> Server<A> {
    /// A server that will run `jobs` in order once a device registers.
    pub fn new(settings: Settings, jobs: Vec<Job>, seed: u16) -> Self {
        let etags = jobs.iter().map(|j| etag(&j.image)).collect();
        Self {
            etags,
            settings,
            jobs,
            current: 0,
            attempt: Attempt::default(),
            device: None,
            location: 0,
            registered: false,
            state: None,
            result: None,
            rssi: None,
            version: None,
            observations: Vec::new(),
            asked_signal: false,
            queue: VecDeque::new(),
            outstanding: None,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            responses: VecDeque::new(),
            mid: seed,
            token: u32::from(seed) << 16,
            finished: None,
            all_ok: true,
            stats: Stats::default(),
        }
    }

    /// Whether every job ended, and whether all went as expected.
    pub fn finished(&self) -> Option<bool> {
        self.finished
    }

    /// What went over the network so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next datagram to send.
    pub fn poll(&mut self, now: u64) -> Option<(A, Vec<u8>)> {
        self.retransmit(now);
        self.outbox.pop_front()
    }

    /// When to call [`Server::poll`] next at the latest.
    pub fn timeout(&self) -> Option<u64> {
        self.outstanding.as_ref().map(|o| o.due)
    }

    /// Hands in a datagram from `from`.
    pub fn handle(&mut self, now: u64, from: A, datagram: &[u8]) {
        let Ok(p) = Packet::from_bytes(datagram) else {
            return;
        };
        let code = coap::code_of(&p);
        match p.header.get_type() {
            MessageType::Acknowledgement | MessageType::Reset if code == 0 => {
                // An empty ACK: a separate response follows; a RST: the device forgot us.
                if p.header.get_type() == MessageType::Reset
                    && self
                        .outstanding
                        .as_ref()
                        .is_some_and(|o| o.mid == p.header.message_id)
                {
                    self.outstanding = None;
                    self.send_next(now);
                }
                return;
            }
            _ => {}
        }
        if code == 0 {
            return;
        }
        if code >> 5 == 0 {
            self.request(now, from, &p);
        } else {
            self.response(now, from, &p);
        }
        self.decide(now);
    }

    // --- the device's requests ---------------------------------------------------------

    fn request(&mut self, now: u64, from: A, p: &Packet) {
        let mid = p.header.message_id;
        let token = p.get_token().to_vec();
        if p.header.get_type() == MessageType::Confirmable
            && let Some((.., bytes)) = self
                .responses
                .iter()
                .find(|(a, m, t, _)| *a == from && *m == mid && *t == token)
        {
            // A retransmission: the same answer again, and nothing done twice.
            self.outbox.push_back((from, bytes.clone()));
            return;
        }
        let path = coap::path_of(p);
        let code = coap::code_of(p);
        let reply = |server: &mut Self, code: u8, build: &dyn Fn(&mut Packet)| {
            let kind = if p.header.get_type() == MessageType::Confirmable {
                MessageType::Acknowledgement
            } else {
                MessageType::NonConfirmable
            };
            let mut r = coap::message(kind, code);
            r.header.message_id = if kind == MessageType::Acknowledgement {
                mid
            } else {
                server.next_mid()
            };
            r.set_token(p.get_token().to_vec());
            build(&mut r);
            let Ok(bytes) = r.to_bytes() else { return };
            if server.responses.len() == 16 {
                server.responses.pop_front();
            }
            server
                .responses
                .push_back((from.clone(), mid, token.clone(), bytes.clone()));
            server.outbox.push_back((from.clone(), bytes));
        };
        let image_path = self.settings.image_path.clone();
        match (code, path.as_str()) {
            (coap::POST, "rd") => {
                let endpoint = coap::strings(p, CoapOption::UriQuery)
                    .into_iter()
                    .find_map(|q| q.strip_prefix("ep=").map(str::to_owned))
                    .unwrap_or_default();
                self.location += 1;
                let location = self.location.to_string();
                reply(self, coap::CREATED, &|r| {
                    r.add_option(CoapOption::LocationPath, b"rd".to_vec());
                    r.add_option(CoapOption::LocationPath, location.as_bytes().to_vec());
                });
                self.registered(
                    now,
                    from,
                    endpoint,
                    String::from_utf8_lossy(&p.payload).into(),
                );
            }
            (coap::POST, rd) if rd == format!("rd/{}", self.location) => {
                reply(self, coap::CHANGED, &|_| {});
                if !self.registered {
                    // Requests to it had timed out: look at the device afresh.
                    self.observe(now, from);
                }
            }
            (coap::DELETE, rd) if rd == format!("rd/{}", self.location) => {
                reply(self, coap::DELETED, &|_| {});
                self.registered = false;
            }
            (coap::GET, path) if path == image_path => {
                let Some(job) = self.jobs.get(self.current) else {
                    reply(self, coap::NOT_FOUND, &|_| {});
                    return;
                };
                let image = &job.image;
                let asked = coap::block(p, CoapOption::Block2).unwrap_or(Block::new(0, false, 6));
                let size = asked.size() as usize;
                let start = asked.num as usize * size;
                if start >= image.len() && !(start == 0 && image.is_empty()) {
                    reply(self, coap::BAD_REQUEST, &|_| {});
                    return;
                }
                let end = (start + size).min(image.len());
                let block = Block::new(asked.num, end < image.len(), asked.szx);
                let payload = image[start..end].to_vec();
                let total = image.len() as u32;
                let etag = self.etags.get(self.current).copied().unwrap_or_default();
                reply(self, coap::CONTENT, &|r| {
                    r.add_option(CoapOption::ETag, etag.to_vec());
                    coap::add_block(r, CoapOption::Block2, block);
                    r.add_option(CoapOption::Size2, coap::uint_bytes(total));
                    r.payload = payload.clone();
                });
                self.stats.blocks_served += 1;
                self.stats.bytes_served += (end - start) as u64;
                self.events.push_back(Event::Progress {
                    done: end as u32,
                    total,
                });
                self.maybe_cancel(now, end as u32);
            }
            _ => reply(self, coap::NOT_FOUND, &|_| {}),
        }
    }

    fn registered(&mut self, now: u64, from: A, endpoint: String, objects: String) {
        if self.attempt.started && !self.attempt.pushed {
            // A push cannot survive a reboot; a pull or a finished download can.
            self.attempt.next_block = 0;
        }
        self.events
            .push_back(Event::Registered { endpoint, objects });
        self.observe(now, from);
    }

    /// Forgets what the device said and observes it again.
    fn observe(&mut self, now: u64, from: A) {
        self.device = Some(from);
        self.registered = true;
        self.state = None;
        self.result = None;
        self.rssi = None;
        self.version = None;
        self.observations.clear();
        self.asked_signal = false;
        self.queue.clear();
        self.outstanding = None;
        // What arrives next is the device's state now.
        self.attempt.fresh = true;
        for (watch, path) in [
            (Watch::State, "5/0/3"),
            (Watch::Result, "5/0/5"),
            (Watch::Rssi, "4/0/2"),
        ] {
            let mut p = coap::message(MessageType::Confirmable, coap::GET);
            p.add_option(CoapOption::Observe, Vec::new());
            coap::set_path(&mut p, path);
            p.add_option(CoapOption::Accept, Vec::new()); // text/plain
            self.enqueue(now, Purpose::Observe(watch), p);
        }
        let mut p = coap::message(MessageType::Confirmable, coap::GET);
        coap::set_path(&mut p, "3/0/3");
        p.add_option(CoapOption::Accept, Vec::new());
        self.enqueue(now, Purpose::ReadVersion, p);
    }

    // --- responses and notifications -------------------------------------------------------

    fn response(&mut self, now: u64, from: A, p: &Packet) {
        if p.header.get_type() == MessageType::Confirmable {
            // A notification (or a separate response): acknowledge it.
            let mut ack = coap::message(MessageType::Acknowledgement, 0);
            ack.header.message_id = p.header.message_id;
            if let Ok(bytes) = ack.to_bytes() {
                self.outbox.push_back((from, bytes));
            }
        }
        let token = p.get_token();
        if let Some(&(_, watch)) = self.observations.iter().find(|(t, _)| t == token) {
            let is_ours = self.outstanding.as_ref().is_some_and(|o| o.token == token);
            self.observed(watch, p);
            if is_ours {
                self.outstanding = None;
                self.send_next(now);
            }
            return;
        }
        let Some(o) = self.outstanding.take_if(|o| o.token == token) else {
            return;
        };
        let code = coap::code_of(p);
        match o.purpose {
            Purpose::Observe(watch) => {
                if code == coap::CONTENT {
                    self.observations.push((o.token.clone(), watch));
                    self.observed(watch, p);
                }
            }
            Purpose::ReadVersion => {
                if code == coap::CONTENT {
                    let v = String::from_utf8_lossy(&p.payload).into_owned();
                    self.events.push_back(Event::Version(v.clone()));
                    self.version = Some(v);
                }
            }
            Purpose::Attributes | Purpose::Reset | Purpose::WriteUri => {}
            Purpose::Cancel => {
                if code == coap::CHANGED {
                    self.events.push_back(Event::Cancelled);
                }
            }
            Purpose::Execute => {
                if code == coap::CHANGED {
                    self.attempt.executed = true;
                    self.events.push_back(Event::UpdateExecuted);
                }
            }
            Purpose::Push(block) => {
                if let Some(done) = self.pushed(block, p) {
                    self.maybe_cancel(now, done);
                }
            }
        }
        self.send_next(now);
    }

    fn observed(&mut self, watch: Watch, p: &Packet) {
        let Some(value) = std::str::from_utf8(&p.payload)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        else {
            return;
        };
        match watch {
            Watch::State => {
                let v = value.clamp(0, 255) as u8;
                if self.state != Some(v) {
                    self.events.push_back(Event::State(v));
                }
                self.state = Some(v);
                self.attempt.fresh |= self.attempt.started;
            }
            Watch::Result => {
                let v = value.clamp(0, 255) as u8;
                if self.result != Some(v) {
                    self.events.push_back(Event::Result(v));
                }
                self.result = Some(v);
                self.attempt.fresh |= self.attempt.started;
            }
            Watch::Rssi => {
                if self.rssi != Some(value) {
                    self.events.push_back(Event::Rssi(value));
                }
                self.rssi = Some(value);
            }
        }
    }

    /// Sends Cancel once the job's `cancel_after` bytes went out.
    fn maybe_cancel(&mut self, now: u64, delivered: u32) {
        let due = self
            .jobs
            .get(self.current)
            .and_then(|j| j.cancel_after)
            .is_some_and(|at| delivered >= at);
        if due && !self.attempt.cancelled {
            self.attempt.cancelled = true;
            let mut p = coap::message(MessageType::Confirmable, coap::POST);
            coap::set_path(&mut p, "5/0/10");
            self.enqueue(now, Purpose::Cancel, p);
        }
    }

    /// Handles the answer to a pushed block; the bytes delivered when it continues.
    fn pushed(&mut self, block: Block, p: &Packet) -> Option<u32> {
        let code = coap::code_of(p);
        let total = self
            .jobs
            .get(self.current)
            .map_or(0, |j| j.image.len() as u32);
        match code {
            coap::CONTINUE => {
                // The device may ask for smaller blocks: continue at the same offset.
                let taken = coap::block(p, CoapOption::Block1).unwrap_or(block);
                let szx = taken.szx.min(block.szx);
                let next_offset = (block.num as usize + 1) * block.size() as usize;
                self.attempt.szx = szx;
                self.attempt.next_block = (next_offset / (16usize << szx)) as u32;
                self.events.push_back(Event::Progress {
                    done: next_offset as u32,
                    total,
                });
                Some(next_offset as u32)
            }
            coap::CHANGED => {
                self.attempt.pushed = true;
                self.events
                    .push_back(Event::Progress { done: total, total });
                None
            }
            _ => {
                self.attempt.refused = Some(code);
                self.events.push_back(Event::PushRefused { code });
                None
            }
        }
    }

    // --- our requests --------------------------------------------------------------------

    fn next_mid(&mut self) -> u16 {
        self.mid = self.mid.wrapping_add(1);
        self.mid
    }

    fn enqueue(&mut self, now: u64, purpose: Purpose, p: Packet) {
        self.queue.push_back((purpose, p));
        self.send_next(now);
    }

    fn send_next(&mut self, now: u64) {
        if self.outstanding.is_some() {
            return;
        }
        let Some(device) = self.device.clone() else {
            return;
        };
        let Some((purpose, mut p)) = self.queue.pop_front() else {
            return;
        };
        let mid = self.next_mid();
        self.token = self.token.wrapping_add(1);
        let token = self.token.to_be_bytes().to_vec();
        p.header.message_id = mid;
        p.set_token(token.clone());
        let Ok(bytes) = p.to_bytes() else { return };
        self.stats.requests += 1;
        if let Purpose::Push(_) = purpose {
            self.stats.bytes_pushed += p.payload.len() as u64;
        }
        self.outbox.push_back((device, bytes.clone()));
        self.outstanding = Some(Outgoing {
            purpose,
            token,
            mid,
            bytes,
            due: now + self.settings.ack_timeout_ms,
            tries: 0,
        });
    }

    fn retransmit(&mut self, now: u64) {
        let Some(o) = self.outstanding.as_mut() else {
            return;
        };
        if o.due > now {
            return;
        }
        if o.tries >= self.settings.max_retransmit {
            // The device is gone (rebooting, or power lost): wait for it to register again.
            self.outstanding = None;
            self.queue.clear();
            self.registered = false;
            return;
        }
        o.tries += 1;
        self.stats.retransmissions += 1;
        o.due = now + (self.settings.ack_timeout_ms << o.tries);
        if let Some(device) = self.device.clone() {
            self.outbox.push_back((device, o.bytes.clone()));
        }
    }

    // --- the update logic ------------------------------------------------------------------

    /// Decides the next step from what the device last reported.
    fn decide(&mut self, now: u64) {
        if self.finished.is_some()
            || !self.registered
            || self.outstanding.is_some()
            || !self.queue.is_empty()
        {
            return;
        }
        let (Some(state), Some(result), Some(version)) =
            (self.state, self.result, self.version.clone())
        else {
            return;
        };
        let Some(job) = self.jobs.get(self.current).cloned() else {
            return;
        };
        if self.attempt.number == 0 {
            return self.start_attempt(now, &job, state);
        }
        // What this attempt came to, if anything. Only values reported since it started
        // count: the ones before describe an earlier attempt.
        let fresh = self.attempt.started && self.attempt.fresh;
        let ended = fresh
            && match (state, result) {
                (0, 1) => true,
                (2, 8) => self.attempt.executed,
                (0, r) => (2..=11).contains(&r),
                _ => false,
            };
        if ended {
            let outcome = Outcome {
                state,
                result,
                as_expected: match job.expect {
                    Expect::Success => result == 1 && version == job.version,
                    Expect::RolledBack => result == 8 && version != job.version,
                    Expect::Refused(r) => result == r && state == 0,
                },
                version,
                attempts: self.attempt.number,
            };
            if outcome.as_expected || self.attempt.number >= self.settings.attempts {
                self.events.push_back(Event::JobDone {
                    job: self.current,
                    outcome: outcome.clone(),
                });
                self.current += 1;
                self.attempt = Attempt::default();
                if self.current == self.jobs.len() {
                    let ok = outcome.as_expected && self.all_ok;
                    self.finished = Some(ok);
                    self.events.push_back(Event::Finished(ok));
                    return;
                }
                self.all_ok &= outcome.as_expected;
                return self.decide(now);
            }
            return self.start_attempt(now, &job, state);
        }
        match state {
            2 if !self.attempt.executed && result != 11 => {
                // What the device reports from now on is the outcome of this Update.
                self.attempt.fresh = false;
                let mut p = coap::message(MessageType::Confirmable, coap::POST);
                coap::set_path(&mut p, "5/0/2");
                self.enqueue(now, Purpose::Execute, p);
            }
            0 | 1
                if matches!(job.method, Method::Push { .. })
                    && self.attempt.started
                    && !self.attempt.pushed
                    && self.attempt.refused.is_none()
                    && !self.attempt.cancelled =>
            {
                self.push_block(now, &job);
            }
            0 | 1 if self.attempt.started => {}
            0 if !self.attempt.started => self.deliver(now, &job),
            _ => {}
        }
    }

    fn start_attempt(&mut self, now: u64, job: &Job, state: u8) {
        let number = self.attempt.number + 1;
        let szx = match job.method {
            Method::Push { szx } => szx.min(6),
            Method::Pull { .. } => 6,
        };
        self.attempt = Attempt {
            number,
            szx,
            ..Attempt::default()
        };
        self.events.push_back(Event::Attempt {
            job: self.current,
            attempt: number,
        });
        if state != 0 {
            // Only Idle takes a new package: reset with an empty Package URI.
            let mut p = coap::message(MessageType::Confirmable, coap::PUT);
            coap::set_path(&mut p, "5/0/1");
            p.add_option(CoapOption::ContentFormat, Vec::new());
            self.enqueue(now, Purpose::Reset, p);
            self.state = None;
            return;
        }
        self.deliver(now, job);
    }

    fn deliver(&mut self, now: u64, job: &Job) {
        match &job.method {
            Method::Push { .. } => {
                if let (Some(min), Some(rssi)) = (job.min_rssi, self.rssi)
                    && rssi < min
                {
                    if !self.asked_signal {
                        self.asked_signal = true;
                        self.events.push_back(Event::WaitingForSignal { rssi, min });
                        // Notify when the signal crosses the minimum.
                        let mut p = coap::message(MessageType::Confirmable, coap::PUT);
                        coap::set_path(&mut p, "4/0/2");
                        p.add_option(CoapOption::UriQuery, format!("gt={min}").into_bytes());
                        self.enqueue(now, Purpose::Attributes, p);
                    }
                    return;
                }
                self.attempt.started = true;
                self.push_block(now, job);
            }
            Method::Pull { uri } => {
                self.attempt.started = true;
                let mut p = coap::message(MessageType::Confirmable, coap::PUT);
                coap::set_path(&mut p, "5/0/1");
                p.add_option(CoapOption::ContentFormat, Vec::new());
                p.payload = uri.clone().into_bytes();
                self.enqueue(now, Purpose::WriteUri, p);
            }
        }
    }

    fn push_block(&mut self, now: u64, job: &Job) {
        let block_size = 16usize << self.attempt.szx;
        let start = self.attempt.next_block as usize * block_size;
        let end = (start + block_size).min(job.image.len());
        let block = Block::new(
            self.attempt.next_block,
            end < job.image.len(),
            self.attempt.szx,
        );
        let mut p = coap::message(MessageType::Confirmable, coap::PUT);
        coap::set_path(&mut p, "5/0/0");
        p.add_option(CoapOption::ContentFormat, coap::uint_bytes(42));
        coap::add_block(&mut p, CoapOption::Block1, block);
        if block.num == 0 {
            p.add_option(CoapOption::Size1, coap::uint_bytes(job.image.len() as u32));
        }
        p.payload = job.image.get(start..end).unwrap_or_default().to_vec();
        self.enqueue(now, Purpose::Push(block), p);
    }
}

/// An ETag for an image: the first 8 bytes of a cheap FNV-1a hash of it.
pub fn etag(image: &[u8]) -> [u8; 8] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in image {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.to_be_bytes()
}
