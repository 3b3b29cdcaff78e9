//! The performance numbers, as one table: `cargo bench -p lwm2m-tests`.
//!
//! * codegen: parse, check and generate the whole OMA registry folder;
//! * the download path: a signed image pushed block by block from datagrams to flash and
//!   verified, in bytes per second and instructions per KiB, beside the floor measured in the
//!   same run (SHA-256 plus a copy of the same bytes);
//! * end to end over loopback UDP: a 1 MiB PUSH and PULL to a board, from the first block to
//!   the confirmed boot, with blocks and retransmissions;
//! * a 256 KiB PULL interrupted by three connection drops: bytes served over the image size.
//!
//! Instruction counts come from valgrind's callgrind, counting only inside the measured
//! function (the program re-runs itself under valgrind with `--workload`); without valgrind
//! that column says so.

#[path = "../tests/world/mod.rs"]
mod world;

use std::hint::black_box;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet};
use lwm2m_board::{Board, BoardConfig};
use lwm2m_codegen::{Config, Source};
use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::{self, Mcuboot};
use lwm2m_fota::sim::{ERASED, NorSim};
use lwm2m_fota::{FirmwareUpdate, Layout, Settings as FotaSettings, Version, keys, slot};
use lwm2m_fota_server::{Expect, Job, Method, Server, Settings, udp};
use lwm2m_objects::firmware_update::State;
use lwm2m_runtime::Object;
use lwm2m_runtime::block::Block;
use lwm2m_runtime::client::{self, Client, Device, Peer};
use sha2::{Digest, Sha256};

/// Room for a 1 MiB image (state partition: two sectors).
const BIG: Layout = Layout::new(4096, 4, 2, 300);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--workload") {
        let kind = args.get(i + 1).map(String::as_str).unwrap_or_default();
        let dir = PathBuf::from(args.get(i + 2).cloned().unwrap_or_default());
        let kib: usize = args.get(i + 3).and_then(|k| k.parse().ok()).unwrap_or(256);
        workload(kind, &dir, kib);
        return;
    }
    machine();
    codegen();
    download_path();
    loopback();
    pull_with_drops();
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("machine: {cpu}, {cores} cores; release build (cargo bench)\n");
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        last = Some(r);
    }
    (best, last.expect("at least one run"))
}

// --- codegen -------------------------------------------------------------------------

fn codegen() {
    let Some(dir) = lwm2m_tests::registry_dir() else {
        println!("codegen: skipped (no registry folder; set LWM2M_REGISTRY_DIR)\n");
        return;
    };
    let sources: Vec<Source> = lwm2m_tests::xml_files(&dir)
        .into_iter()
        .map(|path| Source {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&path).unwrap(),
        })
        .collect();
    let bytes: usize = sources.iter().map(|s| s.bytes.len()).sum();
    let (parse_time, objects) = best_of(3, || {
        let mut objects = Vec::new();
        for s in &sources {
            if let lwm2m_codegen::parse::Document::Objects(o) =
                lwm2m_codegen::parse::parse(&s.name, &s.bytes).document
            {
                objects.extend(o);
            }
        }
        objects
    });
    let (check_time, _) = best_of(3, || lwm2m_codegen::check::check(&objects));
    // Emit and format one module at a time, as the pipeline does, here on one thread.
    let options = lwm2m_codegen::emit::Options::default();
    let names = lwm2m_codegen::emit::module_names(&objects);
    let (emit_time, modules) = best_of(3, || {
        objects
            .iter()
            .zip(&names)
            .map(|(o, name)| lwm2m_codegen::emit::emit_object(o, name, &options))
            .collect::<Vec<_>>()
    });
    let (format_time, text) = best_of(3, || {
        let mut text = lwm2m_codegen::format::header();
        for tokens in &modules {
            text.push_str(&lwm2m_codegen::format::pretty(tokens.clone()).unwrap());
        }
        text
    });
    // The whole pipeline, on the files that define objects (the CLI skips the others).
    let definitions: Vec<Source> = sources
        .iter()
        .filter(|s| {
            matches!(
                lwm2m_codegen::parse::parse(&s.name, &s.bytes).document,
                lwm2m_codegen::parse::Document::Objects(_)
            )
        })
        .cloned()
        .collect();
    let (all_time, all_text) = best_of(3, || {
        Config::new()
            .generate(&definitions)
            .unwrap()
            .to_file_string()
            .unwrap()
    });
    assert_eq!(all_text, text, "module by module is the same file");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pipeline = format!("Config::generate + to_file_string, {threads} threads");
    println!(
        "codegen: the registry folder ({} files, {} objects, {:.1} MiB of XML)",
        sources.len(),
        objects.len(),
        bytes as f64 / 1048576.0
    );
    println!("  {:<44} {:>10}", "step", "time");
    for (step, t) in [
        ("parse", parse_time),
        ("check", check_time),
        ("emit (tokens, one thread)", emit_time),
        ("format (syn + prettyplease, one thread)", format_time),
        (pipeline.as_str(), all_time),
    ] {
        println!("  {step:<44} {:>8.0} ms", t.as_secs_f64() * 1000.0);
    }
    println!("  {} lines of Rust generated\n", text.lines().count());
}

