//! The download slot and the bootloader: what the /5 state machine drives.
//!
//! [`Slot`] implements the runtime's `FirmwareStorage` over one NOR flash laid out as in
//! [`Layout`]: packages stream into DFU sector by sector (each erased just before its first
//! write), the header is checked as soon as it arrives (not an image, too big, a downgrade are
//! refused at the first block), the whole image is verified before Downloaded and again before
//! the install, and embassy-boot swaps it in on the next boot and reverts it unless the new
//! image confirms itself.

use core::cell::RefCell;

use ed25519_dalek::VerifyingKey;
use embassy_boot::{AlignedBuffer, BlockingFirmwareState, BootLoader, BootLoaderConfig};
use embassy_embedded_hal::flash::partition::BlockingPartition;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_storage::nor_flash::{NorFlash, NorFlashError, NorFlashErrorKind};
use lwm2m_runtime::fota::{FirmwareStorage, FotaError, PackageInfo};

use crate::flash::{ERASED, SECTOR_SIZE, WRITE_SIZE};
use crate::image::{self, HEADER_SIZE, Header, ImageError, Verified, Version};
use crate::layout::Layout;
use crate::records::{Install, RecordError, Records};

/// What the bootloader found at boot (embassy-boot's state after `prepare_boot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bootloader {
    /// Nothing to do: the running image is confirmed.
    Boot,
    /// A new image was swapped in and runs on trial until confirmed.
    Swapped,
    /// The image on trial was not confirmed: the previous one is back.
    Reverted,
}

/// Why the board could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// The flash failed during the bootloader's swap or revert (or power was lost).
    Flash(NorFlashErrorKind),
    /// embassy-boot found a state partition it does not understand.
    BadBootState,
    /// ACTIVE holds no valid image: nothing to run.
    NoValidImage(ImageError),
    /// The records could not be read.
    Records,
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Flash(kind) => write!(f, "flash error during boot: {kind:?}"),
            Self::BadBootState => f.write_str("the bootloader state is not valid"),
            Self::NoValidImage(e) => write!(f, "no valid image in ACTIVE: {e}"),
            Self::Records => f.write_str("the board's records could not be read"),
        }
    }
}

impl From<embassy_boot::BootError> for BootError {
    fn from(e: embassy_boot::BootError) -> Self {
        match e {
            embassy_boot::BootError::Flash(kind) => Self::Flash(kind),
            embassy_boot::BootError::BadMagic => Self::BadBootState,
        }
    }
}

/// What [`Slot::boot`] found besides the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootInfo {
    /// The bootloader's state.
    pub bootloader: Bootloader,
    /// The install under way before this boot, if any.
    pub install: Option<Install>,
}

type Partition<'a, F> = BlockingPartition<'a, NoopRawMutex, &'a mut F>;

