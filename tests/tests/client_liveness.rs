//! Liveness of the client against a server that stops answering, forgets it, or is slow:
//! every exchange has a deadline and an outcome, registration always has a timer, retries
//! back off with jitter up to a cap, notifications coalesce and carry the newest value, and
//! an idle device sleeps until it has something to do. Each test is a regression test for a
//! defect of issue 10.

mod common;

use coap_lite::{CoapOption, MessageType, Packet};
use common::*;
use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::client::{Client, Config, Device, Event, Instant, Peer};
use lwm2m_runtime::{Error, Multiplicity, Object, ObjectInfo, ReadSink, Requirement, Version};

/// The smallest object of tests/xml/lab.xml: only its mandatory Label (/42300/0/0).
#[derive(Lwm2mObject)]
#[lwm2m(xml = "xml/lab.xml")]
struct Label {
    label: heapless::String<32>,
}

fn label(text: &str) -> Label {
    Label {
        label: heapless::String::try_from(text).unwrap(),
    }
}

macro_rules! dev {
    ($o:expr) => {
        &mut Device::new(&mut [&mut $o as &mut dyn Object])
    };
}

const LABEL: [u16; 3] = [42300, 0, 0];

/// Observes the label (with `pmax` when given) and returns the observation's token.
fn observe(h: &mut Harness, o: &mut Label, pmax: Option<u32>) -> Vec<u8> {
    if let Some(pmax) = pmax {
        let r = h.send(
            dev!(*o),
            Request::new(PUT, "/42300/0/0").query(&format!("pmax={pmax}")),
        );
        assert_eq!(code_str(&r), "2.04");
    }
    let r = h.send(
        dev!(*o),
        Request::new(GET, "/42300/0/0").uint(CoapOption::Observe, 0),
    );
    assert_eq!(uint(&r, CoapOption::Observe), Some(2), "observing");
    r.get_token().to_vec()
}

fn set(h: &mut Harness, o: &mut Label, text: &str) {
    o.label = heapless::String::try_from(text).unwrap();
    h.changed(&LABEL);
}

fn is_register(p: &Packet) -> bool {
    code_of(p) == POST && strings(p, CoapOption::UriPath) == ["rd"]
}

fn is_update(p: &Packet) -> bool {
    code_of(p) == POST && strings(p, CoapOption::UriPath) == ["rd", "5a3f"]
}

/// Runs the client by its own timeout (and `every` ms when given, calling `tick` then)
/// until `end`, dropping all it sends; returns what it sent, with the time, and how often
/// it was woken.
fn run_unanswered(
    h: &mut Harness,
    o: &mut Label,
    end: Instant,
    every: Option<u64>,
    mut tick: impl FnMut(&mut Harness, &mut Label),
) -> (Vec<(Instant, Packet)>, usize) {
    let mut sent = Vec::new();
    let mut wakes = 0;
    let mut next_tick = every.map(|ms| h.now.after(ms));
    h.pump(dev!(*o));
    sent.extend(h.to_server.drain(..).map(|p| (h.now, p)));
    while h.now < end {
        let timeout = h.client.timeout();
        assert!(
            timeout.is_some(),
            "at {:?} the client has nothing scheduled (registered: {})",
            h.now,
            h.client.is_registered()
        );
        let at = [timeout, next_tick, Some(end)]
            .into_iter()
            .flatten()
            .min()
            .unwrap()
            .max(h.now);
        h.now = at;
        if next_tick.is_some_and(|t| t <= at) {
            tick(h, o);
            next_tick = every.map(|ms| at.after(ms));
        }
        wakes += 1;
        h.pump(dev!(*o));
        sent.extend(h.to_server.drain(..).map(|p| (at, p)));
    }
    (sent, wakes)
}

