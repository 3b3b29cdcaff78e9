//! `lwm2m-fota-server`: updates one device's firmware and exits 0 when it went as expected.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use lwm2m_fota_server::dtls::Dtls;
use lwm2m_fota_server::report::Reporter;
use lwm2m_fota_server::{Expect, Job, Method, Server, Settings, http, udp};
use lwm2m_objects::firmware_update::UpdateResult;
use lwm2m_runtime::Enumeration;

const USAGE: &str = "usage: lwm2m-fota-server --image FILE [--listen ADDR] [--pull | --http PORT]
                         [--psk IDENTITY:HEXKEY]... [--min-rssi DBM]
                         [--expect success|rollback|refused:N] [--timeout SECONDS]

  --image      the signed MCUboot image to deliver
  --listen     the UDP address to serve LwM2M on (default 127.0.0.1:5683)
  --pull       deliver by PULL: write a coap:// Package URI and serve the image over Block2
               (default: PUSH, Block1 writes to /5/0/0)
  --http PORT  deliver by PULL over HTTP, serving the image on 127.0.0.1:PORT
  --psk        accept devices over DTLS 1.2 (coaps://) with this PSK identity and key (hex);
               repeat for more devices. Without it the server speaks plain coap://
  --min-rssi   push only once /4/0/2 Radio Signal Strength reaches this (dBm)
  --expect     what the update should end with (default success)
  --timeout    give up after this long (default 300)";

/// What the command line asks for.
struct Options {
    listen: SocketAddr,
    job: Job,
    http: Option<u16>,
    timeout: u64,
    keys: Vec<(Vec<u8>, Vec<u8>)>,
}

/// `IDENTITY:HEXKEY`.
fn psk(value: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (identity, key) = value
        .rsplit_once(':')
        .ok_or_else(|| format!("--psk {value}: IDENTITY:HEXKEY"))?;
    let key = lwm2m_board::line::parse_hex(key).map_err(|e| format!("--psk {e}"))?;
    if identity.is_empty() || key.len() > lwm2m_dtls::MAX_KEY_LEN {
        return Err(format!(
            "--psk {value}: a non-empty identity and a key of 1 to {} bytes",
            lwm2m_dtls::MAX_KEY_LEN
        ));
    }
    Ok((identity.as_bytes().to_vec(), key))
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut listen: SocketAddr = "127.0.0.1:5683".parse().map_err(|_| "address")?;
    let (mut image, mut pull, mut http, mut min_rssi) = (None, false, None, None);
    let (mut expect, mut timeout) = (Expect::Success, 300);
    let mut keys = Vec::new();
    let mut flags = lwm2m_board::cli::Flags::new(args);
    while let Some(flag) = flags.next_flag() {
        match flag {
            "--image" => image = Some(flags.string()?),
            "--listen" => listen = flags.parsed("not an address")?,
            "--pull" => pull = true,
            "--psk" => keys.push(psk(flags.value()?)?),
            "--http" => http = Some(flags.parsed::<u16>("not a port")?),
            "--min-rssi" => min_rssi = Some(flags.parsed::<i64>("not dBm")?),
            "--expect" => {
                let v = flags.value()?;
                expect = match v {
                    "success" => Expect::Success,
                    "rollback" => Expect::RolledBack,
                    r => Expect::Refused(
                        r.strip_prefix("refused:")
                            .and_then(|n| n.parse::<i64>().ok())
                            .and_then(UpdateResult::from_value)
                            .ok_or_else(|| {
                                format!("--expect {v}: success, rollback or refused:N (an Update Result)")
                            })?,
                    ),
                };
            }
            "--timeout" => timeout = flags.parsed("not seconds")?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    let path = image.ok_or_else(|| format!("--image is required\n\n{USAGE}"))?;
    let bytes = std::fs::read(&path).map_err(|e| format!("--image {path}: {e}"))?;
    let version = lwm2m_fota::mcuboot::Header::parse(&bytes)
        .map(|h| h.version)
        .map_err(|e| format!("--image {path}: {e}"))?;
    let image_path = Settings::default().image_path;
    let method = match (http, pull) {
        (Some(port), _) => Method::Pull {
            uri: format!("http://127.0.0.1:{port}/{image_path}"),
        },
        (None, true) => Method::Pull {
            uri: format!(
                "{}://{listen}/{image_path}",
                if keys.is_empty() { "coap" } else { "coaps" }
            ),
        },
        (None, false) => Method::Push { szx: 6 },
    };
    let job = Job {
        name: format!("update to {version}"),
        image: bytes,
        version: version.to_string(),
        method,
        min_rssi,
        expect,
        cancel_after: None,
    };
    Ok(Options {
        listen,
        job,
        http,
        timeout,
        keys,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Options {
        listen,
        job,
        http: http_port,
        timeout,
        keys,
    } = match parse(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(port) = http_port {
        let served = TcpListener::bind(("127.0.0.1", port)).and_then(|l| {
            http::spawn(
                l,
                Settings::default().image_path,
                Arc::new(job.image.clone()),
                None,
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
