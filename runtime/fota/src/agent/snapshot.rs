//! The /5 snapshot the agent persists: the machine, the Package URI, what a server wrote, and
//! the download's ETag, with a CRC-32. Bytes read back from flash are untrusted: a torn,
//! corrupted or foreign record is refused and the agent starts from Idle.

use core::fmt;

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::firmware_update::Severity;
use lwm2m_objects::firmware_update::machine::Machine;
use lwm2m_runtime::Enumeration;

use super::Agent;
use crate::boot::Bootloader;
use crate::image::Verifier;
use crate::records::SNAPSHOT_MAX;

/// The format this version writes.
const FORMAT: u8 = 2;

/// A snapshot that is torn, corrupted, of an unknown format, or describes a machine the state
/// diagram cannot reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadSnapshot;

impl fmt::Display for BadSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the firmware update snapshot is corrupted or of an unknown format")
    }
}

/// A decoded snapshot.
pub(crate) struct Snapshot {
    pub machine: Machine,
    pub severity: Severity,
    pub auto_update: bool,
    pub max_defer: u64,
    pub uri: heapless::String<255>,
    pub etag: heapless::Vec<u8, 8>,
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Agent<F, V, B> {
    /// The snapshot of the agent as it is now.
    pub(super) fn snapshot(&self) -> heapless::Vec<u8, SNAPSHOT_MAX> {
        let mut v: heapless::Vec<u8, SNAPSHOT_MAX> = heapless::Vec::new();
        let etag = self
            .download
            .as_ref()
            .map_or(&[][..], |d| d.etag.as_slice());
        // The lengths are bounded by the types: 255 bytes of URI, 8 of ETag; the buffer
        // holds both.
        let _ = v.push(FORMAT);
        let _ = v.push(self.machine.state().value() as u8);
        let _ = v.push(self.machine.result().value() as u8);
        let _ = v.push(self.severity.value() as u8);
        let _ = v.push(u8::from(self.auto_update));
        let _ = v.extend_from_slice(&self.max_defer.to_be_bytes());
        let _ = v.push(self.uri.len() as u8);
        let _ = v.extend_from_slice(self.uri.as_bytes());
        let _ = v.push(etag.len() as u8);
        let _ = v.extend_from_slice(etag);
        let crc = crc32(&v);
        let _ = v.extend_from_slice(&crc.to_be_bytes());
        v
    }
}

impl Snapshot {
    /// Reads a snapshot; anything that is not exactly one written by this version is refused.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, BadSnapshot> {
        let (body, crc) = bytes
            .split_at_checked(bytes.len().checked_sub(4).ok_or(BadSnapshot)?)
            .ok_or(BadSnapshot)?;
        if crc32(body).to_be_bytes() != crc {
            return Err(BadSnapshot);
        }
        let mut r = Reader(body);
        if r.byte()? != FORMAT {
            return Err(BadSnapshot);
        }
        let (state, result) = (r.byte()?, r.byte()?);
        let machine =
            Machine::restore(i64::from(state), i64::from(result)).map_err(|_| BadSnapshot)?;
        let severity = Severity::from_value(i64::from(r.byte()?)).ok_or(BadSnapshot)?;
        let auto_update = match r.byte()? {
            0 => false,
            1 => true,
            _ => return Err(BadSnapshot),
        };
        let max_defer = u64::from_be_bytes(r.take(8)?.try_into().map_err(|_| BadSnapshot)?);
        let uri_len = usize::from(r.byte()?);
        let uri = core::str::from_utf8(r.take(uri_len)?).map_err(|_| BadSnapshot)?;
        let etag_len = usize::from(r.byte()?);
        let etag = r.take(etag_len)?;
        if !r.0.is_empty() {
            return Err(BadSnapshot);
        }
        Ok(Self {
            machine,
            severity,
            auto_update,
            max_defer,
            uri: heapless::String::try_from(uri).map_err(|_| BadSnapshot)?,
            etag: heapless::Vec::from_slice(etag).map_err(|_| BadSnapshot)?,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadSnapshot> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(BadSnapshot)?;
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, BadSnapshot> {
        self.take(1)?.first().copied().ok_or(BadSnapshot)
    }
}

/// CRC-32 (IEEE), bit by bit: a snapshot is a few hundred bytes.
fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |mut crc, &b| {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
        crc
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(state: u8, result: u8, uri: &str) -> std::vec::Vec<u8> {
        let mut v = std::vec![FORMAT, state, result, 1, 0];
        v.extend_from_slice(&300u64.to_be_bytes());
        v.push(uri.len() as u8);
        v.extend_from_slice(uri.as_bytes());
        v.extend_from_slice(&[2, 0xAB, 0xCD]);
        let crc = crc32(&v);
        v.extend_from_slice(&crc.to_be_bytes());
        v
    }

    #[test]
    fn a_snapshot_reads_back_and_every_damage_is_refused() {
        let good = encoded(1, 0, "coap://h/fw");
        let s = Snapshot::decode(&good).unwrap();
        assert_eq!(
            (s.machine.state().value(), s.machine.result().value()),
            (1, 0)
        );
        assert_eq!((s.max_defer, s.uri.as_str()), (300, "coap://h/fw"));
        assert_eq!(s.etag.as_slice(), [0xAB, 0xCD]);
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                assert!(Snapshot::decode(&bad).is_err(), "byte {i} bit {bit}");
            }
        }
        assert!(Snapshot::decode(&good[..good.len() - 1]).is_err(), "torn");
        assert!(Snapshot::decode(&[0xFF; 24]).is_err(), "erased flash");
        assert!(Snapshot::decode(&[]).is_err());
    }

    #[test]
    fn a_machine_the_diagram_cannot_reach_is_refused() {
        assert!(
            Snapshot::decode(&encoded(1, 1, "")).is_err(),
            "Downloading, Success"
        );
        assert!(Snapshot::decode(&encoded(4, 0, "")).is_err(), "no State 4");
        assert!(
            Snapshot::decode(&encoded(2, 11, "")).is_ok(),
            "Downloaded, Deferred"
        );
    }
}