/// The issue's run: registered, one observed value changing every second, then an hour in
/// which the server answers nothing. The client used to go silent for good (its queue full
/// of notifications, Register and Update dropped, no timer).
#[test]
fn an_hour_without_answers_under_an_observation_keeps_the_client_trying() {
    let mut o = label("0");
    let mut h = Harness::new(Harness::endpoint("sleepy-1"));
    h.register(dev!(o));
    observe(&mut h, &mut o, None);
    let mut n = 0;
    let end = h.now.after(3_600_000);
    let (sent, _) = run_unanswered(&mut h, &mut o, end, Some(1_000), |h, o| {
        n += 1;
        set(h, o, &n.to_string());
    });
    let distinct = |f: fn(&Packet) -> bool| {
        let mut mids: Vec<u16> = sent
            .iter()
            .filter(|(_, p)| f(p))
            .map(|(_, p)| p.header.message_id)
            .collect();
        mids.dedup();
        mids.len()
    };
    let (updates, registers) = (distinct(is_update), distinct(is_register));
    eprintln!(
        "one hour unanswered: {updates} Update and {registers} Register exchanges, {} datagrams",
        sent.len()
    );
    assert!(updates >= 1, "the Update goes out: {updates}");
    // Give-up after at most 93 s, then waits of at most 300 s: at least 3600 / 393.
    assert!(registers >= 9, "Register keeps being retried: {registers}");
    let notifications = sent
        .iter()
        .filter(|(_, p)| code_of(p) == code(2, 5))
        .count();
    assert!(
        (1..=5).contains(&notifications),
        "one notification in flight, retransmitted four times with the newest value, then \
         the observation ends: {notifications}"
    );
}

/// Register waits: a wait of between half and all of the backoff, which doubles from 5 s
/// to a cap of 300 s; two devices with different seeds do not retry in step.
#[test]
fn failed_registrations_back_off_with_jitter_up_to_a_cap() {
    let waits = |seed: u64| {
        let mut o = label("0");
        let mut h = Harness::new(Client::new(Config::new("dev").unwrap(), seed));
        h.client.register(h.now, dev!(o));
        let end = h.now.after(4 * 3_600_000);
        let (sent, _) = run_unanswered(&mut h, &mut o, end, None, |_, _| {});
        // Each exchange: its start, and its first retransmission (which gives its timeout).
        let mut exchanges: Vec<(u16, Vec<Instant>)> = Vec::new();
        for (at, p) in sent.iter().filter(|(_, p)| is_register(p)) {
            match exchanges.last_mut() {
                Some((mid, times)) if *mid == p.header.message_id => times.push(*at),
                _ => exchanges.push((p.header.message_id, vec![*at])),
            }
        }
        let mut waits = Vec::new();
        for pair in exchanges.windows(2) {
            let times = &pair[0].1;
            assert_eq!(times.len(), 5, "four retransmissions, then it gives up");
            // RFC 7252: timeouts t, 2t, 4t, 8t, 16t from the first transmission.
            let t = times[1].since(times[0]);
            let gave_up = times[0].after(31 * t);
            waits.push(pair[1].1[0].since(gave_up));
        }
        waits
    };
    let a = waits(1);
    let b = waits(2);
    eprintln!(
        "register waits (s), seed 1: {:?}",
        a.iter().map(|w| w / 1000).collect::<Vec<_>>()
    );
    assert!(a.len() >= 30, "four hours of retries: {}", a.len());
    for (k, w) in a.iter().enumerate() {
        let backoff = (5_000u64 << k.min(10)).min(300_000);
        assert!(
            (backoff / 2..=backoff + 1).contains(w),
            "wait {k}: {w} ms, not within [{}, {backoff}]",
            backoff / 2
        );
    }
    assert!(a.iter().rev().take(10).all(|&w| w <= 300_001), "capped");
    assert_ne!(a, b, "jitter: different seeds, different waits");
}

