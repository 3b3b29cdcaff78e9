//! The bootloader seen from the application: what it did at this boot, and the two requests
//! the update agent makes of it (try the new image on the next boot; keep the running one).

use core::fmt;

use embedded_storage::nor_flash::{NorFlash, NorFlashErrorKind};

/// What the bootloader did before this boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BootState {
    /// Nothing: the running image is confirmed.
    Boot,
    /// It swapped a new image in, which runs on trial until confirmed.
    Swapped,
    /// The image on trial was not confirmed: the previous one is back.
    Reverted,
}

impl BootState {
    /// The variant's name, as `Debug` writes it (for a log without core's formatting).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Boot => "Boot",
            Self::Swapped => "Swapped",
            Self::Reverted => "Reverted",
        }
    }
}

/// Why the bootloader's state could not be read or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BootError {
    /// The flash failed (or lost power).
    Flash(NorFlashErrorKind),
    /// The bootloader's state partition holds something it does not understand.
    BadState,
    /// The running image does not verify: nothing can run.
    NoValidImage(crate::image::ImageError),
    /// The agent's records could not be read.
    Records,
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flash(kind) => write!(f, "flash error during boot: {kind:?}"),
            Self::BadState => f.write_str("the bootloader state is not valid"),
            Self::NoValidImage(e) => write!(f, "no valid image in ACTIVE: {e}"),
            Self::Records => f.write_str("the update agent's records could not be read"),
        }
    }
}

impl core::error::Error for BootError {}

/// By hand: embedded-storage's `NorFlashErrorKind` has no `defmt::Format`.
#[cfg(feature = "defmt")]
impl defmt::Format for BootError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::Flash(kind) => {
                let kind = match kind {
                    NorFlashErrorKind::NotAligned => "not aligned",
                    NorFlashErrorKind::OutOfBounds => "out of bounds",
                    _ => "other",
                };
                defmt::write!(f, "flash error during boot: {}", kind);
            }
            Self::BadState => defmt::write!(f, "the bootloader state is not valid"),
            Self::NoValidImage(e) => defmt::write!(f, "no valid image in ACTIVE: {}", e),
            Self::Records => defmt::write!(f, "the update agent's records could not be read"),
        }
    }
}

/// A bootloader that swaps a downloaded image in on trial and reverts it unless confirmed
/// (MCUboot's and embassy-boot's model). [`crate::embassy::EmbassyBoot`] (with the
/// `embassy-boot` feature) implements it.
pub trait Bootloader<F: NorFlash> {
    /// What the bootloader did before this boot.
    fn state(&mut self, flash: &mut F) -> Result<BootState, BootError>;

    /// Boot the image in the download slot on trial at the next reset.
    fn schedule(&mut self, flash: &mut F) -> Result<(), BootError>;

    /// Keep the running image: no revert at the next reset.
    fn confirm(&mut self, flash: &mut F) -> Result<(), BootError>;
}
