//! Campaigns: one image to a fleet, in waves.
//!
//! A [`Campaign`] is sans-IO like [`Server`]: datagrams and the time in, datagrams and
//! deadlines out. It keeps a [`Server`] for each device that registers (routed by address and
//! endpoint name; a device that comes back from a new address keeps its session), and:
//!
//! 1. **enrolls** devices until [`Start`] says to begin: each is targeted by its endpoint name
//!    ([`Target::endpoints`], a pattern with `*` and `?`) and its running version, or skipped
//!    with the reason;
//! 2. **rolls out in waves** ([`Wave`]): a canary group of a few devices, then growing shares
//!    of the targeted fleet, in endpoint order. A device of a wave is given its job when the
//!    wave starts: PUSH or PULL as [`Choice`] decides for it from what it supports (/5/0/9),
//!    sent once its signal (/4/0/2) reaches [`Plan::min_rssi`];
//! 3. **halts** when more devices of a wave fail than [`Plan::max_failures`]: no further wave
//!    starts until [`Campaign::resume`];
//! 4. **reports** every device ([`Campaign::report`]): its wave, method, attempts, bytes,
//!    time, final State and Update Result, and version, as JSON and as a summary.
//!
//! A device that has not finished [`Plan::device_timeout_ms`] after its wave started is
//! judged failed, so a wave always ends.

mod report;

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

use coap_lite::{MessageType, Packet};
use lwm2m_runtime::Enumeration;

pub use report::{DeviceReport, Halt, Report, WaveReport};

use crate::server::{Event, Expect, Job, Method, Outcome, Server, Settings};

/// Which devices a campaign updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Endpoint names: `*` stands for any run of characters, `?` for one.
    pub endpoints: String,
    /// The versions updated from; empty for any (but the campaign's own).
    pub versions: Vec<String>,
}

impl Target {
    /// Every device.
    pub fn all() -> Self {
        Self {
            endpoints: "*".into(),
            versions: Vec::new(),
        }
    }
}

/// One wave's size, counted over the targeted fleet and including the waves before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wave {
    /// Up to this many devices in all (a canary group).
    Devices(usize),
    /// Up to this share of the targeted devices in all, in percent (rounded up).
    Percent(u8),
}

/// How each device gets the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// PUSH to every device (Block1 writes to /5/0/0).
    Push,
    /// PULL for every device, from `{base}/fw/{endpoint}`, which this server serves.
    Pull {
        /// This server's `coap://HOST:PORT` (or `coaps://`), as devices reach it.
        base: String,
    },
    /// What each device supports (/5/0/9): a PULL-only device pulls, a PUSH-only one is
    /// pushed, one that takes both pulls when `prefer_pull`, else is pushed.
    Auto {
        /// As for [`Choice::Pull`].
        base: String,
        /// The method for devices that take both.
        prefer_pull: bool,
    },
}

/// When the first wave starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    /// Once this many targeted devices have enrolled...
    pub devices: usize,
    /// ...or this long after the first device registered, in ms.
    pub after_ms: u64,
}

/// What a campaign does.
#[derive(Clone, Debug)]
pub struct Plan {
    /// A name for the report.
    pub name: String,
    /// The signed image.
    pub image: Arc<[u8]>,
    /// The version it carries.
    pub version: String,
    /// Which devices.
    pub target: Target,
    /// The waves, in order; the last should reach all (`Percent(100)`).
    pub waves: Vec<Wave>,
    /// Failed devices a wave may have; one more halts the campaign.
    pub max_failures: usize,
    /// The signal a device must report before its image is sent, in dBm.
    pub min_rssi: Option<i64>,
    /// PUSH or PULL.
    pub method: Choice,
    /// When to begin.
    pub start: Start,
    /// How long a device of a wave may take, from the wave's start, in ms.
    pub device_timeout_ms: u64,
}

/// Where a device stands in the campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Registered; its version and delivery methods are being read.
    Enrolling,
    /// Targeted, waiting for its wave.
    Queued,
    /// Not targeted, with the reason.
    Skipped(String),
    /// In a wave, being updated.
    Updating,
    /// Updated to the campaign's version.
    Updated,
    /// Failed, with the reason.
    Failed(String),
}

