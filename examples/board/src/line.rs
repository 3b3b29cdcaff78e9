//! The board's line to one server: a UDP socket, with DTLS over it for `coaps://`.

use std::io;
use std::net::{SocketAddr, UdpSocket};

use lwm2m_dtls::{Link, LinkEvent, Psk};

use crate::logging::LOG;

/// A UDP socket, plain or carrying DTLS records.
pub struct Line {
    socket: UdpSocket,
    dtls: Option<Link>,
    /// Whom the log names ("server", "download server").
    name: &'static str,
}

/// Fills `buf` from the operating system's random source, to seed a handshake.
fn random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // Without entropy no handshake is safe: fail it rather than run on zeros.
        log::error!(target: LOG, "no random numbers from the OS: {}", e);
        panic!("the operating system's random source failed: {e}");
    }
}

impl Line {
    /// A socket connected to `server`, with DTLS when `psk` is given.
    pub fn open(
        server: SocketAddr,
        psk: Option<Psk<'_>>,
        name: &'static str,
    ) -> Result<Self, String> {
        let local: SocketAddr = if server.ip().is_loopback() {
            (server.ip(), 0).into()
        } else if server.is_ipv6() {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local).map_err(|e| format!("UDP: {e}"))?;
        socket
            .connect(server)
            .map_err(|e| format!("UDP {server}: {e}"))?;
        match psk {
            Some(psk) => Line::secure(socket, psk, name),
            None => Ok(Line::plain(socket, name)),
        }
    }

    /// A line without DTLS.
    pub fn plain(socket: UdpSocket, name: &'static str) -> Self {
        Self {
            socket,
            dtls: None,
            name,
        }
    }

    /// A line that authenticates with `psk`.
    pub fn secure(socket: UdpSocket, psk: Psk<'_>, name: &'static str) -> Result<Self, String> {
        let link = Link::new(psk, random).map_err(|e| format!("DTLS: {e}"))?;
        Ok(Self {
            socket,
            dtls: Some(link),
            name,
        })
    }

    /// The socket, to wait on.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Sends one CoAP datagram (over DTLS once a handshake ends, when secure).
    pub fn send(&mut self, now: u64, data: &[u8]) -> io::Result<()> {
        match self.dtls.as_mut() {
            None => self.socket.send(data).map(drop),
            Some(link) => {
                link.send(now, data);
                self.flush()
            }
        }
    }

    /// Takes one datagram received; hands each CoAP datagram it carries to `deliver`.
    pub fn received(&mut self, now: u64, data: &[u8], deliver: &mut dyn FnMut(&[u8])) {
        let Some(link) = self.dtls.as_mut() else {
            return deliver(data);
        };
        link.handle(now, data);
        while let Some(plain) = link.recv() {
            deliver(&plain);
        }
        if let Err(e) = self.flush() {
            log::warn!(target: LOG, "DTLS to the {}: {}", self.name, e);
        }
    }

    /// Handshake retransmissions and retries due at `now`.
    pub fn tick(&mut self, now: u64) {
        let Some(link) = self.dtls.as_mut() else {
            return;
        };
        if link.timeout().is_some_and(|t| t <= now) {
            link.handle_timeout(now);
        }
        if let Err(e) = self.flush() {
            log::warn!(target: LOG, "DTLS to the {}: {}", self.name, e);
        }
    }

    /// When [`Line::tick`] must run.
    pub fn timeout(&self) -> Option<u64> {
        self.dtls.as_ref().and_then(Link::timeout)
    }

    /// Sends the records the link wrote, and logs what happened to it.
    fn flush(&mut self) -> io::Result<()> {
        let Some(link) = self.dtls.as_mut() else {
            return Ok(());
        };
        let mut result = Ok(());
        while let Some(record) = link.poll_transmit() {
            if let Err(e) = self.socket.send(&record) {
                result = Err(e);
            }
        }
        while let Some(event) = link.poll_event() {
            match event {
                LinkEvent::Established { resumed, traffic } => log::info!(
                    target: LOG,
                    "DTLS with the {}: {} handshake, {} datagrams ({} bytes) sent, {} ({} bytes) received",
                    self.name,
                    if resumed { "resumed" } else { "full" },
                    traffic.sent_datagrams,
                    traffic.sent_bytes,
                    traffic.received_datagrams,
                    traffic.received_bytes
                ),
                LinkEvent::Failed { error, retry_in_ms } => log::warn!(
                    target: LOG,
                    "DTLS with the {}: {}; next handshake in {} s",
                    self.name,
                    error,
                    retry_in_ms / 1000
                ),
                LinkEvent::Dropped { bytes } => log::warn!(
                    target: LOG,
                    "DTLS with the {}: a datagram of {} bytes does not fit a record: dropped",
                    self.name,
                    bytes
                ),
                LinkEvent::Reconnecting => log::warn!(
                    target: LOG,
                    "DTLS with the {}: no answer to the last datagrams; resuming the session",
                    self.name
                ),
            }
        }
        result
    }
}
