//! Where things live in the flash.
//!
//! ```text
//! | BOOT STATE | RECORDS | ACTIVE          | DFU                  |
//! | 1 sector   | n >= 2  | the running one | ACTIVE + 1 sector    |
//! ```
//!
//! BOOT STATE is embassy-boot's state partition (swap magic and progress). RECORDS is a
//! sequential-storage map holding what the board persists (the /5 snapshot, download progress,
//! the install record). ACTIVE holds the running image; DFU the downloaded one, one sector
//! larger because embassy-boot's swap needs a spare page.

use core::ops::Range;

use crate::flash::SECTOR_SIZE;

/// The partitions of one flash, in bytes from its start.
#[derive(Clone, Debug, PartialEq, Eq)]
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

const SECTOR: u32 = SECTOR_SIZE as u32;

impl Layout {
    /// The board's layout: 384 KiB images, 4 record sectors, 792 KiB in all.
    pub const BOARD: Layout = Layout::new(4, 96);

    /// A layout for `active_sectors`-sector images with `record_sectors` record sectors. The
    /// state partition takes as many sectors as embassy-boot's swap progress needs (2 + 4
    /// words per page: one sector up to 255 pages).
    ///
    /// Panics (at compile time when used in a const) unless there are at least two record
    /// sectors, which sequential-storage needs.
    pub const fn new(record_sectors: u32, active_sectors: u32) -> Layout {
        assert!(record_sectors >= 2, "sequential-storage needs two sectors");
        assert!(active_sectors >= 1);
        let progress_bytes = (2 + 4 * active_sectors) * crate::flash::WRITE_SIZE as u32;
        let state_sectors = progress_bytes.div_ceil(SECTOR);
        let records = state_sectors * SECTOR;
        let active = records + record_sectors * SECTOR;
        let dfu = active + active_sectors * SECTOR;
        let end = dfu + (active_sectors + 1) * SECTOR;
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

    #[test]
    fn partitions_follow_each_other_and_dfu_has_the_spare_sector() {
        let l = Layout::BOARD;
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
        assert_eq!(Layout::new(2, 255).boot_state, 0..SECTOR);
        let l = Layout::new(2, 300); // 1200 KiB images: 1202 progress words
        assert_eq!(l.boot_state, 0..2 * SECTOR);
        assert_eq!(l.records.start, 2 * SECTOR);
        assert_eq!(l.image_capacity(), 300 * SECTOR);
    }
}
