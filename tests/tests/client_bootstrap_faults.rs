//! Bootstrap under refusals and silence: no tight loops, no return to a deleted server, the
//! same answer to a retransmitted Finish however busy the new server keeps the client.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m_runtime::client::{
    Account, BootstrapAccount, Client, Config, Device, Instant, Peer, Retry, Security,
    ServerSettings, Transmit,
};
use lwm2m_runtime::format::Item;
use lwm2m_runtime::{
    Error, Multiplicity, Object, ObjectInfo, ReadSink, Requirement, Version, Write,
};

static INFO: ObjectInfo = ObjectInfo {
    id: 1,
    name: "Server",
    urn: "urn:oma:lwm2m:oma:1",
    object_version: Version::new(1, 0),
    lwm2m_version: Version::new(1, 0),
    multiplicity: Multiplicity::Multiple,
    requirement: Requirement::Mandatory,
    resources: &[],
};

struct Fake {
    deleted: bool,
    retry: Retry,
}

impl Object for Fake {
    fn info(&self) -> &'static ObjectInfo {
        &INFO
    }
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        if !self.deleted {
            f(0)
        }
    }
    fn read(&mut self, _: u16, _: u16, _: &mut dyn ReadSink) -> Result<(), Error> {
        Err(Error::NotFound)
    }
    fn write(&mut self, _: u16, _: u16, _: Write<'_, '_>) -> Result<(), Error> {
        Err(Error::NotFound)
    }
    fn execute(&mut self, _: u16, _: u16, _: lwm2m_runtime::ExecuteArgs<'_>) -> Result<(), Error> {
        Err(Error::NotFound)
    }
    fn bootstrap_write(&mut self, _: &[Item<'_>]) -> Result<(), Error> {
        Ok(())
    }
    fn bootstrap_delete(&mut self, _: Option<u16>) -> Result<(), Error> {
        self.deleted = true;
        Ok(())
    }
    fn accounts(&self, f: &mut dyn FnMut(Account)) {
        if !self.deleted {
            let mut settings = ServerSettings::new(1, 300);
            settings.retry = self.retry;
            f(Account {
                server_uri: "coap://old.example".try_into().unwrap(),
                security: Security::NoSec,
                settings,
            });
        }
    }
}

fn bs() -> BootstrapAccount {
    BootstrapAccount {
        server_uri: "coap://bs.example".try_into().unwrap(),
        security: Security::NoSec,
        hold_off_s: 0,
    }
}

fn answer(req: &[u8], class: MessageClass) -> Vec<u8> {
    let r = Packet::from_bytes(req).unwrap();
    let mut p = Packet::new();
    p.header.set_type(MessageType::Acknowledgement);
    p.header.message_id = r.header.message_id;
    p.header.code = class;
    p.set_token(r.get_token().to_vec());
    p.to_bytes().unwrap()
}

fn drain(c: &mut Client, now: Instant, d: &mut Device<'_, '_>) -> Vec<Transmit> {
    let mut v = Vec::new();
    while let Some(t) = c.poll(now, d) {
        v.push(t);
    }
    v
}

#[test]
fn a_refusing_server_and_bootstrap_server_are_retried_after_a_backoff_not_at_once() {
    let mut fake = Fake {
        deleted: false,
        retry: Retry {
            count: 1,
            timer_s: 60,
            sequence_delay_s: 0,
            sequence_count: 1,
        },
    };
    let mut objects: [&mut dyn Object; 1] = [&mut fake];
    let mut d = Device::new(&mut objects);
    let mut c = Client::with_accounts(Config::new("dev").unwrap(), None, Some(bs()), 7);
    let now = Instant(1000);
    c.register(now, &mut d);
    let mut registers = 0;
    let mut bsreqs = 0;
    let mut out = drain(&mut c, now, &mut d);
    for _ in 0..50 {
        let Some(t) = out.pop() else { break };
        match t.to {
            Peer::Server(1) => registers += 1,
            Peer::Bootstrap => bsreqs += 1,
            _ => {}
        }
        let refused = MessageClass::Response(ResponseType::Forbidden);
        c.handle(now, t.to, &answer(&t.data, refused), &mut d);
        out.extend(drain(&mut c, now, &mut d));
    }
    assert!(
        registers < 3 && bsreqs < 3,
        "a tight loop: {registers} Registers and {bsreqs} Bootstrap-Requests at t=1 s"
    );
    let next = c.timeout().expect("a retry is scheduled");
    assert!(
        next.since(now) >= 2_500,
        "the next try waits a backoff: {next:?}"
    );
}

