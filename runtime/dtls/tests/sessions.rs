//! Client and server sessions against each other in memory: handshakes full and resumed,
//! data both ways, wrong keys, lost flights, garbage and replays.

use lwm2m_dtls::{Error, Psk, Resumption, ServerConfig, Session, State};

const IDENTITY: &[u8] = b"urn:imei:490154203237518";
const KEY: [u8; 16] = *b"0123456789abcdef";

fn random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source");
}

fn server_config() -> ServerConfig {
    ServerConfig::new(|identity| (identity == IDENTITY).then(|| KEY.to_vec()))
}

fn client(key: &[u8], resume: Option<&Resumption>) -> Session {
    let psk = Psk {
        identity: IDENTITY,
        key,
    };
    Session::client(psk, resume, 0, &mut random).expect("a client session")
}

/// Moves every pending datagram both ways until neither side has anything to send;
/// returns the number of flights (bursts of datagrams in one direction).
fn pump(now: u64, client: &mut Session, server: &mut Session) -> u32 {
    let mut flights = 0;
    for _ in 0..10 {
        let mut moved = false;
        let mut burst = false;
        while let Some(d) = client.poll_transmit() {
            let _ = server.handle(now, &d);
            moved = true;
            burst = true;
        }
        flights += u32::from(burst);
        burst = false;
        while let Some(d) = server.poll_transmit() {
            let _ = client.handle(now, &d);
            moved = true;
            burst = true;
        }
        flights += u32::from(burst);
        if !moved {
            break;
        }
    }
    flights
}

