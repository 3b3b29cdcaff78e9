//! A device's secured line to one server: handshakes on demand, keeps what waits for them,
//! backs off after failures, and resumes rather than starting over.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::error::Error;
use crate::io::Traffic;
use crate::session::{Psk, Resumption, Session, State};

/// Plaintext datagrams kept while a handshake goes on; the oldest goes first when more come
/// (CoAP retransmits what matters).
const MAX_PENDING: usize = 4;

/// The first wait after a failed handshake, doubled after each failure up to
/// [`MAX_BACKOFF_MS`].
pub const FIRST_BACKOFF_MS: u64 = 5_000;

/// The longest wait between failed handshakes.
pub const MAX_BACKOFF_MS: u64 = 300_000;

/// Datagrams sent without a record back, and for how long, after which the server is taken
/// to have lost the session (a restart, or an address change the device did not see) and
/// the link resumes it with a new handshake. Every datagram the LwM2M client sends expects
/// an answer (its notifications are confirmable); a sender of non-confirmable messages would
/// see needless resumptions.
const SILENT_SENDS: u32 = 4;
const SILENT_MS: u64 = 45_000;

/// A true random source: fills the buffer it is given.
pub type Random = dyn FnMut(&mut [u8]);

/// What the application may want to log or count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// A handshake ended: `resumed` if abbreviated, and what it took on the wire.
    Established {
        /// Whether the server resumed the offered session.
        resumed: bool,
        /// Datagrams and bytes of the handshake, both ways.
        traffic: Traffic,
    },
    /// A handshake or the session failed; the next one waits `retry_in_ms`.
    Failed {
        /// Why.
        error: Error,
        /// The backoff before the next handshake.
        retry_in_ms: u64,
    },
    /// The server seemed to have lost the session: a new handshake started.
    Reconnecting,
    /// A datagram too large for one record was dropped.
    Dropped {
        /// Its length.
        bytes: usize,
    },
}

/// A device's DTLS line to one server (sans-IO, like [`Session`]).
///
/// Hand it the plaintext datagrams the LwM2M client sends ([`Link::send`]) and every datagram
/// received from the server ([`Link::handle`]); send what [`Link::poll_transmit`] returns;
/// give the client what [`Link::recv`] returns; call [`Link::handle_timeout`] at
/// [`Link::timeout`]. A handshake starts when there is something to send; a failed one is
/// retried after a backoff that doubles from 5 s to 300 s (with jitter), only while there is
/// something to send. A later handshake offers the last session for resumption.
pub struct Link {
    identity: Vec<u8>,
    key: Vec<u8>,
    random: Box<Random>,
    session: Option<Session>,
    resumption: Option<Resumption>,
    pending: VecDeque<Vec<u8>>,
    /// Plaintext received on a session that ended before it was read.
    received: VecDeque<Vec<u8>>,
    backoff_ms: u64,
    retry_at: Option<u64>,
    /// Records sent since the last one received, and when the first of them went.
    unanswered: u32,
    unanswered_since: u64,
    /// Whether the current session's handshake end was reported (and the waiting sent).
    announced: bool,
    events: VecDeque<LinkEvent>,
}

impl core::fmt::Debug for Link {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Link")
            .field("session", &self.session)
            .field("pending", &self.pending.len())
            .field("retry_at", &self.retry_at)
            .finish_non_exhaustive()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl Link {
    /// A link that authenticates with `psk`; `random` fills buffers from a true random
    /// source, to seed each handshake.
    pub fn new(psk: Psk<'_>, random: impl FnMut(&mut [u8]) + 'static) -> Result<Self, Error> {
        psk.check()?;
        Ok(Self {
            identity: psk.identity.to_vec(),
            key: psk.key.to_vec(),
            random: Box::new(random),
            session: None,
            resumption: None,
            pending: VecDeque::new(),
            received: VecDeque::new(),
            backoff_ms: FIRST_BACKOFF_MS,
            retry_at: None,
            unanswered: 0,
            unanswered_since: 0,
            announced: false,
            events: VecDeque::new(),
        })
    }

    /// Whether application data flows now.
    pub fn is_established(&self) -> bool {
        self.session.as_ref().is_some_and(Session::is_established)
    }

    /// Sends one plaintext datagram: at once when the session is up, after the handshake
    /// otherwise (starting one if none goes on and no backoff holds it back).
    pub fn send(&mut self, now: u64, plaintext: &[u8]) {
        if self.is_established() && self.silent(now) {
            // The server has stopped answering this session: it restarted, or the device's
            // address changed without it knowing. A new handshake (resumed if the server
            // still knows the session), and this datagram after it.
            self.events.push_back(LinkEvent::Reconnecting);
            self.reconnect(now);
        }
        if let Some(session) = self.session.as_mut().filter(|s| s.is_established()) {
            match session.send(now, plaintext) {
                Ok(()) => {
                    self.note_sent(now);
                    return;
                }
                // Too large for a record: nothing else would carry it either.
                Err(Error::TooLarge(bytes)) => {
                    self.events.push_back(LinkEvent::Dropped { bytes });
                    return;
                }
                Err(e) => self.failed(now, e),
            }
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(plaintext.to_vec());
        self.start_if_due(now);
    }

    /// Hands in one datagram received from the server.
    pub fn handle(&mut self, now: u64, datagram: &[u8]) {
        let Some(session) = self.session.as_mut() else {
            // No session: nothing to decrypt it with.
            return;
        };
        let before = session.records_received();
        match session.handle(now, datagram) {
            Ok(()) => {
                if session.records_received() != before {
                    // The server answers: the line works, and a later failure starts the
                    // backoff afresh. (Not at the end of a handshake: a server that accepts
                    // handshakes and then drops the session must not get one every 5 s.)
                    self.unanswered = 0;
                    self.backoff_ms = FIRST_BACKOFF_MS;
                }
                self.after_progress(now);
            }
            Err(e) => self.failed(now, e),
        }
    }

    /// The next datagram to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.session.as_mut()?.poll_transmit()
    }

    /// The next plaintext datagram from the server.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        self.received
            .pop_front()
            .or_else(|| self.session.as_mut()?.recv())
    }

