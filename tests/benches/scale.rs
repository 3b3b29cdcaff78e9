//! One campaign server and a growing fleet: `cargo bench -p lwm2m-tests --bench scale`.
//!
//! 10, 100 and 1,000 of the update library's devices (on simulated flash, booted through
//! embassy-boot) in the same process as one campaign, which pushes each an 8 KiB image in
//! three waves (one canary, 10 %, the rest). Datagrams go straight between them on a
//! simulated clock, so what is measured is the server's own work: the wall time of the whole
//! run, the time spent in the campaign's calls (its CPU time; the process is single-threaded),
//! the heap the campaign holds at the end per device (every session, the report's facts), the
//! datagrams and bytes each way per device, and the simulated time the rollout took.

#[path = "../tests/fleet/mod.rs"]
mod fleet;
#[path = "../tests/world/mod.rs"]
mod world;

use std::time::Instant;

use fleet::{Fleet, Node};
use lwm2m_fota::{Layout, Version};
use lwm2m_fota_server::Settings;
use lwm2m_fota_server::campaign::{Campaign, Choice, Plan, Start, Target, Wave};
use lwm2m_objects::firmware_update::FirmwareUpdateDeliveryMethod as Delivery;
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// 32 KiB images: a thousand devices' flash fits in memory.
const SMALL: Layout = Layout::new(4096, 4, 2, 8);
/// The image pushed, header and signature included.
const IMAGE: usize = 8 * 1024;

struct Row {
    devices: usize,
    wall_s: f64,
    server_s: f64,
    heap_per_device: usize,
    up: (u64, u64),
    down: (u64, u64),
    simulated_s: f64,
}

fn run(devices: usize) -> Row {
    let version = Version::new(2, 0, 0, 0);
    let image = world::signed(version, IMAGE - 176, true);
    let nodes = (0..devices)
        .map(|i| {
            let flash = world::factory_flash(&SMALL);
            Node::with_layout(
                format!("dev-{i:04}"),
                flash,
                SMALL,
                false,
                Delivery::BothPushAndPull,
            )
        })
        .collect();
    let plan = Plan {
        name: format!("{devices} devices"),
        image: image.into(),
        version: version.to_string(),
        target: Target::all(),
        waves: vec![Wave::Devices(1), Wave::Percent(10), Wave::Percent(100)],
        max_failures: 0,
        min_rssi: None,
        method: Choice::Push,
        start: Start {
            devices,
            after_ms: 600_000,
        },
        device_timeout_ms: 3_600_000,
    };
    let mut fleet = Fleet::new(Campaign::new(plan, Settings::default()), nodes);
    let wall = Instant::now();
    fleet.run(6 * 3_600_000);
    let wall_s = wall.elapsed().as_secs_f64();
    let report = fleet.campaign.report(fleet.now);
    assert_eq!(report.count("updated"), devices, "{}", report.summary());
    let Fleet {
        campaign,
        now,
        up,
        down,
        server_time,
        ..
    } = fleet;
    let with = HEAP.current_usage();
    drop(campaign);
    let campaign_heap = with - HEAP.current_usage();
    Row {
        devices,
        wall_s,
        server_s: server_time.as_secs_f64(),
        heap_per_device: campaign_heap / devices,
        up,
        down,
        simulated_s: (now - 1_000) as f64 / 1000.0,
    }
}

fn main() {
    println!("One campaign, an 8 KiB image pushed in three waves (1, 10 %, the rest)");
    println!(
        "{:>7} {:>8} {:>10} {:>13} {:>10} {:>10} {:>13} {:>11}",
        "devices",
        "wall s",
        "server s",
        "server ms/dev",
        "heap B/dev",
        "dgrams/dev",
        "air B/dev",
        "simulated s"
    );
    for devices in [10, 100, 1000] {
        let r = run(devices);
        let n = r.devices as f64;
        println!(
            "{:>7} {:>8.2} {:>10.3} {:>13.3} {:>10} {:>10.1} {:>13.0} {:>11.1}",
            r.devices,
            r.wall_s,
            r.server_s,
            r.server_s * 1000.0 / n,
            r.heap_per_device,
            (r.up.0 + r.down.0) as f64 / n,
            (r.up.1 + r.down.1) as f64 / n,
            r.simulated_s
        );
    }
    println!("(air: both ways; an image is {IMAGE} B)");
}
