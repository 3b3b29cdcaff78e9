//! Client-initiated bootstrap against a scripted Bootstrap-Server, exchange by exchange:
//! the Bootstrap-Request, Delete, Write of /0 and /1, Discover, Read, Finish, then Register
//! with the provisioned server; what is refused while bootstrapping and what is not a
//! usable configuration; the fall-back from a server that cannot be registered with; a
//! Bootstrap-Server that goes silent; the accounts after a reboot.

mod accounts;
mod common;

use accounts::*;
use coap_lite::{CoapOption, MessageType, Packet};
use common::*;
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::client::{
    Client, Config, Device, Event, FINISH_WAIT_MS, Instant, Peer, Security,
};
use lwm2m_servers::{Accounts, SecurityInstance, ServerInstance};

const SERVER: u16 = 101;
const PSK: [u8; 16] = [0x5e; 16];
const BS_URI: &str = "coaps://bs.example:5684";
const TLV: u16 = 11542;
const LINK_FORMAT: u16 = 40;

/// The Bootstrap-Server's own account, /0/0.
fn bootstrap_instance() -> SecurityInstance {
    SecurityInstance {
        server_uri: BS_URI.try_into().unwrap(),
        bootstrap_server: true,
        security_mode: SecurityMode::PreSharedKey,
        public_key_or_identity: heapless::Vec::from_slice(b"dev-1-bs").unwrap(),
        secret_key: heapless::Vec::from_slice(&[1; 16]).unwrap(),
        ..Default::default()
    }
}

/// A fresh device: the factory gave it the Bootstrap-Server's account only.
fn fresh() -> Accounts<Flash> {
    let mut accounts = blank();
    accounts.provision(0, &bootstrap_instance(), None).unwrap();
    accounts
}

/// The management server's account as the Bootstrap-Server writes it: PSK, ssid 101.
fn management_security() -> SecurityInstance {
    SecurityInstance {
        server_uri: "coaps://lwm2m.example:5684".try_into().unwrap(),
        security_mode: SecurityMode::PreSharedKey,
        public_key_or_identity: heapless::Vec::from_slice(b"dev-1").unwrap(),
        secret_key: heapless::Vec::from_slice(&PSK).unwrap(),
        short_server_id: Some(SERVER),
        ..Default::default()
    }
}

/// Lifetime 120 s.
fn management_server() -> ServerInstance {
    ServerInstance::new(SERVER, 120)
}

/// The client of `accounts`, as a runner makes it at boot.
fn client(accounts: &Accounts<Flash>) -> Harness {
    Harness::new(Client::with_accounts(
        Config::new("dev-1").unwrap(),
        accounts.management_account(),
        accounts.bootstrap_account(),
        42,
    ))
}

/// The path of a request, `/a/b`.
fn path_of(p: &Packet) -> String {
    format!("/{}", strings(p, CoapOption::UriPath).join("/"))
}

/// Starts the client and takes its Bootstrap-Request.
fn bootstrap_request(h: &mut Harness, device: &mut Device<'_, '_>) -> Packet {
    h.client.register(h.now, device);
    h.pump(device);
    let request = h.take_bootstrap().expect("a Bootstrap-Request");
    assert_eq!(
        (code_of(&request), path_of(&request)),
        (POST, "/bs".to_owned())
    );
    assert_eq!(strings(&request, CoapOption::UriQuery), ["ep=dev-1"]);
    request
}

/// Starts the client and has its Bootstrap-Request accepted.
fn bootstrapping(h: &mut Harness, device: &mut Device<'_, '_>) {
    let request = bootstrap_request(h, device);
    h.reply(device, Peer::Bootstrap, &request, code(2, 4), |_| {});
    assert!(h.client.is_bootstrapping());
}

/// Sends a request as the Bootstrap-Server and returns the client's answer.
fn bs(h: &mut Harness, device: &mut Device<'_, '_>, request: Request) -> Packet {
    static NEXT_MID: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0x7000);
    let mut req = request.0;
    let mid = NEXT_MID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    req.header.message_id = mid;
    req.set_token(mid.to_be_bytes().to_vec());
    h.send_raw_from(device, Peer::Bootstrap, &req)
}

