//! The minimal device, as its own process, takes two updates from the FOTA server over
//! loopback UDP: 2.0.0 by PUSH, then 3.0.0 by PULL over CoAP, each swapped in by the
//! bootloader, confirmed after the reboot, and reported as Update Result 1.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use lwm2m_fota::{Version, keys, mcuboot};
use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings, udp};

/// The child process is killed however the test ends.
struct Device(std::process::Child);

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn job(version: Version, method: Method) -> Job {
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let body: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8 ^ version.major).collect();
    Job {
        name: format!("{version}"),
        image: mcuboot::sign(&body, version, &key).into(),
        version: format!("{version}"),
        method,
        min_rssi: None,
        expect: Expect::Success,
        cancel_after: None,
    }
}

#[test]
fn the_minimal_device_takes_a_push_and_a_pull() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let settings = Settings::default();
    let pull = Method::Pull { uri: format!("coap://{addr}/{}", settings.image_path) };
    let jobs = vec![
        job(Version::new(2, 0, 0, 0), Method::Push { szx: 6 }),
        job(Version::new(3, 0, 0, 0), pull),
    ];
    let mut server = Server::new(settings, jobs, 5);
    let _device = Device(
        Command::new(env!("CARGO_BIN_EXE_lwm2m-minimal"))
            .arg(addr.to_string())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut outcomes = Vec::new();
    let mut registrations = 0;
    let done = udp::serve(&socket, &mut server, Duration::from_secs(120), |e| match e {
        Event::JobDone { outcome, .. } => outcomes.push(outcome.clone()),
        Event::Registered { endpoint, .. } => {
            assert_eq!(endpoint, "minimal-1");
            registrations += 1;
        }
        _ => {}
    })
    .unwrap();
    assert_eq!(done, Some(true), "{outcomes:?}");
    let results: Vec<(u8, String)> =
        outcomes.iter().map(|o| (u8::from(o.result), o.version.clone())).collect();
    assert_eq!(results, [(1, "2.0.0".into()), (1, "3.0.0".into())]);
    assert_eq!(registrations, 3, "one per boot: factory, 2.0.0, 3.0.0");
}
