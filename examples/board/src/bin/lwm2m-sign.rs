//! `lwm2m-sign`: signs a firmware body into an MCUboot image with an Ed25519 key, as
//! `imgtool sign --header-size 32 --pad-header` does (and `imgtool verify` accepts).

use std::process::ExitCode;

use lwm2m_board::demo;
use lwm2m_fota::{Version, keys, mcuboot};

const USAGE: &str =
    "usage: lwm2m-sign --version X.Y.Z[+B] (--body FILE | --demo BYTES [--fail-self-test])
                  [--key PEM] --out FILE

  --version         the image version
  --body            the firmware body to sign
  --demo BYTES      sign a demo body of this size instead (what the board's self-test reads)
  --fail-self-test  make the demo body fail its self-test after the swap
  --key             the Ed25519 private key in PKCS#8 PEM, as `imgtool keygen -t ed25519`
                    writes it (default: the bundled development key)
  --out             where to write the image";

fn run(args: &[String]) -> Result<String, String> {
    let (mut version, mut body, mut demo, mut fail, mut key, mut out) =
        (None, None, None, false, None, None);
    let mut flags = lwm2m_board::cli::Flags::new(args);
    while let Some(flag) = flags.next_flag() {
        match flag {
            "--version" => {
                let v = flags.value()?;
                version = Some(
                    Version::parse(v).ok_or_else(|| format!("--version {v}: X.Y.Z or X.Y.Z+B"))?,
                );
            }
            "--body" => body = Some(flags.string()?),
            "--demo" => demo = Some(flags.parsed::<usize>("a size in bytes")?),
            "--fail-self-test" => fail = true,
            "--key" => key = Some(flags.string()?),
            "--out" => out = Some(flags.string()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    let version = version.ok_or_else(|| format!("--version is required\n\n{USAGE}"))?;
    let out = out.ok_or_else(|| format!("--out is required\n\n{USAGE}"))?;
    let body = match (body, demo) {
        (Some(path), None) => std::fs::read(&path).map_err(|e| format!("--body {path}: {e}"))?,
        (None, Some(size)) => demo::demo_body(version, !fail, size),
        _ => return Err(format!("give one of --body and --demo\n\n{USAGE}")),
    };
    let pem = match &key {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("--key {path}: {e}"))?,
        None => keys::DEV_PRIVATE_KEY_PEM.to_owned(),
    };
    let signer = keys::signing_key_from_pem(&pem)?;
    let signed = mcuboot::sign(&body, version, &signer);
    std::fs::write(&out, &signed).map_err(|e| format!("--out {out}: {e}"))?;
    Ok(format!("{out}: image {version}, {} bytes", signed.len()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
