//! The board's command line.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

/// What the command line says, before the checks that span several flags.
#[derive(Parser)]
#[command(
    name = "lwm2m-board",
    version,
    about = "A simulated board that takes firmware updates over LwM2M",
    after_help = "The log goes to stderr; RUST_LOG picks what (default warn: retransmissions, \
                  dropped datagrams, failed registrations and backoff, refused packages, flash \
                  errors; info adds every /5 State change, verification, boot decision and \
                  refused request; debug every datagram)."
)]
struct Cli {
    /// A fresh device's LwM2M server: coap://HOST:PORT, or coaps:// for DTLS 1.2 with a
    /// pre-shared key (kept as the account in Objects 0 and 1).
    #[arg(long, value_name = "URI", conflicts_with = "bootstrap", value_parser = coap_uri)]
    server: Option<String>,
    /// Or its Bootstrap-Server, which provisions the LwM2M server's account.
    #[arg(long, value_name = "URI", value_parser = coap_uri)]
    bootstrap: Option<String>,
    /// The endpoint client name to register with.
    #[arg(long, value_name = "NAME")]
    endpoint: String,
    /// coaps: the pre-shared key, 1 to 16 bytes as hex digits.
    #[arg(long, value_name = "HEX", value_parser = psk_key)]
    psk_key: Option<Key>,
    /// coaps: the PSK identity (default: the endpoint name).
    #[arg(long, value_name = "ID", value_parser = psk_identity)]
    psk_identity: Option<String>,
    /// The flash file (created, erased and provisioned when missing); the accounts (Objects
    /// 0 and 1) live in FILE.accounts. A device that has accounts uses them, and ignores
    /// --server and --bootstrap.
    #[arg(long, value_name = "FILE")]
    flash: PathBuf,
    /// The Ed25519 key images must be signed with, as `imgtool getpub --encoding pem` prints
    /// it (default: the bundled development key).
    #[arg(long, value_name = "PEM")]
    pubkey: Option<PathBuf>,
    /// The signal the simulated radio settles at, in dBm.
    #[arg(long, value_name = "DBM", default_value_t = -75, allow_negative_numbers = true)]
    radio_rssi: i16,
    /// The image a new flash file starts with (default: a 1.0.0 demo image signed with the
    /// development key).
    #[arg(long, value_name = "FILE")]
    factory_image: Option<PathBuf>,
    /// The registration lifetime in seconds, at least 30.
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u32).range(30..))]
    lifetime: u32,
}

fn coap_uri(uri: &str) -> Result<String, String> {
    if uri.starts_with("coap://") || uri.starts_with("coaps://") {
        Ok(uri.to_owned())
    } else {
        Err("coap:// or coaps://".to_owned())
    }
}

/// A pre-shared key (a type of its own: clap takes a `Vec` for a repeated flag).
#[derive(Clone)]
struct Key(Vec<u8>);

fn psk_key(hex_digits: &str) -> Result<Key, String> {
    let key = hex::decode(hex_digits).map_err(|e| format!("not a key in hex: {e}"))?;
    if key.is_empty() || key.len() > lwm2m_dtls::MAX_KEY_LEN {
        return Err(format!(
            "{} bytes; 1 to {}",
            key.len(),
            lwm2m_dtls::MAX_KEY_LEN
        ));
    }
    Ok(Key(key))
}

fn psk_identity(identity: &str) -> Result<String, String> {
    if identity.is_empty() || identity.len() > lwm2m_dtls::MAX_IDENTITY_LEN {
        return Err(format!("1 to {} bytes", lwm2m_dtls::MAX_IDENTITY_LEN));
    }
    Ok(identity.to_owned())
}

/// The account a fresh device is given (`--server` or `--bootstrap`).
#[derive(Clone, Debug, PartialEq)]
pub struct Provision {
    /// `coap://host:port` or `coaps://host:port`.
    pub uri: String,
    /// Whether it is a Bootstrap-Server's.
    pub bootstrap: bool,
    /// For `coaps://`: the PSK identity and key.
    pub psk: Option<(String, Vec<u8>)>,
}

/// The board's command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The account for a device that has none yet.
    pub provision: Option<Provision>,
    /// Endpoint client name.
    pub endpoint: String,
    /// The flash file.
    pub flash: PathBuf,
    /// A PEM public key file.
    pub pubkey: Option<PathBuf>,
    /// The simulated signal, dBm.
    pub rssi: i16,
    /// The image a new flash starts with.
    pub factory_image: Option<PathBuf>,
    /// Registration lifetime, seconds.
    pub lifetime: u32,
}

impl Options {
    /// Parses the arguments after the program name. `--help` and `--version` come back as
    /// errors too, which print what they ask for ([`clap::Error::exit`]).
    pub fn parse(args: &[String]) -> Result<Self, clap::Error> {
        let cli = Cli::try_parse_from(
            std::iter::once("lwm2m-board").chain(args.iter().map(String::as_str)),
        )?;
        let usage = |message: &str| Cli::command().error(ErrorKind::ArgumentConflict, message);
        let (uri, bootstrap) = match (cli.server, cli.bootstrap) {
            (Some(uri), _) => (Some(uri), false),
            (None, uri) => (uri, true),
        };
        let provision = match uri {
            None if cli.psk_key.is_some() => {
                return Err(usage("--psk-key is only for a coaps:// server"));
            }
            None => None,
            Some(uri) => {
                let psk = match (uri.starts_with("coaps://"), cli.psk_key) {
                    (true, Some(Key(key))) => Some((
                        cli.psk_identity.unwrap_or_else(|| cli.endpoint.clone()),
                        key,
                    )),
                    (true, None) => return Err(usage("a coaps:// server needs --psk-key")),
                    (false, Some(_)) => {
                        return Err(usage("--psk-key is only for a coaps:// server"));
                    }
                    (false, None) => None,
                };
                Some(Provision {
                    uri,
                    bootstrap,
                    psk,
                })
            }
        };
        Ok(Self {
            provision,
            endpoint: cli.endpoint,
            flash: cli.flash,
            pubkey: cli.pubkey,
            rssi: cli.radio_rssi,
            factory_image: cli.factory_image,
            lifetime: cli.lifetime,
        })
    }
}

