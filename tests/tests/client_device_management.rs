//! Read, Write, Execute, Discover, Write-Attributes, Observe and block-wise reads, exchange by
//! exchange, asserting codes, options and payload bytes.

mod common;

use coap_lite::{CoapOption, MessageType};
use common::*;
use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::client::{Device, Peer};
use lwm2m_runtime::{Error, ExecuteArgs, Instances, Object};

/// Object 42300 (tests/xml/lab.xml): every kind of resource the client must serve.
#[derive(Lwm2mObject, Default)]
#[lwm2m(xml = "xml/lab.xml")]
#[lwm2m(resource = 4, execute = "trigger")]
struct Lab {
    label: heapless::String<32>,
    setpoints: Option<Instances<u8, 4>>,
    gain: Option<f64>,
    key: Option<heapless::Vec<u8, 16>>,
    log: Option<heapless::String<3000>>,
    level: Option<i16>,
    enabled: Option<bool>,
    #[lwm2m(skip)]
    triggered: Vec<(u8, Option<String>)>,
}

impl Lab {
    fn new() -> Self {
        let mut setpoints = Instances::new();
        setpoints.insert(0, 20).unwrap();
        setpoints.insert(3, 25).unwrap();
        let mut log = heapless::String::new();
        for i in 0..200 {
            use core::fmt::Write;
            writeln!(log, "line {i:04}").unwrap();
        }
        Self {
            label: heapless::String::try_from("bench").unwrap(),
            setpoints: Some(setpoints),
            gain: Some(1.5),
            key: None,
            log: Some(log),
            level: Some(-40),
            enabled: Some(true),
            triggered: Vec::new(),
        }
    }

    fn trigger(&mut self, _: u16, args: ExecuteArgs<'_>) -> Result<(), Error> {
        for arg in args.iter() {
            let (digit, value) = arg.map_err(|_| Error::BadRequest)?;
            self.triggered.push((
                digit,
                value.map(|v| String::from_utf8_lossy(v).into_owned()),
            ));
        }
        Ok(())
    }
}

fn setup<'a>(objects: &'a mut [&'a mut dyn Object]) -> (Harness, Device<'a, 'a>) {
    let mut device = Device::new(objects);
    let mut h = Harness::new(Harness::endpoint("lab-1"));
    h.register(&mut device);
    (h, device)
}

