//! The server on a UDP socket.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::server::{Event, Server};

/// Runs `server` on `socket` until every job ends or `limit` passes; every event goes to
/// `on_event`. Returns whether all jobs went as expected (`None` when time ran out).
pub fn serve(
    socket: &UdpSocket,
    server: &mut Server<SocketAddr>,
    limit: Duration,
    mut on_event: impl FnMut(&Event),
) -> io::Result<Option<bool>> {
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    let mut buf = [0u8; 2048];
    loop {
        while let Some((to, bytes)) = server.poll(now()) {
            socket.send_to(&bytes, to)?;
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
        let wait = server
            .timeout()
            .map_or(100, |t| t.saturating_sub(now()))
            .clamp(1, 100);
        socket.set_read_timeout(Some(Duration::from_millis(wait)))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => server.handle(now(), from, buf.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
}