/// The server forgot the registration (4.04 to the Update): the client registers again,
/// and the observations of the old registration end with it.
#[test]
fn observations_end_with_a_new_registration() {
    let mut o = label("a");
    let mut h = Harness::new(Harness::endpoint("dev"));
    h.register(dev!(o));
    let token = observe(&mut h, &mut o, None);
    h.advance(dev!(o), 300_000 * 3 / 4);
    let update = h.take_server().expect("the Update");
    assert!(is_update(&update));
    h.reply(dev!(o), Peer::Server(1), &update, code(4, 4), |_| {});
    h.pump(dev!(o));
    let register = h.take_server().expect("a Register at once");
    assert!(is_register(&register));
    h.reply(dev!(o), Peer::Server(1), &register, code(2, 1), |r| {
        r.add_option(CoapOption::LocationPath, b"rd".to_vec());
        r.add_option(CoapOption::LocationPath, b"5a3f".to_vec());
    });
    assert!(h.events().contains(&Event::Registered { server: 1 }));
    set(&mut h, &mut o, "b");
    h.advance(dev!(o), 10_000);
    let sent = h.ack_all(dev!(o));
    assert!(
        sent.iter().all(|p| p.get_token() != token.as_slice()),
        "the old observation is gone: {sent:?}"
    );
}

/// A Location-Path segment longer than 32 bytes used to be dropped, so each Update went to
/// the wrong path and ended in a new Register.
#[test]
fn a_long_location_path_is_kept_for_updates() {
    let mut o = label("a");
    let mut h = Harness::new(Harness::endpoint("dev"));
    h.client.register(h.now, dev!(o));
    h.pump(dev!(o));
    let register = h.take_server().unwrap();
    let long = "0123456789abcdef0123456789abcdef0123456789abcdef";
    h.reply(dev!(o), Peer::Server(1), &register, code(2, 1), |r| {
        r.add_option(CoapOption::LocationPath, b"rd".to_vec());
        r.add_option(CoapOption::LocationPath, long.as_bytes().to_vec());
    });
    h.advance(dev!(o), 300_000 * 3 / 4);
    let update = h.take_server().expect("the Update");
    assert_eq!(
        (code_of(&update), strings(&update, CoapOption::UriPath)),
        (POST, vec!["rd".to_owned(), long.to_owned()])
    );
}

/// At most one notification in flight per observation; its retransmission carries the
/// newest value (RFC 7641 4.5.2), with a new sequence number and message ID.
#[test]
fn a_retransmitted_notification_carries_the_newest_value() {
    let mut o = label("0");
    let mut h = Harness::new(Harness::endpoint("dev"));
    h.register(dev!(o));
    let token = observe(&mut h, &mut o, None);
    set(&mut h, &mut o, "1");
    h.advance(dev!(o), 0);
    let first = h.take_server().expect("a notification");
    assert_eq!(
        (first.payload.as_slice(), uint(&first, CoapOption::Observe)),
        (&b"1"[..], Some(3))
    );
    // Two more changes while it waits for its ACK: nothing more goes out...
    set(&mut h, &mut o, "2");
    h.advance(dev!(o), 100);
    set(&mut h, &mut o, "3");
    h.advance(dev!(o), 100);
    assert!(h.take_server().is_none(), "one in flight");
    // ...until the retransmission, which carries the value now.
    h.advance(dev!(o), 3_000);
    let again = h.take_server().expect("the retransmission");
    assert_eq!(
        (
            again.get_token(),
            again.payload.as_slice(),
            uint(&again, CoapOption::Observe)
        ),
        (&token[..], &b"3"[..], Some(4))
    );
    assert_ne!(again.header.message_id, first.header.message_id);
    // Acknowledged: the server has the newest value, nothing more to say.
    let ack = empty(MessageType::Acknowledgement, again.header.message_id);
    h.client
        .handle(h.now, Peer::Server(1), &ack.to_bytes().unwrap(), dev!(o));
    h.advance(dev!(o), 60_000);
    assert!(h.take_server().is_none());
    // An unchanged value is retransmitted as it was.
    set(&mut h, &mut o, "4");
    h.advance(dev!(o), 0);
    let four = h.take_server().unwrap();
    h.advance(dev!(o), 3_000);
    let resent = h.take_server().unwrap();
    assert_eq!(
        (resent.header.message_id, resent.payload),
        (four.header.message_id, b"4".to_vec())
    );
}

