//! Handshakes with implementations we did not write: libcoap's `coap-server` and
//! `coap-client`, built on GnuTLS and on OpenSSL (Debian package `libcoap3-bin`, which
//! `.ci/run` installs). A missing binary is skipped with the reason printed.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coap_lite::{MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m_dtls::{Psk, Resumption, ServerConfig, Session};

const IDENTITY: &[u8] = b"lwm2m-dtls-test";
const KEY: &[u8] = b"0123456789abcdef";

/// The flavours of libcoap's tools Debian ships, one per TLS library.
const FLAVOURS: [&str; 2] = ["gnutls", "openssl"];

fn random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source");
}

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|path| path.is_file())
}

/// Kills the child when the test ends, however it ends.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    // Two adjacent ports: coap-server listens for coap on one and coaps on the next.
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < u16::MAX && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Starts coap-server-`flavour` on a free port pair; `None` (with the reason printed) when it
/// is not installed.
fn coap_server(flavour: &str) -> Option<(Reaper, u16)> {
    let name = format!("coap-server-{flavour}");
    let Some(server) = tool(&name) else {
        println!("skipped: {name} is not installed (Debian package libcoap3-bin)");
        return None;
    };
    let port = free_port();
    let child = Command::new(server)
        .args(["-A", "127.0.0.1", "-p", &port.to_string()])
        .arg("-k")
        .arg(std::str::from_utf8(KEY).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("coap-server starts");
    Some((Reaper(child), port + 1))
}

/// Our client, from a new socket, a GET / over coaps: the answer and the session.
fn get(flavour: &str, port: u16, resume: Option<&Resumption>) -> (String, Session) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let psk = Psk {
        identity: IDENTITY,
        key: KEY,
    };
    let mut session = Session::client(psk, resume, 0, &mut random).unwrap();
    let mut request = Packet::new();
    request.header.set_type(MessageType::Confirmable);
    request.header.code = MessageClass::Request(RequestType::Get);
    request.header.message_id = 0x5eed;
    request.set_token(vec![7]);
    let request = request.to_bytes().unwrap();
    let mut sent = false;
    let mut buf = [0u8; 2048];
    while start.elapsed() < Duration::from_secs(20) {
        while let Some(d) = session.poll_transmit() {
            socket.send(&d).unwrap();
        }
        if session.is_established() && !sent {
            session.send(ms(start), &request).unwrap();
            sent = true;
            continue;
        }
        match socket.recv(&mut buf) {
            Ok(n) => session.handle(ms(start), &buf[..n]).unwrap(),
            Err(_) => {
                // The server may still be starting: the handshake timer resends.
                session.handle_timeout(ms(start)).unwrap();
            }
        }
        if let Some(plain) = session.recv() {
            let answer = Packet::from_bytes(&plain).expect("a CoAP answer");
            assert_eq!(
                answer.header.code,
                MessageClass::Response(ResponseType::Content)
            );
            assert_eq!(answer.header.message_id, 0x5eed);
            return (
                String::from_utf8_lossy(&answer.payload).into_owned(),
                session,
            );
        }
    }
    panic!(
        "no answer from coap-server-{flavour} in 20 s: {:?}",
        session.state()
    );
}

#[test]
fn our_client_reads_from_libcoaps_server_and_offers_resumption_from_a_new_port() {
    for flavour in FLAVOURS {
        let Some((_server, port)) = coap_server(flavour) else {
            continue;
        };
        let (text, first) = get(flavour, port, None);
        assert!(
            text.contains("libcoap"),
            "{flavour}: the server's greeting, got {text:?}"
        );
        // From another port, as after a NAT rebinding, offering the session: the server
        // resumes it or falls back to a full handshake; either way the GET is answered.
        let offered = first.resumption();
        let (text, second) = get(flavour, port, offered.as_ref());
        assert!(text.contains("libcoap"), "{flavour}: {text:?}");
        // OpenSSL keeps a session cache by default and resumes; libcoap's GnuTLS server
        // keeps none and does a full handshake.
        if flavour == "openssl" {
            assert!(second.resumed(), "coap-server-openssl resumes the session");
        }
        println!(
            "coap-server-{flavour}: full handshake {:?}; offered resumption ({}): resumed {}, {:?}",
            first.handshake_traffic(),
            offered.is_some(),
            second.resumed(),
            second.handshake_traffic()
        );
    }
}

