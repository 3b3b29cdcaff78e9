//! Several management servers at once: each has its own registration, observations, Disable
//! and retries; a change reaches every server that observes it; the client bootstraps only
//! when registration failed with all of them; a Bootstrap-Server may provision several.

mod accounts;
mod common;

use accounts::*;
use coap_lite::{CoapOption, MessageType, Packet};
use common::*;
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::client::{
    Account, Client, Config, Device, Event, MAX_SERVERS, Peer, Security, ServerSettings,
    TooManyServers,
};
use lwm2m_servers::{Accounts, SecurityInstance, ServerInstance};

const A: u16 = 101;
const B: u16 = 102;

/// The account of server `ssid` (NoSec, at `coap://s<ssid>.example`).
fn security(ssid: u16) -> SecurityInstance {
    SecurityInstance {
        server_uri: format!("coap://s{ssid}.example:5683")
            .as_str()
            .try_into()
            .unwrap(),
        security_mode: SecurityMode::NoSec,
        short_server_id: Some(ssid),
        ..Default::default()
    }
}

/// Server A: lifetime 120 s, default pmin 5 s, Disable Timeout 30 s, one Register attempt
/// before it gives up (then tried again after 600 s). Server B: lifetime 300 s, no default
/// periods, the same retries.
fn servers() -> [ServerInstance; 2] {
    let mut a = ServerInstance::new(A, 120);
    a.default_minimum_period = Some(5);
    a.disable_timeout = Some(30);
    let mut b = ServerInstance::new(B, 300);
    for s in [&mut a, &mut b] {
        s.communication_retry_count = Some(1);
        s.communication_sequence_retry_count = Some(1);
        s.communication_sequence_delay_timer = Some(600);
    }
    [a, b]
}

/// A Bootstrap-Server at /0/0 and nothing else.
fn bootstrap_only() -> Accounts<Flash> {
    let mut accounts = blank();
    let bootstrap = SecurityInstance {
        server_uri: "coap://bs.example:5683".try_into().unwrap(),
        bootstrap_server: true,
        ..Default::default()
    };
    accounts.provision(0, &bootstrap, None).unwrap();
    accounts
}

/// A Bootstrap-Server at /0/0, and servers A (/0/1, /1/0) and B (/0/2, /1/1).
fn provisioned() -> Accounts<Flash> {
    let mut accounts = bootstrap_only();
    let [a, b] = servers();
    accounts.provision(1, &security(A), Some((0, &a))).unwrap();
    accounts.provision(2, &security(B), Some((1, &b))).unwrap();
    accounts
}

/// A client that takes its management servers from the objects, with the Bootstrap-Server
/// to fall back on.
fn client(accounts: &Accounts<Flash>) -> Harness {
    Harness::new(Client::with_accounts(
        Config::new("dev-1").unwrap(),
        None,
        accounts.bootstrap_account(),
        42,
    ))
}

/// Runs `test` with a client for the two provisioned servers, which serves their Objects 0
/// and 1.
fn with_two_servers(test: impl FnOnce(&mut Harness, &mut Device<'_, '_>)) {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| test(&mut h, device));
}

/// What the client sent since the last call, with where it went.
fn sent(h: &mut Harness, device: &mut Device<'_, '_>) -> Vec<(Peer, Packet)> {
    h.drain(device)
        .into_iter()
        .map(|t| (t.to, Packet::from_bytes(&t.data).unwrap()))
        .collect()
}

/// The one datagram of `sent` that went to server `ssid`.
fn only_to(sent: &[(Peer, Packet)], ssid: u16) -> Packet {
    let to: Vec<&Packet> = sent
        .iter()
        .filter(|(p, _)| *p == Peer::Server(ssid))
        .map(|(_, p)| p)
        .collect();
    assert_eq!(to.len(), 1, "one datagram to server {ssid}: {sent:?}");
    to[0].clone()
}