// --- the download path ---------------------------------------------------------------

fn signed_image(kib: usize) -> Vec<u8> {
    let v = Version::new(2, 0, 0, 0);
    // The body is chosen so the whole image is `kib` KiB: 32 header bytes, 144 of TLVs.
    mcuboot::sign(
        &world::body(v, true, kib * 1024 - 32 - 144),
        v,
        &world::dev_key(),
    )
}

/// The Block1 PUT datagrams that push `image` to /5/0/0 in 1 KiB blocks.
fn push_datagrams(image: &[u8]) -> Vec<Vec<u8>> {
    let blocks = image.chunks(1024).count();
    image
        .chunks(1024)
        .enumerate()
        .map(|(num, chunk)| {
            let mut p = Packet::new();
            p.header.set_type(MessageType::Confirmable);
            p.header.code = MessageClass::from(0x03);
            p.header.message_id = num as u16;
            p.set_token((num as u32).to_be_bytes().to_vec());
            for s in ["5", "0", "0"] {
                p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
            }
            p.add_option(CoapOption::ContentFormat, vec![42]);
            p.add_option(
                CoapOption::Block1,
                Block::new(num as u32, num + 1 < blocks, 6)
                    .encode()
                    .unwrap()
                    .to_vec(),
            );
            if num == 0 {
                p.add_option(
                    CoapOption::Size1,
                    (image.len() as u32).to_be_bytes().to_vec(),
                );
            }
            p.payload = chunk.to_vec();
            p.to_bytes().unwrap()
        })
        .collect()
}

type Flash = NorSim<Vec<u8>>;
type Firmware = FirmwareUpdate<Flash, Mcuboot, EmbassyBoot>;

fn provisioned() -> Flash {
    let mut flash = NorSim::new(vec![ERASED; BIG.size() as usize]).unwrap();
    slot::provision(
        &mut flash,
        &BIG,
        &world::signed(world::FACTORY, 8 * 1024, true),
    )
    .unwrap();
    flash
}

/// Datagrams in, flash writes and the verification that follows out. What is measured.
#[inline(never)]
fn measured_download(client: &mut Client, firmware: &mut Firmware, datagrams: &[Vec<u8>]) -> usize {
    let mut objects: [&mut dyn Object; 1] = [firmware];
    let mut device = Device::new(&mut objects);
    let mut sent = 0;
    for d in datagrams {
        client.handle(client::Instant(0), Peer::Server(1), d, &mut device);
        while let Some(t) = client.poll(client::Instant(0), &mut device) {
            sent += t.data.len();
        }
    }
    // The image is verified by the polls after the last answer, a step a millisecond.
    let mut now = 0;
    while let Some(at) = client.timeout().filter(|at| at.0 <= now + 1) {
        now = at.0.max(now + 1);
        while let Some(t) = client.poll(client::Instant(now), &mut device) {
            sent += t.data.len();
        }
    }
    sent
}

/// The floor: a SHA-256 of the same bytes, and a copy of them.
#[inline(never)]
fn measured_floor(image: &[u8], copy: &mut Vec<u8>) -> [u8; 32] {
    copy.clear();
    for chunk in image.chunks(1024) {
        copy.extend_from_slice(chunk);
    }
    Sha256::digest(image).into()
}

