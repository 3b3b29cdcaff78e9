//! What the update agent persists besides the images, in a sequential-storage map.
//!
//! sequential-storage writes each item once into erased flash with a CRC and finds the newest
//! valid one on read, so a record torn by a power cut reads as the one before it. Keys:
//!
//! | key | value |
//! |---|---|
//! | 1 | the /5 snapshot: State, Update Result, Package URI, settings a server wrote, the download's ETag |
//! | 2 | download progress: bytes of the DFU slot known to be intact (little-endian u32) |
//! | 3 | the install record: SHA-256 of the image being installed, then of the one it replaces (64 bytes), or empty when no install is under way |

use core::ops::Range;

use embassy_embedded_hal::adapter::BlockingAsync;
use embassy_futures::block_on;
use embedded_storage::nor_flash::NorFlash;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

/// The largest /5 snapshot the records hold.
pub const SNAPSHOT_MAX: usize = 320;

const SNAPSHOT: u8 = 1;
const PROGRESS: u8 = 2;
const INSTALL: u8 = 3;
/// Large enough for a key and the largest value, rounded up to the flash word.
const BUFFER: usize = 512;

/// An install under way: which image goes in, which one it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Install {
    /// SHA-256 digest of the image being installed.
    pub new: [u8; 32],
    /// SHA-256 digest of the image it replaces.
    pub old: [u8; 32],
}

/// Why a record could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError<E> {
    /// The flash failed (or lost power).
    Flash(E),
    /// The records partition holds data sequential-storage cannot make sense of.
    Corrupted,
    /// Any other sequential-storage error (full, a value of the wrong size).
    Storage,
}

impl<E> From<sequential_storage::Error<E>> for RecordError<E> {
    fn from(e: sequential_storage::Error<E>) -> Self {
        match e {
            sequential_storage::Error::Storage { value, .. } => Self::Flash(value),
            sequential_storage::Error::Corrupted { .. } => Self::Corrupted,
            _ => Self::Storage,
        }
    }
}

/// The records partition.
#[derive(Clone, Debug)]
pub struct Records {
    range: Range<u32>,
}

type Map<'f, F> = MapStorage<u8, BlockingAsync<&'f mut F>, Cache<Uncached, Uncached, Uncached, u8>>;

impl Records {
    /// The records in `range` of the flash.
    pub fn new(range: Range<u32>) -> Self {
        Self { range }
    }