#[test]
fn reads_at_every_depth_in_the_formats_asked_for() {
    let mut lab = Lab::new();
    let mut objects: [&mut dyn Object; 1] = [&mut lab];
    let (mut h, mut device) = setup(&mut objects);

    let r = h.send(&mut device, Request::new(GET, "/42300/0/0"));
    assert_eq!(
        (
            code_str(&r),
            uint(&r, CoapOption::ContentFormat),
            r.payload.as_slice()
        ),
        ("2.05".into(), Some(0), &b"bench"[..])
    );

    let r = h.send(&mut device, Request::new(GET, "/42300/0/1/3"));
    assert_eq!(r.payload, b"25", "a resource instance as text");

    let r = h.send(&mut device, Request::new(GET, "/42300/0/1").accept(11542));
    // Multiple resource 1 holding instances 0 (20) and 3 (25).
    assert_eq!(r.payload, [0x86, 0x01, 0x41, 0x00, 20, 0x41, 0x03, 25]);

    let r = h.send(&mut device, Request::new(GET, "/42300/0").accept(110));
    let json = String::from_utf8(r.payload.clone()).unwrap();
    assert!(json.starts_with(r#"[{"n":"/42300/0/0","vs":"bench"},{"n":"/42300/0/1/0","v":20},{"n":"/42300/0/1/3","v":25},{"n":"/42300/0/2","v":1.5}"#), "{json}");
    assert!(
        !json.contains("/42300/0/3"),
        "the unset optional Key is left out"
    );

    // No Accept on an instance: the format the client announced, SenML CBOR.
    let r = h.send(&mut device, Request::new(GET, "/42300/0").block2(0, 6));
    assert_eq!(uint(&r, CoapOption::ContentFormat), Some(112));
}

#[test]
fn read_errors_have_their_codes() {
    let mut lab = Lab::new();
    let mut objects: [&mut dyn Object; 1] = [&mut lab];
    let (mut h, mut device) = setup(&mut objects);
    for (request, expected) in [
        (Request::new(GET, "/9/0"), "4.04"),
        (Request::new(GET, "/42300/1"), "4.04"),
        (Request::new(GET, "/42300/0/99"), "4.04"),
        (Request::new(GET, "/42300/0/3"), "4.04"),
        (Request::new(GET, "/42300/0/4"), "4.05"),
        (Request::new(GET, "/42300/0/0/1"), "4.04"),
        (Request::new(GET, "/42300/0").accept(0), "4.06"),
        (Request::new(GET, "/42300/0/0").accept(9999), "4.06"),
        (Request::new(GET, "/42300/0/0").accept(42), "4.06"),
        (Request::new(DELETE, "/42300/0"), "4.05"),
        (Request::new(POST, "/42300"), "4.05"),
        (Request::new(GET, "/42300/x"), "4.04"),
    ] {
        let r = h.send(&mut device, request);
        assert_eq!(code_str(&r), expected);
    }
}

#[test]
fn writes_check_type_range_and_operations_before_changing_anything() {
    let mut lab = Lab::new();
    {
        let mut objects: [&mut dyn Object; 1] = [&mut lab];
        let (mut h, mut device) = setup(&mut objects);
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/0").format(0).payload(b"rig-2"),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/2").format(0).payload(b"99"),
        );
        assert_eq!(code_str(&r), "4.00", "gain is -10..10");
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/0")
                .format(0)
                .payload(&[b'x'; 33]),
        );
        assert_eq!(code_str(&r), "4.00", "label is up to 32 bytes");
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/6").format(0).payload(b"1"),
        );
        assert_eq!(code_str(&r), "4.05", "level is read-only");
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/0")
                .format(60)
                .payload(b"\x61\x61"),
        );
        assert_eq!(code_str(&r), "4.15");
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/7").format(0).payload(b"yes"),
        );
        assert_eq!(code_str(&r), "4.00");
        // A partial update (POST) of the instance in TLV: label and gain; the out-of-range
        // setpoint in the same payload refuses all of it.
        let bad = [
            0xC3, 0x00, b'n', b'e', b'w', 0xC8, 0x02, 8, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x86, 0x01,
            0x41, 0x00, 200,
        ];
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0").format(11542).payload(&bad),
        );
        assert_eq!(code_str(&r), "4.00");
        let good = [
            0xC3, 0x00, b'n', b'e', b'w', 0xC8, 0x02, 8, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x83, 0x01,
            0x41, 0x07, 50,
        ];
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0").format(11542).payload(&good),
        );
        assert_eq!(code_str(&r), "2.04");
        // Replace the multiple resource with one instance.
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/1")
                .format(11542)
                .payload(&[0x83, 0x01, 0x41, 0x05, 60]),
        );
        assert_eq!(code_str(&r), "2.04");
        // SenML JSON, opaque in base64url.
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/3")
                .format(110)
                .payload(br#"[{"n":"/42300/0/3","vd":"AQID"}]"#),
        );
        assert_eq!(code_str(&r), "2.04");
    }
    assert_eq!(lab.label.as_str(), "new");
    assert_eq!(lab.gain, Some(1.0));
    let setpoints: Vec<(u16, u8)> = lab
        .setpoints
        .as_ref()
        .unwrap()
        .iter()
        .map(|(i, v)| (i, *v))
        .collect();
    assert_eq!(setpoints, [(5, 60)]);
    assert_eq!(lab.key.as_deref(), Some(&[1u8, 2, 3][..]));
}