/// `coap://host:port` or `coaps://host:port` into a socket address.
pub fn server_address(uri: &str) -> Result<SocketAddr, String> {
    let (rest, port) = match (uri.strip_prefix("coap://"), uri.strip_prefix("coaps://")) {
        (Some(rest), _) => (rest, 5683),
        (_, Some(rest)) => (rest, 5684),
        _ => return Err(format!("{uri}: coap:// or coaps://")),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let with_port = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:{port}")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("{uri}: {e}"))?
        .next()
        .ok_or_else(|| format!("{uri}: no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_parse_with_defaults_and_name_what_is_wrong() {
        let o = Options::parse(&args(
            "--server coap://127.0.0.1:5683 --endpoint dev-1 --flash f.bin",
        ))
        .unwrap();
        assert_eq!((o.rssi, o.lifetime, o.pubkey.is_none()), (-75, 300, true));
        let o = Options::parse(&args(
            "--server coap://h --endpoint e --flash f --radio-rssi -95 --pubkey k.pem --lifetime 60",
        ))
        .unwrap();
        assert_eq!((o.rssi, o.lifetime), (-95, 60));
        for (bad, says) in [
            ("--server coap://h --flash f", "--endpoint <NAME>"),
            (
                "--server coap://h --bootstrap coap://b --endpoint e --flash f",
                "'--server <URI>' cannot be used with '--bootstrap <URI>'",
            ),
            (
                "--server coap://h --endpoint e --flash f --radio-rssi loud",
                "invalid value 'loud' for '--radio-rssi <DBM>'",
            ),
            (
                "--server coap://h --endpoint e --flash f --lifetime 5",
                "5 is not in 30..",
            ),
            (
                "--server coap://h --endpoint e --flash f --colour red",
                "unexpected argument '--colour'",
            ),
            ("--server", "a value is required for '--server <URI>'"),
            (
                "--server http://h --endpoint e --flash f",
                "invalid value 'http://h' for '--server <URI>': coap:// or coaps://",
            ),
        ] {
            let e = Options::parse(&args(bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert_eq!(
            server_address("coap://127.0.0.1:5700").unwrap().port(),
            5700
        );
        assert_eq!(server_address("coap://127.0.0.1").unwrap().port(), 5683);
        assert_eq!(server_address("coaps://127.0.0.1").unwrap().port(), 5684);
        assert!(
            server_address("http://127.0.0.1")
                .unwrap_err()
                .contains("coap:// or coaps://")
        );
    }

    #[test]
    fn a_coaps_server_takes_a_psk_named_by_the_endpoint_by_default() {
        let o = Options::parse(&args(
            "--server coaps://h --endpoint dev-1 --flash f --psk-key 000102030405060708090a0b0c0d0e0f",
        ))
        .unwrap();
        let p = o.provision.unwrap();
        assert!(!p.bootstrap);
        let (identity, key) = p.psk.unwrap();
        assert_eq!(identity, "dev-1");
        assert_eq!(key, (0u8..16).collect::<Vec<_>>());
        let o = Options::parse(&args(
            "--server coaps://h --endpoint e --flash f --psk-key 0a --psk-identity id-7",
        ))
        .unwrap();
        assert_eq!(
            o.provision.unwrap().psk,
            Some(("id-7".to_owned(), vec![10]))
        );
        let o = Options::parse(&args(
            "--bootstrap coaps://b:5784 --endpoint e --flash f --psk-key 0b",
        ))
        .unwrap();
        let p = o.provision.unwrap();
        assert!(p.bootstrap);
        assert_eq!(p.uri, "coaps://b:5784");
        let o = Options::parse(&args("--endpoint e --flash f")).unwrap();
        assert_eq!(
            o.provision, None,
            "a provisioned device needs no server flag"
        );
        for (bad, says) in [
            (
                "--server coaps://h --endpoint e --flash f",
                "a coaps:// server needs --psk-key",
            ),
            (
                "--server coap://h --endpoint e --flash f --psk-key 0a",
                "only for a coaps:// server",
            ),
            (
                "--endpoint e --flash f --psk-key 0a",
                "only for a coaps:// server",
            ),
            (
                "--server coaps://h --endpoint e --flash f --psk-key 0g",
                "not a key in hex",
            ),
            (
                "--server coaps://h --endpoint e --flash f --psk-key abc",
                "not a key in hex",
            ),
            (
                "--server coaps://h --endpoint e --flash f --psk-key 000102030405060708090a0b0c0d0e0f10",
                "17 bytes; 1 to 16",
            ),
        ] {
            let e = Options::parse(&args(bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