/// What the campaign saw and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CampaignEvent {
    /// Something one device's session saw.
    Device {
        /// The device.
        endpoint: String,
        /// What.
        event: Event,
    },
    /// A device was enrolled: queued for a wave, or skipped.
    Enrolled {
        /// The device.
        endpoint: String,
        /// Queued or skipped.
        status: Status,
    },
    /// A wave started with these devices.
    WaveStarted {
        /// Its index, from 0.
        wave: usize,
        /// Its devices.
        devices: Vec<String>,
    },
    /// Every device of a wave finished.
    WaveDone {
        /// Its index.
        wave: usize,
        /// Devices updated in it.
        updated: usize,
        /// Devices that failed in it.
        failed: usize,
    },
    /// A wave had too many failures: no wave starts until resumed.
    Halted(Halt),
    /// The last wave is done.
    Finished,
}

/// Where the campaign stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Before the first wave; the time to start by, from the first registration, until it
    /// passed.
    Enrolling(Option<u64>),
    /// Wave `index` runs; it started at `since`.
    Wave {
        index: usize,
        since: u64,
    },
    Halted(Halt),
    Done,
}

/// How the reason for a device failed for its time starts.
const TIMED_OUT: &str = "timed out";

/// One device.
struct Member<A> {
    endpoint: String,
    server: Server<A>,
    status: Status,
    wave: Option<usize>,
    method: Option<Method>,
    from_version: Option<String>,
    started: Option<u64>,
    ended: Option<u64>,
    outcome: Option<Outcome>,
}

/// A campaign over many devices.
pub struct Campaign<A> {
    plan: Plan,
    settings: Settings,
    members: Vec<Member<A>>,
    by_addr: HashMap<A, usize>,
    phase: Phase,
    events: VecDeque<CampaignEvent>,
    /// Answers of the campaign's own (to requests that belong to no device).
    outbox: VecDeque<(A, Vec<u8>)>,
    /// Where [`Campaign::poll`] looks first, so that every device gets its turn.
    next_poll: usize,
}

impl<A: Clone + Eq + Hash> Campaign<A> {
    /// A campaign that enrolls devices as they register.
    pub fn new(plan: Plan, settings: Settings) -> Self {
        Self {
            plan,
            settings,
            members: Vec::new(),
            by_addr: HashMap::new(),
            phase: Phase::Enrolling(None),
            events: VecDeque::new(),
            outbox: VecDeque::new(),
            next_poll: 0,
        }
    }

    /// Hands in a datagram from `from`.
    pub fn handle(&mut self, now: u64, from: A, datagram: &[u8]) {
        // A Register is routed by its endpoint name, whatever address it comes from (a POST
        // that is none, such as a registration update, by its address).
        let known = self.by_addr.get(&from).copied();
        let member = if datagram.get(1) == Some(&crate::coap::POST) {
            self.route(&from, datagram).or(known)
        } else {
            known.or_else(|| self.route(&from, datagram))
        };
        match member.and_then(|i| self.members.get_mut(i)) {
            Some(m) => m.server.handle(now, from, datagram),
            None => self.refuse(from, datagram),
        }
        self.step(now);
    }

    /// Answers a request that belongs to no device: 4.04, or 4.00 for a Register without an
    /// endpoint name (a device after a server restart learns to register again).
    fn refuse(&mut self, to: A, datagram: &[u8]) {
        let Ok(p) = Packet::from_bytes(datagram) else {
            return;
        };
        if p.header.get_type() != MessageType::Confirmable || crate::coap::code_of(&p) >> 5 != 0 {
            return;
        }
        let code = if crate::coap::path_of(&p) == "rd" {
            crate::coap::BAD_REQUEST
        } else {
            crate::coap::NOT_FOUND
        };
        let mut r = crate::coap::message(MessageType::Acknowledgement, code);
        r.header.message_id = p.header.message_id;
        r.set_token(p.get_token().to_vec());
        if let Ok(bytes) = r.to_bytes() {
            self.outbox.push_back((to, bytes));
        }
    }

    /// The next datagram to send.
    pub fn poll(&mut self, now: u64) -> Option<(A, Vec<u8>)> {
        self.step(now);
        if let Some(out) = self.outbox.pop_front() {
            return Some(out);
        }
        let n = self.members.len();
        for k in 0..n {
            let i = (self.next_poll + k) % n;
            if let Some(out) = self.members.get_mut(i).and_then(|m| m.server.poll(now)) {
                self.next_poll = i + 1;
                return Some(out);
            }
        }
        None
    }