#[test]
fn partial_update_of_a_multiple_resource_keeps_other_instances() {
    let mut lab = Lab::new();
    {
        let mut objects: [&mut dyn Object; 1] = [&mut lab];
        let (mut h, mut device) = setup(&mut objects);
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0/1")
                .format(11542)
                .payload(&[0x83, 0x01, 0x41, 0x09, 99]),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = h.send(
            &mut device,
            Request::new(PUT, "/42300/0/1/0").format(0).payload(b"11"),
        );
        assert_eq!(code_str(&r), "2.04");
        // POST on a single resource is Execute, not a write: Label is not executable.
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0/0")
                .format(0)
                .payload(b"posted"),
        );
        assert_eq!(code_str(&r), "4.05");
        // Nor on a resource instance.
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0/1/0").format(0).payload(b"12"),
        );
        assert_eq!(code_str(&r), "4.05");
    }
    assert_eq!(lab.label.as_str(), "bench", "the label is untouched");
    let setpoints: Vec<(u16, u8)> = lab
        .setpoints
        .as_ref()
        .unwrap()
        .iter()
        .map(|(i, v)| (i, *v))
        .collect();
    assert_eq!(setpoints, [(0, 11), (3, 25), (9, 99)]);
}

#[test]
fn execute_passes_arguments_and_refuses_malformed_ones() {
    let mut lab = Lab::new();
    {
        let mut objects: [&mut dyn Object; 1] = [&mut lab];
        let (mut h, mut device) = setup(&mut objects);
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0/4").payload(b"0,3='fast'"),
        );
        assert_eq!(code_str(&r), "2.04");
        let r = h.send(
            &mut device,
            Request::new(POST, "/42300/0/4").payload(b"0,x"),
        );
        assert_eq!(code_str(&r), "4.00");
        let r = h.send(&mut device, Request::new(POST, "/42300/0/6"));
        assert_eq!(code_str(&r), "4.05", "POST on a read-only single resource");
    }
    assert_eq!(lab.triggered, [(0, None), (3, Some("fast".to_owned()))]);
}

#[test]
fn discover_lists_resources_with_dim_and_attributes() {
    let mut lab = Lab::new();
    let mut objects: [&mut dyn Object; 1] = [&mut lab];
    let (mut h, mut device) = setup(&mut objects);
    let r = h.send(
        &mut device,
        Request::new(PUT, "/42300/0/6")
            .query("pmin=5")
            .query("pmax=60")
            .query("gt=-30"),
    );
    assert_eq!(code_str(&r), "2.04");
    let r = h.send(
        &mut device,
        Request::new(PUT, "/42300/0/6")
            .query("pmin=70")
            .query("pmax=60"),
    );
    assert_eq!(code_str(&r), "4.00", "pmin above pmax");
    let r = h.send(
        &mut device,
        Request::new(PUT, "/42300/0/6").query("bogus=1"),
    );
    assert_eq!(code_str(&r), "4.00");
    let r = h.send(&mut device, Request::new(GET, "/42300/0").accept(40));
    assert_eq!(
        (code_str(&r), uint(&r, CoapOption::ContentFormat)),
        ("2.05".into(), Some(40))
    );
    assert_eq!(
        String::from_utf8(r.payload).unwrap(),
        "</42300/0>,</42300/0/0>,</42300/0/1>;dim=2,</42300/0/2>,</42300/0/3>,</42300/0/4>,</42300/0/5>,</42300/0/6>;pmin=5;pmax=60;gt=-30,</42300/0/7>"
    );
    let r = h.send(&mut device, Request::new(GET, "/42300").accept(40));
    assert!(
        String::from_utf8(r.payload)
            .unwrap()
            .starts_with("</42300>,</42300/0>,")
    );
}

#[test]
fn large_reads_go_block_by_block_at_the_size_asked() {
    let mut lab = Lab::new();
    let expected = lab.log.clone().unwrap();
    let mut objects: [&mut dyn Object; 1] = [&mut lab];
    let (mut h, mut device) = setup(&mut objects);
    // 2000 bytes: without Block2 the client starts block-wise itself, at 1024.
    let r = h.send(&mut device, Request::new(GET, "/42300/0/5"));
    assert_eq!(block(&r, CoapOption::Block2), Some((0, true, 6)));
    assert_eq!(uint(&r, CoapOption::Size2), Some(2000));
    assert_eq!(r.payload.len(), 1024);
    let etag = r.get_first_option(CoapOption::ETag).cloned();
    // The server asks for smaller blocks: 256 bytes, from block 4 (offset 1024).
    let mut body = r.payload.clone();
    body.truncate(1024);
    let mut num = 4;
    loop {
        let r = h.send(&mut device, Request::new(GET, "/42300/0/5").block2(num, 4));
        let (n, more, szx) = block(&r, CoapOption::Block2).unwrap();
        assert_eq!((n, szx), (num, 4));
        assert_eq!(
            r.get_first_option(CoapOption::ETag).cloned(),
            etag,
            "the same body"
        );
        body.extend_from_slice(&r.payload);
        if !more {
            break;
        }
        num += 1;
    }
    assert_eq!(num, 7);
    assert_eq!(body, expected.as_bytes());
    let r = h.send(&mut device, Request::new(GET, "/42300/0/5").block2(40, 4));
    assert_eq!(code_str(&r), "4.00", "a block past the end");
}

