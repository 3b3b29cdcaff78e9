//! Datagrams into DTLS sessions: a client waiting for the server's first flight, a fresh
//! server, and an established pair. Nothing panics, and no datagram moves an established
//! session out of Established or yields plaintext (a record that passes needs the key).
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use lwm2m_dtls::{Psk, ServerConfig, Session, State};

const IDENTITY: &[u8] = b"fuzz";
const KEY: [u8; 16] = [7; 16];

fn random(buf: &mut [u8]) {
    buf.fill(0x5a);
}

/// Other randomness for the established pair, so that records recorded in the seeds (made
/// with `random`) are not its own, which would authenticate.
fn pair_random(buf: &mut [u8]) {
    buf.fill(0xa5);
}

fn config() -> ServerConfig {
    ServerConfig::new(|id| (id == IDENTITY).then(|| KEY.to_vec()))
}

fn client() -> Session {
    let psk = Psk { identity: IDENTITY, key: &KEY };
    Session::client(psk, None, 0, &mut random).expect("a client")
}

/// A client and server that finished their handshake.
fn established() -> (Session, Session) {
    let config = config();
    let psk = Psk {
        identity: IDENTITY,
        key: &KEY,
    };
    let mut c = Session::client(psk, None, 0, &mut pair_random).expect("a client");
    let mut s = Session::server(&config, 0, &mut pair_random).expect("a server");
    for _ in 0..8 {
        while let Some(d) = c.poll_transmit() {
            let _ = s.handle(0, &d);
        }
        while let Some(d) = s.poll_transmit() {
            let _ = c.handle(0, &d);
        }
    }
    assert!(c.is_established() && s.is_established());
    (c, s)
}

thread_local! {
    static PAIR: RefCell<(Session, Session)> = RefCell::new(established());
}

fuzz_target!(|data: &[u8]| {
    // Each datagram: a length byte, then that many bytes.
    let datagrams: Vec<&[u8]> = {
        let mut out = Vec::new();
        let mut rest = data;
        while let [len, tail @ ..] = rest {
            let n = usize::from(*len).min(tail.len());
            out.push(&tail[..n]);
            rest = &tail[n..];
        }
        out
    };

    let mut c = client();
    let config = config();
    let mut s = Session::server(&config, 0, &mut random).expect("a server");
    for (i, d) in datagrams.iter().enumerate() {
        let now = i as u64 * 1000;
        let _ = c.handle(now, d);
        let _ = s.handle(now, d);
        let _ = c.handle_timeout(now);
        while c.poll_transmit().is_some() {}
        while s.poll_transmit().is_some() {}
    }

    PAIR.with(|pair| {
        let (c, s) = &mut *pair.borrow_mut();
        for d in &datagrams {
            let _ = c.handle(0, d);
            let _ = s.handle(0, d);
            assert_eq!(c.state(), State::Established);
            assert_eq!(s.state(), State::Established);
            assert_eq!(c.recv(), None);
            assert_eq!(s.recv(), None);
        }
    });
});
