//! The server on a UDP socket, plain or with DTLS.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};

use crate::bootstrap::{Bootstrap, BootstrapEvent};
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
    serve_with(socket, server, None, limit, on_event)
}

/// [`serve`] over DTLS: only devices that complete a PSK handshake with `dtls` are heard.
pub fn serve_secure(
    socket: &UdpSocket,
    server: &mut Server<SocketAddr>,
    dtls: &mut Dtls,
    limit: Duration,
    on_event: impl FnMut(&Event),
) -> io::Result<Option<bool>> {
    serve_with(socket, server, Some(dtls), limit, on_event)
}

fn serve_with(
    socket: &UdpSocket,
    server: &mut Server<SocketAddr>,
    mut dtls: Option<&mut Dtls>,
    limit: Duration,
    mut on_event: impl FnMut(&Event),
) -> io::Result<Option<bool>> {
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    let mut buf = [0u8; 2048];
    loop {
        while let Some((to, bytes)) = server.poll(now()) {
            match dtls.as_deref_mut() {
                Some(d) => d.outgoing(now(), to, &bytes),
                None => {
                    socket.send_to(&bytes, to)?;
                }
            }
        }
        if let Some(d) = dtls.as_deref_mut() {
            if d.timeout().is_some_and(|t| t <= now()) {
                d.handle_timeout(now());
            }
            while let Some((to, record)) = d.poll_transmit() {
                socket.send_to(&record, to)?;
            }
        }
        while let Some(event) = server.poll_event() {
            on_event(&event);
        }
        if let Some(done) = server.finished() {
            return Ok(Some(done));
        }
        if start.elapsed() >= limit {
            return Ok(None);
        }
        let dtls_due = dtls.as_deref().and_then(Dtls::timeout);
        let wait = [server.timeout(), dtls_due]
            .into_iter()
            .flatten()
            .min()
            .map_or(100, |t| t.saturating_sub(now()))
            .clamp(1, 100);
        socket.set_read_timeout(Some(Duration::from_millis(wait)))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let datagram = buf.get(..n).unwrap_or_default();
                match dtls.as_deref_mut() {
                    Some(d) => {
                        for plain in d.incoming(now(), from, datagram) {
                            server.handle(now(), from, &plain);
                        }
                    }
                    None => server.handle(now(), from, datagram),
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Runs the Bootstrap-Server `bootstrap` on `socket` (over `dtls` when given) until `stop`
/// is set; every event goes to `on_event`.
pub fn serve_bootstrap(
    socket: &UdpSocket,
    bootstrap: &mut Bootstrap<SocketAddr>,
    mut dtls: Option<&mut Dtls>,
    stop: &AtomicBool,
    mut on_event: impl FnMut(&BootstrapEvent),
) -> io::Result<()> {
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    let mut buf = [0u8; 2048];
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    while !stop.load(Ordering::Relaxed) {
        while let Some((to, bytes)) = bootstrap.poll(now()) {
            match dtls.as_deref_mut() {
                Some(d) => d.outgoing(now(), to, &bytes),
                None => {
                    socket.send_to(&bytes, to)?;
                }
            }
        }
        if let Some(d) = dtls.as_deref_mut() {
            if d.timeout().is_some_and(|t| t <= now()) {
                d.handle_timeout(now());
            }
            while let Some((to, record)) = d.poll_transmit() {
                socket.send_to(&record, to)?;
            }
        }
        while let Some(event) = bootstrap.poll_event() {
            on_event(&event);
        }
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let datagram = buf.get(..n).unwrap_or_default();
                match dtls.as_deref_mut() {
                    Some(d) => {
                        for plain in d.incoming(now(), from, datagram) {
                            bootstrap.handle(now(), from, &plain);
                        }
                    }
                    None => bootstrap.handle(now(), from, datagram),
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