/// A device over `lab` for one call: the board hands its objects in on every call, so the
/// test can change them in between.
macro_rules! dev {
    ($lab:expr) => {
        &mut Device::new(&mut [&mut $lab as &mut dyn Object])
    };
}

#[test]
fn observe_notifies_on_change_within_pmin_and_pmax() {
    let mut lab = Lab::new();
    let mut h = Harness::new(Harness::endpoint("lab-1"));
    h.register(dev!(lab));
    let r = h.send(
        dev!(lab),
        Request::new(PUT, "/42300/0/6")
            .query("pmin=2")
            .query("pmax=10"),
    );
    assert_eq!(code_str(&r), "2.04");
    let r = h.send(
        dev!(lab),
        Request::new(GET, "/42300/0/6").uint(CoapOption::Observe, 0),
    );
    assert_eq!(
        (
            code_str(&r),
            uint(&r, CoapOption::Observe),
            r.payload.as_slice()
        ),
        ("2.05".into(), Some(2), &b"-40"[..])
    );
    let token = r.get_token().to_vec();

    // The value changes at once, but pmin holds the notification for 2 s.
    lab.level = Some(-35);
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 1_000);
    assert!(h.ack_all(dev!(lab)).is_empty(), "pmin");
    h.advance(dev!(lab), 1_000);
    let sent = h.ack_all(dev!(lab));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (
            sent[0].get_token(),
            uint(&sent[0], CoapOption::Observe),
            sent[0].payload.as_slice()
        ),
        (&token[..], Some(3), &b"-35"[..])
    );
    assert_eq!(sent[0].header.get_type(), MessageType::Confirmable);

    // A change nobody reports is not looked for (the device may sleep): nothing until
    // pmax (10 s) since the last notification, which carries the value then.
    lab.level = Some(-30);
    h.advance(dev!(lab), 9_000);
    assert!(h.ack_all(dev!(lab)).is_empty());
    h.advance(dev!(lab), 1_000);
    let sent = h.ack_all(dev!(lab));
    assert_eq!(
        (
            sent.len(),
            uint(&sent[0], CoapOption::Observe),
            sent[0].payload.as_slice()
        ),
        (1, Some(4), &b"-30"[..])
    );

    // A reset to a notification cancels the observation.
    lab.level = Some(-20);
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 2_000);
    let notification = h.take_server().unwrap();
    let rst = empty(MessageType::Reset, notification.header.message_id);
    h.client
        .handle(h.now, Peer::Server(1), &rst.to_bytes().unwrap(), dev!(lab));
    lab.level = Some(0);
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 20_000);
    // A server that resets a notification may have restarted: the client checks its
    // registration with an Update, and notifies nothing more.
    let sent = h.ack_all(dev!(lab));
    assert!(!sent.is_empty(), "an Update");
    for p in &sent {
        assert_eq!(
            (code_str(p), p.header.message_id),
            ("0.02".into(), sent[0].header.message_id),
            "cancelled by RST; one Update (and its retransmissions)"
        );
    }
}