/// Sends `request` as server `ssid` (message ID `mid`, and token `mid` unless it has one) and
/// returns the answer and everything else the client sent meanwhile.
fn ask(
    h: &mut Harness,
    device: &mut Device<'_, '_>,
    ssid: u16,
    mid: u16,
    request: Request,
) -> (Packet, Vec<(Peer, Packet)>) {
    let mut req = request.0;
    req.header.message_id = mid;
    if req.get_token().is_empty() {
        req.set_token(mid.to_be_bytes().to_vec());
    }
    h.client
        .handle(h.now, Peer::Server(ssid), &req.to_bytes().unwrap(), device);
    let mut out = sent(h, device);
    let at = out
        .iter()
        .position(|(to, p)| *to == Peer::Server(ssid) && p.header.message_id == mid)
        .expect("an answer to the server that asked");
    let (_, answer) = out.remove(at);
    (answer, out)
}

/// Acknowledges `note`, a notification the client sent to server `ssid`.
fn ack(h: &mut Harness, device: &mut Device<'_, '_>, ssid: u16, note: &Packet) {
    let ack = empty(MessageType::Acknowledgement, note.header.message_id);
    h.client
        .handle(h.now, Peer::Server(ssid), &ack.to_bytes().unwrap(), device);
}

/// Starts registration and answers the two Registers: A's with `a`, B's with `b` (a 2.01
/// names A's registration `rd/a`, B's `rd/b`).
fn answer_registers(h: &mut Harness, device: &mut Device<'_, '_>, a: u8, b: u8) {
    h.client.register(h.now, device);
    let out = sent(h, device);
    assert_eq!(out.len(), 2, "one Register to each server: {out:?}");
    for (ssid, answer, location) in [(A, a, "a"), (B, b, "b")] {
        let register = only_to(&out, ssid);
        h.reply(device, Peer::Server(ssid), &register, answer, |r| {
            r.add_option(CoapOption::LocationPath, b"rd".to_vec());
            r.add_option(CoapOption::LocationPath, location.as_bytes().to_vec());
        });
    }
}

/// Registers with both servers: A at `rd/a`, B at `rd/b`.
fn register_both(h: &mut Harness, device: &mut Device<'_, '_>) {
    answer_registers(h, device, code(2, 1), code(2, 1));
    assert_eq!(
        h.events(),
        [
            Event::Registered { server: A },
            Event::Registered { server: B }
        ]
    );
    assert!(h.client.is_registered());
}

#[test]
fn each_server_gets_its_own_register_and_updates_on_its_own_lifetime() {
    with_two_servers(|h, device| {
        h.client.register(h.now, device);
        let out = sent(h, device);
        let lifetimes: Vec<(u16, Vec<String>)> = [A, B]
            .map(|s| (s, strings(&only_to(&out, s), CoapOption::UriQuery)))
            .to_vec();
        assert_eq!(
            lifetimes,
            [
                (
                    A,
                    vec![
                        "ep=dev-1".into(),
                        "lt=120".into(),
                        "lwm2m=1.1".into(),
                        "b=U".into()
                    ]
                ),
                (
                    B,
                    vec![
                        "ep=dev-1".into(),
                        "lt=300".into(),
                        "lwm2m=1.1".into(),
                        "b=U".into()
                    ]
                ),
            ]
        );
        let targets: Vec<(Peer, String)> = h
            .client
            .server_targets()
            .map(|t| (t.peer, t.uri.to_owned()))
            .collect();
        assert_eq!(
            targets,
            [
                (Peer::Server(A), "coap://s101.example:5683".to_owned()),
                (Peer::Server(B), "coap://s102.example:5683".to_owned())
            ]
        );
        // Only A answers: the client is registered with A, not yet with B.
        let register = only_to(&out, A);
        h.reply(device, Peer::Server(A), &register, code(2, 1), |r| {
            r.add_option(CoapOption::LocationPath, b"rd".to_vec());
            r.add_option(CoapOption::LocationPath, b"a".to_vec());
        });
        assert!(h.client.is_registered_with(A) && !h.client.is_registered_with(B));
        assert!(!h.client.is_registered(), "not with every server");
        let register = only_to(&out, B);
        h.reply(device, Peer::Server(B), &register, code(2, 1), |r| {
            r.add_option(CoapOption::LocationPath, b"rd".to_vec());
            r.add_option(CoapOption::LocationPath, b"b".to_vec());
        });
        assert!(h.client.is_registered());
        h.events();
        // A's Update is due at three quarters of 120 s, B's at three quarters of 300 s.
        h.now = h.now.after(90_000);
        let out = sent(h, device);
        let update = only_to(&out, A);
        assert_eq!(strings(&update, CoapOption::UriPath), ["rd", "a"]);
        assert_eq!(out.len(), 1, "nothing to B yet");
        h.reply(device, Peer::Server(A), &update, code(2, 4), |_| {});
        assert_eq!(h.events(), [Event::Updated { server: A }]);
        h.now = h.now.after(135_000);
        let out = sent(h, device);
        let update = only_to(&out, B);
        assert_eq!(strings(&update, CoapOption::UriPath), ["rd", "b"]);
    });
}

