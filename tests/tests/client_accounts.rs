//! Objects 0 and 1 served by `lwm2m-servers` to a management server, and the client following
//! the account they hold: exchange by exchange against the scripted server.

mod accounts;
mod common;

use accounts::*;
use coap_lite::CoapOption;
use common::*;
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::Error;
use lwm2m_runtime::client::{Client, Config, Device, Event, Peer, Security};
use lwm2m_servers::{Accounts, SecurityInstance, ServerInstance};

const SERVER: u16 = 101;
const PSK: [u8; 16] = [0x5e; 16];

/// A device provisioned with a Bootstrap-Server (/0/0) and one server, 101 (/0/1 and
/// /1/0): PSK, lifetime 120 s, default periods 5 s and 60 s, Disable Timeout 30 s.
fn provisioned() -> Accounts<Flash> {
    let mut accounts = blank();
    let bootstrap = SecurityInstance {
        server_uri: "coaps://bs.example:5684".try_into().unwrap(),
        bootstrap_server: true,
        security_mode: SecurityMode::PreSharedKey,
        secret_key: heapless::Vec::from_slice(&[1; 16]).unwrap(),
        ..Default::default()
    };
    accounts.provision(0, &bootstrap, None).unwrap();
    let security = SecurityInstance {
        server_uri: "coaps://lwm2m.example:5684".try_into().unwrap(),
        security_mode: SecurityMode::PreSharedKey,
        public_key_or_identity: heapless::Vec::from_slice(b"dev-1").unwrap(),
        secret_key: heapless::Vec::from_slice(&PSK).unwrap(),
        short_server_id: Some(SERVER),
        ..Default::default()
    };
    let mut server = ServerInstance::new(SERVER, 120);
    server.default_minimum_period = Some(5);
    server.default_maximum_period = Some(60);
    server.disable_timeout = Some(30);
    server.notification_storing = false;
    accounts
        .provision(1, &security, Some((0, &server)))
        .unwrap();
    accounts
}

fn client(accounts: &Accounts<Flash>) -> Harness {
    let account = accounts.account(SERVER).expect("server 101 is provisioned");
    Harness::new(Client::with_account(
        Config::new("dev-1").unwrap(),
        account,
        42,
    ))
}

fn text(h: &mut Harness, device: &mut Device<'_, '_>, path: &str) -> (String, String) {
    let r = h.send(device, Request::new(GET, path));
    (code_str(&r), String::from_utf8(r.payload).unwrap())
}

#[test]
fn the_account_comes_from_0_and_1_matched_by_short_server_id() {
    let accounts = provisioned();
    let account = accounts.account(SERVER).unwrap();
    assert_eq!(account.server_uri.as_str(), "coaps://lwm2m.example:5684");
    match &account.security {
        Security::Psk { identity, key } => {
            assert_eq!(
                (identity.as_slice(), key.expose()),
                (&b"dev-1"[..], &PSK[..])
            );
        }
        other => panic!("PSK expected, got {other:?}"),
    }
    let s = &account.settings;
    assert_eq!(
        (
            s.short_server_id,
            s.lifetime,
            s.default_pmin,
            s.default_pmax
        ),
        (SERVER, 120, 5, Some(60))
    );
    assert_eq!((s.disable_timeout, s.notification_storing), (30, false));
    assert_eq!(s.binding.as_str(), "U");
    // The Communication Retry resources were left out: LwM2M's defaults.
    assert_eq!(
        (
            s.retry.count,
            s.retry.timer_s,
            s.retry.sequence_delay_s,
            s.retry.sequence_count
        ),
        (5, 60, 86_400, 1)
    );
    assert_eq!(accounts.servers().collect::<Vec<_>>(), [SERVER]);
    assert!(
        !format!("{account:?}").contains("94, 94"),
        "the key stays out of Debug"
    );
}

#[test]
fn register_announces_the_provisioned_lifetime_and_leaves_security_out() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        let register = h.register(device);
        assert_eq!(
            strings(&register, CoapOption::UriQuery),
            ["ep=dev-1", "lt=120", "lwm2m=1.1", "b=U"]
        );
        let links = String::from_utf8(register.payload).unwrap();
        assert_eq!(links, r#"</>;rt="oma.lwm2m";ct=112,</1>;ver=1.2,</1/0>"#);
    });
}

