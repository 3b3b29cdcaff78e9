//! The server on a UDP socket, plain or with DTLS.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::bootstrap::{Bootstrap, BootstrapEvent};
use crate::campaign::{Campaign, CampaignEvent};
use crate::dtls::Dtls;
use crate::server::{Event, Server};

/// Runs `server` on `socket` until every job ends or `limit` passes; every event goes to
/// `on_event`. Returns whether all jobs went as expected (`None` when time ran out).
pub fn serve(
    socket: &UdpSocket,
    server: &mut Server<SocketAddr>,
    limit: Duration,
    on_event: impl FnMut(&Event),
) -> io::Result<Option<bool>> {
    serve_with(Wire::new(socket, None), server, limit, on_event)
}

/// [`serve`] over DTLS: only devices that complete a PSK handshake with `dtls` are heard.
pub fn serve_secure(
    socket: &UdpSocket,
    server: &mut Server<SocketAddr>,
    dtls: &mut Dtls,
    limit: Duration,
    on_event: impl FnMut(&Event),
) -> io::Result<Option<bool>> {
    serve_with(Wire::new(socket, Some(dtls)), server, limit, on_event)
}

fn serve_with(
    mut wire: Wire<'_>,
    server: &mut Server<SocketAddr>,
    limit: Duration,
    mut on_event: impl FnMut(&Event),
) -> io::Result<Option<bool>> {
    loop {
        while let Some((to, bytes)) = server.poll(wire.now()) {
            wire.send(to, &bytes)?;
        }
        wire.flush()?;
        while let Some(event) = server.poll_event() {
            on_event(&event);
        }
        if let Some(done) = server.finished() {
            return Ok(Some(done));
        }
        if wire.start.elapsed() >= limit {
            return Ok(None);
        }
        let wait = wire.wait(server.timeout());
        wire.receive(wait, |now, from, plain| server.handle(now, from, plain))?;
    }
}

/// Runs `campaign` on `socket` (over `dtls` when given) until it settles (done, or halted
/// with nothing in flight) or `limit` passes; every event goes to `on_event`. Returns whether
/// it settled.
pub fn serve_campaign(
    socket: &UdpSocket,
    campaign: &mut Campaign<SocketAddr>,
    dtls: Option<&mut Dtls>,
    limit: Duration,
    mut on_event: impl FnMut(&CampaignEvent),
) -> io::Result<bool> {
    let mut wire = Wire::new(socket, dtls);
    loop {
        while let Some((to, bytes)) = campaign.poll(wire.now()) {
            wire.send(to, &bytes)?;
        }
        wire.flush()?;
        while let Some(event) = campaign.poll_event() {
            on_event(&event);
        }
        if campaign.settled() {
            return Ok(true);
        }
        if wire.start.elapsed() >= limit {
            return Ok(false);
        }
        let wait = wire.wait(campaign.timeout());
        wire.receive(wait, |now, from, plain| campaign.handle(now, from, plain))?;
    }
}

/// Runs the Bootstrap-Server `bootstrap` on `socket` (over `dtls` when given) until `stop`
/// is set; every event goes to `on_event`.
pub fn serve_bootstrap(
    socket: &UdpSocket,
    bootstrap: &mut Bootstrap<SocketAddr>,
    dtls: Option<&mut Dtls>,
    stop: &AtomicBool,
    mut on_event: impl FnMut(&BootstrapEvent),
) -> io::Result<()> {
    let mut wire = Wire::new(socket, dtls);
    while !stop.load(Ordering::Relaxed) {
        while let Some((to, bytes)) = bootstrap.poll(wire.now()) {
            wire.send(to, &bytes)?;
        }
        wire.flush()?;
        while let Some(event) = bootstrap.poll_event() {
            on_event(&event);
        }
        wire.receive(20, |now, from, plain| bootstrap.handle(now, from, plain))?;
    }
    Ok(())
}

/// The most datagrams taken in at once before the server answers.
const MAX_BURST: usize = 256;

/// A socket with the clock of one run, and DTLS over it when there is a [`Dtls`].
struct Wire<'a> {
    socket: &'a UdpSocket,
    dtls: Option<&'a mut Dtls>,
    start: Instant,
    buf: [u8; 2048],
}

impl<'a> Wire<'a> {
    fn new(socket: &'a UdpSocket, dtls: Option<&'a mut Dtls>) -> Self {
        Self {
            socket,
            dtls,
            start: Instant::now(),
            buf: [0; 2048],
        }
    }

    /// Milliseconds since the run began.
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Sends one CoAP datagram to `to` (as a record when secure).
    fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> io::Result<()> {
        let now = self.now();
        match self.dtls.as_deref_mut() {
            Some(d) => d.outgoing(now, to, bytes),
            None => {
                self.socket.send_to(bytes, to)?;
            }
        }
        Ok(())
    }

    /// Runs the handshake timers that are due and sends the records DTLS wrote.
    fn flush(&mut self) -> io::Result<()> {
        let now = self.now();
        if let Some(d) = self.dtls.as_deref_mut() {
            if d.timeout().is_some_and(|t| t <= now) {
                d.handle_timeout(now);
            }
            while let Some((to, record)) = d.poll_transmit() {
                self.socket.send_to(&record, to)?;
            }
        }
        Ok(())
    }

    /// How long to wait for a datagram, in ms: until the server's deadline `server` or
    /// DTLS's, whichever is first, and 1 to 100 ms.
    fn wait(&self, server: Option<u64>) -> u64 {
        let now = self.now();
        [server, self.dtls.as_deref().and_then(Dtls::timeout)]
            .into_iter()
            .flatten()
            .min()
            .map_or(100, |t| t.saturating_sub(now))
            .clamp(1, 100)
    }

    /// Hands the `n` bytes received from `from` to `deliver`, as CoAP (decrypted when
    /// secure).
    fn deliver(
        &mut self,
        n: usize,
        from: SocketAddr,
        deliver: &mut impl FnMut(u64, SocketAddr, &[u8]),
    ) {
        let now = self.now();
        let datagram = self.buf.get(..n).unwrap_or_default();
        match self.dtls.as_deref_mut() {
            Some(d) => {
                for plain in d.incoming(now, from, datagram) {
                    deliver(now, from, &plain);
                }
            }
            None => deliver(now, from, datagram),
        }
    }

    /// Waits up to `wait_ms` for a datagram and hands each CoAP datagram it carries to
    /// `deliver`, with the time and the sender.
    fn receive(
        &mut self,
        wait_ms: u64,
        mut deliver: impl FnMut(u64, SocketAddr, &[u8]),
    ) -> io::Result<()> {
        self.socket
            .set_read_timeout(Some(Duration::from_millis(wait_ms)))?;
        match self.socket.recv_from(&mut self.buf) {
            Ok((n, from)) => {
                self.deliver(n, from, &mut deliver);
                // Take in what else has arrived before answering, so that a burst (a fleet
                // registering at once) does not overflow the socket's buffer while the
                // first datagrams are answered.
                self.socket.set_nonblocking(true)?;
                for _ in 0..MAX_BURST {
                    match self.socket.recv_from(&mut self.buf) {
                        Ok((n, from)) => self.deliver(n, from, &mut deliver),
                        Err(_) => break,
                    }
                }
                self.socket.set_nonblocking(false)?;
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
