//! Power cuts at every flash operation of a provisioning write, the MCUboot simulator way:
//! count the erases and writes of a write that changes an account's /0 and /1 together, then
//! replay it with the power lost at each one (cleanly, and tearing it), reboot, and load. The
//! account must be the old one or the new one, whole: never the new URI with the old key or
//! the old lifetime.

use lwm2m_fota::sim::{ERASED, NorSim, PowerCut, SECTOR_SIZE};
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::client::Account;
use lwm2m_servers::{Accounts, Records, SecurityInstance, ServerInstance};

type Flash = NorSim<Vec<u8>>;

const SERVER: u16 = 7;

fn records() -> Records {
    Records::new(0..2 * SECTOR_SIZE as u32)
}

/// The account's two instances, told apart by `version` in every value that changes.
fn account(version: u8) -> (SecurityInstance, ServerInstance) {
    let security = SecurityInstance {
        server_uri: format!("coaps://v{version}.example:5684")
            .as_str()
            .try_into()
            .unwrap(),
        security_mode: SecurityMode::PreSharedKey,
        public_key_or_identity: heapless::Vec::from_slice(&[b'i', version]).unwrap(),
        secret_key: heapless::Vec::from_slice(&[version; 16]).unwrap(),
        short_server_id: Some(SERVER),
        ..Default::default()
    };
    let mut server = ServerInstance::new(SERVER, 60 + u32::from(version));
    server.default_maximum_period = Some(i64::from(version));
    (security, server)
}

fn provision(accounts: &mut Accounts<Flash>, version: u8) -> Result<(), lwm2m_runtime::Error> {
    let (security, server) = account(version);
    accounts.provision(3, &security, Some((5, &server)))
}

/// A device whose flash saw `history` provisioning writes, the last of version 1.
fn device(history: u8) -> Accounts<Flash> {
    let flash = NorSim::new(vec![ERASED; 2 * SECTOR_SIZE]).unwrap();
    let mut accounts = Accounts::load(flash, records()).ok().unwrap();
    for v in (0..history).map(|i| 100 + i).chain([1]) {
        provision(&mut accounts, v).unwrap();
    }
    accounts
}

fn expected(version: u8) -> Account {
    let mut accounts = device(0);
    provision(&mut accounts, version).unwrap();
    accounts.account(SERVER).unwrap()
}

#[test]
fn a_provisioning_write_cut_at_any_flash_operation_leaves_the_old_account_or_the_new() {
    let (old, new) = (expected(1), expected(2));
    assert_ne!(old, new);
    let mut cuts = 0;
    // Histories of several lengths put the write at several places in the map's pages,
    // some of which make it reclaim a page first.
    for history in [0, 12, 25, 38, 51] {
        let mut clean = device(history);
        let before = clean.flash_mut().ops();
        provision(&mut clean, 2).unwrap();
        let ops = clean.flash_mut().ops() - before;
        assert!(ops >= 1, "the write reaches the flash");
        for at in 0..ops {
            for torn in [false, true] {
                let mut accounts = device(history);
                let start = accounts.flash_mut().ops();
                accounts.flash_mut().set_power_cut(Some(PowerCut {
                    at: start + at,
                    torn,
                }));
                let _ = provision(&mut accounts, 2);
                let mut flash = accounts.into_flash();
                flash.power_on();
                let rebooted = Accounts::load(flash, records()).unwrap_or_else(|(_, e)| {
                    panic!("history {history} cut {at} torn {torn}: {e:?}")
                });
                let got = rebooted.account(SERVER);
                assert!(
                    got.as_ref() == Some(&old) || got.as_ref() == Some(&new),
                    "history {history}, cut at {at} of {ops}, torn {torn}: {got:?}"
                );
                cuts += 1;
            }
        }
    }
    eprintln!("{cuts} power cuts, each leaving a whole account");
}

#[test]
fn a_provisioning_write_outside_the_definitions_never_reaches_the_flash() {
    // A Short Server ID outside 1..65534 is refused before anything changes, in RAM or in
    // flash: the account loads as it was.
    let mut accounts = device(0);
    let (mut security, server) = account(1);
    security.short_server_id = Some(SERVER);
    let good = accounts.account(SERVER).unwrap();
    assert_eq!(good.settings.lifetime, 61);
    let mut server = server;
    server.short_server_id = 0;
    assert_eq!(
        accounts.provision(3, &security, Some((5, &server))),
        Err(lwm2m_runtime::Error::BadRequest),
        "refused before it reaches the flash"
    );
    let flash = accounts.into_flash();
    let accounts = Accounts::load(flash, records()).ok().unwrap();
    assert_eq!(accounts.account(SERVER), Some(good));
}
