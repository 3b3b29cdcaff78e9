//! DTLS 1.2 with pre-shared keys on the server's socket: one session per device address.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use lwm2m_dtls::{ServerConfig, Session, State};

use crate::LOG;

/// Handshakes at once; past this one is dropped for a new one.
const MAX_SESSIONS: usize = 1024;

/// The server's DTLS side: sessions by address, keys by PSK identity.
pub struct Dtls {
    config: ServerConfig,
    /// Established sessions, by device address.
    sessions: HashMap<SocketAddr, Session>,
    /// Handshakes going on, by device address (beside an established session, for a
    /// device that starts over).
    handshakes: HashMap<SocketAddr, (Vec<u8>, Session)>,
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

/// The client random of a ClientHello: after the record header (13 bytes), the handshake
/// header (12) and the client version (2).
fn client_random(datagram: &[u8]) -> Option<&[u8]> {
    datagram.get(27..59)
}

impl Dtls {
    /// A server that knows these `(identity, key)` pairs.
    pub fn new(keys: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        let keys: HashMap<Vec<u8>, Vec<u8>> = keys.into_iter().collect();
        Self {
            config: ServerConfig::new(move |identity| keys.get(identity).cloned()),
            sessions: HashMap::new(),
            handshakes: HashMap::new(),
            records: VecDeque::new(),
        }
    }

    /// Takes a datagram from `from`; returns the CoAP datagrams it carried.
    ///
    /// A ClientHello starts a handshake beside the device's established session (a reboot,
    /// or a resumption after a sleep): the new session replaces the old one only once its
    /// handshake ends, so a spoofed ClientHello cannot end a device's session.
    pub fn incoming(&mut self, now: u64, from: SocketAddr, datagram: &[u8]) -> Vec<Vec<u8>> {
        let mut plain = Vec::new();
        // A ClientHello with another random than the handshake going on is a new one (its
        // retransmissions repeat the random).
        let new_hello = is_client_hello(datagram)
            && self
                .handshakes
                .get(&from)
                .is_none_or(|(random, _)| client_random(datagram) != Some(random.as_slice()));
        if new_hello {
            if self.handshakes.len() >= MAX_SESSIONS {
                self.evict();
            }
            match Session::server(&self.config, now, &mut random) {
                Ok(s) => {
                    let hello = client_random(datagram).unwrap_or_default().to_vec();
                    self.handshakes.insert(from, (hello, s));
                }
                Err(e) => log::warn!(target: LOG, "DTLS session for {from}: {e}"),
            }
        }
        // Each side drops what it cannot authenticate: the datagram goes to both.
        if let Some((_, handshake)) = self.handshakes.get_mut(&from) {
            if let Err(e) = handshake.handle(now, datagram) {
                log::warn!(target: LOG, "DTLS handshake with {from}: {e}");
            }
            while let Some(p) = handshake.recv() {
                plain.push(p);
            }
            self.collect_handshake(from);
            if self
                .handshakes
                .get(&from)
                .is_some_and(|(_, s)| s.is_established())
                && let Some((_, session)) = self.handshakes.remove(&from)
            {
                let identity = session.peer_identity().map(String::from_utf8_lossy);
                let traffic = session.handshake_traffic().unwrap_or_default();
                log::info!(
                    target: LOG,
                    "DTLS session with {from} ({}), {} bytes in {} datagrams",
                    identity.as_deref().unwrap_or("?"),
                    traffic.sent_bytes + traffic.received_bytes,
                    traffic.sent_datagrams + traffic.received_datagrams
                );
                self.sessions.insert(from, session);
                return plain;
            }
        }
        let epoch_zero = datagram.get(3..5) == Some(&[0, 0][..]);
        if !epoch_zero && let Some(session) = self.sessions.get_mut(&from) {
            if let Err(e) = session.handle(now, datagram) {
                log::warn!(target: LOG, "DTLS with {from}: {e}");
            }
            while let Some(p) = session.recv() {
                plain.push(p);
            }
            self.collect(from);
        }
        plain
    }

    /// Encrypts one CoAP datagram for `to`; dropped (and said so) when `to` has no session.
    pub fn outgoing(&mut self, now: u64, to: SocketAddr, plaintext: &[u8]) {
        match self.sessions.get_mut(&to) {
            Some(s) => {
                if let Err(e) = s.send(now, plaintext) {
                    log::warn!(target: LOG, "DTLS to {to}: {e}; the datagram is dropped");
                }
                self.collect(to);
            }
            None => log::warn!(target: LOG, "no DTLS session with {to}; the datagram is dropped"),
        }
    }

    /// The next record to send.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.records.pop_front()
    }

    /// When [`Dtls::handle_timeout`] must run: a handshake's retransmission.
    pub fn timeout(&self) -> Option<u64> {
        self.handshakes
            .values()
            .filter_map(|(_, s)| s.timeout())
            .min()
    }

    /// Retransmits handshake flights that are due, and forgets failed handshakes and closed
    /// sessions.
    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<SocketAddr> = self
            .handshakes
            .iter()
            .filter(|(_, (_, s))| s.timeout().is_some_and(|t| t <= now))
            .map(|(a, _)| *a)
            .collect();
        for addr in due {
            if let Some((_, s)) = self.handshakes.get_mut(&addr) {
                let _ = s.handle_timeout(now);
            }
            self.collect_handshake(addr);
        }
        self.handshakes
            .retain(|_, (_, s)| s.state() == State::Handshaking);
        self.sessions.retain(|_, s| s.is_established());
    }

    fn collect(&mut self, addr: SocketAddr) {
        if let Some(s) = self.sessions.get_mut(&addr) {
            while let Some(r) = s.poll_transmit() {
                self.records.push_back((addr, r));
            }
        }
    }

    fn collect_handshake(&mut self, addr: SocketAddr) {
        if let Some((_, s)) = self.handshakes.get_mut(&addr) {
            while let Some(r) = s.poll_transmit() {
                self.records.push_back((addr, r));
            }
        }
    }

    /// Makes room for a handshake: the oldest one goes (an address flooding ClientHellos
    /// cannot push out established sessions).
    fn evict(&mut self) {
        if let Some(a) = self.handshakes.keys().next().copied() {
            self.handshakes.remove(&a);
        }
    }
}
