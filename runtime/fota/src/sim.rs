//! NOR flash that keeps NOR's rules, over any memory, with power cuts on demand: what tests
//! and simulated boards run the update agent on.
//!
//! Real NOR parts erase whole sectors to `0xFF` and program by clearing bits: a write that
//! would turn a 0 back into a 1 fails. [`NorSim`] enforces exactly that (plus alignment and
//! bounds) over any [`Memory`], counts every erase and write, and can lose power after a chosen
//! operation, optionally tearing it (half the bytes programmed, half the sector erased), the way
//! the MCUboot simulator tests its swap.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// The erase unit, in bytes.
pub const SECTOR_SIZE: usize = 4096;
/// The program unit, in bytes: writes start and end on multiples of it.
pub const WRITE_SIZE: usize = 4;
/// The value of an erased byte.
pub const ERASED: u8 = 0xFF;

/// What a flash operation can fail with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashFault {
    /// An offset or length is not a multiple of the write or erase unit.
    NotAligned,
    /// The operation reaches past the end of the flash.
    OutOfBounds,
    /// The write would set a bit that is 0 back to 1 (only an erase can), at this offset.
    SetsBits {
        /// The first offending byte.
        offset: u32,
    },
    /// Power was cut: nothing works until the next power-on.
    PowerLost,
    /// The backing file could not be written.
    Io,
}

impl NorFlashError for FlashFault {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::SetsBits { .. } | Self::PowerLost | Self::Io => NorFlashErrorKind::Other,
        }
    }
}

impl core::fmt::Display for FlashFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotAligned => f.write_str("not aligned to the flash's write or erase unit"),
            Self::OutOfBounds => f.write_str("past the end of the flash"),
            Self::SetsBits { offset } => {
                write!(
                    f,
                    "a write at {offset:#x} would set bits that only an erase can set"
                )
            }
            Self::PowerLost => f.write_str("power lost"),
            Self::Io => f.write_str("the flash file could not be written"),
        }
    }
}

/// The bytes behind a simulated flash, and where changes go to last.
pub trait Memory {
    /// The whole flash.
    fn bytes(&self) -> &[u8];
    /// The whole flash, to change.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// `len` bytes at `offset` changed: make them durable (a file writes them through).
    fn sync(&mut self, offset: usize, len: usize) -> Result<(), FlashFault> {
        let _ = (offset, len);
        Ok(())
    }
}

impl Memory for &mut [u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
}

#[cfg(any(test, feature = "std"))]
impl Memory for std::vec::Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
}

/// Where power is cut: at the operation numbered `at` (erases and writes count from 0 over the
/// flash's life).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerCut {
    /// The operation that does not complete.
    pub at: u64,
    /// `false`: it does not happen at all; `true`: it is torn (half done).
    pub torn: bool,
}

/// A NOR flash over `M` that enforces NOR rules, counts operations and can lose power.
#[derive(Debug)]
pub struct NorSim<M> {
    mem: M,
    ops: u64,
    cut: Option<PowerCut>,
    powered: bool,
}

impl<M: Memory> NorSim<M> {
    /// A flash over `mem`, powered, with no cut planned. Its length must be whole sectors.
    pub fn new(mem: M) -> Result<Self, FlashFault> {
        if !mem.bytes().len().is_multiple_of(SECTOR_SIZE) || mem.bytes().len() > u32::MAX as usize {
            return Err(FlashFault::NotAligned);
        }
        Ok(Self {
            mem,
            ops: 0,
            cut: None,
            powered: true,
        })
    }

    /// Erases and writes performed so far (including a torn one).
    pub fn ops(&self) -> u64 {
        self.ops
    }

    /// Plans (or clears) a power cut.
    pub fn set_power_cut(&mut self, cut: Option<PowerCut>) {
        self.cut = cut;
    }

    /// Whether power is on.
    pub fn powered(&self) -> bool {
        self.powered
    }

    /// Power comes back (a reset): the contents stay; a cut that happened is spent, one still
    /// ahead stays planned.
    pub fn power_on(&mut self) {
        self.powered = true;
        if self.cut.is_some_and(|c| c.at < self.ops) {
            self.cut = None;
        }
    }

