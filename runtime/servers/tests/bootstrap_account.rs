//! The Bootstrap-Server's own account stays its, whatever a Bootstrap-Write says: found by
//! the `bootstrap` fuzz target, which turned it into a management account by writing its
//! Bootstrap-Server resource false.

use lwm2m_fota::sim::{ERASED, NorSim, SECTOR_SIZE};
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::Error;
use lwm2m_servers::{Accounts, Records, SecurityInstance};

type Flash = NorSim<Vec<u8>>;

fn records() -> Records {
    Records::new(0..4 * SECTOR_SIZE as u32)
}

fn bootstrap(uri: &str) -> SecurityInstance {
    SecurityInstance {
        server_uri: uri.try_into().unwrap(),
        bootstrap_server: true,
        security_mode: SecurityMode::PreSharedKey,
        public_key_or_identity: heapless::Vec::from_slice(b"bs").unwrap(),
        secret_key: heapless::Vec::from_slice(&[3; 16]).unwrap(),
        ..Default::default()
    }
}

fn fresh() -> Accounts<Flash> {
    let flash = NorSim::new(vec![ERASED; 4 * SECTOR_SIZE]).unwrap();
    let mut accounts = Accounts::load(flash, records()).ok().unwrap();
    accounts
        .provision(0, &bootstrap("coaps://bs.example"), None)
        .unwrap();
    accounts
}

#[test]
fn the_bootstrap_account_cannot_be_written_into_a_management_account() {
    let mut accounts = fresh();
    let mut demoted = bootstrap("coaps://bs.example");
    demoted.bootstrap_server = false;
    demoted.short_server_id = Some(101);
    assert_eq!(
        accounts.provision(0, &demoted, None),
        Err(Error::BadRequest)
    );
    let reloaded = Accounts::load(accounts.into_flash(), records())
        .ok()
        .unwrap();
    let kept = reloaded
        .bootstrap_account()
        .expect("still the Bootstrap-Server's");
    assert_eq!(kept.server_uri.as_str(), "coaps://bs.example");
}

#[test]
fn a_second_bootstrap_account_is_refused_and_the_first_may_change_its_uri() {
    let mut accounts = fresh();
    assert_eq!(
        accounts.provision(2, &bootstrap("coaps://other.example"), None),
        Err(Error::BadRequest)
    );
    assert_eq!(accounts.security(2), None);
    accounts
        .provision(0, &bootstrap("coaps://moved.example"), None)
        .unwrap();
    assert_eq!(
        accounts.bootstrap_account().unwrap().server_uri.as_str(),
        "coaps://moved.example"
    );
}
