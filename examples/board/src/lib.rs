//! A simulated board that takes firmware updates over LwM2M: glue around the update library
//! (`lwm2m-fota`) for a host.
//!
//! * [`board`]: the library's updatable device with a simulated radio as Object 4, and
//!   embassy-boot's swap run at every power-on;
//! * [`file_flash`]: NOR flash kept in a file, so it survives the process;
//! * [`demo`]: the simulated firmware, whose self-test can be made to fail;
//! * [`host`]: the `lwm2m-board` binary: UDP, HTTP downloads, and reboots that re-execute the
//!   process;
//! * [`logging`]: the board's log on stderr (env_logger), and what it says of datagrams.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod accounts;
pub mod board;
pub mod demo;
pub mod file_flash;
pub mod host;
mod http;
pub mod line;
pub mod logging;
pub mod options;

pub use board::{Board, BoardConfig, Notice, Radio};

/// The board's flash layout: 384 KiB images in 4 KiB sectors, 4 record sectors, 792 KiB in all.
pub const LAYOUT: lwm2m_fota::Layout = lwm2m_fota::Layout::new(
    lwm2m_fota::sim::SECTOR_SIZE as u32,
    lwm2m_fota::sim::WRITE_SIZE as u32,
    4,
    96,
);