#[test]
fn reads_of_1_give_the_provisioned_values() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        for (resource, want) in [
            (0, "101"),
            (1, "120"),
            (2, "5"),
            (3, "60"),
            (5, "30"),
            (6, "0"),
            (7, "U"),
            (17, "5"),
            (18, "60"),
            (19, "86400"),
            (20, "1"),
        ] {
            let got = text(&mut h, device, &format!("/1/0/{resource}"));
            assert_eq!(got, ("2.05".into(), want.into()), "/1/0/{resource}");
        }
        // Optional resources this crate does not keep are not there.
        assert_eq!(text(&mut h, device, "/1/0/10").0, "4.04");
        assert_eq!(text(&mut h, device, "/1/1/1").0, "4.04", "no instance 1");
    });
}

#[test]
fn a_management_server_gets_4_01_for_anything_of_0() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        for request in [
            Request::new(GET, "/0"),
            Request::new(GET, "/0/1"),
            Request::new(GET, "/0/1/5"),
            Request::new(GET, "/0/1/3"),
            Request::new(GET, "/0/7/5"),
            Request::new(GET, "/0/1/5").uint(CoapOption::Observe, 0),
            Request::new(GET, "/0").accept(40),
            Request::new(PUT, "/0/1/5").payload(b"AAAA").format(42),
            Request::new(PUT, "/0/1/0")
                .payload(b"coap://evil")
                .format(0),
            Request::new(PUT, "/0/1/10").query("pmin=1"),
            Request::new(POST, "/0/1/1"),
            Request::new(DELETE, "/0/1"),
        ] {
            let r = h.send(device, request);
            assert_eq!(code_str(&r), "4.01");
            assert!(r.payload.is_empty());
            assert!(r.get_option(CoapOption::Observe).is_none());
        }
    });
    // Nothing changed: the key is the provisioned one.
    assert_eq!(accounts.security(1).unwrap().secret_key.as_slice(), PSK);
}

#[test]
fn writing_the_lifetime_sends_an_update_with_the_new_lt_and_persists_it() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        let r = h.send(device, Request::new(PUT, "/1/0/1").payload(b"90").format(0));
        assert_eq!(code_str(&r), "2.04");
        h.pump(device);
        let update = h.take_server().expect("an Update at once");
        assert_eq!(strings(&update, CoapOption::UriPath), ["rd", "5a3f"]);
        assert_eq!(strings(&update, CoapOption::UriQuery), ["lt=90"]);
        h.reply(device, Peer::Server(SERVER), &update, code(2, 4), |_| {});
        assert_eq!(h.client.account(SERVER).unwrap().settings.lifetime, 90);
        // The next Update is due at three quarters of the new lifetime, without lt.
        assert_eq!(h.client.timeout(), Some(h.now.after(67_500)));
        h.advance(device, 67_500);
        let update = h.take_server().expect("the periodic Update");
        assert!(strings(&update, CoapOption::UriQuery).is_empty());
    });
    // After a reboot the new lifetime is there.
    let flash = accounts.into_flash();
    let accounts = Accounts::load(flash, records()).ok().unwrap();
    assert_eq!(accounts.account(SERVER).unwrap().settings.lifetime, 90);
}

#[test]
fn registration_update_trigger_sends_an_update_at_once() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        h.advance(device, 10_000);
        assert!(h.take_server().is_none(), "nothing due for 90 s");
        let r = h.send(device, Request::new(POST, "/1/0/8"));
        assert_eq!(code_str(&r), "2.04");
        h.pump(device);
        let update = h.take_server().expect("an Update at once");
        assert_eq!(
            (code_of(&update), strings(&update, CoapOption::UriPath)),
            (POST, vec!["rd".to_owned(), "5a3f".to_owned()])
        );
        assert!(strings(&update, CoapOption::UriQuery).is_empty());
        h.reply(device, Peer::Server(SERVER), &update, code(2, 4), |_| {});
        assert!(h.events().contains(&Event::Updated { server: SERVER }));
    });
}

