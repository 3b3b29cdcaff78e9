//! The accounts as they are persisted: one sequential-storage map item per account, so an
//! account (its Security instance and its Server instance together) is written in one go
//! and a power cut leaves the old one or the new one, never half of each.
//!
//! The key is the account's slot (0 to [`MAX_ACCOUNTS`] - 1). The value is the Security
//! instance ID (u16, little-endian), the length of its OMA TLV (u16), the TLV of its
//! resources; then, when the account has a Server instance, its ID (u16) and the TLV of its
//! resources to the end. An empty value is a free slot. Loading decodes the TLV with the
//! runtime's decoder and sets each value through the same checks as a write, so a record
//! that was altered cannot bring in a value outside the definitions.

extern crate alloc;

use alloc::vec::Vec;
use core::ops::Range;

use embassy_embedded_hal::adapter::BlockingAsync;
use embassy_futures::block_on;
use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::{lwm2m_security, lwm2m_server};
use lwm2m_runtime::format::{self, ContentFormat, Items, Shape};
use lwm2m_runtime::path::Path;
use lwm2m_runtime::{Error, Multiplicity, ObjectInfo, ObjectSpec};
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

use crate::security::SecurityInstance;
use crate::server::ServerInstance;

/// The most accounts (servers, the Bootstrap-Server included) a device keeps.
pub const MAX_ACCOUNTS: usize = 4;

/// The buffer sequential-storage reads and writes a record through: twice the largest
/// record (a Security instance with every key at its largest and a Server instance, with
/// their TLV headers: about 1.3 KiB), so every record fits with its header.
pub const RECORD_MAX: usize = 4096;

/// One account as a record holds it: a Security instance and, for a normal server, its
/// Server instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The Security instance's ID.
    pub security_id: u16,
    /// The Security instance.
    pub security: SecurityInstance,
    /// The Server instance's ID and values, when the account has one.
    pub server: Option<(u16, ServerInstance)>,
}

/// Why the records could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError<E> {
    /// The flash failed (or lost power).
    Flash(E),
    /// The partition holds data sequential-storage cannot make sense of.
    Corrupted,
    /// A record does not decode into an account, or does not fit.
    Malformed,
    /// Any other sequential-storage error (full, a value of the wrong size).
    Storage,
}

impl<E> From<sequential_storage::Error<E>> for RecordError<E> {
    fn from(e: sequential_storage::Error<E>) -> Self {
        match e {
            sequential_storage::Error::Storage { value, .. } => Self::Flash(value),
            sequential_storage::Error::Corrupted { .. } => Self::Corrupted,
            _ => Self::Storage,
        }
    }
}

type Map<'f, F> = MapStorage<u8, BlockingAsync<&'f mut F>, Cache<Uncached, Uncached, Uncached, u8>>;

/// The accounts partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Records {
    range: Range<u32>,
}

impl Records {
    /// The records in `range` of the flash (at least two erase sectors).
    pub fn new(range: Range<u32>) -> Self {
        Self { range }
    }

    fn map<'f, F: NorFlash>(&self, flash: &'f mut F) -> Result<Map<'f, F>, RecordError<F::Error>> {
        let config = MapConfig::try_new(self.range.clone()).map_err(|_| RecordError::Storage)?;
        Ok(MapStorage::new(
            BlockingAsync::new(flash),
            config,
            Cache::new_uncached(),
        ))
    }

    /// The account in `slot`, if one is stored there.
    pub fn load<F: NorFlash>(
        &self,
        flash: &mut F,
        slot: u8,
    ) -> Result<Option<Record>, RecordError<F::Error>> {
        let mut buf = alloc::vec![0u8; RECORD_MAX];
        let mut map = self.map(flash)?;
        let value: Option<&[u8]> = block_on(map.fetch_item(&mut buf, &slot))?;
        match value {
            None | Some([]) => Ok(None),
            Some(bytes) => decode(bytes).map(Some).map_err(|_| RecordError::Malformed),
        }
    }

    /// Stores the account in `slot`, or frees the slot (`None`).
    pub fn store<F: NorFlash>(
        &self,
        flash: &mut F,
        slot: u8,
        account: Option<&Record>,
    ) -> Result<(), RecordError<F::Error>> {
        let mut record = Vec::new();
        if let Some(account) = account {
            encode(account, &mut record).map_err(|_| RecordError::Malformed)?;
        }
        if record.len() > RECORD_MAX / 2 {
            return Err(RecordError::Malformed);
        }
        let mut buf = alloc::vec![0u8; RECORD_MAX];
        let mut map = self.map(flash)?;
        block_on(map.store_item(&mut buf, &slot, &record.as_slice()))?;
        Ok(())
    }

    /// Erases every record (a factory reset).
    pub fn erase<F: NorFlash>(&self, flash: &mut F) -> Result<(), RecordError<F::Error>> {
        flash
            .erase(self.range.start, self.range.end)
            .map_err(RecordError::Flash)
    }
}

