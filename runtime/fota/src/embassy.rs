//! [`Bootloader`] over embassy-boot's state partition, in the partitions of a [`Layout`].
//!
//! On a device, embassy-boot's bootloader is its own program: it swaps ACTIVE and DFU at reset
//! when the application asked for it, and reverts an image that did not confirm itself.
//! [`EmbassyBoot::prepare_boot`] runs that step in-process, for simulated boards and tests that
//! reboot a flash without a separate bootloader.

use core::cell::RefCell;
use core::ops::Range;

use embassy_boot::{AlignedBuffer, BlockingFirmwareState, BootLoader, BootLoaderConfig};
use embassy_embedded_hal::flash::partition::BlockingPartition;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_storage::nor_flash::NorFlash;

use crate::boot::{BootError, BootState, Bootloader};
use crate::layout::Layout;

/// embassy-boot's state, in the partitions of `layout`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbassyBoot {
    layout: Layout,
}

type Partition<'a, F> = BlockingPartition<'a, NoopRawMutex, &'a mut F>;

/// The largest program unit embassy-boot's state word is kept in here.
const MAX_WRITE: usize = 32;

impl EmbassyBoot {
    /// The bootloader of a flash laid out as `layout`.
    pub fn new(layout: Layout) -> Self {
        Self { layout }
    }

    /// Runs `f` with embassy-boot's view of the flash: ACTIVE, DFU and its state partition.
    fn partitions<F: NorFlash, R>(
        &self,
        flash: &mut F,
        f: impl FnOnce(Partition<'_, F>, Partition<'_, F>, Partition<'_, F>) -> R,
    ) -> R {
        let shared = Mutex::<NoopRawMutex, _>::new(RefCell::new(flash));
        let part = |r: &Range<u32>| BlockingPartition::new(&shared, r.start, r.end - r.start);
        f(
            part(&self.layout.active),
            part(&self.layout.dfu),
            part(&self.layout.boot_state),
        )
    }

    fn with_state<F: NorFlash, R>(
        &self,
        flash: &mut F,
        f: impl FnOnce(
            &mut BlockingFirmwareState<'_, Partition<'_, F>>,
        ) -> Result<R, embassy_boot::FirmwareUpdaterError>,
    ) -> Result<R, BootError> {
        let mut word = [0u8; MAX_WRITE];
        let word = word.get_mut(..F::WRITE_SIZE).ok_or(BootError::BadState)?;
        self.partitions(flash, |_, _, state| {
            f(&mut BlockingFirmwareState::new(state, word)).map_err(updater_error)
        })
    }

    /// What embassy-boot's bootloader does at reset: swap in a scheduled image, or revert one
    /// that was not confirmed. `page` is scratch space of one erase unit of the flash.
    pub fn prepare_boot<F: NorFlash>(
        &self,
        flash: &mut F,
        page: &mut [u8],
    ) -> Result<(), BootError> {
        self.partitions(flash, |active, dfu, state| {
            BootLoader::new(BootLoaderConfig { active, dfu, state })
                .prepare_boot(page)
                .map(|_| ())
        })
        .map_err(|e| match e {
            embassy_boot::BootError::Flash(kind) => BootError::Flash(kind),
            embassy_boot::BootError::BadMagic => BootError::BadState,
        })
    }

    /// [`EmbassyBoot::prepare_boot`] with its own scratch page of 4 KiB (on the stack).
    pub fn prepare_boot_4k<F: NorFlash>(&self, flash: &mut F) -> Result<(), BootError> {
        let mut page = AlignedBuffer([0u8; 4096]);
        self.prepare_boot(flash, &mut page.0)
    }
}

fn updater_error(e: embassy_boot::FirmwareUpdaterError) -> BootError {
    match e {
        embassy_boot::FirmwareUpdaterError::Flash(kind) => BootError::Flash(kind),
        _ => BootError::BadState,
    }
}

impl<F: NorFlash> Bootloader<F> for EmbassyBoot {
    fn state(&mut self, flash: &mut F) -> Result<BootState, BootError> {
        Ok(match self.with_state(flash, |s| s.get_state())? {
            embassy_boot::State::Swap => BootState::Swapped,
            embassy_boot::State::Revert => BootState::Reverted,
            embassy_boot::State::Boot | embassy_boot::State::DfuDetach => BootState::Boot,
        })
    }

    fn schedule(&mut self, flash: &mut F) -> Result<(), BootError> {
        self.with_state(flash, |s| s.mark_updated())
    }

    fn confirm(&mut self, flash: &mut F) -> Result<(), BootError> {
        self.with_state(flash, |s| s.mark_booted())
    }
}