#[test]
fn each_server_observes_with_its_own_periods_and_hears_the_others_write() {
    with_two_servers(|h, device| {
        register_both(h, device);
        // Both observe Notification Storing of A's Server instance, with the same token
        // (tokens are each server's own).
        let observe = || Request::new(GET, "/1/0/6").uint(CoapOption::Observe, 0);
        let (a, _) = ask(h, device, A, 0x0101, observe());
        let (b, _) = ask(h, device, B, 0x0101, observe());
        for r in [&a, &b] {
            assert_eq!(code_str(r), "2.05");
            assert!(r.get_option(CoapOption::Observe).is_some());
        }
        // B writes the value: B answered, B's observation (no default pmin) notified at
        // once, A's only once its default pmin of 5 s has passed.
        let write = Request::new(PUT, "/1/0/6").format(0).payload(b"0");
        let (r, out) = ask(h, device, B, 0x0202, write);
        assert_eq!(code_str(&r), "2.04");
        let note = only_to(&out, B);
        assert_eq!(
            (note.get_token(), &note.payload[..]),
            (&[1u8, 1][..], &b"0"[..])
        );
        assert!(
            out.iter().all(|(to, _)| *to != Peer::Server(A)),
            "A waits for pmin"
        );
        // B's notification is not acknowledged yet: A's is not held up by it.
        h.now = h.now.after(5_000);
        let out = sent(h, device);
        let note_b = note;
        let note = only_to(&out, A);
        assert_eq!(
            (note.get_token(), &note.payload[..]),
            (&[1u8, 1][..], &b"0"[..])
        );
        ack(h, device, A, &note);
        ack(h, device, B, &note_b);
        // A cancels its observation (same token, a new message); B's goes on.
        let mut cancel = Request::new(GET, "/1/0/6").uint(CoapOption::Observe, 1);
        cancel.0.set_token(vec![1, 1]);
        let (r, _) = ask(h, device, A, 0x0707, cancel);
        assert_eq!(code_str(&r), "2.05");
        h.client.notify_changed(h.now);
        let (r, _) = ask(
            h,
            device,
            A,
            0x0303,
            Request::new(PUT, "/1/0/6").format(0).payload(b"1"),
        );
        assert_eq!(code_str(&r), "2.04");
        h.now = h.now.after(60_000);
        let out = sent(h, device);
        let to_a: Vec<_> = out
            .iter()
            .filter(|(to, p)| *to == Peer::Server(A) && p.get_token() == [1, 1])
            .collect();
        assert!(to_a.is_empty(), "A's observation ended: {to_a:?}");
        assert!(
            out.iter()
                .any(|(to, p)| *to == Peer::Server(B) && p.payload == b"1"),
            "{out:?}"
        );
    });
}

