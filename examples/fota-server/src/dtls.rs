//! DTLS 1.2 with pre-shared keys on the server's socket: one session per device address.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use lwm2m_dtls::{ServerConfig, Session, State};

/// Devices with sessions at once; past this the oldest handshake that has not finished is
/// dropped for a new one.
const MAX_SESSIONS: usize = 1024;

/// The server's DTLS side: sessions by address, keys by PSK identity.
pub struct Dtls {
    config: ServerConfig,
    sessions: HashMap<SocketAddr, Session>,
    records: VecDeque<(SocketAddr, Vec<u8>)>,
}

/// Fills `buf` from the operating system's random source.
fn random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        panic!("the operating system's random source failed: {e}");
    }
}

/// Whether `datagram` starts with a ClientHello of epoch 0: the first flight of a new
/// handshake (a record header is 13 bytes; its handshake message type follows).
fn is_client_hello(datagram: &[u8]) -> bool {
    datagram.first() == Some(&22)
        && datagram.get(3..5) == Some(&[0, 0][..])
        && datagram.get(13) == Some(&1)
}

impl Dtls {
    /// A server that knows these `(identity, key)` pairs.
    pub fn new(keys: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        let keys: HashMap<Vec<u8>, Vec<u8>> = keys.into_iter().collect();
        Self {
            config: ServerConfig::new(move |identity| keys.get(identity).cloned()),
            sessions: HashMap::new(),
            records: VecDeque::new(),
        }
    }

    /// Takes a datagram from `from`; returns the CoAP datagrams it carried.
    pub fn incoming(&mut self, now: u64, from: SocketAddr, datagram: &[u8]) -> Vec<Vec<u8>> {
        let known = self.sessions.get(&from).map(Session::state);
        let fresh = is_client_hello(datagram) && !matches!(known, Some(State::Handshaking));
        if fresh {
            // A new device, or one that starts over (a reboot, or a resumption after a
            // sleep): a new session; the old one, if any, is dropped.
            if self.sessions.len() >= MAX_SESSIONS {
                self.evict();
            }
            match Session::server(&self.config, now, &mut random) {
                Ok(s) => {
                    self.sessions.insert(from, s);
                }
                Err(e) => {
                    eprintln!("server: DTLS session for {from}: {e}");
                    return Vec::new();
                }
            }
        }
        let Some(session) = self.sessions.get_mut(&from) else {
            // Records from an address without a session (a device whose address changed)
            // are dropped: it handshakes again when it hears nothing back.
            return Vec::new();
        };
        let was = session.is_established();
        if let Err(e) = session.handle(now, datagram) {
            eprintln!("server: DTLS with {from}: {e}");
        }
        let mut plain = Vec::new();
        while let Some(p) = session.recv() {
            plain.push(p);
        }
        if !was && session.is_established() {
            let identity = session.peer_identity().map(String::from_utf8_lossy);
            let traffic = session.handshake_traffic().unwrap_or_default();
            println!(
                "server: DTLS session with {from} ({}), {} bytes in {} datagrams",
                identity.as_deref().unwrap_or("?"),
                traffic.sent_bytes + traffic.received_bytes,
                traffic.sent_datagrams + traffic.received_datagrams
            );
        }
        self.collect(from);
        plain
    }

    /// Encrypts one CoAP datagram for `to`; dropped (and said so) when `to` has no session.
    pub fn outgoing(&mut self, now: u64, to: SocketAddr, plaintext: &[u8]) {
        match self.sessions.get_mut(&to) {
            Some(s) => {
                if let Err(e) = s.send(now, plaintext) {
                    eprintln!("server: DTLS to {to}: {e}; the datagram is dropped");
                }
                self.collect(to);
            }
            None => eprintln!("server: no DTLS session with {to}; the datagram is dropped"),
        }
    }

    /// The next record to send.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.records.pop_front()
    }

    /// When [`Dtls::handle_timeout`] must run: a handshake's retransmission.
    pub fn timeout(&self) -> Option<u64> {
        self.sessions.values().filter_map(Session::timeout).min()
    }

    /// Retransmits handshake flights that are due, and forgets failed sessions.
    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<SocketAddr> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.timeout().is_some_and(|t| t <= now))
            .map(|(a, _)| *a)
            .collect();
        for addr in due {
            if let Some(s) = self.sessions.get_mut(&addr) {
                let _ = s.handle_timeout(now);
            }
            self.collect(addr);
        }
        self.sessions
            .retain(|_, s| matches!(s.state(), State::Handshaking | State::Established));
    }

    fn collect(&mut self, addr: SocketAddr) {
        if let Some(s) = self.sessions.get_mut(&addr) {
            while let Some(r) = s.poll_transmit() {
                self.records.push_back((addr, r));
            }
        }
    }

    fn evict(&mut self) {
        let victim = self
            .sessions
            .iter()
            .find(|(_, s)| !s.is_established())
            .or_else(|| self.sessions.iter().next())
            .map(|(a, _)| *a);
        if let Some(a) = victim {
            self.sessions.remove(&a);
        }
    }
}