/// A value larger than a block is notified block-wise: the first block carries the ETag
/// the server matches against the blocks it then reads.
#[test]
fn a_block_wise_notification_carries_the_etag_of_its_value() {
    let mut o = label("short");
    let mut config = Config::new("dev").unwrap();
    config.max_block = 16;
    let mut h = Harness::new(Client::new(config, 7));
    h.register(dev!(o));
    observe(&mut h, &mut o, None);
    set(&mut h, &mut o, "a label of thirty-two bytes, ok.");
    h.advance(dev!(o), 0);
    let n = h.ack_all(dev!(o)).pop().expect("a notification");
    assert_eq!(block(&n, CoapOption::Block2), Some((0, true, 0)));
    let etag = n
        .get_first_option(CoapOption::ETag)
        .expect("an ETag")
        .clone();
    let rest = h.send(dev!(o), Request::new(GET, "/42300/0/0").block2(1, 0));
    assert_eq!(
        (
            rest.payload.as_slice(),
            rest.get_first_option(CoapOption::ETag)
        ),
        (&b"y-two bytes, ok."[..], Some(&etag))
    );
}

/// Leaked object definitions: `count` objects from ID 20000 with `instances` instances each.
struct Many {
    info: &'static ObjectInfo,
    instances: u16,
}

impl Many {
    fn objects(count: u16, instances: u16) -> Vec<Many> {
        (0..count)
            .map(|i| Many {
                info: Box::leak(Box::new(ObjectInfo {
                    id: 20_000 + i,
                    name: "Many",
                    urn: "urn:oma:lwm2m:x:20000",
                    object_version: Version::new(1, 0),
                    lwm2m_version: Version::new(1, 1),
                    multiplicity: Multiplicity::Multiple,
                    requirement: Requirement::Optional,
                    resources: &[],
                })),
                instances,
            })
            .collect()
    }
}

impl Object for Many {
    fn info(&self) -> &'static ObjectInfo {
        self.info
    }
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        (0..self.instances).for_each(f);
    }
    fn read(&mut self, _: u16, r: u16, _: &mut dyn ReadSink) -> Result<(), Error> {
        Err(self.info.refusal(r))
    }
    fn write(&mut self, _: u16, r: u16, _: lwm2m_runtime::Write<'_, '_>) -> Result<(), Error> {
        Err(self.info.refusal(r))
    }
    fn execute(&mut self, _: u16, r: u16, _: lwm2m_runtime::ExecuteArgs<'_>) -> Result<(), Error> {
        Err(self.info.refusal(r))
    }
}

/// More than 16 objects and 16 instances, over 1,280 bytes of links: the Register goes
/// block-wise (Block1) and carries every one of them. It used to be never sent.
#[test]
fn a_register_larger_than_a_datagram_goes_block_wise_with_every_object() {
    let mut many = Many::objects(20, 24);
    let mut objects: Vec<&mut dyn Object> = many.iter_mut().map(|m| m as &mut dyn Object).collect();
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("big"));
    h.client.register(h.now, &mut device);
    h.pump(&mut device);
    let mut payload = Vec::new();
    let mut blocks = 0;
    loop {
        let p = h.take_server().expect("the next block of the Register");
        assert!(is_register(&p));
        let (num, more, szx) = block(&p, CoapOption::Block1).expect("Block1");
        assert_eq!((num, szx), (blocks, 6), "1024-byte blocks in order");
        payload.extend_from_slice(&p.payload);
        blocks += 1;
        if !more {
            h.reply(&mut device, Peer::Server(1), &p, code(2, 1), |r| {
                r.add_option(CoapOption::LocationPath, b"rd".to_vec());
                r.add_option(CoapOption::LocationPath, b"big".to_vec());
            });
            break;
        }
        h.reply(&mut device, Peer::Server(1), &p, code(2, 31), |r| {
            r.add_option(CoapOption::Block1, block_value(num, true, szx));
        });
        h.pump(&mut device);
    }
    let mut expected = String::from(r#"</>;rt="oma.lwm2m";ct=112"#);
    for object in 20_000..20_020 {
        for instance in 0..24 {
            expected.push_str(&format!(",</{object}/{instance}>"));
        }
    }
    assert!(expected.len() > 1280);
    assert_eq!(String::from_utf8(payload).unwrap(), expected);
    assert_eq!(blocks as usize, expected.len().div_ceil(1024));
    assert!(h.client.is_registered());
}