/// The record of an account.
fn encode(account: &Record, out: &mut Vec<u8>) -> Result<(), Error> {
    let mut tlv = Vec::new();
    let base = Path::new(&[lwm2m_security::ID, account.security_id]).ok_or(Error::Internal)?;
    let items = account.security.items(account.security_id)?;
    format::encode(ContentFormat::Tlv, &base, &mut Items(&items), &mut tlv)?;
    let len = u16::try_from(tlv.len()).map_err(|_| Error::TooLarge)?;
    out.extend_from_slice(&account.security_id.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&tlv);
    if let Some((id, server)) = &account.server {
        tlv.clear();
        let base = Path::new(&[lwm2m_server::ID, *id]).ok_or(Error::Internal)?;
        let items = server.items(*id)?;
        format::encode(ContentFormat::Tlv, &base, &mut Items(&items), &mut tlv)?;
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&tlv);
    }
    Ok(())
}

/// Splits `n` bytes off the front.
fn take(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), Error> {
    bytes.split_at_checked(n).ok_or(Error::BadRequest)
}

/// A little-endian u16 off the front.
fn u16_le(bytes: &[u8]) -> Result<(u16, &[u8]), Error> {
    let (head, rest) = take(bytes, 2)?;
    let head: [u8; 2] = head.try_into().map_err(|_| Error::BadRequest)?;
    Ok((u16::from_le_bytes(head), rest))
}

/// The account a record holds.
fn decode(bytes: &[u8]) -> Result<Record, Error> {
    let (security_id, rest) = u16_le(bytes)?;
    let (len, rest) = u16_le(rest)?;
    let (tlv, rest) = take(rest, usize::from(len))?;
    let mut security = SecurityInstance::default();
    read_tlv(&lwm2m_security::Spec::INFO, security_id, tlv, |r, v| {
        security.set(r, v)
    })?;
    let server = if rest.is_empty() {
        None
    } else {
        let (id, tlv) = u16_le(rest)?;
        let mut server = ServerInstance::new(1, 0);
        let mut ssid = false;
        read_tlv(&lwm2m_server::Spec::INFO, id, tlv, |r, v| {
            ssid |= r == lwm2m_server::resources::SHORT_SERVER_ID;
            server.set(r, v)
        })?;
        if !ssid {
            return Err(Error::BadRequest);
        }
        Some((id, server))
    };
    Ok(Record {
        security_id,
        security,
        server,
    })
}

/// Decodes the TLV of instance `instance` of `info`'s object and hands each value to `set`.
fn read_tlv(
    info: &'static ObjectInfo,
    instance: u16,
    tlv: &[u8],
    mut set: impl FnMut(u16, &lwm2m_runtime::Value<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let base = Path::new(&[info.id, instance]).ok_or(Error::Internal)?;
    let mut payload = tlv.to_vec();
    let shape = |p: &Path| {
        let r = info.resource(p.resource()?)?;
        Some(Shape {
            kind: r.kind,
            multiple: r.multiplicity == Multiplicity::Multiple,
        })
    };
    let items = format::decode(ContentFormat::Tlv, &base, &mut payload, &shape)?;
    for item in &items {
        set(item.path.resource().ok_or(Error::BadRequest)?, &item.value)?;
    }
    Ok(())
}
