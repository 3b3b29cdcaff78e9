//! The board, as its own process, survives a 60-second network outage while a server
//! observes its signal strength with pmax=1 and its registration lifetime is 30 s: it is
//! registered again within the client's stated recovery bound after the network heals, and
//! answers reads. (Before issue 10 it sent five datagrams into the outage and then nothing,
//! for good.)
//!
//! Real time: the outage lasts 60 s of wall clock, so this test takes 1.5 to 2 minutes.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

/// The child process is killed however the test ends.
struct Board(std::process::Child);

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A UDP relay between the board and the server that drops everything while `down`, and
/// counts what the board sent meanwhile.
fn relay(server: SocketAddr, down: Arc<AtomicBool>, dropped: Arc<AtomicUsize>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    std::thread::spawn(move || {
        let mut board: Option<SocketAddr> = None;
        let mut buf = [0u8; 2048];
        // Bounded: the test ends well within ten minutes.
        let end = Instant::now() + Duration::from_secs(600);
        while Instant::now() < end {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let to = if from == server {
                match board {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                board = Some(from);
                server
            };
            if down.load(Ordering::SeqCst) {
                if to == server {
                    dropped.fetch_add(1, Ordering::SeqCst);
                }
                continue;
            }
            let _ = socket.send_to(&buf[..n], to);
        }
    });
    addr
}

/// The LwM2M server's side, just what the test needs.
struct Server {
    socket: UdpSocket,
    relay: Option<SocketAddr>,
    mid: u16,
    /// When the registration runs out (`None`: not registered).
    expires: Option<Instant>,
    lifetime: Duration,
    notifications: usize,
    /// When the last Register or Update was accepted.
    accepted: Option<Instant>,
    /// Responses to the server's own requests, by token.
    responses: Vec<Packet>,
}

impl Server {
    fn send(&mut self, p: &Packet) {
        if let Some(to) = self.relay {
            self.socket.send_to(&p.to_bytes().unwrap(), to).unwrap();
        }
    }

    fn request(
        &mut self,
        method: RequestType,
        path: &str,
        build: impl FnOnce(&mut Packet),
    ) -> Vec<u8> {
        self.mid = self.mid.wrapping_add(1);
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::Request(method);
        p.header.message_id = self.mid;
        let token = self.mid.to_be_bytes().to_vec();
        p.set_token(token.clone());
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        build(&mut p);
        self.send(&p);
        token
    }

    fn reply(&mut self, to: &Packet, code: ResponseType, build: impl FnOnce(&mut Packet)) {
        let mut r = Packet::new();
        r.header.set_type(MessageType::Acknowledgement);
        r.header.code = MessageClass::Response(code);
        r.header.message_id = to.header.message_id;
        r.set_token(to.get_token().to_vec());
        build(&mut r);
        self.send(&r);
    }

    /// Handles what arrives for up to `wait`.
    fn step(&mut self, wait: Duration) {
        self.socket.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 2048];
        let Ok((n, from)) = self.socket.recv_from(&mut buf) else {
            return;
        };
        self.relay = Some(from);
        let Ok(p) = Packet::from_bytes(&buf[..n]) else {
            return;
        };
        let path: Vec<String> = p
            .get_option(CoapOption::UriPath)
            .into_iter()
            .flatten()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        match p.header.code {
            MessageClass::Request(RequestType::Post) if path == ["rd"] => {
                self.reply(&p, ResponseType::Created, |r| {
                    r.add_option(CoapOption::LocationPath, b"rd".to_vec());
                    r.add_option(CoapOption::LocationPath, b"1".to_vec());
                });
                self.registered();
                // Every new registration: signal strength at least every second.
                self.request(RequestType::Put, "/4/0/2", |r| {
                    r.add_option(CoapOption::UriQuery, b"pmax=1".to_vec());
                });
                self.request(RequestType::Get, "/4/0/2", |r| {
                    r.set_observe_value(0);
                });
            }
            MessageClass::Request(RequestType::Post) if path == ["rd", "1"] => {
                if self.expires.is_some_and(|at| at > Instant::now()) {
                    self.reply(&p, ResponseType::Changed, |_| {});
                    self.registered();
                } else {
                    self.expires = None;
                    self.reply(&p, ResponseType::NotFound, |_| {});
                }
            }
            MessageClass::Response(_) if p.get_observe_value().is_some() => {
                self.notifications += 1;
                if p.header.get_type() == MessageType::Confirmable {
                    let mut ack = Packet::new();
                    ack.header.set_type(MessageType::Acknowledgement);
                    ack.header.message_id = p.header.message_id;
                    self.send(&ack);
                }
            }
            MessageClass::Response(_) => self.responses.push(p),
            _ => {}
        }
    }

    fn registered(&mut self) {
        self.expires = Some(Instant::now() + self.lifetime);
        self.accepted = Some(Instant::now());
    }

    /// Runs until `until` holds or `limit` passes; whether it held.
    fn run_until(&mut self, limit: Duration, until: impl Fn(&Server) -> bool) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if until(self) {
                return true;
            }
            self.step(Duration::from_millis(50));
        }
        until(self)
    }
}

