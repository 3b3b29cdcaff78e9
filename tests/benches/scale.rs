//! One campaign server and a growing fleet on loopback: `cargo bench -p lwm2m-tests --bench
//! scale`.
//!
//! The campaign runs on a UDP socket of 127.0.0.1 in a thread of its own
//! (`udp::serve_campaign`); 10, 100 and 1,000 of the update library's devices (on simulated
//! flash, booted through embassy-boot) run in the main thread, each with its own UDP socket.
//! The campaign pushes each an 8 KiB image in three waves (one canary, 10 %, the rest). It
//! prints the wall time of the rollout, the server thread's CPU time, the heap the campaign
//! holds at the end per device (every session and the report's facts), and the datagrams and
//! bytes each way per device.

#[path = "../tests/fleet/mod.rs"]
mod fleet;
#[path = "../tests/world/mod.rs"]
mod world;

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use fleet::Node;
use lwm2m_fota::{Layout, Version};
use lwm2m_fota_server::campaign::{Campaign, Choice, Plan, Start, Target, Wave};
use lwm2m_fota_server::{Settings, udp};
use lwm2m_objects::firmware_update::FirmwareUpdateDeliveryMethod as Delivery;
use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Instant as At, Peer};
use mio::{Events, Interest, Poll, Token};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// 32 KiB images: a thousand devices' flash fits in memory.
const SMALL: Layout = Layout::new(4096, 4, 2, 8);
/// The image pushed, header and signature included.
const IMAGE: usize = 8 * 1024;
/// Devices booted per round of the devices' thread, at most.
const BOOTS_PER_ROUND: usize = 8;

struct Row {
    devices: usize,
    wall_s: f64,
    server_cpu_s: f64,
    devices_cpu_s: f64,
    heap_per_device: usize,
    /// Datagrams and bytes the devices sent, and received.
    up: (u64, u64),
    down: (u64, u64),
}

fn plan(devices: usize) -> Plan {
    let version = Version::new(2, 0, 0, 0);
    Plan {
        name: format!("{devices} devices"),
        image: world::signed(version, IMAGE - 176, true).into(),
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
        device_timeout_ms: 600_000,
    }
}

fn run(devices: usize) -> Row {
    let server = UdpSocket::bind("127.0.0.1:0").expect("a loopback socket for the server");
    let addr = server.local_addr().expect("its address");
    let mut poll = Poll::new().expect("a poller");
    let mut nodes: Vec<(Node, mio::net::UdpSocket)> = (0..devices)
        .map(|i| {
            let flash = world::factory_flash(&SMALL);
            let node = Node::with_layout(
                format!("dev-{i:04}"),
                flash,
                SMALL,
                false,
                Delivery::BothPushAndPull,
            );
            let socket = UdpSocket::bind("127.0.0.1:0").expect("a socket per device");
            socket.connect(addr).expect("connected to the server");
            socket.set_nonblocking(true).expect("non-blocking");
            let mut socket = mio::net::UdpSocket::from_std(socket);
            poll.registry()
                .register(&mut socket, Token(i), Interest::READABLE)
                .expect("registered");
            (node, socket)
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let campaign = Campaign::new(plan(devices), Settings::default());
    let stop = Arc::clone(&done);
    let thread = std::thread::spawn(move || {
        let mut campaign = campaign;
        let cpu = ThreadTime::now();
        let settled = udp::serve_campaign(
            &server,
            &mut campaign,
            None,
            Duration::from_secs(600),
            |_| {},
        );
        let cpu = cpu.elapsed();
        stop.store(true, Ordering::Relaxed);
        (campaign, cpu, settled)
    });
    let start = Instant::now();
    let devices_cpu = ThreadTime::now();
    let (mut up, mut down) = ((0, 0), (0, 0));
    let mut buf = [0u8; 2048];
    let mut events = Events::with_capacity(1024);
    // Devices with something to do this round: all at first (they boot).
    let mut due: Vec<bool> = vec![true; devices];
    while !done.load(Ordering::Relaxed) {
        poll.poll(&mut events, Some(Duration::from_millis(1)))
            .expect("waiting on the sockets");
        for event in &events {
            if let Some(d) = due.get_mut(event.token().0) {
                *d = true;
            }
        }
        let now = start.elapsed().as_millis() as u64;
        // Boots (embassy-boot's swap, the image checks) are the devices' heaviest work: a few
        // a round, so that a thousand devices rebooting at once do not keep the others from
        // their sockets past the server's acknowledgement timers.
        let mut boots = 0;
        for (i, (node, socket)) in nodes.iter_mut().enumerate() {
            let timer = node
                .device
                .as_ref()
                .is_none_or(|d| d.timeout().is_some_and(|t| t.0 <= now));
            if !std::mem::take(&mut due[i]) && !timer {
                continue;
            }
            if node.device.is_none() {
                if boots == BOOTS_PER_ROUND {
                    due[i] = true;
                    continue;
                }
                boots += 1;
                node.boot(now);
            }
            let Some(device) = node.device.as_mut() else {
                continue;
            };
            let objects = &mut [&mut node.radio as &mut dyn Object];
            loop {
                match socket.recv(&mut buf) {
                    Ok(n) => {
                        down.0 += 1;
                        down.1 += n as u64;
                        device.handle(At(now), Peer::Server(1), &buf[..n], objects);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("receiving: {e}"),
                }
            }
            while let Some(t) = device.poll(At(now), objects) {
                if t.to == Peer::Server(1) {
                    up.0 += 1;
                    up.1 += t.data.len() as u64;
                    let _ = socket.send(&t.data);
                }
            }
            // A device that reboots boots next round.
            due[i] = node.reboot_if_asked();
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let devices_cpu_s = devices_cpu.elapsed().as_secs_f64();
    let (campaign, cpu, settled) = thread.join().expect("the server thread");
    let report = campaign.report(0);
    assert!(
        settled.expect("the server's socket works"),
        "{}",
        report.summary()
    );
    assert_eq!(report.count("updated"), devices, "{}", report.summary());
    let with = HEAP.current_usage();
    drop(campaign);
    let campaign_heap = with.saturating_sub(HEAP.current_usage());
    Row {
        devices,
        wall_s,
        server_cpu_s: cpu.as_secs_f64(),
        devices_cpu_s,
        heap_per_device: campaign_heap / devices,
        up,
        down,
    }
}

fn main() {
    println!(
        "One campaign on loopback UDP, an 8 KiB image pushed in three waves (1, 10 %, the rest)"
    );
    println!(
        "{:>7} {:>8} {:>13} {:>15} {:>14} {:>11} {:>17} {:>17}",
        "devices",
        "wall s",
        "server CPU s",
        "server CPU/dev",
        "devices CPU s",
        "heap B/dev",
        "dgrams/dev up/dn",
        "bytes/dev up/dn"
    );
    for devices in [10, 100, 1000] {
        let r = run(devices);
        let n = r.devices as f64;
        let per_device = format!("{:.1} / {:.1}", r.up.0 as f64 / n, r.down.0 as f64 / n);
        let bytes = format!("{:.0} / {:.0}", r.up.1 as f64 / n, r.down.1 as f64 / n);
        println!(
            "{:>7} {:>8.2} {:>13.3} {:>12.3} ms {:>14.2} {:>11} {:>17} {:>17}",
            r.devices,
            r.wall_s,
            r.server_cpu_s,
            r.server_cpu_s * 1000.0 / n,
            r.devices_cpu_s,
            r.heap_per_device,
            per_device,
            bytes
        );
    }
    println!("(an image is {IMAGE} B)");
}