/// Runs `f` with embassy-boot's view of the flash: ACTIVE, DFU and its state partition.
fn partitions<F: NorFlash, R>(
    flash: &mut F,
    layout: &Layout,
    f: impl FnOnce(Partition<'_, F>, Partition<'_, F>, Partition<'_, F>) -> R,
) -> R {
    let shared = Mutex::<NoopRawMutex, _>::new(RefCell::new(flash));
    let part =
        |r: &core::ops::Range<u32>| BlockingPartition::new(&shared, r.start, r.end - r.start);
    f(
        part(&layout.active),
        part(&layout.dfu),
        part(&layout.boot_state),
    )
}

fn boot_state<F: NorFlash>(
    flash: &mut F,
    layout: &Layout,
) -> Result<embassy_boot::State, BootError> {
    partitions(flash, layout, |_, _, state| {
        let mut word = [0u8; WRITE_SIZE];
        BlockingFirmwareState::new(state, &mut word)
            .get_state()
            .map_err(updater_error)
    })
}

fn set_boot_state<F: NorFlash>(
    flash: &mut F,
    layout: &Layout,
    updated: bool,
) -> Result<(), BootError> {
    partitions(flash, layout, |_, _, state| {
        let mut word = [0u8; WRITE_SIZE];
        let mut s = BlockingFirmwareState::new(state, &mut word);
        if updated {
            s.mark_updated()
        } else {
            s.mark_booted()
        }
        .map_err(updater_error)
    })
}

fn updater_error(e: embassy_boot::FirmwareUpdaterError) -> BootError {
    match e {
        embassy_boot::FirmwareUpdaterError::Flash(kind) => BootError::Flash(kind),
        _ => BootError::BadBootState,
    }
}

/// The one place that says which Update Result an image or flash problem reports.
///
/// | problem | Update Result |
/// |---|---|
/// | not an MCUboot image, encrypted or compressed, older than the running image | 6 unsupported package type |
/// | larger than the slot | 2 not enough flash |
/// | bad header, truncated, hash, key or signature mismatch | 5 integrity check failure |
/// | the flash fails while the package is written | 2 not enough flash (the only download result for storage) |
/// | the flash fails while installing | 8 update failed (the runtime maps install errors) |
///
/// A downgrade reports 6: the package is authentic and intact (5 would blame the transfer),
/// but this device does not take it, which is what "unsupported package type" tells a server.
pub fn fota_error(e: ImageError) -> FotaError {
    match e {
        ImageError::NotAnImage | ImageError::UnsupportedFlags(_) | ImageError::Downgrade { .. } => {
            FotaError::UnsupportedPackage
        }
        ImageError::TooLarge { .. } => FotaError::NoSpace,
        ImageError::Read => FotaError::NoSpace,
        ImageError::BadHeader(_)
        | ImageError::Truncated
        | ImageError::BadTlvArea
        | ImageError::NoHash
        | ImageError::HashMismatch
        | ImageError::KeyMismatch
        | ImageError::NoSignature
        | ImageError::BadSignature => FotaError::Integrity,
    }
}

/// The download slot, the bootloader and the records, over one flash.
pub struct Slot<F> {
    flash: F,
    layout: Layout,
    key: VerifyingKey,
    records: Records,
    running: Verified,
    /// Bytes of the package programmed into DFU.
    flushed: u32,
    /// Package bytes after `flushed` that do not fill a flash word yet.
    tail: heapless::Vec<u8, WRITE_SIZE>,
    /// DFU below this offset has been erased for the current package.
    erased: u32,
    /// The progress last stored in the records.
    recorded: u32,
    header_checked: bool,
    verified: Option<Verified>,
    last_error: Option<ImageError>,
}

impl<F: NorFlash> Slot<F> {
    /// Boots: lets embassy-boot swap or revert, verifies the image that will run, and picks up
    /// the download progress and install record left by the previous run.
    pub fn boot(
        mut flash: F,
        layout: Layout,
        key: VerifyingKey,
    ) -> Result<(Self, BootInfo), (F, BootError)> {
        match Self::prepare(&mut flash, &layout, &key) {
            Ok((running, info, progress)) => {
                let records = Records::new(layout.records.clone());
                Ok((
                    Self {
                        flash,
                        layout,
                        key,
                        records,
                        running,
                        flushed: progress,
                        tail: heapless::Vec::new(),
                        erased: progress.next_multiple_of(SECTOR_SIZE as u32),
                        recorded: progress,
                        header_checked: progress >= HEADER_SIZE as u32,
                        verified: None,
                        last_error: None,
                    },
                    info,
                ))
            }
            Err(e) => Err((flash, e)),
        }
    }

    fn prepare(
        flash: &mut F,
        layout: &Layout,
        key: &VerifyingKey,
    ) -> Result<(Verified, BootInfo, u32), BootError> {
        let mut buf = AlignedBuffer([0u8; SECTOR_SIZE]);
        partitions(flash, layout, |active, dfu, state| {
            BootLoader::new(BootLoaderConfig { active, dfu, state }).prepare_boot(&mut buf.0)
        })?;
        let bootloader = match boot_state(flash, layout)? {
            embassy_boot::State::Swap => Bootloader::Swapped,
            embassy_boot::State::Revert => Bootloader::Reverted,
            embassy_boot::State::Boot | embassy_boot::State::DfuDetach => Bootloader::Boot,
        };
        let capacity = layout.image_capacity();
        let running = verify_at(flash, layout.active.start, capacity, capacity, key)
            .map_err(BootError::NoValidImage)?;
        let records = Records::new(layout.records.clone());
        let install = records.install(flash).map_err(|_| BootError::Records)?;
        let progress = records.progress(flash).map_err(|_| BootError::Records)?;
        Ok((
            running,
            BootInfo {
                bootloader,
                install,
            },
            progress.min(capacity),
        ))
    }

    /// The running image.
    pub fn running(&self) -> &Verified {
        &self.running
    }

    /// The first bytes of the running image's body, where its self-test looks.
    pub fn running_body_start(&mut self) -> Result<[u8; 64], F::Error> {
        let mut b = [0u8; 64];
        let at = self.layout.active.start + u32::from(self.running.header.hdr_size);
        self.flash.read(at, &mut b)?;
        Ok(b)
    }

    /// The records partition.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The flash, for the records and for tests.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Gives the flash back (a reboot starts over from it).
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The last image problem met, for the board's log.
    pub fn take_last_error(&mut self) -> Option<ImageError> {
        self.last_error.take()
    }

    /// Makes the running image permanent (embassy-boot's `mark_booted`).
    pub fn mark_booted(&mut self) -> Result<(), BootError> {
        set_boot_state(&mut self.flash, &self.layout, false)
    }

    fn fail(&mut self, e: ImageError) -> FotaError {
        self.last_error = Some(e);
        fota_error(e)
    }

    fn record_progress(&mut self, bytes: u32) -> Result<(), FotaError> {
        if bytes != self.recorded {
            self.records
                .set_progress(&mut self.flash, bytes)
                .map_err(|_| FotaError::NoSpace)?;
            self.recorded = bytes;
        }
        Ok(())
    }

    /// Programs whole words at `at` (DFU-relative), erasing each sector before its first write.
    fn program(&mut self, at: u32, data: &[u8]) -> Result<(), FotaError> {
        let end = at
            .checked_add(data.len() as u32)
            .filter(|&end| end <= self.layout.image_capacity())
            .ok_or(FotaError::NoSpace)?;
        let sector = SECTOR_SIZE as u32;
        let mut offset = at;
        let mut rest = data;
        while offset < end {
            if offset >= self.erased {
                let start = offset / sector * sector;
                let abs = self.layout.dfu.start + start;
                self.flash
                    .erase(abs, abs + sector)
                    .map_err(|_| FotaError::NoSpace)?;
                self.erased = start + sector;
            }
            let n = (self.erased.min(end) - offset) as usize;
            let (now, later) = rest.split_at_checked(n).ok_or(FotaError::NoSpace)?;
            self.flash
                .write(self.layout.dfu.start + offset, now)
                .map_err(|_| FotaError::NoSpace)?;
            offset += n as u32;
            rest = later;
        }
        Ok(())
    }

    fn check_header(&mut self) -> Result<(), FotaError> {
        let mut head = [0u8; HEADER_SIZE];
        self.flash
            .read(self.layout.dfu.start, &mut head)
            .map_err(|_| FotaError::NoSpace)?;
        let header = Header::parse(&head).map_err(|e| self.fail(e))?;
        let declared = header
            .hashed_len()
            .ok_or(ImageError::BadHeader("sizes overflow"))
            .map_err(|e| self.fail(e))?;
        let capacity = self.layout.image_capacity();
        if declared > capacity {
            return Err(self.fail(ImageError::TooLarge { declared, capacity }));
        }
        let running = self.running.header.version;
        if header.version.release() < running.release() {
            return Err(self.fail(ImageError::Downgrade {
                running,
                offered: header.version,
            }));
        }
        self.header_checked = true;
        Ok(())
    }

    fn verify_dfu(&mut self, len: u32) -> Result<Verified, FotaError> {
        let capacity = self.layout.image_capacity();
        let v = verify_at(
            &mut self.flash,
            self.layout.dfu.start,
            len,
            capacity,
            &self.key,
        )
        .map_err(|e| self.fail(e))?;
        let running = self.running.header.version;
        if v.header.version.release() < running.release() {
            return Err(self.fail(ImageError::Downgrade {
                running,
                offered: v.header.version,
            }));
        }
        Ok(v)
    }
}

/// Verifies the image at `base` of the flash, reading at most `len` bytes.
fn verify_at<F: NorFlash>(
    flash: &mut F,
    base: u32,
    len: u32,
    capacity: u32,
    key: &VerifyingKey,
) -> Result<Verified, ImageError> {
    let mut read = |at: u32, buf: &mut [u8]| {
        let end = at
            .checked_add(buf.len() as u32)
            .ok_or(ImageError::Truncated)?;
        if end > len {
            return Err(ImageError::Truncated);
        }
        flash.read(base + at, buf).map_err(|_| ImageError::Read)
    };
    image::verify(&mut read, len, capacity, key)
}

impl<F: NorFlash> FirmwareStorage for Slot<F> {
    fn capacity(&self) -> u32 {
        self.layout.image_capacity()
    }

    fn begin(&mut self, size: Option<u32>) -> Result<(), FotaError> {
        if let Some(size) = size
            && size > self.capacity()
        {
            return Err(self.fail(ImageError::TooLarge {
                declared: size,
                capacity: self.capacity(),
            }));
        }
        self.flushed = 0;
        self.tail.clear();
        self.erased = 0;
        self.header_checked = false;
        self.verified = None;
        self.record_progress(0)
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FotaError> {
        let end = self.flushed + self.tail.len() as u32;
        if offset > end {
            return Err(FotaError::Integrity);
        }
        // A resumed download may repeat bytes already here: keep what is new.
        let skip = (end - offset) as usize;
        let Some(mut data) = data.get(skip..) else {
            return Ok(());
        };
        if !self.tail.is_empty() {
            let n = (WRITE_SIZE - self.tail.len()).min(data.len());
            let (head, rest) = data.split_at(n);
            let _ = self.tail.extend_from_slice(head);
            data = rest;
            if self.tail.is_full() {
                let word = self.tail.clone();
                self.program(self.flushed, &word)?;
                self.flushed += WRITE_SIZE as u32;
                self.tail.clear();
            }
        }
        let whole = data.len() / WRITE_SIZE * WRITE_SIZE;
        let (words, rest) = data.split_at(whole);
        self.program(self.flushed, words)?;
        self.flushed += whole as u32;
        let _ = self.tail.extend_from_slice(rest);
        if !self.header_checked && self.flushed >= HEADER_SIZE as u32 {
            self.check_header()?;
        }
        let sector = SECTOR_SIZE as u32;
        self.record_progress(self.flushed / sector * sector)
    }

    fn written(&self) -> u32 {
        self.flushed
    }

    fn finish(&mut self) -> Result<(), FotaError> {
        let len = self.flushed + self.tail.len() as u32;
        if !self.tail.is_empty() {
            let mut word = [ERASED; WRITE_SIZE];
            word.get_mut(..self.tail.len())
                .ok_or(FotaError::NoSpace)?
                .copy_from_slice(&self.tail);
            self.program(self.flushed, &word)?;
            self.flushed += WRITE_SIZE as u32;
            self.tail.clear();
        }
        let v = self.verify_dfu(len)?;
        self.record_progress(len)?;
        self.verified = Some(v);
        Ok(())
    }

    fn install(&mut self) -> Result<(), FotaError> {
        // Verify again: the slot may have been written since (or the board rebooted).
        let len = match self.verified {
            Some(v) => v.len,
            None => self.recorded,
        };
        let v = self.verify_dfu(len).map_err(|_| FotaError::UpdateFailed)?;
        let install = Install {
            new: v.digest,
            old: self.running.digest,
        };
        self.records
            .set_install(&mut self.flash, Some(&install))
            .map_err(|_| FotaError::UpdateFailed)?;
        set_boot_state(&mut self.flash, &self.layout, true).map_err(|_| FotaError::UpdateFailed)
    }

    fn cancel(&mut self) -> Result<(), FotaError> {
        self.verified = None;
        self.tail.clear();
        self.flushed = 0;
        self.erased = 0;
        self.header_checked = false;
        // Erase the first sector so no stale header can pass for a package.
        let start = self.layout.dfu.start;
        self.flash
            .erase(start, start + SECTOR_SIZE as u32)
            .map_err(|_| FotaError::UpdateFailed)?;
        self.record_progress(0).map_err(|_| FotaError::UpdateFailed)
    }

    fn confirm(&mut self) -> Result<(), FotaError> {
        self.mark_booted().map_err(|_| FotaError::UpdateFailed)
    }

    fn package(&self) -> Option<PackageInfo> {
        let v = self.verified?;
        let mut info = PackageInfo {
            name: heapless::String::new(),
            version: heapless::String::new(),
        };
        let _ = info.name.push_str("firmware");
        let _ = core::fmt::write(&mut info.version, format_args!("{}", v.header.version));
        Some(info)
    }
}

/// Writes a factory image into ACTIVE and clears everything else: what a production line
/// does before the first boot.
pub fn provision<F: NorFlash>(
    flash: &mut F,
    layout: &Layout,
    image: &[u8],
) -> Result<(), ProvisionError> {
    if image.len() > layout.image_capacity() as usize {
        return Err(ProvisionError::TooLarge);
    }
    let flash_err = |e: F::Error| ProvisionError::Flash(e.kind());
    flash.erase(0, layout.size()).map_err(flash_err)?;
    let mut at = layout.active.start;
    for chunk in image.chunks(SECTOR_SIZE) {
        let mut word_aligned = [ERASED; SECTOR_SIZE];
        let padded = chunk.len().next_multiple_of(WRITE_SIZE);
        word_aligned
            .get_mut(..chunk.len())
            .ok_or(ProvisionError::TooLarge)?
            .copy_from_slice(chunk);
        flash
            .write(
                at,
                word_aligned.get(..padded).ok_or(ProvisionError::TooLarge)?,
            )
            .map_err(flash_err)?;
        at += padded as u32;
    }
    Ok(())
}

/// Why provisioning failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvisionError {
    /// The image is larger than ACTIVE.
    TooLarge,
    /// The flash failed.
    Flash(NorFlashErrorKind),
}

/// The version an image claims, for messages (without verifying it).
pub fn claimed_version(image: &[u8]) -> Option<Version> {
    Header::parse(image).ok().map(|h| h.version)
}

impl<E> From<RecordError<E>> for BootError {
    fn from(_: RecordError<E>) -> Self {
        Self::Records
    }
}
