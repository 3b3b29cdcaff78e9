//! Registration, updates, deregistration and the message layer, exchange by exchange.

mod common;

use coap_lite::{CoapOption, MessageType, Packet};
use common::*;
use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::client::{Device, Event, Instant, Peer};
use lwm2m_runtime::{Error, ExecuteArgs, Instances, Object};

#[derive(Lwm2mObject)]
#[lwm2m(xml = "../objects/xml/3.xml")]
#[lwm2m(resource = 4, execute = "reboot")]
struct Dev {
    manufacturer: Option<heapless::String<32>>,
    error_code: Instances<u8, 4>,
    supported_binding_and_modes: heapless::String<8>,
    #[lwm2m(skip)]
    reboots: u32,
}

impl Dev {
    fn new() -> Self {
        let mut error_code = Instances::new();
        error_code.insert(0, 0).unwrap();
        Self {
            manufacturer: Some(heapless::String::try_from("ACME").unwrap()),
            error_code,
            supported_binding_and_modes: heapless::String::try_from("U").unwrap(),
            reboots: 0,
        }
    }

    fn reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        self.reboots += 1;
        Ok(())
    }
}

#[test]
fn register_names_the_endpoint_lifetime_version_binding_and_objects() {
    let mut dev = Dev::new();
    let mut objects: [&mut dyn Object; 1] = [&mut dev];
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("node-7"));
    let register = h.register(&mut device);
    assert_eq!(register.header.get_type(), MessageType::Confirmable);
    assert_eq!(code_of(&register), POST);
    assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    assert_eq!(
        strings(&register, CoapOption::UriQuery),
        ["ep=node-7", "lt=300", "lwm2m=1.1", "b=U"]
    );
    assert_eq!(uint(&register, CoapOption::ContentFormat), Some(40));
    assert_eq!(
        String::from_utf8(register.payload).unwrap(),
        r#"</>;rt="oma.lwm2m";ct=112,</3>;ver=1.2,</3/0>"#
    );
    assert!(h.client.is_registered());
}

#[test]
fn update_goes_out_before_the_lifetime_and_a_404_registers_again() {
    let mut dev = Dev::new();
    let mut objects: [&mut dyn Object; 1] = [&mut dev];
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("node-7"));
    h.register(&mut device);
    // Lifetime 300 s: the update is due at 225 s, well before expiry.
    assert_eq!(h.client.timeout(), Some(h.now.after(225_000)));
    h.advance(&mut device, 224_999);
    assert!(h.take_server().is_none(), "not yet");
    h.advance(&mut device, 1);
    let update = h.take_server().expect("an Update");
    assert_eq!(
        (code_of(&update), strings(&update, CoapOption::UriPath)),
        (POST, vec!["rd".to_owned(), "5a3f".to_owned()])
    );
    assert!(update.payload.is_empty(), "the object list did not change");
    h.reply(&mut device, Peer::Server(1), &update, code(4, 4), |_| {});
    h.pump(&mut device);
    let again = h.take_server().expect("a new Register after 4.04");
    assert_eq!(strings(&again, CoapOption::UriPath), ["rd"]);
    assert!(strings(&again, CoapOption::UriQuery).contains(&"ep=node-7".to_owned()));
}

/// The smallest object of tests/xml/lab.xml: only its mandatory Label.
#[derive(Lwm2mObject)]
#[lwm2m(xml = "xml/lab.xml")]
struct Label {
    label: heapless::String<32>,
}

#[test]
fn an_object_added_at_run_time_goes_out_in_an_update_at_once() {
    let mut dev = Dev::new();
    let mut label = Label {
        label: heapless::String::try_from("x").unwrap(),
    };
    let mut h = Harness::new(Harness::endpoint("node-7"));
    h.register(&mut Device::new(&mut [&mut dev as &mut dyn Object]));
    // The board brings up a new object: the next poll sends an Update with the new list,
    // long before the lifetime is due.
    let mut objects: [&mut dyn Object; 2] = [&mut dev, &mut label];
    let mut device = Device::new(&mut objects);
    h.advance(&mut device, 10);
    let update = h.take_server().expect("an Update");
    assert_eq!(
        (code_of(&update), strings(&update, CoapOption::UriPath)),
        (POST, vec!["rd".to_owned(), "5a3f".to_owned()])
    );
    assert_eq!(uint(&update, CoapOption::ContentFormat), Some(40));
    assert_eq!(
        String::from_utf8(update.payload.clone()).unwrap(),
        r#"</>;rt="oma.lwm2m";ct=112,</3>;ver=1.2,</3/0>,</42300/0>"#
    );
    h.reply(&mut device, Peer::Server(1), &update, code(2, 4), |_| {});
    h.advance(&mut device, 10_000);
    assert!(h.take_server().is_none(), "one Update per change");
}

