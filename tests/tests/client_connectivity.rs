//! Object 4 served from a plain struct the radio driver fills: a server reads it, is refused
//! writes, and observes Radio Signal Strength with a threshold to pick a moment to push.

mod common;

use coap_lite::CoapOption;
use common::*;
use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::client::Device;
use lwm2m_runtime::{Instances, Object};

/// What a modem driver knows, bound to our Object 4 definition at compile time.
#[derive(Lwm2mObject)]
#[lwm2m(xml = "../objects/xml/4.xml")]
struct Radio {
    network_bearer: u8,
    available_network_bearer: Instances<u8, 4>,
    radio_signal_strength: i16,
    link_quality: Option<i64>,
    ip_addresses: Instances<heapless::String<40>, 2>,
    cell_id: Option<u32>,
}

impl Radio {
    fn new() -> Self {
        let mut bearers = Instances::new();
        bearers.insert(0, 6).unwrap(); // LTE-TDD
        bearers.insert(1, 7).unwrap(); // LTE-FDD
        let mut ips = Instances::new();
        ips.insert(0, heapless::String::try_from("192.0.2.7").unwrap())
            .unwrap();
        Self {
            network_bearer: 7,
            available_network_bearer: bearers,
            radio_signal_strength: -105,
            link_quality: Some(12),
            ip_addresses: ips,
            cell_id: None,
        }
    }
}

macro_rules! dev {
    ($radio:expr) => {
        &mut Device::new(&mut [&mut $radio as &mut dyn Object])
    };
}

#[test]
fn object_4_is_registered_read_and_read_only() {
    let mut radio = Radio::new();
    let mut h = Harness::new(Harness::endpoint("modem-1"));
    let register = h.register(dev!(radio));
    assert!(
        String::from_utf8(register.payload)
            .unwrap()
            .ends_with(",</4>;ver=1.3,</4/0>"),
        "the registration lists /4 with its object version"
    );

    let r = h.send(dev!(radio), Request::new(GET, "/4/0").accept(110));
    assert_eq!(code_str(&r), "2.05");
    assert_eq!(
        String::from_utf8(r.payload).unwrap(),
        concat!(
            r#"[{"n":"/4/0/0","v":7},"#,
            r#"{"n":"/4/0/1/0","v":6},{"n":"/4/0/1/1","v":7},"#,
            r#"{"n":"/4/0/2","v":-105},{"n":"/4/0/3","v":12},"#,
            r#"{"n":"/4/0/4/0","vs":"192.0.2.7"}]"#
        ),
        "unset optional Cell ID is left out"
    );
    let r = h.send(dev!(radio), Request::new(GET, "/4/0/8"));
    assert_eq!(code_str(&r), "4.04", "Cell ID is not known");
    let r = h.send(
        dev!(radio),
        Request::new(PUT, "/4/0/2").format(0).payload(b"-50"),
    );
    assert_eq!(code_str(&r), "4.05", "Radio Signal Strength is read-only");
    assert_eq!(radio.radio_signal_strength, -105, "and unchanged");
}

#[test]
fn a_server_watches_signal_strength_and_hears_when_it_crosses_its_threshold() {
    let mut radio = Radio::new();
    let mut h = Harness::new(Harness::endpoint("modem-1"));
    h.register(dev!(radio));
    // "Tell me when the signal is better than -90 dBm, at most every 5 s, at least every 600 s."
    let r = h.send(
        dev!(radio),
        Request::new(PUT, "/4/0/2")
            .query("gt=-90")
            .query("pmin=5")
            .query("pmax=600"),
    );
    assert_eq!(code_str(&r), "2.04");
    let r = h.send(
        dev!(radio),
        Request::new(GET, "/4/0/2").uint(CoapOption::Observe, 0),
    );
    assert_eq!(
        (code_str(&r), r.payload.as_slice()),
        ("2.05".into(), &b"-105"[..])
    );
    let token = r.get_token().to_vec();

    // The driver updates the field as it measures and says so; staying below -90 is not
    // news.
    for rssi in [-101, -97, -92] {
        radio.radio_signal_strength = rssi;
        h.changed(&[4, 0, 2]);
        h.advance(dev!(radio), 6_000);
        assert!(h.ack_all(dev!(radio)).is_empty(), "{rssi} dBm is below gt");
    }
    radio.radio_signal_strength = -84;
    h.changed(&[4, 0, 2]);
    h.advance(dev!(radio), 6_000);
    let sent = h.ack_all(dev!(radio));
    assert_eq!(sent.len(), 1, "crossing -90 is");
    assert_eq!(
        (sent[0].get_token(), sent[0].payload.as_slice()),
        (&token[..], &b"-84"[..])
    );

    // Falling back below the threshold crosses it again.
    radio.radio_signal_strength = -95;
    h.changed(&[4, 0]);
    h.advance(dev!(radio), 6_000);
    let sent = h.ack_all(dev!(radio));
    assert_eq!(
        sent.iter().map(|p| p.payload.clone()).collect::<Vec<_>>(),
        [b"-95".to_vec()]
    );

    // Without a crossing, pmax still brings the current value. (Over ten minutes the
    // registration is updated too; only this observation's notifications count here.)
    let notifications = |sent: Vec<coap_lite::Packet>| -> Vec<Vec<u8>> {
        sent.into_iter()
            .filter(|p| p.get_token() == token.as_slice())
            .map(|p| p.payload)
            .collect()
    };
    h.advance(dev!(radio), 594_000);
    assert!(
        notifications(h.ack_all(dev!(radio))).is_empty(),
        "before pmax"
    );
    h.advance(dev!(radio), 6_000);
    assert_eq!(notifications(h.ack_all(dev!(radio))), [b"-95".to_vec()]);
}
