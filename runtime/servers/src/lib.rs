//! LwM2M Objects 0 (LwM2M Security) and 1 (LwM2M Server): the accounts a client keeps with
//! its servers, as a `no_std` library.
//!
//! * [`Accounts`]: the Security and Server instances of up to [`MAX_ACCOUNTS`] accounts
//!   (the Bootstrap-Server's included), loaded from flash at boot and persisted an account
//!   per record, so a power cut during a provisioning write leaves the old account or the
//!   new one ([`records`]); [`Accounts::bootstrap_write`] and [`Accounts::bootstrap_delete`]
//!   are how a Bootstrap-Server (through the objects) or the factory provisions them;
//!   [`Accounts::account`] reads one into the client's
//!   [`Account`](lwm2m_runtime::client::Account) (URI and security from /0, settings from
//!   /1, matched by Short Server ID), [`Accounts::bootstrap_account`] the Bootstrap-Server's
//!   into a [`BootstrapAccount`](lwm2m_runtime::client::BootstrapAccount).
//! * [`Accounts::objects`]: the two as the client serves them ([`SecurityObject`],
//!   [`ServerObject`]), through the API generated from `objects/xml/0.xml` and `1.xml`.
//!
//! ```
//! use lwm2m_fota::sim::{ERASED, NorSim, SECTOR_SIZE};
//! use lwm2m_objects::{lwm2m_security::SecurityMode, lwm2m_server};
//! use lwm2m_runtime::client::{Client, Config, Device, Security};
//! use lwm2m_runtime::Object;
//! use lwm2m_servers::{Accounts, Records, SecurityInstance, ServerInstance};
//!
//! let flash = NorSim::new(vec![ERASED; 2 * SECTOR_SIZE]).unwrap();
//! let mut accounts = Accounts::load(flash, Records::new(0..2 * SECTOR_SIZE as u32)).ok().unwrap();
//! // The factory provisions one server: PSK over coaps, lifetime 120 s.
//! let mut security = SecurityInstance::default();
//! security.server_uri = "coaps://lwm2m.example:5684".try_into().unwrap();
//! security.security_mode = SecurityMode::PreSharedKey;
//! security.public_key_or_identity = heapless::Vec::from_slice(b"dev-1").unwrap();
//! security.secret_key = heapless::Vec::from_slice(&[7; 16]).unwrap();
//! security.short_server_id = Some(101);
//! let server = ServerInstance::new(101, 120);
//! accounts.provision(0, &security, Some((0, &server))).unwrap();
//!
//! let account = accounts.account(101).unwrap();
//! assert_eq!(account.settings.lifetime, 120);
//! assert!(matches!(account.security, Security::Psk { .. }));
//! let mut client = Client::with_account(Config::new("dev-1").unwrap(), account, 1);
//! let (mut s0, mut s1) = accounts.objects();
//! let mut objects: [&mut dyn Object; 2] = [&mut s0, &mut s1];
//! client.register(lwm2m_runtime::client::Instant(0), &mut Device::new(&mut objects));
//! ```
#![no_std]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod accounts;
mod objects;
pub mod records;
mod security;
mod server;
mod slots;

pub use accounts::Accounts;
pub use objects::{SecurityHandler, SecurityObject, ServerHandler, ServerObject};
pub use records::{MAX_ACCOUNTS, RecordError, Records};
pub use security::SecurityInstance;
pub use server::ServerInstance;