#[test]
fn a_failed_bootstrap_after_a_delete_does_not_go_back_to_the_deleted_server() {
    let mut fake = Fake {
        deleted: false,
        retry: Retry {
            count: 1,
            timer_s: 60,
            sequence_delay_s: 0,
            sequence_count: 1,
        },
    };
    let mut objects: [&mut dyn Object; 1] = [&mut fake];
    let mut d = Device::new(&mut objects);
    let mut c = Client::with_accounts(Config::new("dev").unwrap(), None, Some(bs()), 7);
    let mut now = Instant(1000);
    c.register(now, &mut d);
    let reg = drain(&mut c, now, &mut d).pop().unwrap();
    assert_eq!(reg.to, Peer::Server(1));
    c.handle(
        now,
        Peer::Server(1),
        &answer(
            &reg.data,
            MessageClass::Response(ResponseType::ServiceUnavailable),
        ),
        &mut d,
    );
    let bsr = drain(&mut c, now, &mut d).pop().unwrap();
    assert_eq!(bsr.to, Peer::Bootstrap);
    c.handle(
        now,
        Peer::Bootstrap,
        &answer(&bsr.data, MessageClass::Response(ResponseType::Changed)),
        &mut d,
    );
    // DELETE /
    let mut del = Packet::new();
    del.header.set_type(MessageType::Confirmable);
    del.header.code = MessageClass::Request(RequestType::Delete);
    del.header.message_id = 0x4242;
    del.set_token(vec![1]);
    c.handle(now, Peer::Bootstrap, &del.to_bytes().unwrap(), &mut d);
    let out = drain(&mut c, now, &mut d);
    assert_eq!(out.len(), 1);
    // silence
    now = now.after(248_000);
    let out = drain(&mut c, now, &mut d);
    let mut ev = Vec::new();
    while let Some(e) = c.poll_event() {
        ev.push(e);
    }
    assert!(
        ev.contains(&lwm2m_runtime::client::Event::BootstrapFailed),
        "{ev:?}"
    );
    assert!(
        !out.iter().any(|t| t.to == Peer::Server(1)),
        "a Register to the server the Bootstrap-Server deleted"
    );
    assert_eq!(
        c.server_targets().count(),
        0,
        "no management server any more"
    );
    // The Bootstrap-Server is asked again after the backoff.
    let at = c.timeout().expect("the next Bootstrap-Request is due");
    let out = drain(&mut c, at, &mut d);
    assert!(out.iter().any(|t| t.to == Peer::Bootstrap), "asked again");
}

