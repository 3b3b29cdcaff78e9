//! PULL over HTTP between real processes: the board (this package's binary) fetches the image
//! through a relay that drops the first connection halfway, and resumes with a Range request
//! instead of starting over.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lwm2m_board::demo::demo_body;
use lwm2m_fota::{Version, keys, mcuboot};
use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings, http, udp};

/// A TCP relay on loopback to `upstream` that closes its first connection once `cut` bytes
/// went down it, as a connection lost mid-download; later connections go through whole.
fn cutting_relay(upstream: std::net::SocketAddr, cut: usize) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut limit = Some(cut);
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            let limit = limit.take();
            let (mut up_from, mut up_to) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut up_from, &mut up_to);
                let _ = up_to.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let (mut from, mut to) = (server, client);
                let mut sent = 0;
                let mut buf = [0u8; 4096];
                while let Ok(n) = from.read(&mut buf) {
                    let n = limit.map_or(n, |l| n.min(l - sent));
                    if n == 0 || to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    sent += n;
                }
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
            });
        }
    });
    addr
}

#[test]
fn an_http_pull_cut_halfway_resumes_with_a_range_request() {
    let version = Version::new(2, 0, 0, 0);
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let image = mcuboot::sign(&demo_body(version, true, 96 * 1024), version, &key);
    let settings = Settings::default();

    let web = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = web.local_addr().unwrap();
    http::spawn(web, settings.image_path.clone(), Arc::from(image.clone())).unwrap();
    let web_port = cutting_relay(upstream, 40 * 1024).port();

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let dir = std::env::temp_dir().join(format!("lwm2m-http-pull-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut board = Command::new(env!("CARGO_BIN_EXE_lwm2m-demo"))
        .args([
            "board",
            "--server",
            &format!("coap://{addr}"),
            "--endpoint",
            "http-board",
        ])
        .arg("--flash")
        .arg(dir.join("flash.bin"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();

    let jobs = vec![Job {
        name: "HTTP pull".into(),
        image: image.into(),
        version: version.to_string(),
        method: Method::Pull {
            uri: format!("http://127.0.0.1:{web_port}/{}", settings.image_path),
        },
        min_rssi: None,
        expect: Expect::Success,
        cancel_after: None,
    }];
    let mut server = Server::new(settings, jobs, 7);
    let mut events = Vec::new();
    let done = udp::serve(&socket, &mut server, Duration::from_secs(60), |e| {
        events.push(e.clone())
    });
    let _ = board.kill();
    let out = board.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(done.unwrap(), Some(true), "{events:#?}\n{log}");
    // The relay cut 40 KiB into the response: its head, and the rest of the body.
    let resumed_at: usize = log
        .split("; resuming at byte ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resumption in:\n{log}"));
    assert!(
        (40 * 1024 - 400..40 * 1024).contains(&resumed_at),
        "resumed at {resumed_at}:\n{log}"
    );
    assert!(
        log.contains(&format!(
            "board: HTTP download interrupted (the connection closed after {resumed_at} bytes"
        )),
        "{log}"
    );
    assert!(
        log.contains("board: booted image 2.0.0 (bootloader: Swapped)"),
        "{log}"
    );
    assert!(events.contains(&Event::Version("2.0.0".into())));
}
