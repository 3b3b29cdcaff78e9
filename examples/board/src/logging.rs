//! The board's log on stderr: the client's (target `lwm2m`), the update agent's
//! (`lwm2m::fota`) and the board's own (`lwm2m::board`) through the `log` facade, printed by
//! env_logger with the board's uptime; and what the board says of the datagrams it moves.

use std::collections::HashMap;
use std::io::Write;

use lwm2m_runtime::client::Peer;

/// The target of the board's own log lines, beside the client's `lwm2m` and the update
/// agent's `lwm2m::fota`.
pub const LOG: &str = "lwm2m::board";

/// Sends the log of the client, the update agent and the board to stderr, each line stamped
/// with the board's uptime (as a device's console is). `RUST_LOG` picks what; `warn` when it
/// is not set, so that a board that works says nothing there and one that struggles says why.
pub fn init_logging() {
    let start = std::time::Instant::now();
    let _already_set =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
            .format(move |out, record| {
                let up = start.elapsed();
                writeln!(
                    out,
                    "[{:>4}.{:03} {:<5} {}] {}",
                    up.as_secs(),
                    up.subsec_millis(),
                    record.level(),
                    record.target(),
                    record.args()
                )
            })
            .try_init();
}

/// What a log says of a CoAP datagram: its type, code and message ID, from the fixed header
/// (`None` when it is no CoAP message at all).
fn coap_header(datagram: &[u8]) -> Option<(&'static str, u8, u16)> {
    let [first, code, id_high, id_low, ..] = *datagram else {
        return None;
    };
    if first >> 6 != 1 || first & 0x0f > 8 {
        return None;
    }
    let kind = ["CON", "NON", "ACK", "RST"]
        .get(usize::from(first >> 4 & 0x03))
        .copied()
        .unwrap_or("?");
    Some((kind, code, u16::from_be_bytes([id_high, id_low])))
}

/// A CoAP code as its method (a request) or as `c.dd` (a response).
fn code_text(code: u8) -> String {
    match code {
        1 => "GET".into(),
        2 => "POST".into(),
        3 => "PUT".into(),
        4 => "DELETE".into(),
        _ => format!("{}.{:02}", code >> 5, code & 0x1f),
    }
}

/// What the log says of datagrams: every one at debug, a retransmission, a drop and a datagram
/// that is not CoAP at warn, an answer that refuses a request at info.
#[derive(Debug, Default)]
pub struct Wire {
    /// The last confirmable message sent to each peer and how many times it went out: the
    /// client retransmits the same bytes, so the board can tell a retransmission.
    sent: HashMap<Peer, (Vec<u8>, u32)>,
}

impl Wire {
    /// A datagram goes out to `to`.
    pub fn sent(&mut self, to: Peer, data: &[u8]) {
        let Some((kind, code, id)) = coap_header(data) else {
            return;
        };
        log::debug!(
            target: LOG,
            "-> {:?}: {} {} id {:#06x}, {} bytes",
            to,
            kind,
            code_text(code),
            id,
            data.len()
        );
        if kind == "CON" {
            match self.sent.get_mut(&to) {
                Some((last, times)) if last.as_slice() == data => {
                    *times += 1;
                    log::warn!(
                        target: LOG,
                        "retransmitting {} id {:#06x} to the {:?} (transmission {}): no answer yet",
                        code_text(code),
                        id,
                        to,
                        *times
                    );
                }
                _ => {
                    self.sent.insert(to, (data.to_vec(), 1));
                }
            }
        } else if code >> 5 >= 4 {
            log::info!(
                target: LOG,
                "refused a request of the {:?} with {} (id {:#06x})",
                to,
                code_text(code),
                id
            );
        }
    }

    /// A datagram came from `from`: whether it is CoAP, to be handed to the client (one that
    /// is not is dropped, and said so).
    pub fn received(&self, from: Peer, data: &[u8]) -> bool {
        match coap_header(data) {
            Some((kind, code, id)) => {
                log::debug!(
                    target: LOG,
                    "<- {:?}: {} {} id {:#06x}, {} bytes",
                    from,
                    kind,
                    code_text(code),
                    id,
                    data.len()
                );
                true
            }
            None => {
                log::warn!(
                    target: LOG,
                    "dropped {} bytes from the {:?}: not a CoAP message",
                    data.len(),
                    from
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_read_as_type_code_and_id() {
        assert_eq!(
            coap_header(&[0x42, 0x02, 0x12, 0x34, 0xAA, 0xBB]),
            Some(("CON", 2, 0x1234))
        );
        assert_eq!(coap_header(&[0x60, 0x85, 0, 1]), Some(("ACK", 0x85, 1)));
        assert_eq!(coap_header(&[0x00, 0x01, 0, 0]), None, "version 0");
        assert_eq!(coap_header(b"\xffnot coap"), None, "version 3");
        assert_eq!(coap_header(&[0x40, 0x01]), None, "too short");
        assert_eq!(coap_header(&[0x49, 1, 0, 0]), None, "a token of 9 bytes");
        assert_eq!(code_text(2), "POST");
        assert_eq!(code_text(0x85), "4.05");
        assert_eq!(code_text(0xA0), "5.00");
    }

    #[test]
    fn a_confirmable_message_sent_again_is_a_retransmission() {
        let mut wire = Wire::default();
        let con = [0x40, 0x02, 0x00, 0x07];
        wire.sent(Peer::Server(1), &con);
        wire.sent(Peer::Server(1), &con);
        wire.sent(Peer::Download, &con);
        assert_eq!(wire.sent.get(&Peer::Server(1)).map(|s| s.1), Some(2));
        assert_eq!(wire.sent.get(&Peer::Download).map(|s| s.1), Some(1));
        wire.sent(Peer::Server(1), &[0x40, 0x02, 0x00, 0x08]);
        assert_eq!(
            wire.sent.get(&Peer::Server(1)).map(|s| s.1),
            Some(1),
            "a new one"
        );
    }
}
