//! The board, as its own process, with a PSK the server does not share: it never registers,
//! says why on stderr, and waits a backoff before the next handshake.
//!
//! Real time: a handshake with a wrong key fails only when its retransmissions run out
//! (62 s: DTLS drops the records it cannot authenticate, so the server stays silent), so
//! this test takes a little over a minute.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lwm2m_dtls::{ServerConfig, Session, State};

/// The child process is killed however the test ends.
struct Board(std::process::Child);

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source");
}

#[test]
fn a_wrong_psk_never_registers_and_the_board_backs_off() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let config = ServerConfig::new(|id| (id == b"psk-1").then(|| vec![0x11; 16]));

    let dir = std::env::temp_dir().join(format!("lwm2m-wrong-psk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lwm2m-board"))
        .args([
            "--server",
            &format!("coaps://{addr}"),
            "--endpoint",
            "psk-1",
        ])
        .args(["--psk-key", "22222222222222222222222222222222"])
        .arg("--flash")
        .arg(dir.join("flash.bin"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _board = Board(child);
    let (lines, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send((Instant::now(), line));
        }
    });

    let start = Instant::now();
    let mut session: Option<Session> = None;
    let mut handshakes = Vec::new();
    let mut plaintext = 0;
    let mut failure: Option<(Instant, u64, String)> = None;
    let mut buf = [0u8; 2048];
    let ms = |t: Instant| u64::try_from(t.duration_since(start).as_millis()).unwrap();
    // Bounded: the first handshake fails at 62 s; the next starts 2.5 to 5 s later.
    while start.elapsed() < Duration::from_secs(100) {
        while let Ok((at, line)) = log.try_recv() {
            if line.contains("DTLS with the server") && line.contains("next handshake in") {
                let secs = line
                    .rsplit("next handshake in ")
                    .next()
                    .and_then(|t| t.trim_end_matches(" s").parse::<u64>().ok())
                    .expect("the wait in seconds");
                failure.get_or_insert((at, secs, line));
            }
        }
        if let Some((at, _, _)) = &failure
            && handshakes.len() >= 2
            && handshakes[1] > *at
        {
            break;
        }
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            if let Some(s) = session.as_mut() {
                let _ = s.handle_timeout(ms(Instant::now()));
            }
            continue;
        };
        let datagram = &buf[..n];
        let hello = datagram.first() == Some(&22) && datagram.get(13) == Some(&1);
        let handshaking = session.as_ref().map(Session::state) == Some(State::Handshaking);
        if hello && !handshaking {
            handshakes.push(Instant::now());
            session = Some(Session::server(&config, ms(Instant::now()), &mut random).unwrap());
        }
        if let Some(s) = session.as_mut() {
            let _ = s.handle(ms(Instant::now()), datagram);
            while s.recv().is_some() {
                plaintext += 1;
            }
            while let Some(d) = s.poll_transmit() {
                socket.send_to(&d, from).unwrap();
            }
            assert!(!s.is_established(), "a wrong key established a session");
        }
    }
    let (failed_at, wait_s, line) = failure.expect("the board said why it is not registered");
    eprintln!("{line}");
    assert!(
        line.contains("PSK key does not match"),
        "the line names the likely cause: {line}"
    );
    assert_eq!(
        plaintext, 0,
        "no CoAP datagram, so no registration, got through"
    );
    let first = handshakes[0];
    let failed_after = failed_at.duration_since(first).as_secs_f64();
    assert!(
        (61.0..70.0).contains(&failed_after),
        "the handshake gave up {failed_after:.1} s after it began"
    );
    assert!(
        (2..=5).contains(&wait_s),
        "a first backoff of 2.5 to 5 s, said {wait_s} s"
    );
    let next = handshakes[1].duration_since(failed_at).as_secs_f64();
    assert!(
        next >= wait_s as f64 - 1.0 && next <= 6.0,
        "the next handshake began {next:.1} s after the failure, for a wait of {wait_s} s"
    );
}
