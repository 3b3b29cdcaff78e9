//! The board's accounts (Objects 0 and 1) on their own flash file, provisioned from the
//! command line when the device has none.

use lwm2m_fota::sim::{NorSim, SECTOR_SIZE};
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::client::{Security, ServerTarget};
use lwm2m_servers::{Accounts, Records, SecurityInstance, ServerInstance};

use crate::file_flash::{FileFlash, FileMemory};
use crate::line::Line;
use crate::logging::LOG;
use crate::options::Options;

/// The accounts' flash: four sectors, a record per account.
const SIZE: usize = 4 * SECTOR_SIZE;

/// The Short Server ID a `--server` account gets.
const SHORT_SERVER_ID: u16 = 1;

/// What a line is opened for: the server's URI and its PSK (identity, key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bound {
    /// `coap://` or `coaps://host:port`.
    pub uri: String,
    /// The PSK, for `coaps://`.
    pub psk: Option<(Vec<u8>, Vec<u8>)>,
}

impl Bound {
    /// What `target` asks for; why the board cannot, for an account it cannot use (a
    /// security mode other than NoSec and PSK, or a key the DTLS layer does not take).
    pub fn of(target: &ServerTarget<'_>) -> Result<Self, String> {
        let psk = match target.security {
            Security::NoSec => None,
            Security::Psk { identity, key } => {
                let psk = lwm2m_dtls::Psk {
                    identity,
                    key: key.expose(),
                };
                psk.check().map_err(|e| e.to_string())?;
                Some((identity.to_vec(), key.expose().to_vec()))
            }
            _ => return Err("only NoSec and pre-shared keys are supported by this board".into()),
        };
        Ok(Self {
            uri: target.uri.to_owned(),
            psk,
        })
    }
}

impl Bound {
    /// Whether `target` is what this line was opened for.
    pub fn is(&self, target: &ServerTarget<'_>) -> bool {
        self.uri == target.uri
            && match (&self.psk, target.security) {
                (None, Security::NoSec) => true,
                (Some((i, k)), Security::Psk { identity, key }) => {
                    i.as_slice() == identity.as_slice() && k.as_slice() == key.expose()
                }
                _ => false,
            }
    }

    /// A line to the server, named `who` in the log.
    pub fn open(&self, who: &'static str) -> Result<Line, String> {
        let addr = crate::options::server_address(&self.uri)?;
        let psk = self
            .psk
            .as_ref()
            .map(|(identity, key)| lwm2m_dtls::Psk { identity, key });
        Line::open(addr, psk, who)
    }
}

/// Whether a management server's or the Bootstrap-Server's account uses a pre-shared key.
pub fn has_psk(accounts: &Accounts<FileFlash>) -> bool {
    let psk = |s: &Security| matches!(s, Security::Psk { .. });
    accounts
        .servers()
        .filter_map(|id| accounts.account(id))
        .any(|a| psk(&a.security))
        || accounts
            .bootstrap_account()
            .is_some_and(|a| psk(&a.security))
}

/// Opens `FLASH.accounts` (created when missing) and provisions it from `--server` or
/// `--bootstrap` when it holds no account.
pub fn open(options: &Options) -> Result<Accounts<FileFlash>, String> {
    let mut path = options.flash.clone().into_os_string();
    path.push(".accounts");
    let path = std::path::PathBuf::from(path);
    let memory = FileMemory::open(&path, SIZE).map_err(|e| format!("{}: {e}", path.display()))?;
    let flash = NorSim::new(memory).map_err(|e| format!("{}: {e:?}", path.display()))?;
    let mut accounts = Accounts::load(flash, Records::new(0..SIZE as u32))
        .map_err(|(_, e)| format!("{}: {e:?}", path.display()))?;
    let has_any = accounts.management_account().is_some() || accounts.bootstrap_account().is_some();
    match (&options.provision, has_any) {
        (_, true) => {
            if options.provision.is_some() {
                log::warn!(
                    target: LOG,
                    "{} holds accounts: --server, --bootstrap, --psk-* and --lifetime are not used (delete it to provision again)",
                    path.display()
                );
            }
        }
        (None, false) => {
            return Err(format!(
                "{} holds no server account: give --server or --bootstrap",
                path.display()
            ));
        }
        (Some(p), false) => {
            let mut security = SecurityInstance {
                server_uri: p
                    .uri
                    .as_str()
                    .try_into()
                    .map_err(|_| format!("{}: longer than 255 bytes", p.uri))?,
                bootstrap_server: p.bootstrap,
                ..SecurityInstance::default()
            };
            match &p.psk {
                Some((identity, key)) => {
                    security.security_mode = SecurityMode::PreSharedKey;
                    security.public_key_or_identity =
                        heapless::Vec::from_slice(identity.as_bytes())
                            .map_err(|_| "--psk-identity: too long".to_owned())?;
                    security.secret_key = heapless::Vec::from_slice(key)
                        .map_err(|_| "--psk-key: too long".to_owned())?;
                }
                None => security.security_mode = SecurityMode::NoSec,
            }
            let server = ServerInstance::new(SHORT_SERVER_ID, options.lifetime);
            let provisioned = if p.bootstrap {
                accounts.provision(0, &security, None)
            } else {
                security.short_server_id = Some(SHORT_SERVER_ID);
                accounts.provision(0, &security, Some((0, &server)))
            };
            provisioned.map_err(|e| format!("provisioning {}: {e:?}", path.display()))?;
        }
    }
    Ok(accounts)
}
