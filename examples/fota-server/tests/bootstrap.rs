//! The Bootstrap-Server, exchange by exchange, against a scripted device.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};
use lwm2m_fota_server::bootstrap::{Bootstrap, BootstrapEvent, Provision};
use lwm2m_objects::{lwm2m_security, lwm2m_server};
use lwm2m_runtime::format::{self, ContentFormat, Shape};
use lwm2m_runtime::path::Path;
use lwm2m_runtime::{ObjectSpec, Value};

fn provision() -> Provision {
    Provision {
        server_uri: "coaps://127.0.0.1:5684".into(),
        short_server_id: 101,
        lifetime: 120,
        psk: Some((b"dev-1".to_vec(), vec![0x11; 16])),
    }
}

fn bootstrap_request(mid: u16, query: &[&str]) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(RequestType::Post);
    p.header.message_id = mid;
    p.set_token(vec![1, 2]);
    p.add_option(CoapOption::UriPath, b"bs".to_vec());
    for q in query {
        p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
    }
    p.to_bytes().unwrap()
}

fn answer(request: &Packet, code: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_type(MessageType::Acknowledgement);
    p.header.code = MessageClass::from(code);
    p.header.message_id = request.header.message_id;
    p.set_token(request.get_token().to_vec());
    p.payload = payload.to_vec();
    p.to_bytes().unwrap()
}