    /// When to call [`Campaign::poll`] next at the latest.
    pub fn timeout(&self) -> Option<u64> {
        let own = match self.phase {
            Phase::Enrolling(deadline) => deadline,
            Phase::Wave { since, .. } => Some(since.saturating_add(self.plan.device_timeout_ms)),
            _ => None,
        };
        self.members
            .iter()
            .filter_map(|m| m.server.timeout())
            .chain(own)
            .min()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<CampaignEvent> {
        self.events.pop_front()
    }

    /// Whether the campaign is done, or halted with nothing left in flight.
    pub fn settled(&self) -> bool {
        match self.phase {
            Phase::Done => true,
            Phase::Halted(_) => !self.members.iter().any(|m| m.status == Status::Updating),
            _ => false,
        }
    }

    /// Whether a wave halted the campaign, and why.
    pub fn halted(&self) -> Option<Halt> {
        match self.phase {
            Phase::Halted(h) => Some(h),
            _ => None,
        }
    }

    /// Goes on after a halt with the next wave; the devices that failed stay failed. With
    /// `max_failures`, each wave from now on may have that many.
    pub fn resume(&mut self, now: u64, max_failures: Option<usize>) {
        if let Phase::Halted(h) = self.phase {
            if let Some(limit) = max_failures {
                self.plan.max_failures = limit;
            }
            self.start_wave(now, h.wave + 1);
        }
    }

    /// Where a device stands, by endpoint name.
    pub fn status(&self, endpoint: &str) -> Option<&Status> {
        self.members
            .iter()
            .find(|m| m.endpoint == endpoint)
            .map(|m| &m.status)
    }

    /// The member a datagram from an address the campaign does not know belongs to: a
    /// Register (a new device, or one back from another address), or a download of a
    /// device's image.
    fn route(&mut self, from: &A, datagram: &[u8]) -> Option<usize> {
        let p = Packet::from_bytes(datagram).ok()?;
        let path = crate::coap::path_of(&p);
        let endpoint = if path == "rd" {
            crate::coap::endpoint_of(&p)?
        } else {
            path.strip_prefix("fw/")?.to_owned()
        };
        let i = match self.members.iter().position(|m| m.endpoint == endpoint) {
            Some(i) => i,
            None if path == "rd" => self.enroll(endpoint),
            None => return None,
        };
        if path == "rd" {
            // Its old address is someone else's now, or no one's.
            self.by_addr.retain(|_, m| *m != i);
        }
        self.by_addr.insert(from.clone(), i);
        Some(i)
    }

    fn enroll(&mut self, endpoint: String) -> usize {
        let settings = Settings {
            image_path: format!("fw/{endpoint}"),
            ..self.settings.clone()
        };
        let seed = (self.members.len() as u16).wrapping_mul(0x9e37);
        self.members.push(Member {
            endpoint,
            server: Server::new(settings, Vec::new(), seed),
            status: Status::Enrolling,
            wave: None,
            method: None,
            from_version: None,
            started: None,
            ended: None,
            outcome: None,
        });
        self.members.len() - 1
    }

    /// Takes in what the devices' sessions saw, then moves the campaign on.
    fn step(&mut self, now: u64) {
        for i in 0..self.members.len() {
            self.collect(now, i);
        }
        match self.phase {
            Phase::Enrolling(deadline) => {
                if self.members.is_empty() {
                    return;
                }
                let deadline =
                    deadline.unwrap_or_else(|| now.saturating_add(self.plan.start.after_ms));
                let late = now >= deadline;
                // Once passed, the deadline wakes nobody: what comes next is a device's.
                self.phase = Phase::Enrolling((!late).then_some(deadline));
                let queued = self.count(|s| *s == Status::Queued);
                let waiting = self.count(|s| *s == Status::Enrolling);
                let enough = queued >= self.plan.start.devices.max(1);
                // Enough devices and none still being read, or time is up and some are there;
                // or time is up, every device is read, and none is to be updated.
                if (enough && waiting == 0) || (late && queued > 0) {
                    self.start_wave(now, 0);
                } else if late && waiting == 0 {
                    self.finish();
                }
            }
            Phase::Wave { index, since } => {
                let deadline = since.saturating_add(self.plan.device_timeout_ms);
                for m in &mut self.members {
                    if m.wave == Some(index) && m.status == Status::Updating && now >= deadline {
                        let state = m.server.device().state;
                        m.status = Status::Failed(format!("{TIMED_OUT} (State {state:?})"));
                        m.ended = Some(now);
                    }
                }
                let busy = self
                    .members
                    .iter()
                    .any(|m| m.wave == Some(index) && m.status == Status::Updating);
                if !busy {
                    self.end_wave(now, index);
                }
            }
            Phase::Halted(_) | Phase::Done => {}
        }
    }

    fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.members.iter().filter(|m| f(&m.status)).count()
    }