#[test]
fn a_retransmitted_finish_gets_the_same_answer_after_the_new_server_kept_the_client_busy() {
    let mut fake = Fake {
        deleted: true,
        retry: Retry::DEFAULT,
    };
    let mut objects: [&mut dyn Object; 1] = [&mut fake];
    let mut d = Device::new(&mut objects);
    let mut c = Client::with_accounts(Config::new("dev").unwrap(), None, Some(bs()), 7);
    let now = Instant(1000);
    c.register(now, &mut d);
    let bsr = drain(&mut c, now, &mut d).pop().unwrap();
    assert_eq!(bsr.to, Peer::Bootstrap);
    c.handle(
        now,
        Peer::Bootstrap,
        &answer(&bsr.data, MessageClass::Response(ResponseType::Changed)),
        &mut d,
    );
    // The Bootstrap-Server "writes" the account (the device borrowing the object ends here).
    fake.deleted = false;
    let mut objects: [&mut dyn Object; 1] = [&mut fake];
    let mut d = Device::new(&mut objects);
    let mut fin = Packet::new();
    fin.header.set_type(MessageType::Confirmable);
    fin.header.code = MessageClass::Request(RequestType::Post);
    fin.header.message_id = 0x5000;
    fin.set_token(vec![9]);
    fin.add_option(CoapOption::UriPath, b"bs".to_vec());
    let fin = fin.to_bytes().unwrap();
    c.handle(now, Peer::Bootstrap, &fin, &mut d);
    let out = drain(&mut c, now, &mut d);
    let first = out
        .iter()
        .find(|t| t.to == Peer::Bootstrap)
        .unwrap()
        .clone();
    let reg = out
        .iter()
        .find(|t| t.to == Peer::Server(1))
        .unwrap()
        .clone();
    let mut created = Packet::from_bytes(&answer(
        &reg.data,
        MessageClass::Response(ResponseType::Created),
    ))
    .unwrap();
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"x".to_vec());
    c.handle(now, Peer::Server(1), &created.to_bytes().unwrap(), &mut d);
    drain(&mut c, now, &mut d);
    for i in 0..8u16 {
        let mut g = Packet::new();
        g.header.set_type(MessageType::Confirmable);
        g.header.code = MessageClass::Request(RequestType::Get);
        g.header.message_id = 0x100 + i;
        g.set_token(vec![2, i as u8]);
        g.add_option(CoapOption::UriPath, b"1".to_vec());
        c.handle(
            now.after(1000),
            Peer::Server(1),
            &g.to_bytes().unwrap(),
            &mut d,
        );
        drain(&mut c, now.after(1000), &mut d);
    }
    c.handle(now.after(3000), Peer::Bootstrap, &fin, &mut d);
    let again = drain(&mut c, now.after(3000), &mut d);
    let again = again.iter().find(|t| t.to == Peer::Bootstrap).unwrap();
    let a = Packet::from_bytes(&again.data).unwrap();
    let f = Packet::from_bytes(&first.data).unwrap();
    assert_eq!(a.header.code, MessageClass::Response(ResponseType::Changed));
    assert_eq!(a.header.code, f.header.code);
}

#[test]
fn a_bootstrap_server_that_keeps_talking_without_finishing_is_given_up_on() {
    use lwm2m_runtime::client::{Event, MAX_BOOTSTRAP_MS};
    let mut fake = Fake {
        deleted: true,
        retry: Retry::DEFAULT,
    };
    let mut objects: [&mut dyn Object; 1] = [&mut fake];
    let mut d = Device::new(&mut objects);
    let mut c = Client::with_accounts(Config::new("dev").unwrap(), None, Some(bs()), 7);
    let start = Instant(1000);
    c.register(start, &mut d);
    let bsr = drain(&mut c, start, &mut d).pop().unwrap();
    c.handle(
        start,
        Peer::Bootstrap,
        &answer(&bsr.data, MessageClass::Response(ResponseType::Changed)),
        &mut d,
    );
    // A request every 200 s, never Finish: each one extends the wait, up to the cap.
    let mut now = start;
    let mut failed_at = None;
    for i in 0..20u16 {
        now = now.after(200_000);
        drain(&mut c, now, &mut d);
        if std::iter::from_fn(|| c.poll_event()).any(|e| e == Event::BootstrapFailed) {
            failed_at = Some(now);
            break;
        }
        let mut get = Packet::new();
        get.header.set_type(MessageType::Confirmable);
        get.header.code = MessageClass::Request(RequestType::Get);
        get.header.message_id = 0x300 + i;
        get.set_token(vec![3, i as u8]);
        get.add_option(CoapOption::UriPath, b"1".to_vec());
        c.handle(now, Peer::Bootstrap, &get.to_bytes().unwrap(), &mut d);
        drain(&mut c, now, &mut d);
    }
    let failed_at = failed_at.expect("the bootstrap was given up on");
    let took = failed_at.since(start);
    assert!(
        (MAX_BOOTSTRAP_MS..MAX_BOOTSTRAP_MS + 200_000).contains(&took),
        "given up after {took} ms"
    );
}