#[test]
fn one_server_disabling_itself_leaves_the_other_registered() {
    with_two_servers(|h, device| {
        register_both(h, device);
        // A executes Disable on its own Server instance (/1/0): A is deregistered.
        let (r, out) = ask(h, device, A, 0x0404, Request::new(POST, "/1/0/4"));
        assert_eq!(code_str(&r), "2.04");
        let deregister = only_to(&out, A);
        assert_eq!(
            (
                code_of(&deregister),
                strings(&deregister, CoapOption::UriPath)
            ),
            (DELETE, vec!["rd".to_owned(), "a".to_owned()])
        );
        assert_eq!(out.len(), 1, "nothing to B");
        h.reply(device, Peer::Server(A), &deregister, code(2, 2), |_| {});
        assert_eq!(h.events(), [Event::Deregistered { server: A }]);
        assert!(h.client.is_disabled(A) && !h.client.is_disabled(B));
        assert!(h.client.is_registered_with(B) && !h.client.is_registered_with(A));
        // B is served as before.
        let (r, _) = ask(h, device, B, 0x0505, Request::new(GET, "/1/1/1"));
        assert_eq!(
            (code_str(&r), r.payload),
            ("2.05".to_owned(), b"300".to_vec())
        );
        // A registers again after its Disable Timeout, 30 s.
        h.now = h.now.after(30_000);
        let out = sent(h, device);
        let register = only_to(&out, A);
        assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    });
}

#[test]
fn the_client_bootstraps_only_when_every_server_gave_up() {
    let mut accounts = provisioned();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.client.register(h.now, device);
        let out = sent(&mut h, device);
        // A refuses; one attempt is all A's retry settings allow. B is still trying.
        h.reply(
            device,
            Peer::Server(A),
            &only_to(&out, A),
            code(4, 3),
            |_| {},
        );
        assert_eq!(h.events(), [Event::RegistrationFailed { server: A }]);
        assert!(!h.client.is_bootstrapping(), "B may still register");
        // B refuses too: nothing is left to register with.
        h.reply(
            device,
            Peer::Server(B),
            &only_to(&out, B),
            code(4, 3),
            |_| {},
        );
        assert_eq!(
            h.events(),
            [
                Event::RegistrationFailed { server: B },
                Event::BootstrapStarted
            ]
        );
        assert!(h.client.is_bootstrapping());
    });
    // With one server registered, the other giving up does not start a bootstrap.
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        answer_registers(&mut h, device, code(2, 1), code(4, 3));
        assert_eq!(
            h.events(),
            [
                Event::Registered { server: A },
                Event::RegistrationFailed { server: B }
            ]
        );
        assert!(!h.client.is_bootstrapping() && h.client.is_registered_with(A));
        // B is not given up for good: it is tried again after its Sequence Delay (600 s).
        h.now = h.now.after(599_000);
        assert!(
            sent(&mut h, device)
                .iter()
                .all(|(to, _)| *to != Peer::Server(B))
        );
        h.now = h.now.after(1_000);
        let register = only_to(&sent(&mut h, device), B);
        assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    });
}

#[test]
fn block_wise_writes_from_two_servers_do_not_cut_each_other_off() {
    with_two_servers(|h, device| {
        register_both(h, device);
        // Each server writes its own lifetime in 16-byte blocks (text, zero-padded to 21
        // bytes), the two transfers interleaved.
        let writes = [
            (A, 0u16, format!("{:021}", 100)),
            (B, 1, format!("{:021}", 200)),
        ];
        let block = |instance: u16, payload: &str, num: u32| {
            let more = num == 0;
            let bytes = if more { &payload[..16] } else { &payload[16..] };
            Request::new(PUT, &format!("/1/{instance}/1"))
                .format(0)
                .block1(num, more, 0)
                .payload(bytes.as_bytes())
        };
        let mut mid = 0x0900;
        for num in [0, 1] {
            for (ssid, instance, payload) in &writes {
                mid += 1;
                let (r, _) = ask(h, device, *ssid, mid, block(*instance, payload, num));
                let want = if num == 0 { "2.31" } else { "2.04" };
                assert_eq!(code_str(&r), want, "server {ssid}, block {num}");
            }
        }
        for (ssid, instance, lifetime) in [(A, 0, "100"), (B, 1, "200")] {
            mid += 1;
            let (r, _) = ask(
                h,
                device,
                ssid,
                mid,
                Request::new(GET, &format!("/1/{instance}/1")),
            );
            assert_eq!(r.payload, lifetime.as_bytes(), "server {ssid}");
        }
    });
}

