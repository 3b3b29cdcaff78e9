//! The board's command line.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

const USAGE: &str =
    "usage: lwm2m-board (--server | --bootstrap) coap[s]://HOST:PORT --endpoint NAME
                   --flash FILE [--psk-key HEX] [--psk-identity ID] [--pubkey PEM]
                   [--radio-rssi DBM] [--factory-image FILE] [--lifetime SECONDS]

  --server          a fresh device's LwM2M server: coap://, or coaps:// for DTLS 1.2 with a
                    pre-shared key (kept as the account in Objects 0 and 1)
  --bootstrap       or its Bootstrap-Server, which provisions the LwM2M server's account
  --endpoint        the endpoint client name to register with
  --psk-key         coaps: the pre-shared key, 1 to 16 bytes as hex digits
  --psk-identity    coaps: the PSK identity (default: the endpoint name)
  --flash           the flash file (created, erased and provisioned when missing); the
                    accounts (Objects 0 and 1) live in FILE.accounts. A device that has
                    accounts uses them, and ignores --server and --bootstrap
  --pubkey          the Ed25519 key images must be signed with, as `imgtool getpub
                    --encoding pem` prints it (default: the bundled development key)
  --radio-rssi      the signal the simulated radio settles at, in dBm (default -75)
  --factory-image   the image a new flash file starts with (default: a 1.0.0 demo image
                    signed with the development key)
  --lifetime        the registration lifetime in seconds (default 300)

The log goes to stderr; RUST_LOG picks what (default warn: retransmissions, dropped datagrams,
failed registrations and backoff, refused packages, flash errors; info adds every /5 State
change, verification, boot decision and refused request; debug every datagram).";

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
    /// Parses the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let (mut server, mut bootstrap) = (None, None);
        let mut endpoint = None;
        let mut flash = None;
        let mut pubkey = None;
        let mut rssi = -75;
        let mut factory_image = None;
        let mut lifetime = 300;
        let (mut psk_identity, mut psk_key) = (None, None);
        let mut flags = crate::cli::Flags::new(args);
        while let Some(flag) = flags.next_flag() {
            match flag {
                "--server" => server = Some(flags.string()?),
                "--bootstrap" => bootstrap = Some(flags.string()?),
                "--endpoint" => endpoint = Some(flags.string()?),
                "--psk-identity" => {
                    let identity = flags.string()?;
                    if identity.is_empty() || identity.len() > lwm2m_dtls::MAX_IDENTITY_LEN {
                        return Err(format!(
                            "--psk-identity: 1 to {} bytes",
                            lwm2m_dtls::MAX_IDENTITY_LEN
                        ));
                    }
                    psk_identity = Some(identity);
                }
                "--psk-key" => {
                    let key = crate::line::parse_hex(flags.value()?)
                        .map_err(|e| format!("--psk-key {e}"))?;
                    if key.len() > lwm2m_dtls::MAX_KEY_LEN {
                        return Err(format!(
                            "--psk-key: {} bytes; at most {}",
                            key.len(),
                            lwm2m_dtls::MAX_KEY_LEN
                        ));
                    }
                    psk_key = Some(key);
                }
                "--flash" => flash = Some(PathBuf::from(flags.value()?)),
                "--pubkey" => pubkey = Some(PathBuf::from(flags.value()?)),
                "--factory-image" => factory_image = Some(PathBuf::from(flags.value()?)),
                "--radio-rssi" => rssi = flags.parsed("not a whole number of dBm")?,
                "--lifetime" => {
                    lifetime = flags.parsed("at least 30 seconds")?;
                    if lifetime < 30 {
                        return Err(format!("--lifetime {lifetime}: at least 30 seconds"));
                    }
                }
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
            }
        }
        let missing = |what: &str| format!("{what} is required\n\n{USAGE}");
        let endpoint: String = endpoint.ok_or_else(|| missing("--endpoint"))?;
        let (uri, is_bootstrap) = match (server, bootstrap) {
            (Some(_), Some(_)) => {
                return Err(format!("--server or --bootstrap, not both\n\n{USAGE}"));
            }
            (Some(uri), None) => (Some(uri), false),
            (None, Some(uri)) => (Some(uri), true),
            (None, None) => (None, false),
        };
        let provision = match uri {
            None if psk_key.is_some() => {
                return Err(format!("--psk-key: only with a coaps:// server\n\n{USAGE}"));
            }
            None => None,
            Some(uri) => {
                if !uri.starts_with("coap://") && !uri.starts_with("coaps://") {
                    return Err(format!("{uri}: coap:// or coaps://\n\n{USAGE}"));
                }
                let psk = match (uri.starts_with("coaps://"), psk_key) {
                    (true, Some(key)) => {
                        Some((psk_identity.unwrap_or_else(|| endpoint.clone()), key))
                    }
                    (true, None) => return Err(missing("--psk-key (for coaps://)")),
                    (false, Some(_)) => {
                        return Err(format!("--psk-key: only for a coaps:// server\n\n{USAGE}"));
                    }
                    (false, None) => None,
                };
                Some(Provision {
                    uri,
                    bootstrap: is_bootstrap,
                    psk,
                })
            }
        };
        Ok(Self {
            provision,
            endpoint,
            flash: flash.ok_or_else(|| missing("--flash"))?,
            pubkey,
            rssi,
            factory_image,
            lifetime,
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
            ("--server coap://h --flash f", "--endpoint is required"),
            (
                "--server coap://h --bootstrap coap://b --endpoint e --flash f",
                "not both",
            ),
            (
                "--server coap://h --endpoint e --flash f --radio-rssi loud",
                "not a whole number",
            ),
            (
                "--server coap://h --endpoint e --flash f --lifetime 5",
                "at least 30",
            ),
            (
                "--server coap://h --endpoint e --flash f --colour red",
                "unknown argument --colour",
            ),
            ("--server", "--server needs a value"),
        ] {
            let e = Options::parse(&args(bad)).unwrap_err();
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
                "--psk-key (for coaps://)",
            ),
            (
                "--server coap://h --endpoint e --flash f --psk-key 0a",
                "only for a coaps://",
            ),
            (
                "--server coaps://h --endpoint e --flash f --psk-key 0g",
                "not hex",
            ),
            (
                "--server coaps://h --endpoint e --flash f --psk-key abc",
                "even number",
            ),
            (
                "--server coaps://h --endpoint e --flash f --psk-key 000102030405060708090a0b0c0d0e0f10",
                "at most 16",
            ),
        ] {
            let e = Options::parse(&args(bad)).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
