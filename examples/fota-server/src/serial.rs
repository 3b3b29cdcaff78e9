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
    /// Frames from the device dropped: not valid COBS, longer than any datagram, or not sent
    /// (the UDP send failed).
    pub dropped: u64,
}

/// The longest frame taken from the line: a 64 KiB datagram, COBS-encoded.
const FRAME_MAX: usize = 65_535 + 65_535 / 254 + 2;

/// Relays between `line` (the device's serial line, as a byte stream: QEMU's `-serial tcp:`)
/// and `server`, from a UDP socket of its own on 127.0.0.1, until `stop` is set or the line
/// closes. Give `line` a short read timeout (a few milliseconds) and a write timeout: the
/// relay takes turns between the two sides, and ends with an error when the line does.
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
    let mut datagram = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        match line.read(&mut bytes) {
            Ok(0) => break,
            Ok(n) => {
                for &b in bytes.get(..n).unwrap_or_default() {
                    if b != 0 {
                        if frame.len() < FRAME_MAX {
                            frame.push(b);
                        }
                        continue;
                    }
                    let sent = match cobs::decode_vec(&frame) {
                        Ok(d) if !frame.is_empty() && frame.len() < FRAME_MAX => {
                            udp.send(&d).is_ok()
                        }
                        _ => false,
                    };
                    if sent {
                        counts.up += 1;
                    } else {
                        counts.dropped += 1;
                    }
                    frame.clear();
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
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