#[test]
fn one_servers_requests_do_not_push_the_others_answer_out_of_the_duplicate_cache() {
    with_two_servers(|h, device| {
        register_both(h, device);
        // B triggers a Registration Update (/1/1/8); the Update goes and is answered.
        let trigger = || Request::new(POST, "/1/1/8");
        let (first, out) = ask(h, device, B, 0x0a00, trigger());
        assert_eq!(code_str(&first), "2.04");
        let update = only_to(&out, B);
        h.reply(device, Peer::Server(B), &update, code(2, 4), |_| {});
        // A sends more requests than the cache holds answers.
        for mid in 0x0b00..0x0b10 {
            let (r, _) = ask(h, device, A, mid, Request::new(GET, "/1/0/1"));
            assert_eq!(code_str(&r), "2.05");
        }
        // B's Execute arrives again (its ACK was lost): answered from the cache, not run
        // again (no second Update).
        let (again, out) = ask(h, device, B, 0x0a00, trigger());
        assert_eq!(again.to_bytes().unwrap(), first.to_bytes().unwrap());
        assert!(out.is_empty(), "the Execute ran twice: {out:?}");
    });
}

#[test]
fn a_bootstrap_server_provisions_two_servers_and_the_client_registers_with_both() {
    let mut accounts = bootstrap_only();
    let mut h = client(&accounts);
    serving(&mut accounts, |device| {
        h.client.register(h.now, device);
        assert!(h.client.is_bootstrapping());
        h.now = h.now.after(0);
        let out = sent(&mut h, device);
        let request = &out
            .iter()
            .find(|(to, _)| *to == Peer::Bootstrap)
            .expect("a Bootstrap-Request")
            .1;
        h.reply(device, Peer::Bootstrap, request, code(2, 4), |_| {});
        let [a, b] = servers();
        let writes = [
            ("/0/1", 11542, tlv_security(1, &security(A))),
            ("/1/0", 11542, tlv_server(0, &a)),
            ("/0/2", 11542, tlv_security(2, &security(B))),
            ("/1/1", 11542, tlv_server(1, &b)),
        ];
        for (i, (path, format, payload)) in writes.into_iter().enumerate() {
            let mut req = Request::new(PUT, path).format(format).payload(&payload).0;
            req.header.message_id = 0x7000 + i as u16;
            let r = h.send_raw_from(device, Peer::Bootstrap, &req);
            assert_eq!(code_str(&r), "2.04", "{path}");
        }
        let mut finish = Request::new(POST, "/bs").0;
        finish.header.message_id = 0x7100;
        h.client
            .handle(h.now, Peer::Bootstrap, &finish.to_bytes().unwrap(), device);
        let out = sent(&mut h, device);
        assert_eq!(code_str(&out[0].1), "2.04", "Finish is answered first");
        assert_eq!(out[0].0, Peer::Bootstrap);
        for ssid in [A, B] {
            let register = only_to(&out, ssid);
            assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
        }
        assert_eq!(h.client.accounts().count(), 2);
    });
}

#[test]
fn a_server_the_client_has_no_account_for_is_refused() {
    with_two_servers(|h, device| {
        register_both(h, device);
        let (r, out) = ask(h, device, 103, 0x0606, Request::new(GET, "/1/0/1"));
        assert_eq!(code_str(&r), "4.01");
        assert!(out.is_empty());
    });
}