/// One exchange, recorded on the wire log: the request as the server sends it, the answer.
fn exchange(
    h: &mut Harness,
    device: &mut Device<'_, '_>,
    wire: &mut Vec<String>,
    op: &str,
    request: Request,
) -> Packet {
    let mut req = request.0;
    req.header.message_id = 0x6000 + wire.len() as u16;
    req.set_token(vec![0xb5, wire.len() as u8]);
    let size = req.to_bytes().unwrap().len();
    let response = h.send_raw_from(device, Peer::Bootstrap, &req);
    wire.push(format!(
        "BS  -> dev  CON {} {:<6} {:>4} bytes  {op}",
        method(&req),
        path_of(&req),
        size
    ));
    wire.push(format!(
        "dev -> BS   ACK {}        {:>4} bytes",
        code_str(&response),
        response.to_bytes().unwrap().len()
    ));
    response
}

fn method(p: &Packet) -> &'static str {
    match code_of(p) {
        GET => "GET   ",
        POST => "POST  ",
        PUT => "PUT   ",
        DELETE => "DELETE",
        _ => "?     ",
    }
}

#[test]
fn a_fresh_device_bootstraps_then_registers_with_the_provisioned_server() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    assert_eq!(h.client.accounts().count(), 0, "no management server yet");
    let mut wire = Vec::new();
    serving(&mut accounts, |device| {
        h.client.register(h.now, device);
        assert!(h.events().contains(&Event::BootstrapStarted));
        let target = h.client.bootstrap_target().expect("the Bootstrap-Server");
        assert_eq!(target.peer, Peer::Bootstrap);
        assert_eq!(target.uri, BS_URI);
        assert!(matches!(target.security, Security::Psk { .. }));
        h.pump(device);
        let request = h.take_bootstrap().expect("a Bootstrap-Request");
        assert_eq!(
            (code_of(&request), path_of(&request)),
            (POST, "/bs".to_owned())
        );
        assert_eq!(strings(&request, CoapOption::UriQuery), ["ep=dev-1"]);
        wire.push(format!(
            "dev -> BS   CON POST   /bs?ep=dev-1 {:>4} bytes  Bootstrap-Request",
            request.to_bytes().unwrap().len()
        ));
        let mut ack = piggybacked(&request, code(2, 4));
        ack.header.set_type(MessageType::Acknowledgement);
        wire.push(format!(
            "BS  -> dev  ACK 2.04        {:>4} bytes",
            ack.to_bytes().unwrap().len()
        ));
        h.client
            .handle(h.now, Peer::Bootstrap, &ack.to_bytes().unwrap(), device);

        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Delete",
            Request::new(DELETE, "/"),
        );
        assert_eq!(code_str(&r), "2.02");
        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Write (TLV)",
            Request::new(PUT, "/0/1")
                .format(TLV)
                .payload(&tlv_security(1, &management_security())),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Write (TLV)",
            Request::new(PUT, "/1/1")
                .format(TLV)
                .payload(&tlv_server(1, &management_server())),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Discover",
            Request::new(GET, "/").accept(LINK_FORMAT),
        );
        assert_eq!(code_str(&r), "2.05");
        assert_eq!(uint(&r, CoapOption::ContentFormat), Some(40));
        assert_eq!(
            String::from_utf8(r.payload).unwrap(),
            concat!(
                r#"</>;lwm2m="1.1","#,
                r#"</0>;ver=1.2,</0/0>;uri="coaps://bs.example:5684","#,
                r#"</0/1>;ssid=101;uri="coaps://lwm2m.example:5684","#,
                r#"</1>;ver=1.2,</1/1>;ssid=101"#
            )
        );
        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Discover",
            Request::new(GET, "/0").accept(LINK_FORMAT),
        );
        assert_eq!(
            String::from_utf8(r.payload).unwrap(),
            concat!(
                r#"</>;lwm2m="1.1",</0>;ver=1.2,</0/0>;uri="coaps://bs.example:5684","#,
                r#"</0/1>;ssid=101;uri="coaps://lwm2m.example:5684""#
            )
        );
        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Read",
            Request::new(GET, "/1/1/1"),
        );
        assert_eq!(
            (code_str(&r), r.payload),
            ("2.05".to_owned(), b"120".to_vec())
        );
        assert!(
            h.to_server.is_empty(),
            "nothing but answers while bootstrapping"
        );

        let r = exchange(
            &mut h,
            device,
            &mut wire,
            "Bootstrap-Finish",
            Request::new(POST, "/bs"),
        );
        assert_eq!(code_str(&r), "2.04");
        assert_eq!(h.events(), [Event::Bootstrapped]);
        assert!(!h.client.is_bootstrapping());
        let target = h
            .client
            .server_target(SERVER)
            .expect("the management server");
        assert_eq!(target.peer, Peer::Server(SERVER));
        assert_eq!(target.uri, "coaps://lwm2m.example:5684");
        match target.security {
            Security::Psk { identity, key } => {
                assert_eq!(
                    (identity.as_slice(), key.expose()),
                    (&b"dev-1"[..], &PSK[..])
                );
            }
            other => panic!("PSK expected, got {other:?}"),
        }
        let register = h.take_server().expect("a Register after the Finish");
        assert_eq!(path_of(&register), "/rd");
        assert_eq!(
            strings(&register, CoapOption::UriQuery),
            ["ep=dev-1", "lt=120", "lwm2m=1.1", "b=U"]
        );
        wire.push(format!(
            "dev -> LwM2M CON POST  /rd?ep=dev-1&lt=120&lwm2m=1.1&b=U {:>4} bytes  Register",
            register.to_bytes().unwrap().len()
        ));
        h.reply(device, Peer::Server(SERVER), &register, code(2, 1), |r| {
            r.add_option(CoapOption::LocationPath, b"rd".to_vec());
            r.add_option(CoapOption::LocationPath, b"7".to_vec());
        });
        assert!(h.events().contains(&Event::Registered { server: SERVER }));
    });
    println!("The bootstrap sequence on the wire (CoAP, before DTLS):");
    for line in &wire {
        println!("  {line}");
    }
    assert_eq!(accounts.account(SERVER).unwrap().settings.lifetime, 120);
}

