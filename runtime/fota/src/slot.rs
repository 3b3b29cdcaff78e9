//! The download slot: packages stream into DFU sector by sector, each sector erased just before
//! its first write; the image's claim is checked as soon as its header arrives (not an image,
//! too big or a downgrade are refused at the first block); the whole image is verified before
//! Downloaded and again before the install, in steps of a bounded number of bytes
//! ([`Slot::step`]) so that the caller can spread them over its polls; the bootloader then
//! swaps it in on trial.
//!
//! Progress is recorded per sector, so a download resumes after a reboot from the last whole
//! sector; the install record names the image going in and the one it replaces, so the next
//! boot can tell what happened.

use embedded_storage::nor_flash::{NorFlash, NorFlashError, NorFlashErrorKind};

use crate::boot::{BootError, BootState, Bootloader};
use crate::error::FotaError;
use crate::image::{Claim, ImageError, ImageInfo, Verifier};
use crate::layout::Layout;
use crate::records::{Install, Records};

/// The largest program unit (`NorFlash::WRITE_SIZE`) the slot buffers.
pub const MAX_WRITE_SIZE: usize = 32;

/// What [`Slot::open`] found at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boot {
    /// What the bootloader did.
    pub state: BootState,
    /// The install under way before this boot, if any.
    pub install: Option<Install>,
}

/// The download slot, the running image, the bootloader and the records, over one flash.
pub struct Slot<F, V: Verifier, B> {
    flash: F,
    layout: Layout,
    verifier: V,
    bootloader: B,
    records: Records,
    running: ImageInfo,
    /// Bytes of the package programmed into DFU.
    flushed: u32,
    /// Package bytes after `flushed` that do not fill a program unit yet.
    tail: heapless::Vec<u8, MAX_WRITE_SIZE>,
    /// DFU below this offset has been erased for the current package.
    erased: u32,
    /// The progress last stored in the records.
    recorded: u32,
    claim: Option<Claim>,
    verified: Option<ImageInfo>,
    /// The check under way, begun by [`Slot::finish`] or [`Slot::begin_install`].
    checking: Option<Checking<V::Check>>,
    last_error: Option<ImageError>,
}

/// What a check is for: what [`Slot::step`] does once the image verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// The package just arrived: it becomes the verified package.
    Download,
    /// The package is about to be installed: it is recorded and scheduled.
    Install,
}

