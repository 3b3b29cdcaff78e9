//! LwM2M Objects 0 (LwM2M Security, v1.2), 1 (LwM2M Server, v1.2), 3 (Device, v1.2),
//! 4 (Connectivity Monitoring, v1.3), 5 (Firmware Update, v1.2) and 9 (Software Management,
//! v1.0) as typed `no_std` Rust, generated at build time by
//! `lwm2m-codegen` from the definitions in `xml/` (written for this project from the facts of
//! the OMA registry).
//!
//! Each object is a module: [`lwm2m_security`], [`lwm2m_server`], [`device`],
//! [`connectivity_monitoring`], [`firmware_update`], [`lwm2m_software_management`]. The state machines of 5 and 9, written as data in
//! `xml/5.machine.toml` and `xml/9.machine.toml`, are their `machine` modules: a handle per
//! state whose methods are the transitions allowed there, so an illegal one does not compile.
//!
//! ```compile_fail,E0599
//! use lwm2m_objects::firmware_update::machine::{Current, Machine};
//! let mut machine = Machine::new();
//! if let Current::Idle(idle) = machine.current() {
//!     idle.start_update(); // Update before anything was downloaded
//! }
//! ```
//!
//! ```
//! use lwm2m_objects::firmware_update::{self, State, UpdateResult, resources};
//! use lwm2m_runtime::{Enumeration, ObjectSpec, ResourceSpec};
//!
//! assert_eq!(firmware_update::ID, 5);
//! assert_eq!(<resources::PackageUri as ResourceSpec>::ID, 1);
//! assert_eq!(State::try_from(2u8), Ok(State::Downloaded));
//! assert_eq!(UpdateResult::IntegrityCheckFailure.value(), 5);
//! let info = firmware_update::Spec::INFO;
//! assert_eq!(info.resource(3).map(|r| r.name), Some("State"));
//! ```
//!
//! Access rules are types: a resource implements `Writable` only if its definition allows
//! Write, so generic code bounded on it refuses read-only resources at compile time.
//!
//! ```compile_fail,E0277
//! fn write<R: lwm2m_runtime::Writable>() {}
//! write::<lwm2m_objects::firmware_update::resources::State>(); // State is read-only
//! ```
//!
//! The resources of LwM2M Security list no operations: only a Bootstrap-Server writes them, so
//! they implement none of the access traits and a regular server cannot reach them.
//!
//! ```compile_fail,E0277
//! fn read<R: lwm2m_runtime::Readable>() {}
//! read::<lwm2m_objects::lwm2m_security::resources::SecretKey>(); // bootstrap only
//! ```
#![no_std]

include!(concat!(env!("OUT_DIR"), "/lwm2m_objects.rs"));