#[test]
fn the_board_registers_again_after_a_minute_long_outage_under_an_observation() {
    let lifetime = 30;
    let mut config = lwm2m_runtime::client::Config::new("outage-1").unwrap();
    config.lifetime = lifetime;
    let bound = Duration::from_millis(config.recovery_bound_ms());

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_addr = socket.local_addr().unwrap();
    let down = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicUsize::new(0));
    let relay_addr = relay(server_addr, down.clone(), dropped.clone());
    let mut server = Server {
        socket,
        relay: None,
        mid: 0x100,
        expires: None,
        lifetime: Duration::from_secs(u64::from(lifetime)),
        notifications: 0,
        accepted: None,
        responses: Vec::new(),
    };

    let dir = std::env::temp_dir().join(format!("lwm2m-outage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _board = Board(
        Command::new(env!("CARGO_BIN_EXE_lwm2m-board"))
            .args(["--server", &format!("coap://{relay_addr}")])
            .args([
                "--endpoint",
                "outage-1",
                "--lifetime",
                &lifetime.to_string(),
            ])
            .arg("--flash")
            .arg(dir.join("flash.bin"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );

    assert!(
        server.run_until(Duration::from_secs(30), |s| s.notifications >= 3),
        "registered and notifying before the outage"
    );
    down.store(true, Ordering::SeqCst);
    let outage = Instant::now();
    server.run_until(Duration::from_secs(60), |_| false);
    down.store(false, Ordering::SeqCst);
    let healed = Instant::now();
    eprintln!(
        "outage of {:.0} s: the board sent {} datagrams into it",
        outage.elapsed().as_secs_f64(),
        dropped.load(Ordering::SeqCst)
    );

    let back = server.run_until(bound, |s| s.accepted.is_some_and(|at| at > healed));
    let took = server
        .accepted
        .map(|at| at.saturating_duration_since(healed));
    eprintln!(
        "registered again {:.1} s after the network healed (bound {} s)",
        took.unwrap_or_default().as_secs_f64(),
        bound.as_secs()
    );
    assert!(back, "registered again within {} s", bound.as_secs());

    let token = server.request(RequestType::Get, "/3/0/0", |_| {});
    assert!(
        server.run_until(Duration::from_secs(10), |s| s
            .responses
            .iter()
            .any(|r| r.get_token() == token.as_slice())),
        "answers a read"
    );
    let read = server
        .responses
        .iter()
        .find(|r| r.get_token() == token.as_slice())
        .unwrap();
    assert_eq!(
        read.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    assert!(!read.payload.is_empty(), "the manufacturer");
    let _ = std::fs::remove_dir_all(&dir);
}
