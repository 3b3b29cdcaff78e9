//! The server's DTLS side: a ClientHello from a device's address (a reboot, or a spoofer)
//! runs beside the device's session, which it replaces only once its handshake ends.

use std::net::SocketAddr;

use lwm2m_dtls::{Psk, Session};
use lwm2m_fota_server::dtls::Dtls;

const KEY: [u8; 16] = [9; 16];

fn random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source");
}

fn client() -> Session {
    let psk = Psk {
        identity: b"dev-1",
        key: &KEY,
    };
    Session::client(psk, None, 0, &mut random).unwrap()
}

/// Runs the handshake of `c` from `addr` through `dtls`; returns the CoAP it delivered.
fn exchange(dtls: &mut Dtls, addr: SocketAddr, c: &mut Session) -> Vec<Vec<u8>> {
    let mut plain = Vec::new();
    for _ in 0..10 {
        let mut moved = false;
        while let Some(d) = c.poll_transmit() {
            plain.extend(dtls.incoming(0, addr, &d));
            moved = true;
        }
        while let Some((to, r)) = dtls.poll_transmit() {
            assert_eq!(to, addr);
            let _ = c.handle(0, &r);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    plain
}

#[test]
fn a_new_clienthello_does_not_end_a_session_until_its_handshake_ends() {
    let addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let mut dtls = Dtls::new(vec![(b"dev-1".to_vec(), KEY.to_vec())]);
    let mut device = client();
    exchange(&mut dtls, addr, &mut device);
    assert!(device.is_established());

    // A ClientHello from the same address, never finished (a spoofer, or a lost flight).
    let mut spoof = client();
    let hello = spoof.poll_transmit().unwrap();
    assert!(dtls.incoming(0, addr, &hello).is_empty());
    while dtls.poll_transmit().is_some() {}
    // The device's session goes on.
    device.send(0, b"update").unwrap();
    let record = device.poll_transmit().unwrap();
    assert_eq!(dtls.incoming(0, addr, &record), vec![b"update".to_vec()]);
    dtls.outgoing(0, addr, b"2.04");
    let (_, answer) = dtls.poll_transmit().unwrap();
    device.handle(0, &answer).unwrap();
    assert_eq!(device.recv().as_deref(), Some(&b"2.04"[..]));

    // A device that really starts over finishes its handshake: its new session takes over.
    let mut rebooted = client();
    exchange(&mut dtls, addr, &mut rebooted);
    assert!(rebooted.is_established());
    rebooted.send(0, b"register").unwrap();
    let record = rebooted.poll_transmit().unwrap();
    assert_eq!(dtls.incoming(0, addr, &record), vec![b"register".to_vec()]);
}