fn download_once(image: &[u8], datagrams: &[Vec<u8>]) -> Duration {
    let verifier = Mcuboot::new(keys::dev_public_key().unwrap());
    let boot = EmbassyBoot::new(BIG);
    let settings = FotaSettings::default();
    let mut firmware = Firmware::boot(
        provisioned(),
        BIG,
        verifier,
        boot,
        settings,
        world::self_test,
    )
    .map_err(|(_, e)| e)
    .unwrap();
    let mut client = Client::new(client::Config::new("bench").unwrap(), 1);
    let t = Instant::now();
    black_box(measured_download(&mut client, &mut firmware, datagrams));
    let elapsed = t.elapsed();
    assert_eq!(
        firmware.state().0,
        State::Downloaded,
        "the pushed image verified ({} bytes)",
        image.len()
    );
    elapsed
}

fn workload(kind: &str, dir: &Path, kib: usize) {
    let image = std::fs::read(dir.join(format!("image-{kib}.bin"))).unwrap();
    match kind {
        "download" => {
            let datagrams = push_datagrams(&image);
            black_box(download_once(&image, &datagrams));
        }
        "floor" => {
            let mut copy = Vec::with_capacity(image.len());
            black_box(measured_floor(&image, &mut copy));
        }
        other => panic!("unknown workload {other}"),
    }
}

/// Instructions executed inside `function` by the workload, counted by callgrind.
fn instructions(dir: &Path, kind: &str, kib: usize, function: &str) -> Option<u64> {
    let out_file = dir.join(format!("callgrind-{kind}-{kib}.out"));
    let status = Command::new("valgrind")
        .args(["--tool=callgrind", "--quiet"])
        .arg(format!("--toggle-collect=*{function}*"))
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(std::env::current_exe().ok()?)
        .args(["--workload", kind])
        .arg(dir)
        .arg(kib.to_string())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let text = std::fs::read_to_string(&out_file).ok()?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn download_path() {
    let dir = std::env::temp_dir().join(format!("lwm2m-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kib = 1024;
    let image = signed_image(kib);
    let datagrams = push_datagrams(&image);
    let (path_time, _) = best_of(5, || download_once(&image, &datagrams));
    let mut copy = Vec::with_capacity(image.len());
    let (floor_time, _) = best_of(5, || black_box(measured_floor(&image, &mut copy)));
    let rate = |t: Duration| image.len() as f64 / t.as_secs_f64() / 1048576.0;

    // Instructions per KiB: the difference between a 512 KiB and a 256 KiB run, so the fixed
    // costs (the signature check, the first block) cancel out.
    for k in [256, 512] {
        std::fs::write(dir.join(format!("image-{k}.bin")), signed_image(k)).unwrap();
    }
    let per_kib = |kind: &str, function: &str| -> Option<f64> {
        let small = instructions(&dir, kind, 256, function)?;
        let large = instructions(&dir, kind, 512, function)?;
        Some((large.saturating_sub(small)) as f64 / 256.0)
    };
    let path_ins = per_kib("download", "measured_download");
    let floor_ins = per_kib("floor", "measured_floor");
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "download path: a 1 MiB signed image pushed in 1 KiB Block1 datagrams into flash and verified"
    );
    println!("  {:<40} {:>12} {:>18}", "", "MiB/s", "instructions/KiB");
    let ins = |i: Option<f64>| i.map_or("(no valgrind)".to_owned(), |v| format!("{v:.0}"));
    println!(
        "  {:<40} {:>12.1} {:>18}",
        "datagram -> flash -> verified",
        rate(path_time),
        ins(path_ins)
    );
    println!(
        "  {:<40} {:>12.1} {:>18}",
        "floor: SHA-256 + copy",
        rate(floor_time),
        ins(floor_ins)
    );
    let ins_ratio = match (path_ins, floor_ins) {
        (Some(p), Some(f)) if f > 0.0 => format!("{:.2}", p / f),
        _ => "n/a".into(),
    };
    println!(
        "  ratio path/floor: {:.2} in time, {ins_ratio} in instructions\n",
        path_time.as_secs_f64() / floor_time.as_secs_f64()
    );
}

// --- end to end over loopback ----------------------------------------------------------

/// The board on loopback UDP in this process, run by the host runner's network loop; a
/// reboot starts a new board from the same flash.
fn board_thread(server: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let mut net = lwm2m_board::host::Network::connect(server, None, true).unwrap();
        let mut flash = Some(provisioned());
        let mut boots = 0u32;
        while !stop.load(Ordering::Relaxed) {
            boots += 1;
            let config = BoardConfig {
                client: client::Config::new("bench").unwrap(),
                layout: BIG,
                key: keys::dev_public_key().unwrap(),
                seed: u64::from(boots) * 7919,
                rssi: -70,
                http: false,
                coaps: false,
            };
            let mut board = Board::start(flash.take().unwrap(), None, config, net.now())
                .map_err(|(_, e)| e)
                .unwrap();
            net.serve(&mut board, &|| stop.load(Ordering::Relaxed))
                .unwrap();
            flash = Some(board.into_flash());
        }
        boots
    })
}