#[test]
fn confirmable_requests_back_off_and_give_up_after_four_retransmissions() {
    let mut dev = Dev::new();
    let mut objects: [&mut dyn Object; 1] = [&mut dev];
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("node-7"));
    h.client.register(h.now, &mut device);
    h.pump(&mut device);
    let first = h.take_server().unwrap();
    let start = h.now;
    let mut times = vec![];
    // Walk the clock through the retransmissions, one millisecond at a time near each.
    while h.now.since(start) < 100_000 {
        let next = h.client.timeout().unwrap();
        h.now = next;
        h.pump(&mut device);
        while let Some(p) = h.take_server() {
            assert_eq!(
                p.header.message_id, first.header.message_id,
                "the same message again"
            );
            times.push(h.now.since(start));
        }
        if h.events()
            .contains(&Event::RegistrationFailed { server: 1 })
        {
            break;
        }
    }
    assert_eq!(times.len(), 4, "MAX_RETRANSMIT is 4: {times:?}");
    // Timeouts double from a random start in [2 s, 3 s]: 2-3, 6-9, 14-21, 30-45 s after the first.
    let bounds = [
        (2_000, 3_000),
        (6_000, 9_000),
        (14_000, 21_000),
        (30_000, 45_000),
    ];
    for (t, (lo, hi)) in times.iter().zip(bounds) {
        assert!((lo..=hi).contains(t), "{t} not in {lo}..={hi}: {times:?}");
    }
    let failed_at = h.now.since(start);
    assert!(
        (62_000..=93_000).contains(&failed_at),
        "gave up at {failed_at}"
    );
    // The next attempt comes after a backoff.
    assert!(h.client.timeout().unwrap() > h.now);
}

#[test]
fn a_duplicate_request_gets_the_cached_response_and_runs_once() {
    let mut dev = Dev::new();
    {
        let mut objects: [&mut dyn Object; 1] = [&mut dev];
        let mut device = Device::new(&mut objects);
        let mut h = Harness::new(Harness::endpoint("node-7"));
        h.register(&mut device);
        let mut req = Request::new(POST, "/3/0/4").0;
        req.header.message_id = 0x0101;
        req.set_token(vec![1, 2]);
        let first = h.send_raw(&mut device, &req);
        let second = h.send_raw(&mut device, &req);
        assert_eq!(code_str(&first), "2.04");
        assert_eq!(first.to_bytes().unwrap(), second.to_bytes().unwrap());
    }
    assert_eq!(dev.reboots, 1, "executed once");
}

#[test]
fn non_confirmable_requests_get_non_confirmable_responses() {
    let mut dev = Dev::new();
    let mut objects: [&mut dyn Object; 1] = [&mut dev];
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("node-7"));
    h.register(&mut device);
    let r = h.send(&mut device, Request::new(GET, "/3/0/0").non());
    assert_eq!(
        (code_str(&r), r.payload.as_slice()),
        ("2.05".to_owned(), &b"ACME"[..])
    );
}

#[test]
fn deregister_deletes_the_registration() {
    let mut dev = Dev::new();
    let mut objects: [&mut dyn Object; 1] = [&mut dev];
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("node-7"));
    h.register(&mut device);
    h.client.deregister(h.now);
    h.pump(&mut device);
    let delete = h.take_server().unwrap();
    assert_eq!(
        (code_of(&delete), strings(&delete, CoapOption::UriPath)),
        (DELETE, vec!["rd".to_owned(), "5a3f".to_owned()])
    );
    h.reply(&mut device, Peer::Server(1), &delete, code(2, 2), |_| {});
    assert_eq!(h.events(), [Event::Deregistered { server: 1 }]);
    assert!(!h.client.is_registered());
}

#[test]
fn garbage_datagrams_are_dropped_without_an_answer() {
    let mut dev = Dev::new();
    let mut objects: [&mut dyn Object; 1] = [&mut dev];
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("node-7"));
    h.register(&mut device);
    for junk in [
        &b""[..],
        b"\x40",
        b"\xff\xff\xff\xff\xff",
        b"\x48\x01\x00\x01",
    ] {
        h.client.handle(h.now, Peer::Server(1), junk, &mut device);
        assert!(h.drain(&mut device).is_empty(), "{junk:?}");
    }
    // A response nobody asked for is reset.
    let mut stray = Packet::new();
    stray.header.set_type(MessageType::Confirmable);
    stray.header.code = coap_lite::MessageClass::from(code(2, 5));
    stray.header.message_id = 7;
    stray.set_token(vec![9, 9]);
    h.client.handle(
        Instant(h.now.0),
        Peer::Server(1),
        &stray.to_bytes().unwrap(),
        &mut device,
    );
    let out = h.drain(&mut device);
    let reset = Packet::from_bytes(&out[0].data).unwrap();
    assert_eq!(
        (reset.header.get_type(), reset.header.message_id),
        (MessageType::Reset, 7)
    );
}
