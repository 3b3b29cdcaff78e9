//! `lwm2m-sign`: signs a firmware body into an MCUboot image with an Ed25519 key, as
//! `imgtool sign --header-size 32 --pad-header` does (and `imgtool verify` accepts).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser};
use lwm2m_board::demo;
use lwm2m_fota::{Version, keys, mcuboot};

/// Signs a firmware body into an MCUboot image with an Ed25519 key.
#[derive(Parser)]
#[command(name = "lwm2m-sign", group(ArgGroup::new("body_source").required(true)))]
struct Cli {
    /// The image's version.
    #[arg(long, value_name = "X.Y.Z[+B]", value_parser = version)]
    version: Version,
    /// The firmware body to sign.
    #[arg(long, value_name = "FILE", group = "body_source")]
    body: Option<PathBuf>,
    /// Sign a demo body of this many bytes instead (what the board's self-test reads).
    #[arg(long, value_name = "BYTES", group = "body_source")]
    demo: Option<usize>,
    /// Make the demo body fail its self-test after the swap.
    #[arg(long, requires = "demo")]
    fail_self_test: bool,
    /// The Ed25519 private key in PKCS#8 PEM, as `imgtool keygen -t ed25519` writes it
    /// (default: the bundled development key).
    #[arg(long, value_name = "PEM")]
    key: Option<PathBuf>,
    /// Where to write the image.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn version(text: &str) -> Result<Version, String> {
    Version::parse(text).ok_or_else(|| "X.Y.Z or X.Y.Z+B".to_owned())
}

fn run(cli: Cli) -> Result<String, String> {
    let body = match (&cli.body, cli.demo) {
        (Some(path), _) => {
            std::fs::read(path).map_err(|e| format!("--body {}: {e}", path.display()))?
        }
        (None, Some(size)) => demo::demo_body(cli.version, !cli.fail_self_test, size),
        // clap requires one of them.
        (None, None) => return Err("give one of --body and --demo".to_owned()),
    };
    let pem = match &cli.key {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("--key {}: {e}", path.display()))?
        }
        None => keys::DEV_PRIVATE_KEY_PEM.to_owned(),
    };
    let signer = keys::signing_key_from_pem(&pem)?;
    let signed = mcuboot::sign(&body, cli.version, &signer);
    let out = cli.out.display();
    std::fs::write(&cli.out, &signed).map_err(|e| format!("--out {out}: {e}"))?;
    Ok(format!(
        "{out}: image {}, {} bytes",
        cli.version,
        signed.len()
    ))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lwm2m-sign: {e}");
            ExitCode::FAILURE
        }
    }
}