fn path_of(p: &Packet) -> String {
    let segments: Vec<String> = p
        .get_option(CoapOption::UriPath)
        .map(|v| {
            v.iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default();
    format!("/{}", segments.join("/"))
}

/// The values of a TLV write to `/o/i`, decoded by the runtime with the generated shapes.
fn values<O: ObjectSpec>(p: &Packet) -> Vec<(u16, String)> {
    let base = Path::parse(&path_of(p)).unwrap();
    let mut payload = p.payload.clone();
    let shape = |path: &Path| {
        let info = O::INFO.resource(path.resource()?)?;
        Some(Shape {
            kind: info.kind,
            multiple: info.multiplicity == lwm2m_runtime::Multiplicity::Multiple,
        })
    };
    format::decode(ContentFormat::Tlv, &base, &mut payload, &shape)
        .unwrap()
        .iter()
        .map(|item| {
            let text = match item.value {
                Value::String(s) => s.to_owned(),
                Value::Opaque(b) => format!("{b:02x?}"),
                Value::Integer(i) => i.to_string(),
                Value::Boolean(b) => b.to_string(),
                other => format!("{other:?}"),
            };
            (item.path.resource().unwrap(), text)
        })
        .collect()
}

#[test]
fn a_device_that_asks_is_given_the_account_then_told_to_finish() {
    let mut bs: Bootstrap<u8> = Bootstrap::new([provision()], 100);
    bs.handle(0, 7, &bootstrap_request(0x10, &["ep=dev-1"]));
    let (to, ack) = bs.poll(0).unwrap();
    assert_eq!(to, 7);
    let ack = Packet::from_bytes(&ack).unwrap();
    assert_eq!(ack.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(u8::from(ack.header.code), 0x44, "2.04");
    assert_eq!(ack.header.message_id, 0x10);

    let mut seen = Vec::new();
    for _ in 0..5 {
        let (_, bytes) = bs.poll(0).expect("the next step");
        assert_eq!(bs.poll(0), None, "one request at a time");
        let p = Packet::from_bytes(&bytes).unwrap();
        let code = u8::from(p.header.code);
        let path = path_of(&p);
        seen.push(format!("{code:#04x} {path}"));
        match path.as_str() {
            "/0/1" => {
                let v = values::<lwm2m_security::Spec>(&p);
                assert_eq!(
                    v,
                    vec![
                        (0, "coaps://127.0.0.1:5684".to_owned()),
                        (1, "false".to_owned()),
                        (2, "0".to_owned()),
                        (3, format!("{:02x?}", b"dev-1")),
                        (5, format!("{:02x?}", [0x11u8; 16])),
                        (10, "101".to_owned()),
                    ]
                );
            }
            "/1/1" => {
                let v = values::<lwm2m_server::Spec>(&p);
                assert_eq!(
                    v,
                    vec![
                        (0, "101".to_owned()),
                        (1, "120".to_owned()),
                        (7, "U".to_owned())
                    ]
                );
            }
            _ => {}
        }
        let reply = match code {
            0x04 => answer(&p, 0x42, b""),
            0x01 => answer(
                &p,
                0x45,
                b"lwm2m=\"1.1\",</0/0>;ssid=1,</0/1>;ssid=101,</1/1>;ssid=101",
            ),
            _ => answer(&p, 0x44, b""),
        };
        bs.handle(0, 7, &reply);
    }
    assert_eq!(
        seen,
        ["0x04 /", "0x03 /0/1", "0x03 /1/1", "0x01 /", "0x02 /bs"],
        "Delete, Write /0/1, Write /1/1, Discover, Finish"
    );
    let events: Vec<BootstrapEvent> = std::iter::from_fn(|| bs.poll_event()).collect();
    assert_eq!(
        events.last(),
        Some(&BootstrapEvent::Provisioned {
            endpoint: "dev-1".into()
        })
    );
    assert_eq!(bs.poll(0), None);
    assert_eq!(bs.timeout(), None, "nothing left to wait for");
}

#[test]
fn a_refused_step_ends_the_device_and_says_why() {
    let mut bs: Bootstrap<u8> = Bootstrap::new([provision()], 1);
    bs.handle(0, 7, &bootstrap_request(1, &["ep=dev-1"]));
    bs.poll(0).unwrap();
    let (_, delete) = bs.poll(0).unwrap();
    bs.handle(
        0,
        7,
        &answer(&Packet::from_bytes(&delete).unwrap(), 0x42, b""),
    );
    let (_, write) = bs.poll(0).unwrap();
    bs.handle(
        0,
        7,
        &answer(&Packet::from_bytes(&write).unwrap(), 0x80, b""),
    );
    let events: Vec<BootstrapEvent> = std::iter::from_fn(|| bs.poll_event()).collect();
    assert_eq!(
        events.last(),
        Some(&BootstrapEvent::Failed {
            endpoint: "dev-1".into(),
            why: "PUT /0/1 answered 4.00".into()
        })
    );
    assert_eq!(bs.poll(0), None, "no further steps");
}

#[test]
fn an_unanswered_step_is_retransmitted_then_given_up() {
    let mut bs: Bootstrap<u8> = Bootstrap::new([provision()], 1);
    bs.handle(0, 7, &bootstrap_request(1, &["ep=dev-1"]));
    bs.poll(0).unwrap();
    let (_, first) = bs.poll(0).unwrap();
    let mut sends = vec![0];
    while let Some(due) = bs.timeout() {
        if let Some((_, again)) = bs.poll(due) {
            assert_eq!(again, first, "the same request");
            sends.push(due);
        }
    }
    assert_eq!(sends, [0, 2_000, 6_000, 14_000, 30_000]);
    let events: Vec<BootstrapEvent> = std::iter::from_fn(|| bs.poll_event()).collect();
    assert!(
        matches!(events.last(), Some(BootstrapEvent::Failed { why, .. }) if why == "DELETE / went unanswered")
    );
}

#[test]
fn a_bootstrap_request_without_an_endpoint_is_4_00() {
    let mut bs: Bootstrap<u8> = Bootstrap::new([provision()], 1);
    bs.handle(0, 7, &bootstrap_request(9, &["pct=11542"]));
    let (_, ack) = bs.poll(0).unwrap();
    assert_eq!(
        u8::from(Packet::from_bytes(&ack).unwrap().header.code),
        0x80
    );
    assert_eq!(bs.poll(0), None);
}

#[test]
fn each_account_is_written_to_instances_of_its_own() {
    let second = Provision {
        server_uri: "coap://127.0.0.1:5690".into(),
        short_server_id: 102,
        lifetime: 300,
        psk: None,
    };
    let mut bs: Bootstrap<u8> = Bootstrap::new([provision(), second], 1);
    bs.handle(0, 7, &bootstrap_request(1, &["ep=dev-1"]));
    bs.poll(0).unwrap();
    let mut seen = Vec::new();
    while let Some((_, bytes)) = bs.poll(0) {
        let p = Packet::from_bytes(&bytes).unwrap();
        let path = path_of(&p);
        if path == "/1/2" {
            let v = values::<lwm2m_server::Spec>(&p);
            assert_eq!(v[..2], [(0, "102".to_owned()), (1, "300".to_owned())]);
        }
        seen.push(path);
        bs.handle(0, 7, &answer(&p, 0x44, b""));
    }
    assert_eq!(seen, ["/", "/0/1", "/1/1", "/0/2", "/1/2", "/", "/bs"]);
}
