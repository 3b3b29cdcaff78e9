//! Two management servers at once, between real processes: a Bootstrap-Server gives a fresh
//! board (this package's binary) two accounts, and the board registers with both, each over
//! its own line, and answers each server's requests on that server's line.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageType, Packet};
use lwm2m_fota_server::bootstrap::{Bootstrap, BootstrapEvent, Provision};
use lwm2m_fota_server::coap::{self, code_of, message, path_of, set_path, strings};
use lwm2m_fota_server::udp;

/// The child process is killed however the test ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One scripted management server: it accepts the Register, then reads the Short Server ID
/// of its own Server instance (`/1/n/0`).
struct Lwm2mServer {
    socket: UdpSocket,
    ssid: u16,
    register: Option<Packet>,
    /// Where the board talks from, once it registered.
    board: Option<SocketAddr>,
    read: Option<String>,
}

impl Lwm2mServer {
    fn new(ssid: u16) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        Self {
            socket,
            ssid,
            register: None,
            board: None,
            read: None,
        }
    }

    fn uri(&self) -> String {
        format!("coap://{}", self.socket.local_addr().unwrap())
    }

    /// Serves what arrived: a Register is accepted and followed by a read; the answer to
    /// the read is kept.
    fn step(&mut self) {
        let mut buf = [0u8; 2048];
        let Ok((n, from)) = self.socket.recv_from(&mut buf) else {
            return;
        };
        let p = Packet::from_bytes(&buf[..n]).unwrap();
        match p.header.get_type() {
            MessageType::Confirmable if path_of(&p) == "rd" => {
                let mut ack = message(MessageType::Acknowledgement, coap::CREATED);
                ack.header.message_id = p.header.message_id;
                ack.set_token(p.get_token().to_vec());
                ack.add_option(CoapOption::LocationPath, b"rd".to_vec());
                ack.add_option(
                    CoapOption::LocationPath,
                    format!("s{}", self.ssid).into_bytes(),
                );
                self.socket.send_to(&ack.to_bytes().unwrap(), from).unwrap();
                if self.register.is_none() {
                    let mut get = message(MessageType::Confirmable, coap::GET);
                    get.header.message_id = 0x4000 + self.ssid;
                    get.set_token(vec![0x40, self.ssid as u8]);
                    set_path(&mut get, &format!("/1/{}/0", self.ssid));
                    get.add_option(CoapOption::Accept, coap::uint_bytes(0));
                    self.socket.send_to(&get.to_bytes().unwrap(), from).unwrap();
                }
                self.register = Some(p);
                self.board = Some(from);
            }
            MessageType::Acknowledgement if p.header.message_id == 0x4000 + self.ssid => {
                assert_eq!(
                    code_of(&p),
                    coap::CONTENT,
                    "the read of server {}",
                    self.ssid
                );
                self.read = Some(String::from_utf8(p.payload).unwrap());
            }
            // Updates and anything else: acknowledged, nothing more.
            MessageType::Confirmable => {
                let mut ack = message(MessageType::Acknowledgement, coap::CHANGED);
                ack.header.message_id = p.header.message_id;
                ack.set_token(p.get_token().to_vec());
                self.socket.send_to(&ack.to_bytes().unwrap(), from).unwrap();
            }
            _ => {}
        }
    }
}

#[test]
fn a_bootstrapped_board_registers_with_two_servers_and_answers_each() {
    let mut servers = [Lwm2mServer::new(1), Lwm2mServer::new(2)];
    let provisions: Vec<Provision> = servers
        .iter()
        .map(|s| Provision {
            server_uri: s.uri(),
            short_server_id: s.ssid,
            lifetime: 60,
            psk: None,
        })
        .collect();
    let bs_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bs_addr = bs_socket.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let bootstrap = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut bootstrap = Bootstrap::new(provisions, 0x0b00);
            let mut provisioned = false;
            udp::serve_bootstrap(&bs_socket, &mut bootstrap, None, &stop, |e| {
                provisioned |= matches!(e, BootstrapEvent::Provisioned { .. });
            })
            .unwrap();
            provisioned
        })
    };

    let dir = std::env::temp_dir().join(format!("lwm2m-two-servers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let board = Command::new(env!("CARGO_BIN_EXE_lwm2m-demo"))
        .args(["board", "--bootstrap", &format!("coap://{bs_addr}")])
        .args(["--endpoint", "two-servers", "--flash"])
        .arg(dir.join("flash.bin"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _board = Child(board);

    // Bounded: a bootstrap and two registrations take well under a second on loopback.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) && servers.iter().any(|s| s.read.is_none()) {
        for s in &mut servers {
            s.step();
        }
    }
    stop.store(true, Ordering::Relaxed);
    assert!(
        bootstrap.join().unwrap(),
        "the Bootstrap-Server saw Finish accepted"
    );
    for s in &servers {
        let register = s
            .register
            .as_ref()
            .unwrap_or_else(|| panic!("server {} got no Register", s.ssid));
        assert_eq!(
            strings(register, CoapOption::UriQuery),
            ["ep=two-servers", "lt=60", "lwm2m=1.1", "b=U"],
            "server {}",
            s.ssid
        );
        let links = String::from_utf8_lossy(&register.payload).into_owned();
        assert!(
            links.contains("</1/1>") && links.contains("</1/2>"),
            "{links}"
        );
        assert_eq!(
            s.read.as_deref(),
            Some(s.ssid.to_string().as_str()),
            "server {} read its Short Server ID",
            s.ssid
        );
    }
    let [a, b] = &servers;
    assert_ne!(
        a.board, b.board,
        "each server has its own line (socket) from the board"
    );
}
