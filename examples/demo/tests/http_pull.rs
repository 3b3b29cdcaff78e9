//! PULL over HTTP between real processes: the board (this package's binary) fetches the image
//! from an HTTP server that drops the first connection halfway, and resumes with a Range
//! request instead of starting over.

use std::net::{TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lwm2m_board::demo::demo_body;
use lwm2m_fota::{Version, keys, mcuboot};
use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings, http, udp};

#[test]
fn an_http_pull_cut_halfway_resumes_with_a_range_request() {
    let version = Version::new(2, 0, 0, 0);
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let image = mcuboot::sign(&demo_body(version, true, 96 * 1024), version, &key);
    let settings = Settings::default();

    let web = TcpListener::bind("127.0.0.1:0").unwrap();
    let web_port = web.local_addr().unwrap().port();
    http::spawn(
        web,
        settings.image_path.clone(),
        Arc::new(image.clone()),
        Some(40 * 1024),
    )
    .unwrap();

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
        image,
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
    assert!(
        log.contains("board: HTTP download interrupted (the connection closed after 40960 of 98480 bytes); resuming at byte 40960"),
        "{log}"
    );
    assert!(
        log.contains("board: booted image 2.0.0 (bootloader: Swapped)"),
        "{log}"
    );
    assert!(events.contains(&Event::Version("2.0.0".into())));
}