#[test]
fn finish_without_a_management_account_is_4_06_and_nothing_registers() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        // A Security instance without its Server instance is no account yet.
        let r = bs(
            &mut h,
            device,
            Request::new(PUT, "/0/1")
                .format(TLV)
                .payload(&tlv_security(1, &management_security())),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = bs(&mut h, device, Request::new(POST, "/bs"));
        assert_eq!(code_str(&r), "4.06");
        h.pump(device);
        assert!(h.take_server().is_none(), "no Register");
        assert!(h.client.is_bootstrapping(), "still bootstrapping");
        assert!(!h.events().contains(&Event::Bootstrapped));
        // The Server instance makes it whole: the next Finish succeeds.
        let r = bs(
            &mut h,
            device,
            Request::new(PUT, "/1/1")
                .format(TLV)
                .payload(&tlv_server(1, &management_server())),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = bs(&mut h, device, Request::new(POST, "/bs"));
        assert_eq!(code_str(&r), "2.04");
        assert_eq!(path_of(&h.take_server().expect("Register")), "/rd");
    });
}

#[test]
fn a_malformed_0_write_is_4_00_and_changes_nothing() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        let mut no_ssid = management_security();
        no_ssid.short_server_id = Some(1);
        let mut zero = tlv_security(1, &no_ssid);
        // Short Server ID 0 (outside 1..65534): the TLV's last resource is /0/1/10 = 1.
        *zero.last_mut().unwrap() = 0;
        let mut mode = management_security();
        mode.security_mode = SecurityMode::NoSec;
        let mut mode = tlv_security(1, &mode);
        // Security Mode 9 (0..4): resource 2 is the third, one byte of value.
        let at = mode
            .windows(3)
            .position(|w| w == [0xc1, 0x02, 0x03])
            .expect("the Security Mode TLV");
        mode[at + 2] = 9;
        let long_key = format!(
            r#"[{{"bn":"/0/1/","n":"0","vs":"coaps://x:5684"}},{{"n":"2","v":0}},{{"n":"10","v":7}},{{"n":"5","vd":"{}"}}]"#,
            "QUFB".repeat(100)
        );
        for (what, payload, cf) in [
            ("Short Server ID 0", zero, TLV),
            ("Security Mode 9", mode, TLV),
            ("a 300-byte key", long_key.into_bytes(), 110),
        ] {
            let r = bs(
                &mut h,
                device,
                Request::new(PUT, "/0/1").format(cf).payload(&payload),
            );
            assert_eq!(code_str(&r), "4.00", "{what}");
        }
        // A Server instance for a Short Server ID no account has is refused too.
        let r = bs(
            &mut h,
            device,
            Request::new(PUT, "/1/1")
                .format(TLV)
                .payload(&tlv_server(1, &management_server())),
        );
        assert_eq!(code_str(&r), "4.00");
    });
    assert_eq!(accounts.security(1), None, "no /0/1");
    assert_eq!(accounts.server(1), None, "no /1/1");
    assert_eq!(accounts.security(0), Some(bootstrap_instance()));
    // Nothing reached the flash either.
    let accounts = Accounts::load(accounts.into_flash(), records())
        .ok()
        .unwrap();
    assert_eq!(accounts.security(1), None);
    assert_eq!(accounts.servers().count(), 0);
}