/// coap-client GETs from our server over coaps; we answer with `greeting`.
fn serve_coap_client(flavour: &str, key_for_client: &[u8], wait_s: u64) -> Option<(String, bool)> {
    let name = format!("coap-client-{flavour}");
    let Some(client) = tool(&name) else {
        println!("skipped: {name} is not installed (Debian package libcoap3-bin)");
        return None;
    };
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    // coap-client gives up by itself after `wait_s` (-B).
    let client = Command::new(client)
        .args(["-B", &wait_s.to_string(), "-u"])
        .arg(std::str::from_utf8(IDENTITY).unwrap())
        .arg("-k")
        .arg(std::str::from_utf8(key_for_client).unwrap())
        .arg(format!("coaps://127.0.0.1:{port}/greeting"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("coap-client starts");
    let config = ServerConfig::new(|identity| (identity == IDENTITY).then(|| KEY.to_vec()));
    let start = Instant::now();
    let mut session: Option<(Session, std::net::SocketAddr)> = None;
    let mut answered = false;
    let mut buf = [0u8; 2048];
    while start.elapsed() < Duration::from_secs(wait_s + 1) && !answered {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            if let Some((s, _)) = session.as_mut() {
                let _ = s.handle_timeout(ms(start));
            }
            continue;
        };
        let (s, peer) = session.get_or_insert_with(|| {
            (
                Session::server(&config, ms(start), &mut random).unwrap(),
                from,
            )
        });
        if *peer != from {
            continue;
        }
        let _ = s.handle(ms(start), &buf[..n]);
        while let Some(d) = s.poll_transmit() {
            socket.send_to(&d, from).unwrap();
        }
        if let Some(plain) = s.recv() {
            let request = Packet::from_bytes(&plain).expect("a CoAP request");
            assert_eq!(request.header.code, MessageClass::Request(RequestType::Get));
            assert_eq!(
                request
                    .get_option(coap_lite::CoapOption::UriPath)
                    .map(|p| p.len()),
                Some(1)
            );
            let mut answer = Packet::new();
            answer.header.set_type(MessageType::Acknowledgement);
            answer.header.code = MessageClass::Response(ResponseType::Content);
            answer.header.message_id = request.header.message_id;
            answer.set_token(request.get_token().to_vec());
            answer.payload = b"hello over coaps".to_vec();
            s.send(ms(start), &answer.to_bytes().unwrap()).unwrap();
            while let Some(d) = s.poll_transmit() {
                socket.send_to(&d, from).unwrap();
            }
            answered = true;
        }
    }
    let established = session.as_ref().is_some_and(|(s, _)| s.is_established());
    let output = client.wait_with_output_after_kill_if_late();
    Some((output, established))
}

/// Reads what coap-client printed, waiting up to 10 s for it to exit.
trait WaitOutput {
    fn wait_with_output_after_kill_if_late(self) -> String;
}

impl WaitOutput for Child {
    fn wait_with_output_after_kill_if_late(mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.kill();
        self.wait_with_output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }
}

#[test]
fn libcoaps_client_reads_from_our_server() {
    for flavour in FLAVOURS {
        if let Some((output, established)) = serve_coap_client(flavour, KEY, 10) {
            assert!(established, "{flavour}: the handshake ended");
            assert!(
                output.contains("hello over coaps"),
                "{flavour}: coap-client printed {output:?}"
            );
        }
    }
}

#[test]
fn libcoaps_client_with_a_wrong_key_gets_no_session() {
    for flavour in FLAVOURS {
        if let Some((output, established)) = serve_coap_client(flavour, b"fedcba9876543210", 3) {
            assert!(!established, "{flavour}: a wrong key established a session");
            assert!(!output.contains("hello"), "{flavour}: {output:?}");
        }
    }
}