    /// The contents.
    pub fn memory(&self) -> &M {
        &self.mem
    }

    /// The contents, giving up the simulation.
    pub fn into_memory(self) -> M {
        self.mem
    }

    /// Counts an operation; `Some(torn)` when power goes at this one.
    fn operation(&mut self) -> Result<Option<bool>, FlashFault> {
        if !self.powered {
            return Err(FlashFault::PowerLost);
        }
        let n = self.ops;
        self.ops += 1;
        match self.cut {
            Some(cut) if cut.at == n => {
                self.powered = false;
                Ok(Some(cut.torn))
            }
            _ => Ok(None),
        }
    }

    fn check(&self, offset: u32, len: usize, unit: usize) -> Result<usize, FlashFault> {
        let start = offset as usize;
        if !start.is_multiple_of(unit) || !len.is_multiple_of(unit) {
            return Err(FlashFault::NotAligned);
        }
        match start.checked_add(len) {
            Some(end) if end <= self.mem.bytes().len() => Ok(start),
            _ => Err(FlashFault::OutOfBounds),
        }
    }
}

impl<M: Memory> ErrorType for NorSim<M> {
    type Error = FlashFault;
}

impl<M: Memory> ReadNorFlash for NorSim<M> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashFault> {
        if !self.powered {
            return Err(FlashFault::PowerLost);
        }
        let start = self.check(offset, bytes.len(), 1)?;
        let src = self
            .mem
            .bytes()
            .get(start..start + bytes.len())
            .ok_or(FlashFault::OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.mem.bytes().len()
    }
}