fn loopback() {
    println!("end to end over loopback UDP: 1 MiB image, first block to confirmed boot");
    println!(
        "  {:<6} {:>9} {:>8} {:>16} {:>15}",
        "method", "time", "blocks", "retransmissions", "reboots"
    );
    let image = signed_image(1024);
    for (name, pull) in [("PUSH", false), ("PULL", true)] {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let settings = Settings::default();
        let method = if pull {
            Method::Pull {
                uri: format!("coap://{addr}/{}", settings.image_path),
            }
        } else {
            Method::Push { szx: 6 }
        };
        let jobs = vec![Job {
            name: name.into(),
            image: image.clone().into(),
            version: "2.0.0".into(),
            method,
            min_rssi: None,
            expect: Expect::Success,
            cancel_after: None,
        }];
        let mut server = Server::new(settings, jobs, 3);
        let stop = Arc::new(AtomicBool::new(false));
        let board = board_thread(addr, Arc::clone(&stop));
        let mut started = None;
        let mut elapsed = Duration::ZERO;
        let done = udp::serve(
            &socket,
            &mut server,
            Duration::from_secs(120),
            |e| match e {
                lwm2m_fota_server::Event::Attempt { .. } => started = Some(Instant::now()),
                lwm2m_fota_server::Event::JobDone { .. } => {
                    elapsed = started.map_or(Duration::ZERO, |s| s.elapsed());
                }
                _ => {}
            },
        )
        .unwrap();
        stop.store(true, Ordering::Relaxed);
        let boots = board.join().unwrap();
        assert_eq!(done, Some(true), "the {name} update went through");
        let stats = server.stats();
        let (blocks, retransmissions) = if pull {
            (stats.blocks_served, stats.retransmissions)
        } else {
            (image.len().div_ceil(1024) as u32, stats.retransmissions)
        };
        println!(
            "  {name:<6} {:>7.3} s {blocks:>8} {retransmissions:>16} {:>15}",
            elapsed.as_secs_f64(),
            boots.saturating_sub(1)
        );
    }
    println!(
        "  (retransmissions are the server's; a PULL's block requests repeated by the board show as blocks beyond 1024)\n"
    );
}

// --- a PULL with three connection drops --------------------------------------------------

fn pull_with_drops() {
    let image = world::signed(Version::new(2, 0, 0, 0), 256 * 1024 - 176, true);
    let len = image.len();
    let mut w = world::World::new(
        world::LAYOUT,
        vec![world::job(
            "pull",
            image,
            "2.0.0",
            world::pull(),
            Expect::Success,
        )],
    );
    w.radio.0.target = world::START_DBM;
    for drop in 1..=3 {
        let at = drop * 60;
        assert!(w.run_until(600_000, |w| w.pulled_blocks.len() >= at));
        w.outage = Some((w.now, w.now + 300_000));
        w.run_until(300_000, |_| false);
        w.outage = None;
        let now = client::Instant(w.now);
        w.device().client_mut().connection_changed(now);
    }
    assert_eq!(w.run(600_000), Some(true), "{}", w.story());
    let served = w.server.stats().bytes_served;
    println!("256 KiB PULL with three connection drops (five minutes each):");
    println!(
        "  image bytes served {served} for a {len}-byte image: {:.3} x the image (a client that restarts from zero pays about 2.5)",
        served as f64 / len as f64
    );
}
