//! What the server does with what the device reports: the answers to its requests, the
//! notifications of State, Update Result and signal, and the update logic that decides the
//! next step of each job.

use coap_lite::{CoapOption, MessageType, Packet};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_objects::firmware_update::{self as fw, State, UpdateResult};
use lwm2m_runtime::Enumeration;

use super::{Attempt, Event, Expect, Job, Method, Outcome, Purpose, Server, Watch, path};
use crate::coap::{self, Block};

/// How often one attempt's push may start over after 4.08.
const MAX_PUSH_RESTARTS: u8 = 3;

impl<A: Clone + PartialEq> Server<A> {
    // --- responses and notifications -------------------------------------------------------

    pub(super) fn response(&mut self, now: u64, from: A, p: &Packet) {
        let token = p.get_token();
        let known = self.observations.iter().any(|(t, _)| t == token)
            || self.outstanding.as_ref().is_some_and(|o| o.token == token);
        if p.header.get_type() == MessageType::Confirmable {
            // A notification (or a separate response): acknowledge it; one of an observation
            // we no longer hold is reset, which ends it at the device (RFC 7641 3.6).
            let kind = if known {
                MessageType::Acknowledgement
            } else {
                MessageType::Reset
            };
            let mut ack = coap::message(kind, 0);
            ack.header.message_id = p.header.message_id;
            if let Ok(bytes) = ack.to_bytes() {
                self.outbox.push_back((from, bytes));
            }
        }
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
                    // An answer without Observe is a plain read: the device keeps no
                    // observation (its table is full), so keep the old one.
                    if p.get_observe_value().is_some() {
                        self.observations.retain(|(_, w)| *w != watch);
                        self.observations.push((o.token.clone(), watch));
                    }
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
            Purpose::ReadDelivery => {
                if code == coap::CONTENT {
                    self.delivery = String::from_utf8_lossy(&p.payload).trim().parse().ok();
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
                // A value the definition does not name is not a state: ignored.
                let Some(v) = State::from_value(value) else {
                    return;
                };
                if self.state != Some(v) {
                    self.events.push_back(Event::State(v));
                }
                self.state = Some(v);
                self.attempt.fresh |= self.attempt.started;
            }
            Watch::Result => {
                let Some(v) = UpdateResult::from_value(value) else {
                    return;
                };
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
    pub(super) fn maybe_cancel(&mut self, now: u64, delivered: u32) {
        let due = self
            .jobs
            .get(self.current)
            .and_then(|j| j.cancel_after)
            .is_some_and(|at| delivered >= at);
        if due && !self.attempt.cancelled {
            self.attempt.cancelled = true;
            let mut p = coap::message(MessageType::Confirmable, coap::POST);
            coap::set_path(&mut p, &path(&[fw::ID, 0, fw::resources::CANCEL]));
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
            // The device forgot the transfer (it went quiet for longer than the device keeps
            // one): start it over (RFC 7959 2.9.2), a few times at most.
            coap::INCOMPLETE if self.attempt.restarts < MAX_PUSH_RESTARTS => {
                self.attempt.restarts += 1;
                self.attempt.next_block = 0;
                self.events.push_back(Event::Progress { done: 0, total });
                Some(0)
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

    // --- the update logic ------------------------------------------------------------------

    /// Decides the next step from what the device last reported.
    pub(super) fn decide(&mut self, now: u64) {
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
                (State::Idle, UpdateResult::Success) => true,
                (State::Downloaded, UpdateResult::UpdateFailed) => self.attempt.executed,
                // Idle with any other result but the initial one: a failure, a cancel.
                (State::Idle, r) => r != UpdateResult::Initial,
                _ => false,
            };
        if ended {
            let outcome = Outcome {
                state,
                result,
                as_expected: match job.expect {
                    Expect::Success => result == UpdateResult::Success && version == job.version,
                    Expect::RolledBack => {
                        result == UpdateResult::UpdateFailed && version != job.version
                    }
                    Expect::Refused(r) => result == r && state == State::Idle,
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
            State::Downloaded if !self.attempt.executed && result != UpdateResult::Deferred => {
                // What the device reports from now on is the outcome of this Update.
                self.attempt.fresh = false;
                let mut p = coap::message(MessageType::Confirmable, coap::POST);
                coap::set_path(&mut p, &path(&[fw::ID, 0, fw::resources::UPDATE]));
                self.enqueue(now, Purpose::Execute, p);
            }
            State::Idle | State::Downloading
                if matches!(job.method, Method::Push { .. })
                    && self.attempt.started
                    && !self.attempt.pushed
                    && self.attempt.refused.is_none()
                    && !self.attempt.cancelled =>
            {
                self.push_block(now, &job);
            }
            // A push the device refused half-way leaves it Downloading: a new attempt resets
            // it (an empty Package URI) and starts over.
            State::Downloading
                if self.attempt.refused.is_some()
                    && self.attempt.number < self.settings.attempts =>
            {
                self.start_attempt(now, &job, state);
            }
            State::Idle | State::Downloading if self.attempt.started => {}
            State::Idle if !self.attempt.started => self.deliver(now, &job),
            _ => {}
        }
    }

    fn start_attempt(&mut self, now: u64, job: &Job, state: State) {
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
        if state != State::Idle {
            // Only Idle takes a new package: reset with an empty Package URI.
            let mut p = coap::message(MessageType::Confirmable, coap::PUT);
            coap::set_path(&mut p, &path(&[fw::ID, 0, fw::resources::PACKAGE_URI]));
            p.add_option(CoapOption::ContentFormat, Vec::new());
            self.enqueue(now, Purpose::Reset, p);
            self.state = None;
            return;
        }
        self.deliver(now, job);
    }

    fn deliver(&mut self, now: u64, job: &Job) {
        // Either way the image crosses the radio: wait for the signal first.
        if let (Some(min), Some(rssi)) = (job.min_rssi, self.rssi)
            && rssi < min
        {
            if !self.asked_signal {
                self.asked_signal = true;
                self.events.push_back(Event::WaitingForSignal { rssi, min });
                // Notify when the signal crosses the minimum.
                let mut p = coap::message(MessageType::Confirmable, coap::PUT);
                coap::set_path(
                    &mut p,
                    &path(&[cm::ID, 0, cm::resources::RADIO_SIGNAL_STRENGTH]),
                );
                p.add_option(CoapOption::UriQuery, format!("gt={min}").into_bytes());
                self.enqueue(now, Purpose::Attributes, p);
            }
            return;
        }
        match &job.method {
            Method::Push { .. } => {
                self.attempt.started = true;
                self.push_block(now, job);
            }
            Method::Pull { uri } => {
                self.attempt.started = true;
                let mut p = coap::message(MessageType::Confirmable, coap::PUT);
                coap::set_path(&mut p, &path(&[fw::ID, 0, fw::resources::PACKAGE_URI]));
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
        coap::set_path(&mut p, &path(&[fw::ID, 0, fw::resources::PACKAGE]));
        p.add_option(CoapOption::ContentFormat, coap::uint_bytes(42));
        coap::add_block(&mut p, CoapOption::Block1, block);
        if block.num == 0 {
            p.add_option(CoapOption::Size1, coap::uint_bytes(job.image.len() as u32));
        }
        p.payload = job.image.get(start..end).unwrap_or_default().to_vec();
        self.enqueue(now, Purpose::Push(block), p);
    }
}
