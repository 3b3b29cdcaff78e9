//! The device's DTLS line on simulated time: handshakes on demand, backoff after failures,
//! resumption after an address change, a fresh handshake after a server restart.

use lwm2m_dtls::{Error, Link, LinkEvent, Psk, ServerConfig, Session, State};

const IDENTITY: &[u8] = b"dev-1";
const KEY: [u8; 16] = [0x42; 16];

fn random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source");
}

/// A server host: sessions for one device address at a time, like the example server's.
struct Host {
    config: ServerConfig,
    session: Option<Session>,
    received: Vec<Vec<u8>>,
    hellos: u32,
}

impl Host {
    fn new() -> Self {
        Self {
            config: ServerConfig::new(|id| (id == IDENTITY).then(|| KEY.to_vec())),
            session: None,
            received: Vec::new(),
            hellos: 0,
        }
    }

    fn handle(&mut self, now: u64, datagram: &[u8]) {
        let hello = datagram.first() == Some(&22) && datagram.get(13) == Some(&1);
        if hello
            && !matches!(
                self.session.as_ref().map(Session::state),
                Some(State::Handshaking)
            )
        {
            self.hellos += 1;
            self.session = Some(Session::server(&self.config, now, &mut random).unwrap());
        }
        if let Some(s) = self.session.as_mut() {
            let _ = s.handle(now, datagram);
            while let Some(p) = s.recv() {
                self.received.push(p);
            }
        }
    }
}

/// Moves datagrams both ways at `now` until both sides are quiet.
fn exchange(now: u64, link: &mut Link, host: &mut Host) {
    for _ in 0..10 {
        let mut moved = false;
        while let Some(d) = link.poll_transmit() {
            host.handle(now, &d);
            moved = true;
        }
        if let Some(s) = host.session.as_mut() {
            while let Some(d) = s.poll_transmit() {
                link.handle(now, &d);
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
}

fn events(link: &mut Link) -> Vec<LinkEvent> {
    std::iter::from_fn(|| link.poll_event()).collect()
}

/// A link whose first datagram reached the host over a full handshake.
fn registered() -> (Link, Host) {
    let mut host = Host::new();
    let psk = Psk {
        identity: IDENTITY,
        key: &KEY,
    };
    let mut link = Link::new(psk, random).unwrap();
    link.send(0, b"register");
    exchange(0, &mut link, &mut host);
    assert_eq!(host.received, vec![b"register".to_vec()]);
    (link, host)
}

#[test]
fn what_waits_for_the_handshake_goes_after_it_in_order() {
    let mut host = Host::new();
    let psk = Psk {
        identity: IDENTITY,
        key: &KEY,
    };
    let mut link = Link::new(psk, random).unwrap();
    link.send(0, b"register");
    link.send(0, b"again");
    exchange(0, &mut link, &mut host);
    assert!(link.is_established());
    assert_eq!(host.received, vec![b"register".to_vec(), b"again".to_vec()]);
    let evs = events(&mut link);
    assert!(
        matches!(
            evs.as_slice(),
            [LinkEvent::Established { resumed: false, .. }]
        ),
        "{evs:?}"
    );

    host.session.as_mut().unwrap().send(0, b"2.01").unwrap();
    exchange(0, &mut link, &mut host);
    assert_eq!(link.recv().as_deref(), Some(&b"2.01"[..]));
}

#[test]
fn a_wrong_key_never_registers_and_retries_with_a_growing_backoff() {
    let mut host = Host::new();
    let psk = Psk {
        identity: IDENTITY,
        key: &[0x24; 16],
    };
    let mut link = Link::new(psk, random).unwrap();
    let mut now = 0;
    let mut waits = Vec::new();
    let mut started = vec![0];
    // Six hours of a client that keeps wanting to register.
    for _ in 0..10_000 {
        if now >= 6 * 3600 * 1000 {
            break;
        }
        link.send(now, b"register");
        exchange(now, &mut link, &mut host);
        for e in events(&mut link) {
            match e {
                LinkEvent::Failed { error, retry_in_ms } => {
                    assert_eq!(error, Error::Timeout);
                    assert!(error.to_string().contains("PSK key does not match"));
                    waits.push(retry_in_ms);
                }
                other => panic!("{other:?}"),
            }
        }
        let before = host.hellos;
        let next = link
            .timeout()
            .expect("a handshake or a retry is always scheduled");
        assert!(next > now, "time goes on: {next} after {now}");
        now = next;
        link.handle_timeout(now);
        exchange(now, &mut link, &mut host);
        if host.hellos > before {
            started.push(now);
        }
    }
    assert!(host.received.is_empty(), "nothing got through");
    assert!(waits.len() >= 10, "{waits:?}");
    // Equal jitter over 5 s doubling to 300 s: each wait is half to all of its backoff.
    for (i, wait) in waits.iter().enumerate() {
        let backoff = (5_000u64 << i.min(6)).min(300_000);
        assert!(
            (backoff / 2..=backoff).contains(wait),
            "wait {i} is {wait} ms for a backoff of {backoff}"
        );
    }
    // Each handshake gives up after 62 s; the next starts only after its wait.
    for pair in started.windows(2) {
        assert!(pair[1] - pair[0] >= 62_000 + 2_500, "{started:?}");
    }
}

#[test]
fn after_an_address_change_the_session_is_resumed() {
    let (mut link, mut host) = registered();
    events(&mut link);
    // The device learns its address changed: it resumes rather than starting over.
    link.reconnect(10_000);
    exchange(10_000, &mut link, &mut host);
    let evs = events(&mut link);
    assert!(
        matches!(
            evs.as_slice(),
            [LinkEvent::Established { resumed: true, .. }]
        ),
        "{evs:?}"
    );
    link.send(10_000, b"update");
    exchange(10_000, &mut link, &mut host);
    assert_eq!(
        host.received.last().map(Vec::as_slice),
        Some(&b"update"[..])
    );
}

#[test]
fn a_server_that_lost_the_session_gets_a_new_handshake_after_a_silence() {
    let (mut link, _) = registered();
    events(&mut link);
    // The server restarts: no sessions, no cache.
    let mut host = Host::new();
    // CoAP retransmissions of an Update, 2 s doubling: the records go unanswered.
    let mut now = 0;
    let mut gap = 2_000;
    for _ in 0..5 {
        now += gap;
        gap *= 2;
        link.send(now, b"update");
        exchange(now, &mut link, &mut host);
    }
    let evs = events(&mut link);
    assert!(evs.contains(&LinkEvent::Reconnecting), "{evs:?}");
    // The server no longer knows the session: a full handshake, and the update goes.
    assert!(
        evs.iter()
            .any(|e| matches!(e, LinkEvent::Established { resumed: false, .. })),
        "{evs:?}"
    );
    assert_eq!(
        host.received.last().map(Vec::as_slice),
        Some(&b"update"[..])
    );
}

#[test]
fn what_arrived_before_the_server_closed_is_still_read() {
    let (mut link, mut host) = registered();
    let server = host.session.as_mut().unwrap();
    server.send(0, b"2.01 created").unwrap();
    let data = server.poll_transmit().unwrap();
    server.close(0);
    let close = server.poll_transmit().unwrap();
    link.handle(0, &data);
    link.handle(0, &close);
    assert_eq!(link.recv().as_deref(), Some(&b"2.01 created"[..]));
    assert!(!link.is_established());
}
