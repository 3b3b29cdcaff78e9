//! PUSH against PULL over a lossy link: `cargo bench -p lwm2m-tests --bench lossy`.
//!
//! A 256 KiB image goes to the update library's device (on simulated flash, booted through
//! embassy-boot) from the FOTA server, through two links of the simulated network that lose
//! 0, 5, 10 and 20 % of the datagrams each way, with 50 to 150 ms of one-way delay. Each cell
//! is five runs with different seeds, on the simulated clock. It prints, per method and loss:
//! how many runs installed the image, the median time to the confirmed boot, the datagrams
//! the device sent, and the bytes over the air (both ways, lost ones included) over the
//! image's size.

#[path = "../tests/lossy/mod.rs"]
mod lossy;
#[path = "../tests/netsim/mod.rs"]
mod netsim;
#[path = "../tests/world/mod.rs"]
mod world;

use lossy::LossyWorld;
use lwm2m_fota::Version;
use lwm2m_fota_server::Expect;
use netsim::link::LinkParams;
use world::{LAYOUT, World, job, pull, push, signed};

/// The image's size, header and signature included.
const IMAGE: usize = 256 * 1024;
/// Runs per cell.
const SEEDS: u64 = 5;
/// Time a run may take, simulated.
const DEADLINE_MS: u64 = 12 * 3_600_000;

/// One run: installed or not, its time in ms, datagrams the device sent, bytes both ways.
fn run(pull_it: bool, loss_pct: u8, seed: u64) -> (bool, u64, u64, u64) {
    let version = Version::new(2, 0, 0, 0);
    let image = signed(version, IMAGE - 176, true);
    assert_eq!(image.len(), IMAGE);
    let method = if pull_it { pull() } else { push() };
    let world = World::new(
        LAYOUT,
        vec![job("lossy", image, "2.0.0", method, Expect::Success)],
    );
    let link = LinkParams {
        loss_pct,
        dup_pct: 0,
        reorder_pct: 0,
        delay_ms: 50,
        jitter_ms: 100,
        mtu: 1280,
    };
    let mut lossy = LossyWorld::new(world, seed, link, link);
    let start = lossy.world.now;
    let finished = lossy.run(DEADLINE_MS);
    let installed = finished.is_some() && lossy.world.running_version() == version;
    let took = finished.unwrap_or(lossy.world.now) - start;
    let bytes = lossy.up.stats.bytes + lossy.down.stats.bytes;
    (installed, took, lossy.up.stats.sent, bytes)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn main() {
    println!("A 256 KiB image over two lossy links (50-150 ms each way), {SEEDS} runs a cell");
    println!(
        "{:<6} {:>6} {:>10} {:>12} {:>16} {:>14}",
        "method", "loss", "installed", "time (s)", "device datagrams", "air / image"
    );
    for pull_it in [false, true] {
        for loss in [0u8, 5, 10, 20] {
            let runs: Vec<_> = (1..=SEEDS).map(|seed| run(pull_it, loss, seed)).collect();
            let installed = runs.iter().filter(|r| r.0).count();
            let time = median(runs.iter().map(|r| r.1).collect());
            let sent = median(runs.iter().map(|r| r.2).collect());
            let air = median(runs.iter().map(|r| r.3).collect());
            println!(
                "{:<6} {:>5}% {:>7}/{SEEDS} {:>12.0} {:>16} {:>14.2}",
                if pull_it { "PULL" } else { "PUSH" },
                loss,
                installed,
                time as f64 / 1000.0,
                sent,
                air as f64 / IMAGE as f64
            );
        }
    }
}
