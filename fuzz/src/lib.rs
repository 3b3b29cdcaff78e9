//! What the fuzz targets share: a device with Objects 3 and 5, and a firmware storage that
//! checks the runtime keeps its side of the `FirmwareStorage` contract.

use lwm2m_objects::device;
use lwm2m_runtime::fota::{FirmwareStorage, FotaError};
use lwm2m_runtime::{Error, ExecuteArgs, Instances};

/// Object 3 with the mandatory resources.
pub struct Dev;

impl device::Handler for Dev {
    fn execute_reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn read_error_code(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut codes = Instances::new();
        codes.insert(0, 0).map_err(|_| Error::Internal)?;
        Ok(codes)
    }
    fn read_supported_binding_and_modes(
        &mut self,
        _: u16,
    ) -> Result<heapless::String<64>, Error> {
        let mut s = heapless::String::new();
        let _ = s.push_str("U");
        Ok(s)
    }
}

/// A slot that keeps nothing but panics when the runtime breaks the storage contract:
/// writes must arrive in order without gaps, and only between `begin` and `finish`.
#[derive(Default)]
pub struct Slot {
    written: u32,
    open: bool,
}

impl FirmwareStorage for Slot {
    fn capacity(&self) -> u32 {
        64 * 1024
    }
    fn begin(&mut self, _: Option<u32>) -> Result<(), FotaError> {
        self.written = 0;
        self.open = true;
        Ok(())
    }
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FotaError> {
        assert!(self.open, "a write outside a download");
        assert_eq!(offset, self.written, "writes arrive in order without gaps");
        if offset as usize + data.len() > 64 * 1024 {
            return Err(FotaError::NoSpace);
        }
        self.written += data.len() as u32;
        Ok(())
    }
    fn written(&self) -> u32 {
        self.written
    }
    fn finish(&mut self) -> Result<(), FotaError> {
        self.open = false;
        if self.written % 3 == 0 {
            Err(FotaError::Integrity)
        } else {
            Ok(())
        }
    }
    fn install(&mut self) -> Result<(), FotaError> {
        Ok(())
    }
    fn cancel(&mut self) -> Result<(), FotaError> {
        self.open = false;
        self.written = 0;
        Ok(())
    }
    fn confirm(&mut self) -> Result<(), FotaError> {
        Ok(())
    }
}
