//! Objects 0 and 1 (`lwm2m-servers`) on a simulated flash, for the tests of accounts, of
//! bootstrap and of several servers.

#![allow(dead_code, reason = "each test file uses part of it")]

use lwm2m_fota::sim::{ERASED, NorSim, SECTOR_SIZE};
use lwm2m_runtime::Object;
use lwm2m_runtime::client::Device;
use lwm2m_runtime::format::{self, ContentFormat, Items};
use lwm2m_runtime::path::Path;
use lwm2m_servers::{Accounts, Records, SecurityInstance, ServerInstance};

/// The flash the accounts live on.
pub type Flash = NorSim<Vec<u8>>;

/// The accounts' records: four sectors.
pub fn records() -> Records {
    Records::new(0..4 * SECTOR_SIZE as u32)
}

/// Accounts on an erased flash: none yet.
pub fn blank() -> Accounts<Flash> {
    let flash = NorSim::new(vec![ERASED; 4 * SECTOR_SIZE]).unwrap();
    Accounts::load(flash, records()).ok().unwrap()
}

/// Runs `f` with the client serving Objects 0 and 1 of `accounts`.
pub fn serving<R>(accounts: &mut Accounts<Flash>, f: impl FnOnce(&mut Device<'_, '_>) -> R) -> R {
    let (mut security, mut server) = accounts.objects();
    let mut objects: [&mut dyn Object; 2] = [&mut security, &mut server];
    f(&mut Device::new(&mut objects))
}

/// The TLV of Security instance `instance`, as a Bootstrap-Server writes it.
pub fn tlv_security(instance: u16, s: &SecurityInstance) -> Vec<u8> {
    let mut out = Vec::new();
    let base = Path::new(&[0, instance]).unwrap();
    let items = s.items(instance).unwrap();
    format::encode(ContentFormat::Tlv, &base, &mut Items(&items), &mut out).unwrap();
    out
}

/// The TLV of Server instance `instance`.
pub fn tlv_server(instance: u16, s: &ServerInstance) -> Vec<u8> {
    let mut out = Vec::new();
    let base = Path::new(&[1, instance]).unwrap();
    let items = s.items(instance).unwrap();
    format::encode(ContentFormat::Tlv, &base, &mut Items(&items), &mut out).unwrap();
    out
}
