//! A board that takes firmware updates over LwM2M into NOR flash, the way a product would.
//!
//! * [`flash`]: NOR flash with NOR's rules (erase to `0xFF`, writes only clear bits), in RAM
//!   or in a file, with power cuts (clean or torn) after any operation.
//! * [`layout`]: the partitions: embassy-boot's state, the records, ACTIVE and DFU.
//! * [`image`]: MCUboot images (what `imgtool sign` makes): header, TLVs, SHA-256, key hash and
//!   Ed25519 signature; with `std`, a signer whose images `imgtool verify` accepts.
//! * [`keys`]: the bundled development key pair and PEM key files.
//! * [`records`]: the /5 snapshot, the download progress and the install record, in a
//!   sequential-storage map that survives power cuts.
//! * [`slot`]: the runtime's `FirmwareStorage` over DFU and embassy-boot, and the one table
//!   from image problems to Update Results.
//! * [`board`]: Objects 3, 4 and 5 served by the runtime's client, and the boot-time
//!   reconciliation that keeps /5 honest across reboots and power cuts.
//! * [`host`] (with `std`): the `lwm2m-board` binary: a flash file, UDP, HTTP downloads, and
//!   reboots that re-execute the process.
//!
//! Without the `std` feature the crate is `no_std`; `examples/firmware` builds it for a
//! Cortex-M4F.
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod board;
#[cfg(feature = "std")]
pub mod cli;
pub mod flash;
#[cfg(feature = "std")]
pub mod host;
pub mod image;
pub mod keys;
pub mod layout;
pub mod records;
pub mod slot;

pub use board::{Board, BoardConfig, Notice, Reboot};
pub use flash::{NorSim, PowerCut};
pub use layout::Layout;
pub use slot::{BootError, Bootloader};