/// A check of the package under way, of its first `len` bytes.
struct Checking<C> {
    check: C,
    len: u32,
    purpose: Purpose,
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Slot<F, V, B> {
    /// Opens the slot at boot: asks the bootloader what it did, verifies the image that runs,
    /// and picks up the download progress and the install record of the previous run. Hands
    /// the flash back with the error when nothing can run.
    pub fn open(
        mut flash: F,
        layout: Layout,
        verifier: V,
        mut bootloader: B,
    ) -> Result<(Self, Boot), (F, BootError)> {
        const {
            assert!(
                F::WRITE_SIZE <= MAX_WRITE_SIZE,
                "the flash's program unit is too large"
            )
        };
        let records = Records::new(layout.records.clone());
        let found = (|| {
            let state = bootloader.state(&mut flash)?;
            let capacity = layout.image_capacity();
            let running = verify_at(
                &mut flash,
                &verifier,
                layout.active.start,
                capacity,
                capacity,
            )
            .map_err(BootError::NoValidImage)?;
            let install = records
                .install(&mut flash)
                .map_err(|_| BootError::Records)?;
            let progress = records
                .progress(&mut flash)
                .map_err(|_| BootError::Records)?;
            Ok((running, Boot { state, install }, progress.min(capacity)))
        })();
        let (running, boot, progress) = match found {
            Ok(found) => found,
            Err(e) => return Err((flash, e)),
        };
        let sector = F::ERASE_SIZE as u32;
        let mut slot = Self {
            flash,
            layout,
            verifier,
            bootloader,
            records,
            running,
            flushed: progress,
            tail: heapless::Vec::new(),
            erased: progress.next_multiple_of(sector),
            recorded: progress,
            claim: None,
            verified: None,
            checking: None,
            last_error: None,
        };
        if progress >= V::HEADER_LEN as u32 {
            // A resumed download: its header was checked before the reboot; read its claim
            // again (a failure shows again when the download finishes).
            slot.claim = slot.read_claim().ok();
        }
        Ok((slot, boot))
    }

    /// The running image.
    pub fn running(&self) -> &ImageInfo {
        &self.running
    }

    /// Reads the running image's body from `offset` into `buf` (a self-test looks there).
    pub fn read_running_body(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FotaError> {
        let at = self
            .layout
            .active
            .start
            .checked_add(self.running.body)
            .and_then(|a| a.checked_add(offset))
            .ok_or(FotaError::UpdateFailed)?;
        self.flash
            .read(at, buf)
            .map_err(|_| FotaError::UpdateFailed)
    }

    /// The verified package in the slot, when there is one.
    pub fn verified(&self) -> Option<&ImageInfo> {
        self.verified.as_ref()
    }

    /// The records partition.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The flash (tests look at its simulated power).
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Gives the flash back (a reboot starts over from it).
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The last image problem met, for a log.
    pub fn take_last_error(&mut self) -> Option<ImageError> {
        self.last_error.take()
    }

    /// Bytes the slot holds.
    pub fn capacity(&self) -> u32 {
        self.layout.image_capacity()
    }

    /// Bytes of the package stored so far and known to be intact: a download resumes here.
    pub fn written(&self) -> u32 {
        self.flushed
    }

    /// Prepares the slot for a new package of `size` bytes when known.
    pub fn begin(&mut self, size: Option<u32>) -> Result<(), FotaError> {
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
        self.claim = None;
        self.verified = None;
        self.checking = None;
        self.record_progress(0)
    }

    /// Stores `data` at `offset` of the package. Offsets arrive in order; bytes already
    /// stored (a resumed or repeated block) are skipped, a gap is refused.
    pub fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FotaError> {
        let end = self.flushed + self.tail.len() as u32;
        if offset > end {
            return Err(FotaError::Integrity);
        }
        let skip = (end - offset) as usize;
        let Some(mut data) = data.get(skip..) else {
            return Ok(());
        };
        let unit = F::WRITE_SIZE;
        if !self.tail.is_empty() {
            let n = (unit - self.tail.len()).min(data.len());
            let (head, rest) = data.split_at(n);
            self.tail
                .extend_from_slice(head)
                .map_err(|_| FotaError::NoRam)?;
            data = rest;
            if self.tail.len() == unit {
                let word = self.tail.clone();
                self.program(self.flushed, &word)?;
                self.flushed += unit as u32;
                self.tail.clear();
            }
        }
        let whole = data.len() / unit * unit;
        let (words, rest) = data.split_at(whole);
        self.program(self.flushed, words)?;
        self.flushed += whole as u32;
        self.tail
            .extend_from_slice(rest)
            .map_err(|_| FotaError::NoRam)?;
        if self.claim.is_none() && self.flushed >= V::HEADER_LEN as u32 {
            self.check_claim()?;
        }
        let sector = F::ERASE_SIZE as u32;
        self.record_progress(self.flushed / sector * sector)
    }

    /// The package is complete: flushes its last bytes and begins verifying it; each
    /// [`Slot::step`] then advances the check, and the last one makes it the verified package.
    pub fn finish(&mut self) -> Result<(), FotaError> {
        let len = self.flushed + self.tail.len() as u32;
        if !self.tail.is_empty() {
            let mut word = [0xFFu8; MAX_WRITE_SIZE];
            let word = word.get_mut(..F::WRITE_SIZE).ok_or(FotaError::NoSpace)?;
            word.get_mut(..self.tail.len())
                .ok_or(FotaError::NoSpace)?
                .copy_from_slice(&self.tail);
            self.program(self.flushed, word)?;
            self.flushed += F::WRITE_SIZE as u32;
            self.tail.clear();
        }
        self.begin_check(len, Purpose::Download)
    }

    /// Begins installing the verified package: it is verified again (the slot may have
    /// changed, or the device rebooted, since), step by step; the last [`Slot::step`] records
    /// the install and asks the bootloader to swap it in at the next reset.
    pub fn begin_install(&mut self) -> Result<(), FotaError> {
        let len = match self.verified {
            Some(v) => v.len,
            None => self.recorded,
        };
        self.begin_check(len, Purpose::Install)
    }

    /// Whether a check begun by [`Slot::finish`] or [`Slot::begin_install`] is under way.
    pub fn checking(&self) -> bool {
        self.checking.is_some()
    }

    /// Advances the check under way: hashes at most `budget` bytes of the package, or checks
    /// its signature. `Ok(None)` while more remains; the image once the check is over and what
    /// it was for is done (Downloaded: the package is the verified one; an install: it is
    /// recorded and scheduled). An install that fails reports [`FotaError::Integrity`] when
    /// the package no longer verifies, [`FotaError::UpdateFailed`] otherwise.
    pub fn step(&mut self, budget: u32) -> Result<Option<ImageInfo>, FotaError> {
        let Some(checking) = self.checking.as_mut() else {
            return Err(FotaError::UpdateFailed);
        };
        let (len, purpose) = (checking.len, checking.purpose);
        let stepped = {
            let mut read = reader(&mut self.flash, self.layout.dfu.start, len);
            self.verifier.step(&mut checking.check, &mut read, budget)
        };
        let done = match stepped {
            Ok(None) => return Ok(None),
            Ok(Some(info)) => {
                self.checking = None;
                self.not_older(&info.version).map(|()| info)
            }
            Err(e) => {
                self.checking = None;
                Err(self.fail(e))
            }
        };
        let info = match purpose {
            Purpose::Download => {
                let info = done?;
                self.record_progress(len)?;
                self.verified = Some(info);
                info
            }
            Purpose::Install => {
                let info = done.map_err(|e| match e {
                    FotaError::Integrity => FotaError::Integrity,
                    _ => FotaError::UpdateFailed,
                })?;
                self.schedule(&info)?;
                info
            }
        };
        Ok(Some(info))
    }

    /// Records the install of `info` and asks the bootloader to swap it in at the next reset.
    fn schedule(&mut self, info: &ImageInfo) -> Result<(), FotaError> {
        let install = Install {
            new: info.digest,
            old: self.running.digest,
        };
        self.records
            .set_install(&mut self.flash, Some(&install))
            .map_err(|_| FotaError::UpdateFailed)?;
        self.bootloader
            .schedule(&mut self.flash)
            .map_err(|_| FotaError::UpdateFailed)
    }

    fn begin_check(&mut self, len: u32, purpose: Purpose) -> Result<(), FotaError> {
        self.checking = None;
        let capacity = self.layout.image_capacity();
        let begun = {
            let mut read = reader(&mut self.flash, self.layout.dfu.start, len);
            self.verifier.begin(&mut read, len, capacity)
        };
        let check = begun.map_err(|e| {
            let e = self.fail(e);
            match (purpose, e) {
                (Purpose::Install, e) if e != FotaError::Integrity => FotaError::UpdateFailed,
                (_, e) => e,
            }
        })?;
        self.checking = Some(Checking {
            check,
            len,
            purpose,
        });
        Ok(())
    }

    /// Abandons the package: its first sector is erased, so no stale header can pass for a
    /// package, and the progress is cleared.
    pub fn cancel(&mut self) -> Result<(), FotaError> {
        self.verified = None;
        self.checking = None;
        self.tail.clear();
        self.flushed = 0;
        self.erased = 0;
        self.claim = None;
        let start = self.layout.dfu.start;
        self.flash
            .erase(start, start + F::ERASE_SIZE as u32)
            .map_err(|_| FotaError::UpdateFailed)?;
        self.record_progress(0).map_err(|_| FotaError::UpdateFailed)
    }

    /// The new image passed its self-test: keep it.
    pub fn confirm(&mut self) -> Result<(), BootError> {
        self.bootloader.confirm(&mut self.flash)
    }

    /// Clears the install record once its outcome is reported.
    pub fn clear_install(&mut self) -> Result<(), BootError> {
        self.records
            .set_install(&mut self.flash, None)
            .map_err(|_| BootError::Records)
    }

    fn fail(&mut self, e: ImageError) -> FotaError {
        self.last_error = Some(e);
        FotaError::from(e)
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

    /// Programs whole units at `at` (DFU-relative), erasing each sector before its first
    /// write.
    fn program(&mut self, at: u32, data: &[u8]) -> Result<(), FotaError> {
        let end = at
            .checked_add(data.len() as u32)
            .filter(|&end| end <= self.layout.image_capacity())
            .ok_or(FotaError::NoSpace)?;
        let sector = F::ERASE_SIZE as u32;
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

    fn read_claim(&mut self) -> Result<Claim, FotaError> {
        let mut head = [0u8; 64];
        let head = head
            .get_mut(..V::HEADER_LEN)
            .ok_or(FotaError::UnsupportedPackage)?;
        self.flash
            .read(self.layout.dfu.start, head)
            .map_err(|_| FotaError::NoSpace)?;
        self.verifier.claim(head).map_err(|e| self.fail(e))
    }

    fn check_claim(&mut self) -> Result<(), FotaError> {
        let claim = self.read_claim()?;
        let capacity = self.layout.image_capacity();
        if let Some(declared) = claim.declared
            && declared > capacity
        {
            return Err(self.fail(ImageError::TooLarge { declared, capacity }));
        }
        self.not_older(&claim.version)?;
        self.claim = Some(claim);
        Ok(())
    }

    /// Anti-rollback: a package older than the running image is refused (the build number
    /// does not count, as in MCUboot).
    fn not_older(&mut self, offered: &crate::image::Version) -> Result<(), FotaError> {
        let running = self.running.version;
        if offered.release() < running.release() {
            return Err(self.fail(ImageError::Downgrade {
                running,
                offered: *offered,
            }));
        }
        Ok(())
    }
}

/// Reads the first `len` bytes of the image at `base` of the flash; nothing beyond.
fn reader<F: NorFlash>(
    flash: &mut F,
    base: u32,
    len: u32,
) -> impl FnMut(u32, &mut [u8]) -> Result<(), ImageError> + '_ {
    move |at: u32, buf: &mut [u8]| {
        let end = at
            .checked_add(buf.len() as u32)
            .ok_or(ImageError::Truncated)?;
        if end > len {
            return Err(ImageError::Truncated);
        }
        flash.read(base + at, buf).map_err(|_| ImageError::Read)
    }
}

/// Verifies the image at `base` of the flash at once, reading at most `len` bytes.
fn verify_at<F: NorFlash, V: Verifier>(
    flash: &mut F,
    verifier: &V,
    base: u32,
    len: u32,
    capacity: u32,
) -> Result<ImageInfo, ImageError> {
    verifier.verify(&mut reader(flash, base, len), len, capacity)
}

/// Writes a factory image into ACTIVE and erases everything else: what a production line does
/// before the first boot.
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
    let unit = F::WRITE_SIZE;
    let whole = image.len() / unit * unit;
    let (words, rest) = image.split_at(whole);
    flash.write(layout.active.start, words).map_err(flash_err)?;
    if !rest.is_empty() {
        let mut word = [0xFFu8; MAX_WRITE_SIZE];
        let word = word.get_mut(..unit).ok_or(ProvisionError::TooLarge)?;
        word.get_mut(..rest.len())
            .ok_or(ProvisionError::TooLarge)?
            .copy_from_slice(rest);
        flash
            .write(layout.active.start + whole as u32, word)
            .map_err(flash_err)?;
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