/// A client and a server session that finished a full handshake.
fn established() -> (Session, Session) {
    let config = server_config();
    let mut c = client(&KEY, None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    pump(0, &mut c, &mut s);
    assert!(c.is_established() && s.is_established());
    (c, s)
}

#[test]
fn a_full_handshake_carries_data_both_ways() {
    let config = server_config();
    let mut c = client(&KEY, None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    let flights = pump(0, &mut c, &mut s);
    assert_eq!(c.state(), State::Established);
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.peer_identity(), Some(IDENTITY));
    assert!(!c.resumed());
    // ClientHello; ServerHello + ServerHelloDone; ClientKeyExchange + CCS + Finished;
    // CCS + Finished: four flights, two round trips.
    assert_eq!(flights, 4);

    c.send(0, b"POST /rd").unwrap();
    let record = c.poll_transmit().unwrap();
    // 13-byte header, 8-byte explicit nonce, 8-byte tag around the 8 bytes of plaintext.
    assert_eq!(record.len(), 13 + 8 + 8 + 8);
    s.handle(0, &record).unwrap();
    assert_eq!(s.recv().as_deref(), Some(&b"POST /rd"[..]));
    s.send(0, b"2.01").unwrap();
    let answer = s.poll_transmit().unwrap();
    c.handle(0, &answer).unwrap();
    assert_eq!(c.recv().as_deref(), Some(&b"2.01"[..]));
}

#[test]
fn a_resumed_handshake_is_shorter_and_skips_the_key_exchange() {
    // The second server shares the first one's resumption cache: one config for both.
    let config = server_config();
    let mut c = client(&KEY, None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    pump(0, &mut c, &mut s);
    let full = c.handshake_traffic().unwrap();
    let resumption = c.resumption().expect("the server gave the session an ID");

    let mut c2 = client(&KEY, Some(&resumption));
    let mut s2 = Session::server(&config, 1000, &mut random).unwrap();
    let flights = pump(1000, &mut c2, &mut s2);
    assert!(c2.is_established());
    assert!(c2.resumed(), "the server resumed the session");
    // ClientHello; ServerHello + CCS + Finished; CCS + Finished: three flights.
    assert_eq!(flights, 3);
    let resumed = c2.handshake_traffic().unwrap();
    println!("full handshake: {full:?}, 4 flights\nresumed handshake: {resumed:?}, 3 flights");
    assert!(
        resumed.sent_bytes + resumed.received_bytes < full.sent_bytes + full.received_bytes,
        "resumed {resumed:?} against full {full:?}"
    );
    c2.send(1000, b"hello").unwrap();
    s2.handle(1000, &c2.poll_transmit().unwrap()).unwrap();
    assert_eq!(s2.recv().as_deref(), Some(&b"hello"[..]));
}

#[test]
fn a_wrong_key_never_establishes_and_times_out() {
    let config = server_config();
    let mut c = client(b"fedcba9876543210", None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    // The server cannot read the client's Finished, encrypted under the wrong key, and drops
    // it as DTLS drops every record that fails its check: the client hears nothing back.
    let mut now = 0;
    loop {
        pump(now, &mut c, &mut s);
        assert!(!c.is_established() && !s.is_established());
        let Some(due) = c.timeout() else { break };
        now = due;
        if c.handle_timeout(now).is_err() {
            break;
        }
    }
    assert_eq!(c.state(), State::Failed(Error::Timeout));
    assert_eq!(now, 62_000);
    assert_eq!(s.peer_identity(), None);
}

#[test]
fn an_unknown_identity_is_refused() {
    let config = server_config();
    let psk = Psk {
        identity: b"someone-else",
        key: &KEY,
    };
    let mut c = Session::client(psk, None, 0, &mut random).unwrap();
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    pump(0, &mut c, &mut s);
    assert!(
        matches!(c.state(), State::Failed(e) if e.is_refusal()),
        "{:?}",
        c.state()
    );
}

#[test]
fn garbage_forged_and_replayed_records_change_nothing() {
    let (mut c, mut s) = established();
    c.send(0, b"first").unwrap();
    let record = c.poll_transmit().unwrap();
    s.handle(0, &record).unwrap();
    assert_eq!(s.recv().as_deref(), Some(&b"first"[..]));

    // The same record again (a replay), a record with one bit flipped (a forgery), and
    // bytes that are no record at all.
    s.handle(1, &record).unwrap();
    let mut forged = record.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    s.handle(2, &forged).unwrap();
    s.handle(3, &[0xff; 40]).unwrap();
    s.handle(4, &[]).unwrap();
    assert_eq!(s.recv(), None, "nothing was taken from them");
    assert_eq!(s.state(), State::Established);

    c.send(5, b"second").unwrap();
    s.handle(5, &c.poll_transmit().unwrap()).unwrap();
    assert_eq!(s.recv().as_deref(), Some(&b"second"[..]));
}

#[test]
fn a_lost_flight_is_sent_again_when_its_timer_runs_out() {
    let config = server_config();
    let mut c = client(&KEY, None);
    let hello = c.poll_transmit().unwrap();
    assert_eq!(c.poll_transmit(), None);
    // The ClientHello is lost. Its timer: 2 s.
    let due = c.timeout().unwrap();
    assert_eq!(due, 2_000);
    c.handle_timeout(due - 1).unwrap();
    assert_eq!(c.poll_transmit(), None, "not before the timer");
    c.handle_timeout(due).unwrap();
    let again = c.poll_transmit().expect("the ClientHello again");
    assert_eq!(again.len(), hello.len());
    assert_eq!(c.timeout(), Some(due + 4_000), "the timer doubled");

    let mut s = Session::server(&config, due, &mut random).unwrap();
    s.handle(due, &again).unwrap();
    pump(due, &mut c, &mut s);
    assert!(c.is_established());
}

#[test]
fn an_unanswered_handshake_gives_up_after_its_retransmissions() {
    let mut c = client(&KEY, None);
    let mut now = 0;
    let mut sent = 0;
    while let Some(due) = c.timeout() {
        while c.poll_transmit().is_some() {
            sent += 1;
        }
        now = due;
        if let Err(e) = c.handle_timeout(now) {
            assert_eq!(e, Error::Timeout);
            break;
        }
    }
    assert_eq!(c.state(), State::Failed(Error::Timeout));
    // 2 + 4 + 8 + 16 + 32 s of waits, after the first ClientHello and four retransmissions.
    assert_eq!(sent, 5);
    assert_eq!(now, 62_000);
}

#[test]
fn keys_and_identities_out_of_range_are_refused() {
    let long = [0u8; 17];
    for (key, identity, want) in [
        (&long[..], IDENTITY, Error::KeyLength(17)),
        (&[][..], IDENTITY, Error::KeyLength(0)),
        (&KEY[..], &[][..], Error::IdentityLength(0)),
    ] {
        let err = Session::client(Psk { identity, key }, None, 0, &mut random).unwrap_err();
        assert_eq!(err, want);
    }
}

#[test]
fn an_empty_datagram_mid_handshake_changes_nothing() {
    let config = server_config();
    let mut c = client(&KEY, None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    s.handle(0, &[]).unwrap();
    c.handle(0, &[]).unwrap();
    assert_eq!(c.state(), State::Handshaking);
    assert_eq!(s.state(), State::Handshaking);
    pump(0, &mut c, &mut s);
    assert!(c.is_established() && s.is_established());
}

#[test]
fn an_answer_that_arrives_at_the_retransmission_deadline_is_read() {
    let config = server_config();
    let mut c = client(&KEY, None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    let hello = c.poll_transmit().unwrap();
    s.handle(0, &hello).unwrap();
    let due = c.timeout().unwrap();
    // The server's flight lands exactly when the client's timer runs out.
    while let Some(d) = s.poll_transmit() {
        c.handle(due, &d).unwrap();
    }
    let next: Vec<Vec<u8>> = std::iter::from_fn(|| c.poll_transmit()).collect();
    assert!(!next.is_empty(), "the client's second flight");
    for d in &next {
        // Byte 13 is the handshake message type of a datagram's first record: 1 is a
        // ClientHello, sent again only if the answer had been thrown away.
        assert!(
            !(d[0] == 22 && d[13] == 1),
            "the ClientHello again: {d:02x?}"
        );
        s.handle(due, d).unwrap();
    }
    pump(due, &mut c, &mut s);
    assert!(c.is_established());
}

#[test]
fn a_resumed_session_knows_its_identity_and_a_withdrawn_key_is_not_resumed() {
    use std::cell::Cell;
    use std::rc::Rc;
    let allowed = Rc::new(Cell::new(true));
    let gate = Rc::clone(&allowed);
    let config = ServerConfig::new(move |id| (gate.get() && id == IDENTITY).then(|| KEY.to_vec()));
    let mut c = client(&KEY, None);
    let mut s = Session::server(&config, 0, &mut random).unwrap();
    pump(0, &mut c, &mut s);
    let resumption = c.resumption().unwrap();

    let mut c2 = client(&KEY, Some(&resumption));
    let mut s2 = Session::server(&config, 0, &mut random).unwrap();
    pump(0, &mut c2, &mut s2);
    assert!(c2.resumed());
    assert_eq!(s2.peer_identity(), Some(IDENTITY));

    allowed.set(false);
    let mut c3 = client(&KEY, Some(&resumption));
    let mut s3 = Session::server(&config, 0, &mut random).unwrap();
    pump(0, &mut c3, &mut s3);
    assert!(
        !c3.is_established() && !s3.is_established(),
        "{:?}",
        c3.state()
    );
}

#[test]
fn records_not_collected_in_time_are_dropped_oldest_first_without_failing() {
    let (mut c, mut s) = established();
    for i in 0..20u8 {
        c.send(0, &[i; 10]).unwrap();
    }
    assert_eq!(c.state(), State::Established);
    let records: Vec<Vec<u8>> = std::iter::from_fn(|| c.poll_transmit()).collect();
    assert_eq!(records.len(), 16);
    for r in &records {
        s.handle(0, r).unwrap();
    }
    let first = s.recv().unwrap();
    assert_eq!(first, vec![4u8; 10], "the four oldest went");
}

#[test]
fn a_full_datagram_of_plaintext_crosses_intact_and_a_larger_one_is_refused() {
    let (mut c, mut s) = established();
    // A 1024-byte block with its CoAP header fits the 1232-byte datagram with the record's
    // 29 bytes; a plaintext that would not is refused, not split.
    let block: Vec<u8> = (0..1150u32).map(|i| i as u8).collect();
    s.send(0, &block).unwrap();
    let record = s.poll_transmit().unwrap();
    assert_eq!(record.len(), 1150 + 29);
    c.handle(0, &record).unwrap();
    assert_eq!(c.recv(), Some(block));
    assert_eq!(s.send(0, &[0; 1300]), Err(Error::TooLarge(1300)));
    assert!(s.is_established());
}

/// Found by the `dtls_records` fuzz target: a plaintext (epoch 0) ClientHello sent to either
/// side of an established session made Mbed TLS fail it.
#[test]
fn an_unauthenticated_handshake_record_after_the_handshake_is_dropped() {
    let (mut c, mut s) = established();
    let hello: Vec<u8> = (0..120)
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(
                &"16fefd0000000000000000002f0100002c000000000000002cfefdedbd58e8739dd9f686f5dc09963e41f7d13bf47807ffffffffffffff44758f2f8a43b2c8383a6e6c0000"[i..i + 2],
                16,
            )
            .unwrap()
        })
        .collect();
    c.handle(0, &hello).unwrap();
    s.handle(0, &hello).unwrap();
    assert!(c.is_established() && s.is_established());
    // A datagram with that record before a real one: the real one still arrives.
    c.send(0, b"after").unwrap();
    let mut both = hello.clone();
    both.extend(c.poll_transmit().unwrap());
    s.handle(0, &both).unwrap();
    assert_eq!(s.recv().as_deref(), Some(&b"after"[..]));
}
