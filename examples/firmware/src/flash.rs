//! The board's flash driver: the simulated flash (SSRAM1, see `mps2::sim_flash`) behind the
//! rules of NOR flash, where a product has its MCU's flash driver. A sector erases to 0xFF; a
//! write can only clear bits (each byte becomes `old & new`, as NOR cells do); reads, writes
//! and erases must be aligned and inside the flash.
//!
//! The host's `lwm2m_fota::sim::NorSim` checks more (a write that would need an erase is an
//! error there, to catch the update agent's mistakes) and cuts power on demand; this one is
//! what the chip needs, in a fraction of the code.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash, check_erase, check_read, check_write,
};

/// NOR flash over a region of RAM.
pub struct Flash {
    mem: &'static mut [u8],
}

impl Flash {
    /// The flash over `mem`: whole 4 KiB sectors, or `None`.
    pub fn new(mem: &'static mut [u8]) -> Option<Self> {
        mem.len()
            .is_multiple_of(Self::ERASE_SIZE)
            .then_some(Self { mem })
    }
}

impl ErrorType for Flash {
    type Error = NorFlashErrorKind;
}

impl ReadNorFlash for Flash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        check_read(self, offset, bytes.len())?;
        let from = offset as usize;
        let source = self
            .mem
            .get(from..from + bytes.len())
            .ok_or(NorFlashErrorKind::OutOfBounds)?;
        bytes.copy_from_slice(source);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl NorFlash for Flash {
    /// As `NorSim`'s, so the records and images sit as they do on the host.
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = 4096;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        check_erase(self, from, to)?;
        self.mem
            .get_mut(from as usize..to as usize)
            .ok_or(NorFlashErrorKind::OutOfBounds)?
            .fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        check_write(self, offset, bytes.len())?;
        let from = offset as usize;
        let cells = self
            .mem
            .get_mut(from..from + bytes.len())
            .ok_or(NorFlashErrorKind::OutOfBounds)?;
        for (cell, &byte) in cells.iter_mut().zip(bytes) {
            *cell &= byte;
        }
        Ok(())
    }
}