    fn map<'f, F: NorFlash>(&self, flash: &'f mut F) -> Result<Map<'f, F>, RecordError<F::Error>> {
        let config = MapConfig::try_new(self.range.clone()).map_err(|_| RecordError::Storage)?;
        Ok(MapStorage::new(
            BlockingAsync::new(flash),
            config,
            Cache::new_uncached(),
        ))
    }

    fn fetch<F: NorFlash, R>(
        &self,
        flash: &mut F,
        key: u8,
        take: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, RecordError<F::Error>> {
        let mut buf = [0u8; BUFFER];
        let mut map = self.map(flash)?;
        let value: Option<&[u8]> = block_on(map.fetch_item(&mut buf, &key))?;
        Ok(value.map(take))
    }

    fn store<F: NorFlash>(
        &self,
        flash: &mut F,
        key: u8,
        value: &[u8],
    ) -> Result<(), RecordError<F::Error>> {
        let mut buf = [0u8; BUFFER];
        let mut map = self.map(flash)?;
        block_on(map.store_item(&mut buf, &key, &value))?;
        Ok(())
    }

    /// The last /5 snapshot stored.
    pub fn snapshot<F: NorFlash>(
        &self,
        flash: &mut F,
    ) -> Result<Option<heapless::Vec<u8, SNAPSHOT_MAX>>, RecordError<F::Error>> {
        Ok(self
            .fetch(flash, SNAPSHOT, |v| heapless::Vec::from_slice(v).ok())?
            .flatten())
    }

    /// Stores the /5 snapshot.
    pub fn set_snapshot<F: NorFlash>(
        &self,
        flash: &mut F,
        snapshot: &[u8],
    ) -> Result<(), RecordError<F::Error>> {
        self.store(flash, SNAPSHOT, snapshot)
    }

    /// Bytes of the DFU slot known to be intact (0 when never stored).
    pub fn progress<F: NorFlash>(&self, flash: &mut F) -> Result<u32, RecordError<F::Error>> {
        Ok(self
            .fetch(flash, PROGRESS, |v| {
                v.try_into().ok().map(u32::from_le_bytes)
            })?
            .flatten()
            .unwrap_or(0))
    }

    /// Stores the download progress.
    pub fn set_progress<F: NorFlash>(
        &self,
        flash: &mut F,
        bytes: u32,
    ) -> Result<(), RecordError<F::Error>> {
        self.store(flash, PROGRESS, &bytes.to_le_bytes())
    }

    /// The install under way, if any.
    pub fn install<F: NorFlash>(
        &self,
        flash: &mut F,
    ) -> Result<Option<Install>, RecordError<F::Error>> {
        Ok(self
            .fetch(flash, INSTALL, |v| {
                let (new, old) = v.split_at_checked(32)?;
                Some(Install {
                    new: new.try_into().ok()?,
                    old: old.try_into().ok()?,
                })
            })?
            .flatten())
    }

    /// Records an install (or, with `None`, that none is under way).
    pub fn set_install<F: NorFlash>(
        &self,
        flash: &mut F,
        install: Option<&Install>,
    ) -> Result<(), RecordError<F::Error>> {
        let mut value = [0u8; 64];
        let value: &[u8] = match install {
            Some(i) => {
                value[..32].copy_from_slice(&i.new);
                value[32..].copy_from_slice(&i.old);
                &value
            }
            None => &[],
        };
        self.store(flash, INSTALL, value)
    }

    /// Erases every record (a factory reset of the board's state).
    pub fn erase<F: NorFlash>(&self, flash: &mut F) -> Result<(), RecordError<F::Error>> {
        flash
            .erase(self.range.start, self.range.end)
            .map_err(RecordError::Flash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{ERASED, NorSim, PowerCut, SECTOR_SIZE};
    use std::vec;

    fn flash() -> NorSim<vec::Vec<u8>> {
        NorSim::new(vec![ERASED; 3 * SECTOR_SIZE]).unwrap()
    }

    #[test]
    fn records_read_back_and_the_newest_wins() {
        let mut f = flash();
        let r = Records::new(SECTOR_SIZE as u32..3 * SECTOR_SIZE as u32);
        assert_eq!(r.snapshot(&mut f).unwrap(), None);
        assert_eq!(r.progress(&mut f).unwrap(), 0);
        assert_eq!(r.install(&mut f).unwrap(), None);
        r.set_snapshot(&mut f, b"one").unwrap();
        r.set_snapshot(&mut f, b"two!").unwrap();
        r.set_progress(&mut f, 8192).unwrap();
        let install = Install {
            new: [1; 32],
            old: [2; 32],
        };
        r.set_install(&mut f, Some(&install)).unwrap();
        assert_eq!(r.snapshot(&mut f).unwrap().unwrap(), b"two!");
        assert_eq!(r.progress(&mut f).unwrap(), 8192);
        assert_eq!(r.install(&mut f).unwrap(), Some(install));
        r.set_install(&mut f, None).unwrap();
        assert_eq!(r.install(&mut f).unwrap(), None);
        // Many more records than two sectors hold: the map reclaims old pages.
        for i in 0..2000u32 {
            r.set_progress(&mut f, i).unwrap();
        }
        assert_eq!(r.progress(&mut f).unwrap(), 1999);
        assert_eq!(r.snapshot(&mut f).unwrap().unwrap(), b"two!");
    }

    #[test]
    fn a_record_torn_by_a_power_cut_reads_as_the_one_before() {
        let r = Records::new(SECTOR_SIZE as u32..3 * SECTOR_SIZE as u32);
        // Find how many operations one store takes, then cut at each of them.
        let mut f = flash();
        r.set_progress(&mut f, 4096).unwrap();
        let before = f.ops();
        r.set_progress(&mut f, 8192).unwrap();
        let per_store = f.ops() - before;
        assert!(per_store >= 1);
        for at in 0..per_store {
            for torn in [false, true] {
                let mut f = flash();
                r.set_progress(&mut f, 4096).unwrap();
                f.set_power_cut(Some(PowerCut {
                    at: f.ops() + at,
                    torn,
                }));
                assert!(r.set_progress(&mut f, 8192).is_err());
                f.power_on();
                let got = r.progress(&mut f).unwrap();
                assert!(got == 4096 || got == 8192, "cut at {at} torn {torn}: {got}");
            }
        }
    }
}