    /// The next thing worth logging.
    pub fn poll_event(&mut self) -> Option<LinkEvent> {
        self.events.pop_front()
    }

    /// When [`Link::handle_timeout`] must run.
    pub fn timeout(&self) -> Option<u64> {
        let handshake = self.session.as_ref().and_then(Session::timeout);
        let retry = self.retry_at.filter(|_| !self.pending.is_empty());
        handshake.into_iter().chain(retry).min()
    }

    /// Retransmits a handshake flight, gives up on a handshake, or starts the next one after
    /// a backoff, as due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        if let Some(session) = self.session.as_mut() {
            match session.handle_timeout(now) {
                Ok(()) => self.after_progress(now),
                Err(e) => self.failed(now, e),
            }
        }
        self.start_if_due(now);
    }

    /// Starts a new handshake at once, resuming the last session if it can: for when the
    /// device knows its address changed or woke from a long sleep.
    pub fn reconnect(&mut self, now: u64) {
        self.end_session();
        self.retry_at = None;
        self.start(now);
    }

    /// The last session's keys, offered at the next handshake (or `None`).
    pub fn resumption(&self) -> Option<&Resumption> {
        self.resumption.as_ref()
    }

    /// Offers `resumption` at the next handshake.
    pub fn set_resumption(&mut self, resumption: Resumption) {
        self.resumption = Some(resumption);
    }

    fn note_sent(&mut self, now: u64) {
        if self.unanswered == 0 {
            self.unanswered_since = now;
        }
        self.unanswered = self.unanswered.saturating_add(1);
    }

    /// Whether the server has left the last datagrams of an established session
    /// unanswered for long.
    fn silent(&self, now: u64) -> bool {
        self.unanswered >= SILENT_SENDS && now.saturating_sub(self.unanswered_since) >= SILENT_MS
    }

    /// After a datagram or a timer: the handshake may have ended.
    fn after_progress(&mut self, now: u64) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if !session.is_established() || self.announced {
            return;
        }
        self.announced = true;
        let resumed = session.resumed();
        let traffic = session.handshake_traffic().unwrap_or_default();
        self.events
            .push_back(LinkEvent::Established { resumed, traffic });
        self.retry_at = None;
        self.unanswered = 0;
        if let Some(r) = session.resumption() {
            self.resumption = Some(r);
        }
        // What waited for the handshake goes now, in order.
        while let Some(plaintext) = self.pending.pop_front() {
            let Some(session) = self.session.as_mut() else {
                return;
            };
            match session.send(now, &plaintext) {
                Ok(()) => self.note_sent(now),
                Err(Error::TooLarge(bytes)) => {
                    self.events.push_back(LinkEvent::Dropped { bytes });
                }
                Err(e) => {
                    // Kept for the next session.
                    self.pending.push_front(plaintext);
                    return self.failed(now, e);
                }
            }
        }
    }

    /// Drops the session, keeping its keys for resumption and what it received unread.
    fn end_session(&mut self) {
        if let Some(mut session) = self.session.take() {
            if let Some(r) = session.resumption() {
                self.resumption = Some(r);
            }
            while let Some(plain) = session.recv() {
                self.received.push_back(plain);
            }
        }
    }

    fn failed(&mut self, now: u64, error: Error) {
        self.end_session();
        // A refused resumption is not retried as one.
        if error.is_refusal() {
            self.resumption = None;
        }
        let base = self.backoff_ms.clamp(FIRST_BACKOFF_MS, MAX_BACKOFF_MS);
        let mut jitter = [0u8; 2];
        (self.random)(&mut jitter);
        // Equal jitter: between half and all of the backoff.
        let wait =
            base / 2 + (base / 2) * u64::from(u16::from_le_bytes(jitter)) / u64::from(u16::MAX);
        self.backoff_ms = (base * 2).min(MAX_BACKOFF_MS);
        self.retry_at = Some(now.saturating_add(wait));
        self.events.push_back(LinkEvent::Failed {
            error,
            retry_in_ms: wait,
        });
    }

    fn start_if_due(&mut self, now: u64) {
        let live = self
            .session
            .as_ref()
            .is_some_and(|s| matches!(s.state(), State::Handshaking | State::Established));
        if live || self.pending.is_empty() || self.retry_at.is_some_and(|at| now < at) {
            return;
        }
        self.start(now);
    }

    fn start(&mut self, now: u64) {
        let psk = Psk {
            identity: &self.identity,
            key: &self.key,
        };
        let started = match Session::client(psk, self.resumption.as_ref(), now, &mut *self.random) {
            // A saved session Mbed TLS cannot load is forgotten: a full handshake instead.
            Err(Error::Setup(_)) if self.resumption.take().is_some() => {
                Session::client(psk, None, now, &mut *self.random)
            }
            other => other,
        };
        match started {
            Ok(session) => {
                self.session = Some(session);
                self.announced = false;
                self.retry_at = None;
            }
            Err(e) => self.failed(now, e),
        }
    }
}