#[test]
fn deleting_the_bootstrap_servers_own_instance_leaves_it() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        for (path, want) in [("/0/0", "4.00"), ("/0", "2.02"), ("/", "2.02")] {
            let r = bs(&mut h, device, Request::new(DELETE, path));
            assert_eq!(code_str(&r), want, "DELETE {path}");
        }
        let r = bs(&mut h, device, Request::new(GET, "/").accept(LINK_FORMAT));
        assert_eq!(
            String::from_utf8(r.payload).unwrap(),
            r#"</>;lwm2m="1.1",</0>;ver=1.2,</0/0>;uri="coaps://bs.example:5684",</1>;ver=1.2"#
        );
    });
    assert_eq!(accounts.security(0), Some(bootstrap_instance()));
    assert!(accounts.bootstrap_account().is_some());
}

#[test]
fn bootstrap_deletes_reach_the_flash() {
    let mut accounts = fresh();
    accounts
        .provision(1, &management_security(), Some((0, &management_server())))
        .unwrap();
    assert_eq!(accounts.servers().collect::<Vec<_>>(), [SERVER]);
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.client.bootstrap(h.now);
        h.pump(device);
        let request = h.take_bootstrap().expect("a Bootstrap-Request");
        h.reply(device, Peer::Bootstrap, &request, code(2, 4), |_| {});
        let r = bs(&mut h, device, Request::new(DELETE, "/1/0"));
        assert_eq!(code_str(&r), "2.02");
        let r = bs(&mut h, device, Request::new(DELETE, "/0/1"));
        assert_eq!(code_str(&r), "2.02");
    });
    let accounts = Accounts::load(accounts.into_flash(), records())
        .ok()
        .unwrap();
    assert_eq!(accounts.server(0), None);
    assert_eq!(accounts.security(1), None);
    assert_eq!(accounts.security(0), Some(bootstrap_instance()));
}

#[test]
fn while_bootstrapping_only_the_bootstrap_interface_is_served() {
    let mut accounts = fresh();
    accounts
        .provision(1, &management_security(), Some((0, &management_server())))
        .unwrap();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.client.bootstrap(h.now);
        h.pump(device);
        let request = h.take_bootstrap().expect("a Bootstrap-Request");
        h.reply(device, Peer::Bootstrap, &request, code(2, 4), |_| {});
        // What a management server asks (and the Bootstrap-Server may not): 4.01.
        for request in [
            Request::new(POST, "/1/0/8"),
            Request::new(POST, "/1/0/4"),
            Request::new(GET, "/1/0/1").uint(CoapOption::Observe, 0),
            Request::new(PUT, "/1/0/1").query("pmin=5"),
            Request::new(GET, "/0/0/0"),
            Request::new(GET, "/0"),
            Request::new(POST, "/1"),
        ] {
            let described = format!("{} {}", method(&request.0), path_of(&request.0));
            let r = bs(&mut h, device, request);
            assert_eq!(code_str(&r), "4.01", "{described}");
            assert!(r.get_option(CoapOption::Observe).is_none());
        }
        h.pump(device);
        assert!(h.take_server().is_none(), "no Update, no Deregister");
        assert!(h.client.is_bootstrapping() && !h.client.is_registered());
    });
    // Outside bootstrap the Bootstrap interface is refused: a Bootstrap-Delete of / is 4.05,
    // Bootstrap-Finish 4.04, and the accounts stay.
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.register(device);
        for (request, want) in [
            (Request::new(DELETE, "/"), "4.05"),
            (Request::new(DELETE, "/0/1"), "4.01"),
            (Request::new(POST, "/bs"), "4.04"),
            (Request::new(GET, "/").accept(LINK_FORMAT), "4.04"),
        ] {
            let described = format!("{} {}", method(&request.0), path_of(&request.0));
            let r = h.send(device, request);
            assert_eq!(code_str(&r), want, "{described}");
        }
    });
    assert_eq!(accounts.servers().collect::<Vec<_>>(), [SERVER]);
}