/// Wake-ups per hour of an idle registered device with one observation: it used to re-read
/// observed values every second (3,600 an hour); now it wakes for its Updates, and for
/// pmax when the server set one.
#[test]
fn an_idle_observed_device_wakes_only_when_it_has_something_to_do() {
    let wakes = |pmax: Option<u32>| {
        let mut o = label("idle");
        let mut h = Harness::new(Harness::endpoint("idle"));
        h.register(dev!(o));
        observe(&mut h, &mut o, pmax);
        let end = h.now.after(3_600_000);
        let mut wakes = 0;
        while let Some(at) = h.client.timeout().filter(|&at| at < end) {
            h.now = at.max(h.now);
            wakes += 1;
            h.pump(dev!(o));
            h.ack_until_quiet(dev!(o));
        }
        wakes
    };
    let (plain, with_pmax) = (wakes(None), wakes(Some(60)));
    eprintln!("wake-ups per hour, idle, one observation: {plain}; with pmax=60: {with_pmax}");
    // Lifetime 300 s: an Update every 225 s, 15 within the hour after registering.
    assert_eq!(plain, 15);
    // And a notification every 60 s (59 within the hour), three of them at the same time as
    // an Update (at 900, 1800 and 2700 s).
    assert_eq!(with_pmax, 15 + 59 - 3);
}

/// Queue mode: the device registers with `Q`, stays reachable for its window after the
/// last exchange, then may sleep until its next Update; on waking it announces itself with
/// an Update before anything else.
#[test]
fn queue_mode_sleeps_after_its_window_and_announces_itself_on_waking() {
    let mut o = label("a");
    let mut config = Config::new("dev").unwrap();
    config.queue_mode = true;
    let mut h = Harness::new(Client::new(config, 3));
    let register = h.register(dev!(o));
    assert!(strings(&register, CoapOption::UriQuery).contains(&"Q".to_owned()));
    observe(&mut h, &mut o, None);
    let observed_at = h.now;
    h.advance(dev!(o), 92_000);
    assert!(h.events().is_empty(), "reachable for 93 s");
    h.advance(dev!(o), 1_000);
    let update_at = Instant(1_000).after(225_000);
    assert_eq!(
        h.events(),
        [Event::MaySleep { until: update_at }],
        "93 s after the last exchange ({observed_at:?})"
    );
    // Asleep: the server cannot reach it, and it says nothing until it has to.
    assert_eq!(h.client.timeout(), Some(update_at));
    h.advance(dev!(o), 10_000);
    assert!(h.take_server().is_none());
    // A change wakes it: an Update first, then the notification.
    set(&mut h, &mut o, "b");
    h.advance(dev!(o), 0);
    let sent = h.ack_until_quiet(dev!(o));
    let kinds: Vec<(String, Vec<u8>)> = sent
        .iter()
        .map(|p| (code_str(p), p.payload.clone()))
        .collect();
    assert_eq!(
        kinds,
        [("0.02".into(), vec![]), ("2.05".into(), b"b".to_vec())]
    );
    assert!(is_update(&sent[0]));
}

