//! Datagrams over a serial line, the way a modem's UART carries them: each COBS-encoded
//! (no zero byte inside) and ended by a zero byte. A host-side relay turns the frames into
//! UDP datagrams and back.

use core::hint::black_box;

use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_runtime::{Error, Instances};

use crate::mps2::Uart;

/// The largest datagram carried: a CoAP datagram of 1280 bytes in a DTLS record.
pub const DATAGRAM_MAX: usize = 1400;
/// The largest frame: COBS adds a byte per 254, and one more.
const FRAME_MAX: usize = DATAGRAM_MAX + DATAGRAM_MAX / 254 + 2;

/// A datagram line over a UART.
pub struct Modem {
    uart: Uart,
    rx: heapless::Vec<u8, FRAME_MAX>,
    /// `rx` holds a decoded datagram, handed out by the last [`Modem::receive`].
    delivered: bool,
    /// The frame being received is longer than any datagram: it is dropped at its end.
    overflow: bool,
    tx: [u8; FRAME_MAX],
}

impl Modem {
    /// The line over `uart`.
    pub fn new(uart: Uart) -> Self {
        Self {
            uart,
            rx: heapless::Vec::new(),
            delivered: false,
            overflow: false,
            tx: [0; FRAME_MAX],
        }
    }

    /// Waits until the last frame has left.
    pub fn flush(&mut self) {
        self.uart.flush();
    }

    /// The next whole datagram received, if one has arrived; a frame that is too long or
    /// not valid COBS is dropped.
    pub fn receive(&mut self) -> Option<&[u8]> {
        if core::mem::take(&mut self.delivered) {
            self.rx.clear();
        }
        while let Some(byte) = self.uart.read() {
            if byte != 0 {
                self.overflow |= self.rx.push(byte).is_err();
                continue;
            }
            let whole = !core::mem::take(&mut self.overflow) && !self.rx.is_empty();
            match cobs::decode_in_place(&mut self.rx) {
                Ok(n) if whole => {
                    self.rx.truncate(n);
                    self.delivered = true;
                    return Some(&self.rx);
                }
                _ => self.rx.clear(),
            }
        }
        None
    }

    /// Sends `datagram` as one frame; one whose frame does not fit the buffer (longer than
    /// [`DATAGRAM_MAX`], give or take what COBS adds) is dropped: the client's
    /// retransmission or the server's timeout deals with it.
    pub fn send(&mut self, datagram: &[u8]) {
        let Ok(n) = cobs::try_encode(datagram, &mut self.tx[..FRAME_MAX - 1]) else {
            return;
        };
        if let Some(frame) = self.tx.get(..n) {
            self.uart.write(frame);
            self.uart.write(&[0]);
        }
    }
}

/// Object 4 from the modem's readings (stand-ins: LTE-M, -75 dBm), served through the
/// generated handler as `cm::Served(Radio)`.
pub struct Radio;

impl cm::Handler for Radio {
    fn read_network_bearer(&mut self, _: u16) -> Result<u8, Error> {
        Ok(black_box(6))
    }
    fn read_available_network_bearer(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut b = Instances::new();
        b.insert(0, black_box(6)).map_err(|_| Error::Internal)?;
        Ok(b)
    }
    fn read_radio_signal_strength(&mut self, _: u16) -> Result<i64, Error> {
        Ok(black_box(-75))
    }
    fn read_ip_addresses(&mut self, _: u16) -> Result<Instances<heapless::String<64>, 8>, Error> {
        Ok(Instances::new())
    }
}