#[test]
fn after_failing_to_register_for_the_retries_the_client_bootstraps() {
    let mut accounts = fresh();
    accounts
        .provision(1, &management_security(), Some((0, &management_server())))
        .unwrap();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.client.register(h.now, device);
        h.pump(device);
        // The defaults: 5 attempts, 60 s doubling between them (each wait drawn between
        // half and all of it), one sequence.
        let mut waits = Vec::new();
        for attempt in 1..=5 {
            let register = h.take_server().expect("a Register");
            assert_eq!(path_of(&register), "/rd", "attempt {attempt}");
            h.reply(device, Peer::Server(SERVER), &register, code(5, 3), |_| {});
            let at = h.client.timeout().expect("something is due");
            waits.push(at.since(h.now) / 1000);
            h.now = at;
            h.pump(device);
        }
        for (wait, policy) in waits.iter().zip([60, 120, 240, 480]) {
            assert!(
                (policy / 2..=policy).contains(wait),
                "a wait of {wait} s for the policy's {policy} s: {waits:?}"
            );
        }
        let events = h.events();
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == Event::RegistrationFailed { server: SERVER })
                .count(),
            5
        );
        assert!(events.contains(&Event::BootstrapStarted));
        let request = h
            .take_bootstrap()
            .expect("a Bootstrap-Request after the retries");
        assert_eq!(path_of(&request), "/bs");
        assert!(h.client.is_bootstrapping());
        // The Bootstrap-Server does not answer: the client goes back to its server.
        for _ in 0..5 {
            h.advance(device, 100_000);
        }
        assert!(h.events().contains(&Event::BootstrapFailed));
        let register = h
            .to_server
            .iter()
            .find(|p| path_of(p) == "/rd")
            .expect("a Register again");
        assert_eq!(code_of(register), POST);
        assert!(!h.client.is_bootstrapping());
    });
}

#[test]
fn without_a_bootstrap_server_registration_is_retried_forever() {
    let mut accounts = fresh();
    accounts
        .provision(1, &management_security(), Some((0, &management_server())))
        .unwrap();
    let mut h = Harness::new(Client::with_account(
        Config::new("dev-1").unwrap(),
        accounts.account(SERVER).unwrap(),
        42,
    ));
    serving(&mut accounts, |device| {
        h.client.register(h.now, device);
        h.pump(device);
        for attempt in 1..=20 {
            let register = h.take_server().expect("a Register");
            assert_eq!(path_of(&register), "/rd", "attempt {attempt}");
            h.reply(device, Peer::Server(SERVER), &register, code(5, 3), |_| {});
            let at = h.client.timeout().expect("a retry is due");
            assert!(at.since(h.now) <= 300_000, "the existing backoff");
            h.now = at;
            h.pump(device);
        }
        assert!(!h.events().contains(&Event::BootstrapStarted));
    });
}

#[test]
fn a_bootstrap_server_that_never_finishes_is_asked_again_with_backoff() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        // It is at work for a while: the wait for Finish counts from its last request.
        h.advance(device, 200_000);
        let r = bs(&mut h, device, Request::new(GET, "/").accept(LINK_FORMAT));
        assert_eq!(code_str(&r), "2.05");
        let last = h.now;
        assert_eq!(h.client.timeout(), Some(last.after(FINISH_WAIT_MS)));
        h.advance(device, FINISH_WAIT_MS - 1);
        assert!(h.take_bootstrap().is_none());
        assert!(!h.events().contains(&Event::BootstrapFailed));
        // Silent for 247 s: the bootstrap failed; it is asked again after a backoff.
        let mut gaps = Vec::new();
        let mut failed_at = last.after(FINISH_WAIT_MS);
        h.now = failed_at;
        for round in 0..4 {
            h.pump(device);
            assert!(
                h.events().contains(&Event::BootstrapFailed),
                "round {round}"
            );
            assert!(h.take_bootstrap().is_none(), "not at once");
            let at = h
                .client
                .timeout()
                .expect("the next Bootstrap-Request is due");
            gaps.push(at.since(failed_at));
            h.now = at;
            h.pump(device);
            let request = h.take_bootstrap().expect("the Bootstrap-Request again");
            assert_eq!(path_of(&request), "/bs");
            h.reply(device, Peer::Bootstrap, &request, code(2, 4), |_| {});
            failed_at = h.now.after(FINISH_WAIT_MS);
            h.now = failed_at;
        }
        // Jittered between half and all of 5, 10, 20, 40 s.
        for (gap, full) in gaps.iter().zip([5_000, 10_000, 20_000, 40_000]) {
            assert!((full / 2..=full).contains(gap), "{gaps:?}");
        }
        assert!(h.client.is_bootstrapping());
    });
}

