//! `lwm2m-fota-server`: updates one device's firmware and exits 0 when it went as expected;
//! `lwm2m-fota-server campaign`: updates a fleet in waves.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use lwm2m_fota_server::campaign::{Campaign, Choice, Plan, Start, Target, Wave};
use lwm2m_fota_server::dtls::Dtls;
use lwm2m_fota_server::report::Reporter;
use lwm2m_fota_server::{Expect, Job, Method, Server, Settings, http, udp};
use lwm2m_objects::firmware_update::UpdateResult;
use lwm2m_runtime::Enumeration;

/// Updates one device's firmware over LwM2M and exits 0 when it went as expected; or, with
/// `campaign`, a fleet in waves.
#[derive(Parser)]
#[command(
    name = "lwm2m-fota-server",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    single: Single,
}

#[derive(Subcommand)]
enum Mode {
    /// Updates every device that registers and is targeted, in waves: a canary group, then
    /// growing shares of the fleet; halts when a wave has more failures than allowed. Exits 0
    /// when every targeted device was updated, 3 when a wave halted the campaign, 1 otherwise.
    Campaign(CampaignArgs),
}

/// The campaign's options.
#[derive(Args)]
struct CampaignArgs {
    /// The signed MCUboot image to deliver.
    #[arg(long, value_name = "FILE")]
    image: PathBuf,
    /// The UDP address to serve LwM2M on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5683")]
    listen: SocketAddr,
    /// Accept devices over DTLS 1.2 with this PSK identity and key (hex); repeatable.
    #[arg(long, value_name = "IDENTITY:HEXKEY", value_parser = psk)]
    psk: Vec<(Vec<u8>, Vec<u8>)>,
    /// The endpoint names to update: `*` is any run of characters, `?` any one.
    #[arg(long, value_name = "PATTERN", default_value = "*")]
    devices: String,
    /// Update only devices running this version (repeatable; default: any but the image's).
    #[arg(long = "from-version", value_name = "X.Y.Z")]
    from_versions: Vec<String>,
    /// The waves, each a device count (a canary group) or a share of the fleet, counted with
    /// the waves before it. Devices still queued after the last (enrolled late, or left by
    /// waves short of 100%) get one more wave.
    #[arg(long, value_name = "LIST", default_value = "1,10%,50%,100%", value_parser = waves)]
    waves: Waves,
    /// Failed devices a wave may have; one more halts the campaign.
    #[arg(long, value_name = "N", default_value_t = 0)]
    max_failures: usize,
    /// push, pull, or auto: what each device supports (/5/0/9), pushing those that take both.
    #[arg(long, value_name = "METHOD", default_value = "auto", value_parser = ["push", "pull", "auto"])]
    method: String,
    /// Send a device its image only once its /4/0/2 Radio Signal Strength reaches this (dBm).
    #[arg(long, value_name = "DBM", allow_negative_numbers = true)]
    min_rssi: Option<i64>,
    /// Start the first wave once this many targeted devices have registered...
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    expect_devices: u64,
    /// ...or this many seconds after the first registered.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    enroll_seconds: u64,
    /// Fail a device that has not finished this long after its wave started.
    #[arg(long, value_name = "SECONDS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..))]
    device_timeout: u64,
    /// The coap:// or coaps:// address devices reach this server at, for their Package URIs
    /// (default: the --listen address).
    #[arg(long, value_name = "URI")]
    pull_base: Option<String>,
    /// Give up after this many seconds in all.
    #[arg(long, value_name = "SECONDS", default_value_t = 7200)]
    timeout: u64,
    /// Write the report (JSON: every device's wave, method, attempts, bytes, time, State,
    /// Update Result and version) to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// The list of waves.
#[derive(Clone)]
struct Waves(Vec<Wave>);

/// `2,10%,50%,100%`.
fn waves(text: &str) -> Result<Waves, String> {
    text.split(',')
        .map(|w| {
            let w = w.trim();
            match w.strip_suffix('%') {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| (1..=100).contains(p))
                    .map(Wave::Percent),
                None => w
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .map(Wave::Devices),
            }
            .ok_or_else(|| format!("{w:?}: a device count or a share such as 10%"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Waves)
}

/// One device's update.
#[derive(Args)]
struct Single {
    /// The signed MCUboot image to deliver (required).
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// The UDP address to serve LwM2M on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5683")]
    listen: SocketAddr,
    /// Deliver by PULL: write a coap:// Package URI and serve the image over Block2 (without
    /// it: PUSH, Block1 writes to /5/0/0).
    #[arg(long, conflicts_with = "http")]
    pull: bool,
    /// Deliver by PULL over HTTP, serving the image on 127.0.0.1:PORT.
    #[arg(long, value_name = "PORT")]
    http: Option<u16>,
    /// Accept devices over DTLS 1.2 (coaps://) with this PSK identity and key (hex); repeat
    /// for more devices. Without it the server speaks plain coap://.
    #[arg(long, value_name = "IDENTITY:HEXKEY", value_parser = psk)]
    psk: Vec<(Vec<u8>, Vec<u8>)>,
    /// Send the image (push it, or write its URI) only once /4/0/2 Radio Signal Strength
    /// reaches this (dBm).
    #[arg(long, value_name = "DBM", allow_negative_numbers = true)]
    min_rssi: Option<i64>,
    /// What the update should end with: success, rollback or refused:N (an Update Result).
    #[arg(long, value_name = "OUTCOME", default_value = "success", value_parser = expect)]
    expect: Expect,
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    timeout: u64,
}

/// `IDENTITY:HEXKEY`.
fn psk(value: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (identity, key) = value.rsplit_once(':').ok_or("expected IDENTITY:HEXKEY")?;
    let key = hex::decode(key).map_err(|e| format!("the key is not hex: {e}"))?;
    if identity.is_empty() || key.is_empty() || key.len() > lwm2m_dtls::MAX_KEY_LEN {
        return Err(format!(
            "a non-empty identity and a key of 1 to {} bytes",
            lwm2m_dtls::MAX_KEY_LEN
        ));
    }
    Ok((identity.as_bytes().to_vec(), key))
}

/// `success`, `rollback` or `refused:N`.
fn expect(value: &str) -> Result<Expect, String> {
    match value {
        "success" => Ok(Expect::Success),
        "rollback" => Ok(Expect::RolledBack),
        r => r
            .strip_prefix("refused:")
            .and_then(|n| n.parse::<i64>().ok())
            .and_then(UpdateResult::from_value)
            .map(Expect::Refused)
            .ok_or_else(|| "success, rollback or refused:N (an Update Result, 0 to 11)".into()),
    }
}

/// The job the command line asks for.
fn job(cli: &Single) -> Result<Job, String> {
    // Required, but not by clap: a campaign has an image of its own.
    let image = cli.image.as_ref().ok_or("--image <FILE> is required")?;
    let path = image.display();
    let bytes = std::fs::read(image).map_err(|e| format!("--image {path}: {e}"))?;
    let version = lwm2m_fota::mcuboot::Header::parse(&bytes)
        .map(|h| h.version)
        .map_err(|e| format!("--image {path}: {e}"))?;
    let image_path = Settings::default().image_path;
    let method = match (cli.http, cli.pull) {
        (Some(port), _) => Method::Pull {
            uri: format!("http://127.0.0.1:{port}/{image_path}"),
        },
        (None, true) => Method::Pull {
            uri: format!(
                "{}://{}/{image_path}",
                if cli.psk.is_empty() { "coap" } else { "coaps" },
                cli.listen
            ),
        },
        (None, false) => Method::Push { szx: 6 },
    };
    Ok(Job {
        name: format!("update to {version}"),
        image: bytes.into(),
        version: version.to_string(),
        method,
        min_rssi: cli.min_rssi,
        expect: cli.expect,
        cancel_after: None,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    lwm2m_fota_server::init_logging("info");
    match cli.mode {
        Some(Mode::Campaign(args)) => campaign(args),
        None => single(cli.single),
    }
}

/// Runs a campaign.
fn campaign(args: CampaignArgs) -> ExitCode {
    let image = match std::fs::read(&args.image) {
        Ok(image) => image,
        Err(e) => {
            eprintln!("lwm2m-fota-server: --image {}: {e}", args.image.display());
            return ExitCode::from(2);
        }
    };
    let version = match lwm2m_fota::mcuboot::Header::parse(&image) {
        Ok(h) => h.version.to_string(),
        Err(e) => {
            eprintln!("lwm2m-fota-server: --image {}: {e}", args.image.display());
            return ExitCode::from(2);
        }
    };
    let scheme = if args.psk.is_empty() { "coap" } else { "coaps" };
    let base = args
        .pull_base
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}", args.listen));
    let plan = Plan {
        name: format!("{} to {version}", args.devices),
        image: image.into(),
        version,
        target: Target {
            endpoints: args.devices,
            versions: args.from_versions,
        },
        waves: args.waves.0,
        max_failures: args.max_failures,
        min_rssi: args.min_rssi,
        method: match args.method.as_str() {
            "push" => Choice::Push,
            "pull" => Choice::Pull { base },
            _ => Choice::Auto {
                base,
                prefer_pull: false,
            },
        },
        start: Start {
            devices: usize::try_from(args.expect_devices).unwrap_or(usize::MAX),
            after_ms: args.enroll_seconds.saturating_mul(1000),
        },
        device_timeout_ms: args.device_timeout.saturating_mul(1000),
    };
    let socket = match UdpSocket::bind(args.listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("UDP {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "campaign: {}, listening on {scheme}://{}",
        plan.name, args.listen
    );
    let mut campaign = Campaign::new(plan, Settings::default());
    let mut dtls = (!args.psk.is_empty()).then(|| Dtls::new(args.psk));
    let limit = Duration::from_secs(args.timeout);
    let started = std::time::Instant::now();
    let served = udp::serve_campaign(&socket, &mut campaign, dtls.as_mut(), limit, |e| {
        if let Some(line) = e.describe() {
            println!("{line}");
        }
    });
    // The campaign's clock started with the serving, a moment after this one.
    let report = campaign.report(started.elapsed().as_millis() as u64);
    print!("{}", report.summary());
    if let Some(path) = &args.report
        && let Err(e) = std::fs::write(path, report.to_json())
    {
        eprintln!("lwm2m-fota-server: --report {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    match served {
        Ok(true) if report.halted.is_some() => ExitCode::from(3),
        Ok(true)
            if report.count("failed") + report.count("queued") + report.count("updating") == 0 =>
        {
            ExitCode::SUCCESS
        }
        Ok(true) => ExitCode::FAILURE,
        Ok(false) => {
            eprintln!("campaign: gave up after {} s", args.timeout);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("campaign: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Updates one device.
fn single(cli: Single) -> ExitCode {
    let job = match job(&cli) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("lwm2m-fota-server: {e}");
            return ExitCode::from(2);
        }
    };
    let Single {
        listen,
        http: http_port,
        timeout,
        psk: keys,
        ..
    } = cli;
    if let Some(port) = http_port {
        let served = TcpListener::bind(("127.0.0.1", port))
            .and_then(|l| http::spawn(l, Settings::default().image_path, Arc::clone(&job.image)));
        if let Err(e) = served {
            eprintln!("HTTP on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let socket = match UdpSocket::bind(listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("UDP {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scheme = if keys.is_empty() { "coap" } else { "coaps" };
    println!("server: listening on {scheme}://{listen}, waiting for a device");
    let jobs = vec![job];
    let mut server = Server::new(Settings::default(), jobs.clone(), std::process::id() as u16);
    let mut reporter = Reporter::default();
    let limit = Duration::from_secs(timeout);
    let served = if keys.is_empty() {
        udp::serve(&socket, &mut server, limit, |e| reporter.event(&jobs, e))
    } else {
        let mut dtls = Dtls::new(keys);
        udp::serve_secure(&socket, &mut server, &mut dtls, limit, |e| {
            reporter.event(&jobs, e)
        })
    };
    match served {
        Ok(Some(true)) => ExitCode::SUCCESS,
        Ok(Some(false)) => ExitCode::FAILURE,
        Ok(None) => {
            eprintln!("server: gave up after {timeout} s");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("server: {e}");
            ExitCode::FAILURE
        }
    }
}