#[test]
fn thresholds_decide_what_is_a_change_and_cancel_stops_notifications() {
    let mut lab = Lab::new();
    let mut h = Harness::new(Harness::endpoint("lab-1"));
    h.register(dev!(lab));
    let r = h.send(dev!(lab), Request::new(PUT, "/42300/0/6").query("gt=-30"));
    assert_eq!(code_str(&r), "2.04");
    let r = h.send(
        dev!(lab),
        Request::new(GET, "/42300/0/6").uint(CoapOption::Observe, 0),
    );
    let token = r.get_token().to_vec();
    lab.level = Some(-35); // still below gt: no notification
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 1_500);
    assert!(h.ack_all(dev!(lab)).is_empty());
    lab.level = Some(-25); // crossed -30
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 1_500);
    let sent = h.ack_all(dev!(lab));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload, b"-25");
    // Cancel with Observe 1 (same token).
    let mut cancel = Request::new(GET, "/42300/0/6")
        .uint(CoapOption::Observe, 1)
        .0;
    cancel.header.message_id = 0x7777;
    cancel.set_token(token);
    let r = h.send_raw(dev!(lab), &cancel);
    assert_eq!(code_str(&r), "2.05");
    lab.level = Some(-50);
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 5_000);
    assert!(h.ack_all(dev!(lab)).is_empty());
}

#[test]
fn a_step_attribute_is_taken_and_notifies_only_steps_that_large() {
    let mut lab = Lab::new();
    let mut h = Harness::new(Harness::endpoint("lab-1"));
    h.register(dev!(lab));
    // `st` with a value used to be refused whatever the value.
    let r = h.send(dev!(lab), Request::new(PUT, "/42300/0/6").query("st=5"));
    assert_eq!(code_str(&r), "2.04");
    let r = h.send(dev!(lab), Request::new(PUT, "/42300/0/6").query("st=-1"));
    assert_eq!(code_str(&r), "4.00", "a negative step");
    let r = h.send(dev!(lab), Request::new(GET, "/42300/0/6").accept(40));
    assert!(
        String::from_utf8(r.payload).unwrap().contains("st=5"),
        "Discover shows the step"
    );
    let r = h.send(
        dev!(lab),
        Request::new(GET, "/42300/0/6").uint(CoapOption::Observe, 0),
    );
    assert_eq!(code_str(&r), "2.05");
    let start = lab.level.unwrap_or(0);
    lab.level = Some(start + 3); // less than the step
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 1_500);
    assert!(h.ack_all(dev!(lab)).is_empty(), "a change smaller than st");
    lab.level = Some(start + 6);
    h.changed(&[42300, 0, 6]);
    h.advance(dev!(lab), 1_500);
    assert_eq!(h.ack_all(dev!(lab)).len(), 1, "a change of st or more");
    // A bare `st` clears it: every change counts again.
    let r = h.send(dev!(lab), Request::new(PUT, "/42300/0/6").query("st"));
    assert_eq!(code_str(&r), "2.04");
    lab.level = Some(start + 7);
    h.changed(&[42300]);
    h.advance(dev!(lab), 1_500);
    assert_eq!(h.ack_all(dev!(lab)).len(), 1);
}

#[test]
fn an_acknowledged_notification_lets_the_next_one_go_and_keeps_the_observation() {
    let mut lab = Lab::new();
    let mut h = Harness::new(Harness::endpoint("lab-1"));
    h.register(dev!(lab));
    let r = h.send(
        dev!(lab),
        Request::new(GET, "/42300/0/6").uint(CoapOption::Observe, 0),
    );
    let token = r.get_token().to_vec();
    let mut payloads = Vec::new();
    // A change every 2 s for a minute: each is notified at once, although the previous
    // notification's exchange has been acknowledged only just before.
    for step in 1..=30 {
        lab.level = Some(-40 + step);
        h.changed(&[42300, 0, 6]);
        h.advance(dev!(lab), 2_000);
        let sent = h.ack_all(dev!(lab));
        let ours: Vec<_> = sent
            .iter()
            .filter(|p| p.get_token() == token.as_slice())
            .collect();
        assert_eq!(ours.len(), 1, "step {step}: {sent:?}");
        payloads.push(String::from_utf8(ours[0].payload.clone()).unwrap());
    }
    assert_eq!(payloads.first().map(String::as_str), Some("-39"));
    assert_eq!(payloads.last().map(String::as_str), Some("-10"));
}
