//! A relay between a device's serial line and UDP: what a modem does for a device whose
//! datagrams go over a UART. Each frame on the line is one datagram, COBS-encoded and ended
//! by a zero byte (the firmware's `modem` module); each goes to the LwM2M server as a UDP
//! datagram, and each datagram from the server goes back as a frame. With it, any LwM2M
//! server (this crate's, or another) drives an emulated device.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What went through the relay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relayed {
    /// Datagrams from the device to the server.
    pub up: u64,
    /// Datagrams from the server to the device.
    pub down: u64,
    /// Frames from the device that were not valid COBS, dropped.
    pub dropped: u64,
}

/// Relays between `line` (the device's serial line, as a byte stream: QEMU's `-serial tcp:`)
/// and `server`, from a UDP socket of its own on 127.0.0.1, until `stop` is set or the line
/// closes.
pub fn relay<L: Read + Write>(
    mut line: L,
    server: SocketAddr,
    stop: &AtomicBool,
) -> io::Result<Relayed> {
    let udp = UdpSocket::bind("127.0.0.1:0")?;
    udp.connect(server)?;
    udp.set_read_timeout(Some(Duration::from_millis(2)))?;
    let mut counts = Relayed::default();
    let mut frame = Vec::new();
    let mut bytes = [0u8; 2048];
    let mut datagram = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        match line.read(&mut bytes) {
            Ok(0) => break,
            Ok(n) => {
                for &b in bytes.get(..n).unwrap_or_default() {
                    if b != 0 {
                        frame.push(b);
                        continue;
                    }
                    match cobs::decode_vec(&frame) {
                        Ok(d) if !frame.is_empty() => {
                            udp.send(&d)?;
                            counts.up += 1;
                        }
                        _ => counts.dropped += 1,
                    }
                    frame.clear();
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
        while let Ok(n) = udp.recv(&mut datagram) {
            let mut encoded = cobs::encode_vec(datagram.get(..n).unwrap_or_default());
            encoded.push(0);
            line.write_all(&encoded)?;
            counts.down += 1;
        }
    }
    Ok(counts)
}