impl<M: Memory> NorFlash for NorSim<M> {
    const WRITE_SIZE: usize = WRITE_SIZE;
    const ERASE_SIZE: usize = SECTOR_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashFault> {
        let len = to.checked_sub(from).ok_or(FlashFault::OutOfBounds)? as usize;
        let start = self.check(from, len, SECTOR_SIZE)?;
        let torn = self.operation()?;
        let done = match torn {
            None => len,
            Some(true) => len / 2,
            Some(false) => 0,
        };
        let bytes = self
            .mem
            .bytes_mut()
            .get_mut(start..start + done)
            .ok_or(FlashFault::OutOfBounds)?;
        bytes.fill(ERASED);
        self.mem.sync(start, done)?;
        if torn.is_some() {
            return Err(FlashFault::PowerLost);
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashFault> {
        if !self.powered {
            return Err(FlashFault::PowerLost);
        }
        let start = self.check(offset, data.len(), WRITE_SIZE)?;
        let current = self
            .mem
            .bytes()
            .get(start..start + data.len())
            .ok_or(FlashFault::OutOfBounds)?;
        if let Some(i) = current
            .iter()
            .zip(data)
            .position(|(old, new)| new & !old != 0)
        {
            return Err(FlashFault::SetsBits {
                offset: offset + i as u32,
            });
        }
        let torn = self.operation()?;
        let done = match torn {
            None => data.len(),
            Some(true) => data.len() / 2,
            Some(false) => 0,
        };
        let target = self
            .mem
            .bytes_mut()
            .get_mut(start..start + done)
            .ok_or(FlashFault::OutOfBounds)?;
        for (old, new) in target.iter_mut().zip(data) {
            *old &= new;
        }
        self.mem.sync(start, done)?;
        if torn.is_some() {
            return Err(FlashFault::PowerLost);
        }
        Ok(())
    }
}

/// A simulated flash laid out as `layout` with a factory image of `version` in ACTIVE, signed
/// with the bundled development key: a device to try the update flow on a host. A product's
/// production line writes its own image, signed with its own key.
#[cfg(all(any(test, feature = "std"), feature = "mcuboot"))]
pub fn dev_flash(
    layout: &crate::Layout,
    version: crate::Version,
) -> Result<NorSim<std::vec::Vec<u8>>, std::string::String> {
    let key = crate::keys::signing_key_from_pem(crate::keys::DEV_PRIVATE_KEY_PEM)?;
    let body: std::vec::Vec<u8> = (0..4096u32).map(|i| (i * 31 % 251) as u8).collect();
    let image = crate::mcuboot::sign(&body, version, &key);
    let mut flash =
        NorSim::new(std::vec![ERASED; layout.size() as usize]).map_err(|e| std::format!("{e}"))?;
    crate::slot::provision(&mut flash, layout, &image).map_err(|e| std::format!("{e:?}"))?;
    Ok(flash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    fn flash(sectors: usize) -> NorSim<vec::Vec<u8>> {
        NorSim::new(vec![ERASED; sectors * SECTOR_SIZE]).unwrap()
    }

    #[test]
    fn writes_clear_bits_and_only_erase_sets_them() {
        let mut f = flash(2);
        f.write(4, &[0x0F, 0xF0, 0x00, 0xAA]).unwrap();
        // Clearing more bits of programmed bytes is allowed.
        f.write(4, &[0x0E, 0x00, 0x00, 0x0A]).unwrap();
        let mut got = [0; 4];
        f.read(4, &mut got).unwrap();
        assert_eq!(got, [0x0E, 0x00, 0x00, 0x0A]);
        // Setting one back is not, and nothing is written.
        assert_eq!(
            f.write(4, &[0x0E, 0x01, 0x00, 0x0A]),
            Err(FlashFault::SetsBits { offset: 5 })
        );
        f.erase(0, SECTOR_SIZE as u32).unwrap();
        f.read(4, &mut got).unwrap();
        assert_eq!(got, [ERASED; 4]);
        assert_eq!(
            f.ops(),
            3,
            "two writes and an erase; the refused write is not done"
        );
    }

    #[test]
    fn alignment_and_bounds_are_checked() {
        let mut f = flash(1);
        assert_eq!(f.write(2, &[0; 4]), Err(FlashFault::NotAligned));
        assert_eq!(f.write(0, &[0; 3]), Err(FlashFault::NotAligned));
        assert_eq!(f.erase(0, 100), Err(FlashFault::NotAligned));
        assert_eq!(
            f.write(SECTOR_SIZE as u32, &[0; 4]),
            Err(FlashFault::OutOfBounds)
        );
        assert_eq!(
            f.erase(0, 2 * SECTOR_SIZE as u32),
            Err(FlashFault::OutOfBounds)
        );
        assert_eq!(f.erase(SECTOR_SIZE as u32, 0), Err(FlashFault::OutOfBounds));
        let mut b = [0; 2];
        assert_eq!(
            f.read(SECTOR_SIZE as u32 - 1, &mut b),
            Err(FlashFault::OutOfBounds)
        );
        assert!(NorSim::new(vec![0u8; 100]).is_err(), "not whole sectors");
    }

    #[test]
    fn power_cuts_stop_everything_and_tear_the_operation_they_hit() {
        let mut f = flash(1);
        f.set_power_cut(Some(PowerCut { at: 1, torn: true }));
        f.write(0, &[0; 8]).unwrap();
        assert_eq!(f.write(8, &[0; 8]), Err(FlashFault::PowerLost));
        assert!(!f.powered());
        let mut b = [0xAA; 16];
        assert_eq!(f.read(0, &mut b), Err(FlashFault::PowerLost));
        f.power_on();
        f.read(0, &mut b).unwrap();
        assert_eq!(b[..12], [0; 12], "the torn write programmed its first half");
        assert_eq!(b[12..], [ERASED; 4]);

        f.set_power_cut(Some(PowerCut { at: 2, torn: false }));
        assert_eq!(f.erase(0, SECTOR_SIZE as u32), Err(FlashFault::PowerLost));
        f.power_on();
        f.read(0, &mut b).unwrap();
        assert_eq!(b[..12], [0; 12], "a clean cut does nothing");
        assert_eq!(f.ops(), 3);

        f.set_power_cut(Some(PowerCut { at: 3, torn: true }));
        assert_eq!(f.erase(0, SECTOR_SIZE as u32), Err(FlashFault::PowerLost));
        f.power_on();
        let mut all = vec![0; SECTOR_SIZE];
        f.read(0, &mut all).unwrap();
        assert!(all[..SECTOR_SIZE / 2].iter().all(|&b| b == ERASED));
        assert_eq!(all[..12], [ERASED; 12]);
    }
}