    /// Moves one session's events into the campaign's, and judges what they say.
    fn collect(&mut self, now: u64, i: usize) {
        let Some(m) = self.members.get_mut(i) else {
            return;
        };
        while let Some(event) = m.server.poll_event() {
            // A device failed for its time may still finish: its record says how.
            let timed_out = matches!(&m.status, Status::Failed(why) if why.starts_with(TIMED_OUT));
            if let Event::JobDone { outcome, .. } = &event
                && (m.status == Status::Updating || timed_out)
            {
                m.status = if outcome.as_expected {
                    Status::Updated
                } else {
                    Status::Failed(format!(
                        "Update Result {} ({}), running {}",
                        outcome.result.value(),
                        outcome.result.label(),
                        outcome.version
                    ))
                };
                m.outcome = Some(outcome.clone());
                m.ended = Some(now);
            }
            self.events.push_back(CampaignEvent::Device {
                endpoint: m.endpoint.clone(),
                event,
            });
        }
        if m.status == Status::Enrolling {
            let view = m.server.device();
            if let (Some(version), Some(_)) = (view.version, view.delivery) {
                m.from_version = Some(version.to_owned());
                m.status = targeted(&self.plan, &m.endpoint, version);
                self.events.push_back(CampaignEvent::Enrolled {
                    endpoint: m.endpoint.clone(),
                    status: m.status.clone(),
                });
            }
        }
    }

    fn finish(&mut self) {
        self.phase = Phase::Done;
        self.events.push_back(CampaignEvent::Finished);
    }

    /// Starts wave `index` (or finishes when there is none): its devices get their jobs.
    /// Past the plan's waves, devices that enrolled late (still queued) get one more wave.
    fn start_wave(&mut self, now: u64, index: usize) {
        let late = self.members.iter().any(|m| m.status == Status::Queued);
        let Some(wave) = self
            .plan
            .waves
            .get(index)
            .copied()
            .or_else(|| late.then_some(Wave::Percent(100)))
        else {
            return self.finish();
        };
        let fleet = self
            .members
            .iter()
            .filter(|m| m.wave.is_some() || m.status == Status::Queued)
            .count();
        let upto = match wave {
            Wave::Devices(n) => n.min(fleet),
            Wave::Percent(p) => (fleet * usize::from(p.min(100))).div_ceil(100),
        };
        let done = self.members.iter().filter(|m| m.wave.is_some()).count();
        let mut order: Vec<usize> = (0..self.members.len())
            .filter(|&i| self.members[i].status == Status::Queued)
            .collect();
        order.sort_by(|&a, &b| self.members[a].endpoint.cmp(&self.members[b].endpoint));
        let mut devices = Vec::new();
        for i in order.into_iter().take(upto.saturating_sub(done)) {
            let job = self.job_for(i);
            let m = &mut self.members[i];
            m.status = Status::Updating;
            m.wave = Some(index);
            m.method = Some(job.method.clone());
            m.started = Some(now);
            devices.push(m.endpoint.clone());
            m.server.add_job(now, job);
        }
        self.phase = Phase::Wave { index, since: now };
        self.events.push_back(CampaignEvent::WaveStarted {
            wave: index,
            devices,
        });
        // Events of the jobs just given, and an empty wave ending at once.
        self.step(now);
    }

    fn end_wave(&mut self, now: u64, index: usize) {
        let in_wave = |m: &&Member<A>| m.wave == Some(index);
        let updated = self
            .members
            .iter()
            .filter(in_wave)
            .filter(|m| m.status == Status::Updated)
            .count();
        let failed = self.members.iter().filter(in_wave).count() - updated;
        self.events.push_back(CampaignEvent::WaveDone {
            wave: index,
            updated,
            failed,
        });
        if failed > self.plan.max_failures {
            let halt = Halt {
                wave: index,
                failures: failed,
                limit: self.plan.max_failures,
            };
            self.phase = Phase::Halted(halt);
            self.events.push_back(CampaignEvent::Halted(halt));
            return;
        }
        self.start_wave(now, index + 1);
    }

    /// The job for member `i`: the campaign's image, by the method chosen for it.
    fn job_for(&self, i: usize) -> Job {
        let m = &self.members[i];
        let pull = |base: &str| Method::Pull {
            uri: format!(
                "{}/fw/{}",
                base.trim_end_matches('/'),
                percent_encoded(&m.endpoint)
            ),
        };
        let push = Method::Push { szx: 6 };
        let method = match &self.plan.method {
            Choice::Push => push,
            Choice::Pull { base } => pull(base),
            Choice::Auto { base, prefer_pull } => match m.server.device().delivery {
                Some(0) => pull(base),
                Some(1) => push,
                _ if *prefer_pull => pull(base),
                _ => push,
            },
        };
        Job {
            name: format!("{} on {}", self.plan.name, m.endpoint),
            image: self.plan.image.clone(),
            version: self.plan.version.clone(),
            method,
            min_rssi: self.plan.min_rssi,
            expect: Expect::Success,
            cancel_after: None,
        }
    }

