//! The LwM2M firmware update agent: what every product that takes firmware over the air
//! needs, as a `no_std` library.
//!
//! * [`FirmwareUpdate`]: Object 5 served through the API generated from `objects/xml/5.xml`,
//!   its State and Update Result moved only along the generated state machine; it streams
//!   pushed packages and PULL downloads into flash, verifies them, installs them, and
//!   reconciles what it finds at boot;
//! * [`FotaDevice`]: the client, Object 3 and Object 5 together: a whole device, with the
//!   product's own objects handed in on each call;
//! * [`image`]: what the agent knows of images whatever their format ([`Version`],
//!   [`ImageError`]), and the [`Verifier`] an image format implements;
//! * [`mcuboot`] (feature `mcuboot`): MCUboot images signed with Ed25519, the verifier most
//!   products use, and [`keys`], the bundled development key;
//! * [`boot`]: the bootloader as the application sees it ([`Bootloader`]);
//!   [`embassy`] (feature `embassy-boot`) implements it over embassy-boot;
//! * [`layout`]: the partitions of the flash;
//! * [`records`]: what the agent persists (the /5 snapshot, download progress, the install
//!   record) in a sequential-storage map that survives power cuts;
//! * [`slot`]: the download slot, streamed into sector by sector and verified;
//! * [`error`]: [`FotaError`], the one table from failures to Update Results and CoAP codes;
//! * [`sim`]: NOR flash that keeps NOR's rules and loses power on demand, for tests and
//!   simulated boards.
#![no_std]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

#[cfg(any(test, feature = "std"))]
extern crate std;

// First, so that its macros are in scope in every module below.
#[macro_use]
mod log;

mod agent;
pub mod boot;
pub mod device;
#[cfg(feature = "embassy-boot")]
pub mod embassy;
pub mod error;
pub mod image;
#[cfg(feature = "mcuboot")]
pub mod keys;
pub mod layout;
#[cfg(feature = "mcuboot")]
pub mod mcuboot;
pub mod records;
pub mod sim;
pub mod slot;

pub use agent::{DEFAULT_VERIFY_STEP, FirmwareUpdate, Notice, Reboot, SelfTest, Settings};
pub use boot::{BootError, BootState, Bootloader};
pub use device::{DeviceConfig, DeviceReboot, FotaDevice, ServerAccounts};
pub use error::FotaError;
pub use image::{ImageError, ImageInfo, Verifier, Version};
pub use layout::Layout;
