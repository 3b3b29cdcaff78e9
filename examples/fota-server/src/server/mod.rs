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

mod device;
mod update;

use std::collections::VecDeque;
use std::sync::Arc;

use coap_lite::{MessageType, Packet};
use lwm2m_objects::firmware_update::{State, UpdateResult};

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
    Refused(UpdateResult),
}

/// One update to deliver.
#[derive(Clone, Debug)]
pub struct Job {
    /// A name for messages.
    pub name: String,
    /// The package, shared: a campaign gives the same one to every device.
    pub image: Arc<[u8]>,
    /// The version the image carries (what /3/0/3 should read after a success).
    pub version: String,
    /// How to deliver it.
    pub method: Method,
    /// Send the image (push it, or write its URI) only when /4/0/2 Radio Signal Strength is
    /// at least this, in dBm.
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
    pub state: State,
    /// /5/0/5 at the end.
    pub result: UpdateResult,
    /// /3/0/3 at the end.
    pub version: String,
    /// Whether it is what the job expected.
    pub as_expected: bool,
    /// Attempts made.
    pub attempts: u32,
}

impl Outcome {
    /// `State 0, Update Result 1 (Firmware updated successfully), running 2.0.0`.
    pub fn describe(&self) -> String {
        use lwm2m_runtime::Enumeration;
        format!(
            "State {}, Update Result {} ({}), running {}",
            self.state.value(),
            self.result.value(),
            self.result.label(),
            self.version
        )
    }
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

/// What a server knows of its device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceView<'a> {
    /// The endpoint name it registered with.
    pub endpoint: Option<&'a str>,
    /// Whether it is registered and answering.
    pub registered: bool,
    /// /3/0/3 Firmware Version.
    pub version: Option<&'a str>,
    /// /4/0/2 Radio Signal Strength, dBm.
    pub rssi: Option<i64>,
    /// /5/0/3 State.
    pub state: Option<State>,
    /// /5/0/5 Update Result.
    pub result: Option<UpdateResult>,
    /// /5/0/9 Firmware Update Delivery Method: 0 PULL only, 1 PUSH only, 2 both.
    pub delivery: Option<i64>,
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
    State(State),
    /// /5/0/5 reported.
    Result(UpdateResult),
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
    ReadDelivery,
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
    /// The push started over from block 0 this many times (the device lost the transfer).
    restarts: u8,
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
    state: Option<State>,
    result: Option<UpdateResult>,
    rssi: Option<i64>,
    version: Option<String>,
    /// /5/0/9 Firmware Update Delivery Method: 0 PULL only, 1 PUSH only, 2 both.
    delivery: Option<i64>,
    /// The endpoint name it registered with.
    endpoint: Option<String>,
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
            delivery: None,
            endpoint: None,
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

    /// Adds a job after those given (a campaign gives a device its job when its wave comes).
    pub fn add_job(&mut self, now: u64, job: Job) {
        self.etags.push(etag(&job.image));
        self.jobs.push(job);
        self.finished = None;
        self.decide(now);
    }

    /// What the device last said of itself, once it registered.
    pub fn device(&self) -> DeviceView<'_> {
        DeviceView {
            endpoint: self.endpoint.as_deref(),
            registered: self.registered,
            version: self.version.as_deref(),
            rssi: self.rssi,
            state: self.state,
            result: self.result,
            delivery: self.delivery,
        }
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
}

impl<A: Clone + PartialEq> Server<A> {
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
        // Observing again what is observed already reuses its token: the device replaces
        // the observation rather than holding two (RFC 7641 4.1).
        let held = match purpose {
            Purpose::Observe(watch) => self
                .observations
                .iter()
                .find(|(_, w)| *w == watch)
                .map(|(t, _)| t.clone()),
            _ => None,
        };
        let token = held.unwrap_or_else(|| {
            self.token = self.token.wrapping_add(1);
            self.token.to_be_bytes().to_vec()
        });
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
}

/// A path of resource IDs as CoAP Uri-Path text: `path(&[5, 0, 3])` is `5/0/3`.
pub fn path(ids: &[u16]) -> String {
    ids.iter().map(u16::to_string).collect::<Vec<_>>().join("/")
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