#[test]
fn accounts_past_max_servers_are_left_out() {
    let account = |ssid: u16| Account {
        server_uri: "coap://s.example".try_into().unwrap(),
        security: Security::NoSec,
        settings: ServerSettings::new(ssid, 60),
    };
    let config = Config::new("dev-1").unwrap();
    let ids = (1..=MAX_SERVERS as u16 + 1).rev();
    let mut client = Client::with_accounts(config, ids.map(account), None, 42);
    let kept: Vec<u16> = client
        .accounts()
        .map(|a| a.settings.short_server_id)
        .collect();
    let lowest: Vec<u16> = (1..=MAX_SERVERS as u16).collect();
    assert_eq!(kept, lowest, "the lowest Short Server IDs, in order");
    let extra = account(MAX_SERVERS as u16 + 7);
    assert_eq!(
        client.set_account(lwm2m_runtime::client::Instant(0), extra),
        Err(TooManyServers)
    );
    // Replacing one that is there is fine.
    let mut again = account(2);
    again.settings.lifetime = 99;
    assert_eq!(
        client.set_account(lwm2m_runtime::client::Instant(0), again),
        Ok(())
    );
    assert_eq!(client.account(2).map(|a| a.settings.lifetime), Some(99));
}

#[test]
fn registering_again_leaves_the_servers_already_registered_alone() {
    with_two_servers(|h, device| {
        register_both(h, device);
        let c = Account {
            server_uri: "coap://s103.example".try_into().unwrap(),
            security: Security::NoSec,
            settings: ServerSettings::new(103, 60),
        };
        h.client.set_account(h.now, c).unwrap();
        h.client.register(h.now, device);
        let out = sent(h, device);
        assert_eq!(out.len(), 1, "a Register to the new server only: {out:?}");
        assert_eq!(out[0].0, Peer::Server(103));
        assert!(h.client.is_registered_with(A) && h.client.is_registered_with(B));
    });
}

#[test]
fn in_queue_mode_the_device_sleeps_while_one_server_waits_to_be_tried_again() {
    let mut accounts = provisioned();
    let mut config = Config::new("dev-1").unwrap();
    config.queue_mode = true;
    config.queue_window_ms = 10_000;
    let mut h = Harness::new(Client::with_accounts(
        config,
        None,
        accounts.bootstrap_account(),
        42,
    ));
    serving(&mut accounts, |device| {
        answer_registers(&mut h, device, code(2, 1), code(4, 3));
        h.events();
        h.now = h.now.after(10_000);
        sent(&mut h, device);
        let events = h.events();
        let until = events.iter().find_map(|e| match e {
            Event::MaySleep { until } => Some(*until),
            _ => None,
        });
        // A's Update, at three quarters of 120 s, comes before B's retry at 600 s.
        assert_eq!(until, Some(h.now.after(80_000)), "{events:?}");
    });
}

#[test]
fn a_server_disabled_while_its_register_is_in_flight_stays_off() {
    with_two_servers(|h, device| {
        h.client.register(h.now, device);
        let out = sent(h, device);
        let register_b = only_to(&out, B);
        h.reply(
            device,
            Peer::Server(A),
            &only_to(&out, A),
            code(2, 1),
            |_| {},
        );
        // A disables B (its Server instance is /1/1) before B answers.
        let (r, _) = ask(h, device, A, 0x0c00, Request::new(POST, "/1/1/4"));
        assert_eq!(code_str(&r), "2.04");
        assert!(h.client.is_disabled(B));
        // B's late answer changes nothing, and nothing goes to B for its Disable Timeout
        // (a day), not even a retransmission of the Register.
        h.reply(device, Peer::Server(B), &register_b, code(2, 1), |_| {});
        for _ in 0..40 {
            h.now = h.now.after(30_000);
            let out = sent(h, device);
            assert!(out.iter().all(|(to, _)| *to != Peer::Server(B)), "{out:?}");
            for (to, p) in out {
                if p.header.get_type() == MessageType::Confirmable {
                    h.reply(device, to, &p, code(2, 4), |_| {});
                }
            }
        }
        assert!(h.client.is_disabled(B) && !h.client.is_registered_with(B));
        assert!(h.client.is_registered_with(A));
    });
}