/// The application knows when the network changed (a new address, a modem that attached
/// again): a Register waiting out its backoff goes at once, and a registered device sends an
/// Update so that the server learns where it is now.
#[test]
fn a_changed_connection_registers_or_updates_at_once() {
    let mut o = label("a");
    let mut h = Harness::new(Harness::endpoint("dev"));
    h.client.register(h.now, dev!(o));
    // The Register goes unanswered: its five transmissions (the last within 45 s), then it
    // gives up at 31 times its first timeout, and waits 2.5 to 5 s before the next.
    let start = h.now;
    let (sent, _) = run_unanswered(&mut h, &mut o, start.after(50_000), None, |_, _| {});
    let times: Vec<Instant> = sent.iter().map(|(at, _)| *at).collect();
    assert_eq!(times.len(), 5);
    let gave_up = times[0].after(31 * times[1].since(times[0]));
    let (more, _) = run_unanswered(&mut h, &mut o, gave_up.after(1), None, |_, _| {});
    assert!(more.is_empty(), "waiting out the backoff");
    h.client.connection_changed(h.now);
    h.pump(dev!(o));
    let register = h.take_server().expect("a Register at once");
    assert!(is_register(&register));
    h.reply(dev!(o), Peer::Server(1), &register, code(2, 1), |r| {
        r.add_option(CoapOption::LocationPath, b"rd".to_vec());
        r.add_option(CoapOption::LocationPath, b"5a3f".to_vec());
    });
    h.advance(dev!(o), 1_000);
    assert!(h.take_server().is_none(), "registered, nothing due");
    h.client.connection_changed(h.now);
    h.pump(dev!(o));
    let update = h.take_server().expect("an Update at once");
    assert!(is_update(&update));
}

/// Queue mode while a Register waits out its backoff: the end of the awake window is past,
/// but the device is not idle, so it must not be what `timeout()` returns (it was, at every
/// poll: a tight loop until the retry).
#[test]
fn queue_mode_does_not_spin_while_registration_retries() {
    let mut o = label("a");
    let mut config = Config::new("dev").unwrap();
    config.queue_mode = true;
    let mut h = Harness::new(Client::new(config, 5));
    h.client.register(h.now, dev!(o));
    let end = h.now.after(3_600_000);
    let mut polls = 0;
    while h.now < end {
        let at = h.client.timeout().expect("registering: always a deadline");
        assert!(
            at > h.now || polls == 0 || h.client.timeout() != Some(h.now),
            "spinning"
        );
        polls += 1;
        assert!(
            polls < 1_000,
            "{polls} polls in an hour of retries: a tight loop"
        );
        h.now = at.max(h.now);
        h.pump(dev!(o));
        h.to_server.clear();
    }
    eprintln!("queue mode, an hour of unanswered Registers: {polls} polls");
}

/// The server observes again, with the same token, while a notification of the old
/// observation waits for its ACK: when that old notification then times out, the new
/// observation stays (it used to be removed with it).
#[test]
fn observing_again_with_the_same_token_survives_the_old_notification() {
    let mut o = label("0");
    let mut h = Harness::new(Harness::endpoint("dev"));
    h.register(dev!(o));
    let token = observe(&mut h, &mut o, None);
    set(&mut h, &mut o, "1");
    h.advance(dev!(o), 0);
    assert!(
        h.take_server().is_some(),
        "a notification, never acknowledged"
    );
    let mut again = Request::new(GET, "/42300/0/0")
        .uint(CoapOption::Observe, 0)
        .0;
    again.header.message_id = 0x5151;
    again.set_token(token.clone());
    let r = h.send_raw(dev!(o), &again);
    assert_eq!(uint(&r, CoapOption::Observe), Some(2), "observing again");
    // The old notification is never acknowledged: it gives up within 93 s.
    for _ in 0..100 {
        h.advance(dev!(o), 1_000);
        h.to_server.clear();
    }
    set(&mut h, &mut o, "2");
    h.advance(dev!(o), 0);
    let sent = h.ack_all(dev!(o));
    assert!(
        sent.iter()
            .any(|p| p.get_token() == token.as_slice() && p.payload == b"2"),
        "the new observation notifies: {sent:?}"
    );
}