    /// What every device came to so far.
    pub fn report(&self, now: u64) -> Report {
        report::build(self, now)
    }
}

/// Whether a device of `endpoint` running `version` is updated, or why not.
fn targeted(plan: &Plan, endpoint: &str, version: &str) -> Status {
    if !matches(&plan.target.endpoints, endpoint) {
        Status::Skipped(format!("endpoint not in {}", plan.target.endpoints))
    } else if version == plan.version {
        Status::Skipped(format!("already runs {version}"))
    } else if !plan.target.versions.is_empty() && !plan.target.versions.iter().any(|v| v == version)
    {
        Status::Skipped(format!("runs {version}, not a targeted version"))
    } else {
        Status::Queued
    }
}

/// `text` as one URI path segment: every byte but RFC 3986's unreserved ones as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // The classic backtracking walk: on a mismatch, let the last `*` take one more character.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_patterns_match_as_globs_do() {
        for (pattern, text, want) in [
            ("*", "anything", true),
            ("*", "", true),
            ("meter-*", "meter-0042", true),
            ("meter-*", "valve-0042", false),
            ("meter-00??", "meter-0042", true),
            ("meter-00??", "meter-00421", false),
            ("*-42", "meter-42", true),
            ("m*r-*2", "meter-42", true),
            ("m*r-*3", "meter-42", false),
            ("", "", true),
            ("", "x", false),
            ("a*b*c", "aXbYbZc", true),
        ] {
            assert_eq!(matches(pattern, text), want, "{pattern} ~ {text}");
        }
    }
}

#[cfg(test)]
mod routing {
    use coap_lite::{CoapOption, MessageClass, RequestType};

    use super::*;

    fn plan() -> Plan {
        Plan {
            name: "t".into(),
            image: Arc::from(vec![0u8; 16]),
            version: "2.0.0".into(),
            target: Target::all(),
            waves: vec![Wave::Percent(100)],
            max_failures: 0,
            min_rssi: None,
            method: Choice::Push,
            start: Start {
                devices: 1,
                after_ms: 1000,
            },
            device_timeout_ms: 1000,
        }
    }

    fn request(path: &[&str], query: Option<&str>) -> Vec<u8> {
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::Request(if query.is_some() {
            RequestType::Post
        } else {
            RequestType::Get
        });
        p.header.message_id = 77;
        p.set_token(vec![9]);
        for s in path {
            p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
        }
        if let Some(q) = query {
            p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
        }
        p.to_bytes().unwrap()
    }

    #[test]
    fn requests_that_belong_to_no_device_are_answered_not_dropped() {
        let mut c: Campaign<u8> = Campaign::new(plan(), Settings::default());
        for (bytes, want) in [
            (request(&["3", "0"], None), crate::coap::NOT_FOUND),
            (request(&["fw", "nobody"], None), crate::coap::NOT_FOUND),
            (request(&["rd"], Some("lt=60")), crate::coap::BAD_REQUEST),
        ] {
            c.handle(0, 1, &bytes);
            let (to, answer) = c.poll(0).expect("an answer");
            let answer = Packet::from_bytes(&answer).unwrap();
            assert_eq!(to, 1);
            assert_eq!(crate::coap::code_of(&answer), want);
            assert_eq!(answer.header.message_id, 77);
            assert_eq!(answer.get_token(), &[9]);
        }
    }

    #[test]
    fn a_register_goes_by_its_endpoint_name_whatever_its_address() {
        let mut c: Campaign<u8> = Campaign::new(plan(), Settings::default());
        c.handle(0, 1, &request(&["rd"], Some("ep=a")));
        c.handle(0, 2, &request(&["rd"], Some("ep=b")));
        // b comes back from a's old address: it is b, not a, that registers.
        c.handle(0, 1, &request(&["rd"], Some("ep=b")));
        assert_eq!(
            c.by_addr.get(&1).map(|&i| c.members[i].endpoint.as_str()),
            Some("b")
        );
        assert_eq!(c.by_addr.get(&2), None);
        assert_eq!(c.members.len(), 2);
    }

    #[test]
    fn package_uris_carry_endpoint_names_percent_encoded() {
        assert_eq!(
            percent_encoded("urn:imei:35-1_2.3~"),
            "urn%3Aimei%3A35-1_2.3~"
        );
        assert_eq!(percent_encoded("a?b c/d"), "a%3Fb%20c%2Fd");
    }
}
