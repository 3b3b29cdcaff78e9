//! Where things live in the flash.
//!
//! ```text
//! | BOOT STATE | RECORDS | ACTIVE          | DFU                  |
//! | 1 sector   | n >= 2  | the running one | ACTIVE + 1 sector    |
//! ```
//!
//! BOOT STATE is embassy-boot's state partition (swap magic and progress). RECORDS is a
//! sequential-storage map holding what the update agent persists (the /5 snapshot, download progress,
//! the install record). ACTIVE holds the running image; DFU the downloaded one, one sector
//! larger because embassy-boot's swap needs a spare page.

use core::ops::Range;

/// The partitions of one flash, in bytes from its start.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// embassy-boot's state partition.
    pub boot_state: Range<u32>,
    /// The persisted records.
    pub records: Range<u32>,
    /// The running image.
    pub active: Range<u32>,
    /// The download slot.
    pub dfu: Range<u32>,
}

impl Layout {
    /// A layout from the start of a flash whose erase unit is `sector` bytes and whose
    /// program unit is `write` bytes, for images of `active_sectors` sectors, with
    /// `record_sectors` sectors of records. The state partition takes as many sectors as
    /// embassy-boot's swap progress needs (2 + 4 program units per page).
    ///
    /// Panics (at compile time when used in a const) unless there are at least two record
    /// sectors, which sequential-storage needs, and at least one image sector.
    pub const fn new(sector: u32, write: u32, record_sectors: u32, active_sectors: u32) -> Layout {
        assert!(record_sectors >= 2, "sequential-storage needs two sectors");
        assert!(active_sectors >= 1, "an image needs at least one sector");
        assert!(sector > 0 && write > 0 && sector.is_multiple_of(write));
        let progress_bytes = (2 + 4 * active_sectors) * write;
        let state_sectors = progress_bytes.div_ceil(sector);
        let records = state_sectors * sector;
        let active = records + record_sectors * sector;
        let dfu = active + active_sectors * sector;
        let end = dfu + (active_sectors + 1) * sector;
        Layout {
            boot_state: 0..records,
            records: records..active,
            active: active..dfu,
            dfu: dfu..end,
        }
    }

    /// The flash size this layout needs.
    pub const fn size(&self) -> u32 {
        self.dfu.end
    }

    /// The largest image: the size of ACTIVE.
    pub const fn image_capacity(&self) -> u32 {
        self.active.end - self.active.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTOR: u32 = 4096;

    #[test]
    fn partitions_follow_each_other_and_dfu_has_the_spare_sector() {
        let l = Layout::new(SECTOR, 4, 4, 96);
        assert_eq!(l.boot_state, 0..0x1000);
        assert_eq!(l.records, 0x1000..0x5000);
        assert_eq!(l.active, 0x5000..0x65000);
        assert_eq!(l.dfu, 0x65000..0xC6000);
        assert_eq!(l.image_capacity(), 384 * 1024);
        assert_eq!(l.size(), 792 * 1024);
        assert_eq!(
            (l.dfu.end - l.dfu.start) - (l.active.end - l.active.start),
            SECTOR
        );
    }

    #[test]
    fn large_images_get_a_larger_state_partition() {
        assert_eq!(Layout::new(SECTOR, 4, 2, 255).boot_state, 0..SECTOR);
        let l = Layout::new(SECTOR, 4, 2, 300); // 1200 KiB images: 1202 progress words
        assert_eq!(l.boot_state, 0..2 * SECTOR);
        assert_eq!(l.records.start, 2 * SECTOR);
        assert_eq!(l.image_capacity(), 300 * SECTOR);
    }
}