/// A retransmission carrying a newer value has a new message ID; a late ACK of the one it
/// replaced still ends the exchange (it used to be dropped, and the notification went on
/// being retransmitted).
#[test]
fn a_late_ack_of_a_replaced_notification_still_ends_it() {
    let mut o = label("0");
    let mut h = Harness::new(Harness::endpoint("dev"));
    h.register(dev!(o));
    observe(&mut h, &mut o, None);
    set(&mut h, &mut o, "1");
    h.advance(dev!(o), 0);
    let first = h.take_server().unwrap();
    set(&mut h, &mut o, "2");
    h.advance(dev!(o), 3_000);
    let refreshed = h
        .take_server()
        .expect("the retransmission, with the newer value");
    assert_ne!(refreshed.header.message_id, first.header.message_id);
    let ack = empty(MessageType::Acknowledgement, first.header.message_id);
    h.client
        .handle(h.now, Peer::Server(1), &ack.to_bytes().unwrap(), dev!(o));
    h.advance(dev!(o), 60_000);
    let sent = h.ack_all(dev!(o));
    assert!(
        sent.iter()
            .all(|p| p.header.message_id != refreshed.header.message_id),
        "no more retransmissions: {sent:?}"
    );
}

/// A Discover whose links do not fit a block goes block-wise (Block2), as a read does, and
/// lists every instance: it used to stop at 64 instances without a word, and a longer answer
/// would have left as a datagram over 1,280 bytes.
#[test]
fn a_discover_larger_than_a_block_goes_block_wise_with_every_instance() {
    let mut many = Many::objects(1, 200);
    let mut objects: Vec<&mut dyn Object> = many.iter_mut().map(|m| m as &mut dyn Object).collect();
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("big"));
    h.register(&mut device);
    let discover = || Request::new(GET, "/20000").accept(40);
    let first = h.send(&mut device, discover());
    assert_eq!(code_str(&first), "2.05");
    assert_eq!(block(&first, CoapOption::Block2), Some((0, true, 6)));
    let size2 = uint(&first, CoapOption::Size2).expect("Size2 on the first block");
    let etag = first.get_first_option(CoapOption::ETag).cloned();
    assert!(etag.is_some());
    let mut links = first.payload.clone();
    for num in 1.. {
        let next = h.send(&mut device, discover().block2(num, 6));
        assert_eq!(code_str(&next), "2.05", "block {num}");
        assert_eq!(next.get_first_option(CoapOption::ETag).cloned(), etag);
        links.extend_from_slice(&next.payload);
        let (got, more, _) = block(&next, CoapOption::Block2).expect("Block2");
        assert_eq!(got, num);
        if !more {
            break;
        }
    }
    let instances: Vec<String> = (0..200).map(|i| format!("</20000/{i}>")).collect();
    let expected = format!("</20000>,{}", instances.join(","));
    assert_eq!(String::from_utf8(links).unwrap(), expected);
    assert_eq!(size2 as usize, expected.len());
    // One that fits is answered whole.
    let mut few = Many::objects(1, 20);
    let mut objects: Vec<&mut dyn Object> = few.iter_mut().map(|m| m as &mut dyn Object).collect();
    let mut device = Device::new(&mut objects);
    let mut h = Harness::new(Harness::endpoint("small"));
    h.register(&mut device);
    let whole = h.send(&mut device, discover());
    assert_eq!(code_str(&whole), "2.05");
    assert_eq!(block(&whole, CoapOption::Block2), None);
    assert!(
        String::from_utf8(whole.payload)
            .unwrap()
            .ends_with(",</20000/19>")
    );
}
