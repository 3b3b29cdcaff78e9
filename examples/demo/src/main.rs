//! `lwm2m-demo`: the whole firmware update story on loopback, in one command.
//!
//! It signs three images with the development key, starts the FOTA server on a free UDP port
//! of 127.0.0.1 (DTLS 1.2 with a pre-shared key drawn for the run; `--insecure` for plain
//! CoAP) and a Bootstrap-Server beside it, and starts the board as a second process (this
//! same program, `lwm2m-demo board ...`, so one build holds both) with a fresh flash file
//! that knows only the Bootstrap-Server. The board bootstraps (Delete, Write of /0 and /1,
//! Discover, Finish), registers with the FOTA server it was given, and then:
//!
//! 1. a PUSH of 1.1.0 once the board's signal reaches -90 dBm (Block1 writes to /5/0/0);
//! 2. a PULL of 1.2.0 (the board fetches a coaps:// Package URI over Block2);
//! 3. a PUSH of 1.3.0, built to fail its self-test: the board reboots without confirming it,
//!    the bootloader reverts, and the board reports Update Result 8 running 1.2.0.
//!
//! Every reboot of the board replaces its process; only the flash file survives. The demo
//! exits 0 when all three went as expected.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::Parser;
use lwm2m_board::demo::demo_body;
use lwm2m_fota::{Version, keys, mcuboot};
use lwm2m_fota_server::bootstrap::{Bootstrap, BootstrapEvent, Provision};
use lwm2m_fota_server::dtls::Dtls;
use lwm2m_fota_server::report::Reporter;
use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings, udp};
use lwm2m_runtime::Enumeration;

/// The whole firmware update story on loopback: a FOTA server, a Bootstrap-Server and a
/// board; a PUSH, a PULL and a rollback.
#[derive(Parser)]
#[command(
    name = "lwm2m-demo",
    after_help = "`lwm2m-demo board OPTIONS` runs the board (`lwm2m-board`'s options), as the \
                  demo itself starts it."
)]
struct Cli {
    /// Smaller images (48 KiB instead of 256 KiB), for a debug build.
    #[arg(long)]
    quick: bool,
    /// Keep the work folder (images and the flash file) after the run.
    #[arg(long)]
    keep: bool,
    /// Plain CoAP instead of DTLS 1.2 with a pre-shared key.
    #[arg(long)]
    insecure: bool,
}

struct Options {
    image_size: usize,
    keep: bool,
    limit: Duration,
    /// Plain CoAP instead of DTLS.
    insecure: bool,
}

impl From<Cli> for Options {
    fn from(cli: Cli) -> Self {
        Self {
            image_size: if cli.quick { 48 * 1024 } else { 256 * 1024 },
            keep: cli.keep,
            limit: Duration::from_secs(180),
            insecure: cli.insecure,
        }
    }
}

fn sign(
    dir: &Path,
    version: Version,
    size: usize,
    passes: bool,
) -> Result<(PathBuf, Vec<u8>), String> {
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM)?;
    let bytes = mcuboot::sign(&demo_body(version, passes, size), version, &key);
    let path = dir.join(format!("fw-{version}.bin"));
    std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, bytes))
}

/// The Bootstrap-Server on its own socket and thread, stopped when dropped.
struct BootstrapThread {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BootstrapThread {
    /// Serves `provision` on a free port of 127.0.0.1, over DTLS with `key` (identity
    /// demo-board) when given; its steps go to `say`.
    fn start(
        provision: Provision,
        key: Option<[u8; 16]>,
        say: impl Fn(&str) + Send + 'static,
    ) -> Result<Self, String> {
        let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("UDP: {e}"))?;
        let addr = socket.local_addr().map_err(|e| format!("UDP: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut bootstrap = Bootstrap::new([provision], 0x0b00);
            let mut dtls = key.map(|k| Dtls::new(vec![(b"demo-board".to_vec(), k.to_vec())]));
            let served =
                udp::serve_bootstrap(&socket, &mut bootstrap, dtls.as_mut(), &stopped, |e| {
                    say(&match e {
                        BootstrapEvent::Step {
                            request,
                            code,
                            bytes: (sent, got),
                            ..
                        } => format!("bootstrap: {request} -> {code} ({sent} B, {got} B)"),
                        BootstrapEvent::Provisioned { endpoint } => {
                            format!("bootstrap: {endpoint} provisioned")
                        }
                        BootstrapEvent::Failed { endpoint, why } => {
                            format!("bootstrap: {endpoint} failed: {why}")
                        }
                    })
                });
            if let Err(e) = served {
                log::error!(target: lwm2m_fota_server::LOG, "bootstrap server: {e}");
            }
        });
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for BootstrapThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The board process is killed when the demo ends, however it ends.
struct BoardProcess(Child);

impl Drop for BoardProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn demo(options: &Options) -> Result<bool, String> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("lwm2m-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let size = options.image_size;
    let v11 = Version::new(1, 1, 0, 0);
    let v12 = Version::new(1, 2, 0, 0);
    let v13 = Version::new(1, 3, 0, 0);
    let (_, push_image) = sign(&dir, v11, size, true)?;
    let (_, pull_image) = sign(&dir, v12, size, true)?;
    let (_, bad_image) = sign(&dir, v13, size / 4, false)?;
    println!(
        "demo: signed 1.1.0, 1.2.0 and a 1.3.0 that fails its self-test with the development key, in {}",
        dir.display()
    );

    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("UDP: {e}"))?;
    let addr = socket.local_addr().map_err(|e| format!("UDP: {e}"))?;
    // DTLS with a pre-shared key, a new one each run, unless --insecure.
    let mut key = [0u8; 16];
    getrandom::fill(&mut key).map_err(|e| format!("random key: {e}"))?;
    let scheme = if options.insecure { "coap" } else { "coaps" };
    let settings = Settings::default();
    let jobs = vec![
        Job {
            name: "PUSH 1.1.0 (Block1 to /5/0/0, once the signal reaches -90 dBm)".into(),
            image: push_image.into(),
            version: v11.to_string(),
            method: Method::Push { szx: 6 },
            min_rssi: Some(-90),
            expect: Expect::Success,
            cancel_after: None,
        },
        Job {
            name: format!("PULL 1.2.0 (Package URI, the board fetches it over {scheme} Block2)"),
            image: pull_image.into(),
            version: v12.to_string(),
            method: Method::Pull {
                uri: format!("{scheme}://{addr}/{}", settings.image_path),
            },
            min_rssi: None,
            expect: Expect::Success,
            cancel_after: None,
        },
        Job {
            name: "PUSH 1.3.0, which fails its self-test (expect a rollback)".into(),
            image: bad_image.into(),
            version: v13.to_string(),
            method: Method::Push { szx: 6 },
            min_rssi: Some(-90),
            expect: Expect::RolledBack,
            cancel_after: None,
        },
    ];
    println!(
        "demo: server on {scheme}://{addr}{}",
        if options.insecure {
            ""
        } else {
            " (DTLS 1.2, PSK identity demo-board, a new random key)"
        }
    );