#[test]
fn disable_deregisters_then_registers_again_after_the_disable_timeout() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        let r = h.send(device, Request::new(POST, "/1/0/4"));
        assert_eq!(code_str(&r), "2.04", "the Execute is answered first");
        h.pump(device);
        let deregister = h.take_server().expect("a Deregister");
        assert_eq!(
            (
                code_of(&deregister),
                strings(&deregister, CoapOption::UriPath)
            ),
            (DELETE, vec!["rd".to_owned(), "5a3f".to_owned()])
        );
        h.reply(
            device,
            Peer::Server(SERVER),
            &deregister,
            code(2, 2),
            |_| {},
        );
        assert!(h.events().contains(&Event::Deregistered { server: SERVER }));
        assert!(h.client.is_disabled(SERVER) && !h.client.is_registered());
        // Off: the server's requests go unanswered, nothing goes out.
        let mut read = Request::new(GET, "/1/0/1").0;
        read.header.message_id = 0x7001;
        h.client.handle(
            h.now,
            Peer::Server(SERVER),
            &read.to_bytes().unwrap(),
            device,
        );
        assert!(h.drain(device).is_empty(), "a disabled server is ignored");
        // Disable Timeout 30 s, counted from the Execute.
        assert_eq!(h.client.timeout(), Some(h.now.after(30_000)));
        h.advance(device, 29_999);
        assert!(h.take_server().is_none());
        h.advance(device, 1);
        let register = h.take_server().expect("Register after the timeout");
        assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
        assert!(!h.client.is_disabled(SERVER));
    });
}

#[test]
fn malformed_writes_of_1_are_refused_with_4_00_and_change_nothing() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    let before = accounts.server(0).unwrap();
    serving(&mut accounts, |device| {
        h.register(device);
        for (path, payload, cf, want) in [
            ("/1/0/1", &b"ninety"[..], 0, "4.00"),
            ("/1/0/1", b"-5", 0, "4.00"),
            ("/1/0/1", b"4294967296", 0, "4.00"),
            ("/1/0/7", b"X", 0, "4.00"),
            ("/1/0/7", b"UU", 0, "4.00"),
            ("/1/0/6", b"maybe", 0, "4.00"),
            ("/1/0/0", b"0", 0, "4.05"),
            ("/1/0/0", b"7", 0, "4.05"),
            // One good value (pmin) and one bad (a negative lifetime): all refused.
            (
                "/1/0",
                br#"[{"bn":"/1/0/","n":"2","v":7},{"n":"1","v":-5}]"#,
                110,
                "4.00",
            ),
        ] {
            let r = h.send(device, Request::new(PUT, path).payload(payload).format(cf));
            assert_eq!(
                code_str(&r),
                want,
                "{path} {}",
                String::from_utf8_lossy(payload)
            );
        }
        h.pump(device);
        assert!(h.take_server().is_none(), "no Update: nothing changed");
        assert_eq!(text(&mut h, device, "/1/0/2").1, "5");
    });
    assert_eq!(accounts.server(0), Some(before.clone()));
    // A bootstrap write with a Short Server ID out of 1..65534 is refused the same way.
    let mut bad = before.clone();
    bad.short_server_id = 0;
    let items = bad.items(0).unwrap();
    assert_eq!(accounts.bootstrap_write(&items), Err(Error::BadRequest));
    let mut security = accounts.security(1).unwrap();
    security.short_server_id = Some(65_535);
    assert_eq!(
        accounts.bootstrap_write(&security.items(1).unwrap()),
        Err(Error::BadRequest)
    );
    assert_eq!(accounts.server(0), Some(before.clone()));
    assert_eq!(accounts.security(1).unwrap().short_server_id, Some(SERVER));
}

#[test]
fn default_periods_pace_observations_that_set_none() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        let r = h.send(
            device,
            Request::new(GET, "/1/0/6").uint(CoapOption::Observe, 0),
        );
        assert_eq!(code_str(&r), "2.05");
        // Default Maximum Period 60 s: a notification at 60 s though nothing changed.
        h.advance(device, 59_999);
        assert!(h.take_server().is_none());
        h.advance(device, 1);
        let note = h.take_server().expect("a notification at the default pmax");
        assert_eq!(code_str(&note), "2.05");
        assert_eq!(note.get_token(), r.get_token());
        h.ack_all(device);
        // Default Minimum Period 5 s: a change right after waits 5 s.
        let r = h.send(device, Request::new(PUT, "/1/0/6").payload(b"1").format(0));
        assert_eq!(code_str(&r), "2.04");
        h.pump(device);
        assert!(h.take_server().is_none(), "within the default pmin");
        h.advance(device, 5_000);
        let note = h.take_server().expect("the change, once pmin allows");
        assert_eq!(note.payload, b"1");
    });
}
