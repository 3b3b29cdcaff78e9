//! A campaign between real processes: three boards (this package's binary, `lwm2m-demo
//! board`) on loopback, one canary first, then the rest; the report lists all three updated.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lwm2m_board::demo::demo_body;
use lwm2m_fota::{Version, keys, mcuboot};
use lwm2m_fota_server::campaign::{Campaign, Choice, Plan, Start, Target, Wave};
use lwm2m_fota_server::{Settings, udp};

/// The boards, killed however the test ends.
struct Boards(Vec<Child>);

impl Drop for Boards {
    fn drop(&mut self) {
        for b in &mut self.0 {
            let _ = b.kill();
            let _ = b.wait();
        }
    }
}

#[test]
fn three_board_processes_are_updated_in_two_waves() {
    let version = Version::new(2, 0, 0, 0);
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let image = mcuboot::sign(&demo_body(version, true, 16 * 1024), version, &key);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let dir = std::env::temp_dir().join(format!("lwm2m-campaign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let boards = Boards(
        (0..3)
            .map(|i| {
                Command::new(env!("CARGO_BIN_EXE_lwm2m-demo"))
                    .args(["board", "--server", &format!("coap://{addr}")])
                    .args(["--endpoint", &format!("fleet-{i}")])
                    .arg("--flash")
                    .arg(dir.join(format!("flash-{i}.bin")))
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect(),
    );
    let plan = Plan {
        name: "fleet".into(),
        image: image.into(),
        version: version.to_string(),
        target: Target::all(),
        waves: vec![Wave::Devices(1), Wave::Percent(100)],
        max_failures: 0,
        min_rssi: None,
        method: Choice::Auto {
            base: format!("coap://{addr}"),
            prefer_pull: true,
        },
        start: Start {
            devices: 3,
            after_ms: 30_000,
        },
        device_timeout_ms: 60_000,
    };
    let mut campaign = Campaign::new(plan, Settings::default());
    let mut waves = Vec::new();
    let settled = udp::serve_campaign(&socket, &mut campaign, None, Duration::from_secs(90), |e| {
        if let lwm2m_fota_server::campaign::CampaignEvent::WaveStarted { devices, .. } = e {
            waves.push(devices.clone());
        }
    })
    .unwrap();
    drop(boards);
    let _ = std::fs::remove_dir_all(&dir);
    let report = campaign.report(0);
    assert!(settled, "{}", report.summary());
    assert_eq!(report.status, "done", "{}", report.summary());
    assert_eq!(waves, [vec!["fleet-0"], vec!["fleet-1", "fleet-2"]]);
    for d in &report.devices {
        assert_eq!(
            (d.status, d.version.as_deref(), d.result, d.method),
            ("updated", Some("2.0.0"), Some(1), Some("pull")),
            "{d:?}"
        );
        assert!(d.bytes >= 16 * 1024, "{d:?}");
    }
}