    // The lines of the board and of the Bootstrap-Server go through the reporter, so they
    // never land inside a progress bar.
    let reporter = Arc::new(Mutex::new(Reporter::default()));
    let say = {
        let reporter = Arc::clone(&reporter);
        move |line: &str| {
            reporter
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .line(line)
        }
    };

    // The board knows only its Bootstrap-Server (and its own key for it): that server
    // gives it the account of the FOTA server above.
    let mut bs_key = [0u8; 16];
    getrandom::fill(&mut bs_key).map_err(|e| format!("random key: {e}"))?;
    let provision = Provision {
        server_uri: format!("{scheme}://{addr}"),
        short_server_id: 101,
        lifetime: 300,
        psk: (!options.insecure).then(|| (b"demo-board".to_vec(), key.to_vec())),
    };
    let bootstrap = BootstrapThread::start(provision, (!options.insecure).then_some(bs_key), say)?;
    println!(
        "demo: Bootstrap-Server on {scheme}://{}; starting the board with a fresh flash file and only that account",
        bootstrap.addr
    );

    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let flash = dir.join("flash.bin");
    let mut board = Command::new(exe);
    board.args([
        "board",
        "--bootstrap",
        &format!("{scheme}://{}", bootstrap.addr),
        "--endpoint",
        "demo-board",
    ]);
    if !options.insecure {
        let hex: String = bs_key.iter().map(|b| format!("{b:02x}")).collect();
        board.args(["--psk-key", &hex]);
    }
    let board = board
        .arg("--flash")
        .arg(&flash)
        .args(["--radio-rssi", "-75"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the board: {e}"))?;
    let mut board = BoardProcess(board);

    if let Some(out) = board.0.stdout.take() {
        let reporter = Arc::clone(&reporter);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                reporter
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .line(&line);
            }
        });
    }

    let mut server = Server::new(settings, jobs.clone(), std::process::id() as u16);
    let mut outcomes = Vec::new();
    let on_event = |event: &Event| {
        reporter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .event(&jobs, event);
        if let Event::JobDone { outcome, .. } = event {
            outcomes.push(outcome.clone());
        }
    };
    let done = if options.insecure {
        udp::serve(&socket, &mut server, options.limit, on_event)
    } else {
        let mut dtls = Dtls::new(vec![(b"demo-board".to_vec(), key.to_vec())]);
        udp::serve_secure(&socket, &mut server, &mut dtls, options.limit, on_event)
    }
    .map_err(|e| format!("server: {e}"))?;
    drop(board);
    drop(bootstrap);
    println!();
    println!(
        "demo: summary after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (job, outcome) in jobs.iter().zip(&outcomes) {
        println!(
            "  {} {}: Update Result {} ({}), running {}",
            if outcome.as_expected { "ok  " } else { "FAIL" },
            job.name,
            outcome.result.value(),
            outcome.result.label(),
            outcome.version
        );
    }
    if !options.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match done {
        Some(ok) => Ok(ok),
        None => Err(format!("gave up after {} s", options.limit.as_secs())),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("board") {
        return lwm2m_board::host::main_with(&args[1..], &args);
    }
    let options = Options::from(Cli::parse());
    // What the servers log (each DTLS session, and anything that goes wrong) goes to stderr.
    lwm2m_fota_server::init_logging("warn,lwm2m::server=info");
    match demo(&options) {
        Ok(true) => {
            println!("demo: PUSH, PULL and rollback all went as expected");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("demo: something did NOT go as expected (see above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}
