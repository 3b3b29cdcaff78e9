//! `lwm2m-fota-server`: updates one device's firmware and exits 0 when it went as expected.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use lwm2m_fota_server::dtls::Dtls;
use lwm2m_fota_server::report::Reporter;
use lwm2m_fota_server::{Expect, Job, Method, Server, Settings, http, udp};
use lwm2m_objects::firmware_update::UpdateResult;
use lwm2m_runtime::Enumeration;

/// Updates one device's firmware over LwM2M and exits 0 when it went as expected.
#[derive(Parser)]
#[command(name = "lwm2m-fota-server", version)]
struct Cli {
    /// The signed MCUboot image to deliver.
    #[arg(long, value_name = "FILE")]
    image: PathBuf,
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
    /// Push only once /4/0/2 Radio Signal Strength reaches this (dBm).
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
fn job(cli: &Cli) -> Result<Job, String> {
    let path = cli.image.display();
    let bytes = std::fs::read(&cli.image).map_err(|e| format!("--image {path}: {e}"))?;
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
        image: bytes,
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
    let job = match job(&cli) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("lwm2m-fota-server: {e}");
            return ExitCode::from(2);
        }
    };
    let Cli {
        listen,
        http: http_port,
        timeout,
        psk: keys,
        ..
    } = cli;
    if let Some(port) = http_port {
        let served = TcpListener::bind(("127.0.0.1", port)).and_then(|l| {
            http::spawn(
                l,
                Settings::default().image_path,
                Arc::new(job.image.clone()),
            )
        });
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