#[test]
fn after_a_reboot_the_provisioned_account_registers_without_bootstrap() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        for request in [
            Request::new(DELETE, "/"),
            Request::new(PUT, "/0/1")
                .format(TLV)
                .payload(&tlv_security(1, &management_security())),
            Request::new(PUT, "/1/1")
                .format(TLV)
                .payload(&tlv_server(1, &management_server())),
        ] {
            assert_eq!(code_str(&bs(&mut h, device, request))[..1], *"2");
        }
        assert_eq!(
            code_str(&bs(&mut h, device, Request::new(POST, "/bs"))),
            "2.04"
        );
    });
    // Power off, on: the accounts are read from the same flash.
    let mut accounts = Accounts::load(accounts.into_flash(), records())
        .ok()
        .unwrap();
    assert!(accounts.bootstrap_account().is_some());
    let account = accounts.account(SERVER).expect("the provisioned account");
    assert_eq!(account.server_uri.as_str(), "coaps://lwm2m.example:5684");
    // The runner hands over no account: the client finds it in the objects.
    let mut h = Harness::new(Client::with_accounts(
        Config::new("dev-1").unwrap(),
        None,
        accounts.bootstrap_account(),
        7,
    ));
    h.now = Instant(5_000);
    serving(&mut accounts, |device| {
        h.client.register(h.now, device);
        h.pump(device);
        let register = h.take_server().expect("a Register");
        assert_eq!(path_of(&register), "/rd");
        assert_eq!(
            strings(&register, CoapOption::UriQuery),
            ["ep=dev-1", "lt=120", "lwm2m=1.1", "b=U"]
        );
        assert!(!h.events().contains(&Event::BootstrapStarted));
    });
    assert_eq!(h.client.account(SERVER), Some(&account));
}

#[test]
fn a_bootstrap_write_of_one_resource_creates_the_instance() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        let r = bs(&mut h, device, Request::new(PUT, "/3/0/1").payload(b"x"));
        assert_eq!(code_str(&r), "4.04", "no such object");
        let r = bs(
            &mut h,
            device,
            Request::new(PUT, "/0/1/0").payload(b"coap://x").format(0),
        );
        assert_eq!(code_str(&r), "2.04");
    });
    assert_eq!(
        accounts
            .security(1)
            .map(|s| s.server_uri.as_str().to_owned()),
        Some("coap://x".to_owned())
    );
}

#[test]
fn the_answer_to_finish_goes_to_the_bootstrap_server_and_the_register_to_the_new_server() {
    let mut accounts = fresh();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        bootstrapping(&mut h, device);
        // A management server's request while bootstrapping: refused.
        let r = h.send(device, Request::new(GET, "/3/0/0"));
        assert_eq!(code_str(&r), "4.01");
        for request in [
            Request::new(PUT, "/0/1")
                .format(TLV)
                .payload(&tlv_security(1, &management_security())),
            Request::new(PUT, "/1/1")
                .format(TLV)
                .payload(&tlv_server(1, &management_server())),
        ] {
            assert_eq!(code_str(&bs(&mut h, device, request)), "2.04");
        }
        let mut finish = Request::new(POST, "/bs").0;
        finish.header.message_id = 0x0f1e;
        finish.set_token(vec![0xf1]);
        // `send_raw_from` takes the answer only from what went to the Bootstrap-Server.
        let r = h.send_raw_from(device, Peer::Bootstrap, &finish);
        assert_eq!(code_str(&r), "2.04");
        assert!(
            h.take_bootstrap().is_none(),
            "nothing else to the Bootstrap-Server"
        );
        let register = h.take_server().expect("the Register, to the new server");
        assert_eq!(path_of(&register), "/rd");
        // The Bootstrap-Server did not get the answer and sends Finish again: the client
        // answers it from its cache, to the Bootstrap-Server, and registers only once.
        let again = h.send_raw_from(device, Peer::Bootstrap, &finish);
        assert_eq!(code_str(&again), "2.04");
        assert!(h.take_server().is_none(), "no second Register");
        assert!(!h.client.is_bootstrapping());
    });
}
