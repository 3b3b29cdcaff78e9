//! Content formats: how values travel in payloads.
//!
//! | format | number | read | write |
//! |---|---|---|---|
//! | text/plain | 0 | one value | one value |
//! | CoRE link format | 40 | Discover, Register | - |
//! | opaque | 42 | one Opaque value | one Opaque value |
//! | SenML JSON | 110 | any path | any path |
//! | SenML CBOR | 112 | any path | any path |
//! | OMA TLV | 11542 | any path | any path |
//! | LwM2M CBOR | 11544 | any path | any path |
//!
//! Encoders take a replayable [`Source`] of [`Item`]s (formats with lengths up front, TLV and
//! CBOR, run it twice: once to measure, once to write) and write through [`Out`], which may
//! keep only one block of the output ([`Window`]) so large reads never need a buffer the size
//! of the body. Decoders read a payload into items typed by the resources they address.

extern crate alloc;

use alloc::vec::Vec;

use crate::error::Error;
use crate::object::Value;
use crate::path::Path;
use crate::spec::ResourceType;

pub(crate) use decimal::parse_float;
pub use digits::Digits;
pub(crate) use digits::parse_unsigned;

#[cfg(feature = "senml-json")]
mod base64;
#[cfg(any(feature = "senml-cbor", feature = "lwm2m-cbor"))]
mod cbor;
mod decimal;
mod digits;
#[cfg(feature = "senml-json")]
mod json;
pub mod link;
#[cfg(feature = "lwm2m-cbor")]
mod lwm2m_cbor;
#[cfg(any(feature = "senml-json", feature = "senml-cbor"))]
mod senml;
#[cfg(feature = "senml-cbor")]
mod senml_cbor;
#[cfg(feature = "senml-json")]
mod senml_json;
mod text;
mod tlv;

/// The content formats this runtime reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentFormat {
    /// `text/plain;charset=utf-8` (0).
    Text,
    /// `application/link-format` (40).
    LinkFormat,
    /// `application/octet-stream` (42).
    Opaque,
    /// `application/senml+json` (110).
    SenmlJson,
    /// `application/senml+cbor` (112).
    SenmlCbor,
    /// `application/vnd.oma.lwm2m+tlv` (11542).
    Tlv,
    /// `application/vnd.oma.lwm2m+cbor` (11544).
    Lwm2mCbor,
}

impl ContentFormat {
    /// The registered number.
    pub const fn number(self) -> u16 {
        match self {
            Self::Text => 0,
            Self::LinkFormat => 40,
            Self::Opaque => 42,
            Self::SenmlJson => 110,
            Self::SenmlCbor => 112,
            Self::Tlv => 11542,
            Self::Lwm2mCbor => 11544,
        }
    }

    /// The format for a registered number, if this runtime knows it.
    pub const fn from_number(number: u16) -> Option<Self> {
        Some(match number {
            0 => Self::Text,
            40 => Self::LinkFormat,
            42 => Self::Opaque,
            110 => Self::SenmlJson,
            112 => Self::SenmlCbor,
            11542 => Self::Tlv,
            11544 => Self::Lwm2mCbor,
            _ => return None,
        })
    }

    /// Whether this build reads and writes the format: SenML JSON, SenML CBOR and LwM2M CBOR
    /// each have a cargo feature of the same name (all on by default). A format left out is
    /// refused: 4.06 for a read that asks for it, 4.15 for a write that carries it.
    pub const fn is_served(self) -> bool {
        match self {
            Self::SenmlJson => cfg!(feature = "senml-json"),
            Self::SenmlCbor => cfg!(feature = "senml-cbor"),
            Self::Lwm2mCbor => cfg!(feature = "lwm2m-cbor"),
            Self::Text | Self::LinkFormat | Self::Opaque | Self::Tlv => true,
        }
    }

    /// The multi-value format a client answers in when the server asks for none: SenML CBOR,
    /// or else the first of LwM2M CBOR, SenML JSON and TLV that this build serves.
    pub const DEFAULT_MULTI: Self = if cfg!(feature = "senml-cbor") {
        Self::SenmlCbor
    } else if cfg!(feature = "lwm2m-cbor") {
        Self::Lwm2mCbor
    } else if cfg!(feature = "senml-json") {
        Self::SenmlJson
    } else {
        Self::Tlv
    };

    /// Formats that carry any number of values at any path.
    pub const fn is_multi_value(self) -> bool {
        matches!(
            self,
            Self::SenmlJson | Self::SenmlCbor | Self::Tlv | Self::Lwm2mCbor
        )
    }
}

/// One value with its full path (`/o/i/r` or `/o/i/r/ri`) and the type of its resource.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item<'a> {
    /// The resource (or resource instance) path.
    pub path: Path,
    /// The resource's declared type.
    pub kind: ResourceType,
    /// The value.
    pub value: Value<'a>,
}

/// Where an encoder writes.
pub trait Out {
    /// Appends bytes. 4.13 when the output cannot take them.
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error>;
}

impl Out for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

impl<const N: usize> Out for heapless::Vec<u8, N> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes).map_err(|_| Error::TooLarge)
    }
}

/// Counts bytes without keeping them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter(pub usize);

impl Out for Counter {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.0 = self.0.saturating_add(bytes.len());
        Ok(())
    }
}

/// Keeps only the bytes in `[offset, offset + size)` of everything written, and counts the
/// total: one Block2 block of a body that is never held whole.
#[derive(Clone, Debug)]
pub struct Window {
    offset: usize,
    size: usize,
    seen: usize,
    kept: Vec<u8>,
}

impl Window {
    /// A window of `size` bytes at `offset`.
    pub fn new(offset: usize, size: usize) -> Self {
        Self {
            offset,
            size,
            seen: 0,
            kept: Vec::new(),
        }
    }

    /// Bytes written in all.
    pub fn total(&self) -> usize {
        self.seen
    }

    /// The bytes in the window.
    pub fn into_bytes(self) -> Vec<u8> {
        self.kept
    }
}

impl Out for Window {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let start = self.seen;
        self.seen = self.seen.saturating_add(bytes.len());
        let from = self.offset.max(start);
        let to = self.offset.saturating_add(self.size).min(self.seen);
        if from < to
            && let Some(part) = bytes.get(from - start..to - start)
        {
            self.kept.extend_from_slice(part);
        }
        Ok(())
    }
}

/// The values of a read, which an encoder may walk more than once.
pub trait Source {
    /// Calls `f` with every item, in path order.
    fn each(&mut self, f: &mut dyn FnMut(&Item<'_>) -> Result<(), Error>) -> Result<(), Error>;
}

/// A slice of items as a [`Source`].
#[derive(Clone, Copy, Debug)]
pub struct Items<'s, 'a>(pub &'s [Item<'a>]);

impl Source for Items<'_, '_> {
    fn each(&mut self, f: &mut dyn FnMut(&Item<'_>) -> Result<(), Error>) -> Result<(), Error> {
        self.0.iter().try_for_each(f)
    }
}

/// Encodes the values of a read at `base` in `format`. Text and opaque carry exactly one
/// value of a resource (or resource instance) path: anything else is 4.06 Not Acceptable, as
/// is link format (use [`link`]).
pub fn encode(
    format: ContentFormat,
    base: &Path,
    source: &mut dyn Source,
    out: &mut dyn Out,
) -> Result<(), Error> {
    match format {
        ContentFormat::Text | ContentFormat::Opaque => {
            let item = single(base, source)?;
            match (format, item.value()) {
                (ContentFormat::Opaque, Value::Opaque(bytes)) => out.write(bytes),
                (ContentFormat::Opaque, _) => Err(Error::NotAcceptable),
                (_, value) => text::encode(&value, out),
            }
        }
        ContentFormat::Tlv => tlv::encode(base, source, out),
        #[cfg(feature = "senml-json")]
        ContentFormat::SenmlJson => senml_json::encode_json(source, out),
        #[cfg(feature = "senml-cbor")]
        ContentFormat::SenmlCbor => senml_cbor::encode_cbor(source, out),
        #[cfg(feature = "lwm2m-cbor")]
        ContentFormat::Lwm2mCbor => lwm2m_cbor::encode(source, out),
        // Link format is written by `link`; the others are left out of this build.
        _ => Err(Error::NotAcceptable),
    }
}

/// The one value of a single-value read (text and opaque), owned so the source can be
/// released: 4.06 when the read is not a single value.
fn single(base: &Path, source: &mut dyn Source) -> Result<OwnedItem, Error> {
    if base.len() < 3 {
        return Err(Error::NotAcceptable);
    }
    let mut found: Option<OwnedItem> = None;
    let mut count = 0usize;
    source.each(&mut |item| {
        count += 1;
        found = Some(OwnedItem::from(item));
        Ok(())
    })?;
    match (found, count) {
        (Some(item), 1) if item.path.len() == base.len() => Ok(item),
        (None, _) => Err(Error::NotFound),
        _ => Err(Error::NotAcceptable),
    }
}

/// An [`Item`] whose text and bytes are copied out of the source.
struct OwnedItem {
    path: Path,
    value: OwnedValue,
}

impl OwnedItem {
    fn value(&self) -> Value<'_> {
        self.value.as_value()
    }
}

impl From<&Item<'_>> for OwnedItem {
    fn from(item: &Item<'_>) -> Self {
        Self {
            path: item.path,
            value: OwnedValue::from(&item.value),
        }
    }
}

/// A [`Value`] that owns its text and bytes.
enum OwnedValue {
    Copy(Value<'static>),
    String(alloc::string::String),
    CoreLink(alloc::string::String),
    Opaque(Vec<u8>),
}

impl OwnedValue {
    fn as_value(&self) -> Value<'_> {
        match self {
            Self::Copy(v) => *v,
            Self::String(s) => Value::String(s),
            Self::CoreLink(s) => Value::CoreLink(s),
            Self::Opaque(b) => Value::Opaque(b),
        }
    }
}

impl From<&Value<'_>> for OwnedValue {
    fn from(value: &Value<'_>) -> Self {
        match *value {
            Value::Integer(v) => Self::Copy(Value::Integer(v)),
            Value::Unsigned(v) => Self::Copy(Value::Unsigned(v)),
            Value::Float(v) => Self::Copy(Value::Float(v)),
            Value::Boolean(v) => Self::Copy(Value::Boolean(v)),
            Value::Time(v) => Self::Copy(Value::Time(v)),
            Value::ObjLink(v) => Self::Copy(Value::ObjLink(v)),
            Value::String(s) => Self::String(s.into()),
            Value::CoreLink(s) => Self::CoreLink(s.into()),
            Value::Opaque(b) => Self::Opaque(b.into()),
        }
    }
}

/// How a decoder learns what a path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The resource's declared type.
    pub kind: ResourceType,
    /// Whether it has resource instances.
    pub multiple: bool,
}

/// Reads a payload written to `base` into items. `shape` tells, for a resource path
/// (`/o/i/r`), the resource's type and multiplicity, or `None` when the object does not define
/// it (4.04 Not Found). Items outside `base` or malformed payloads are 4.00 Bad Request; a
/// format that cannot carry a write is 4.15 Unsupported Content-Format.
///
/// JSON strings are unescaped and base64 is decoded in place, so the payload is mutable.
pub fn decode<'a>(
    format: ContentFormat,
    base: &Path,
    payload: &'a mut [u8],
    shape: &dyn Fn(&Path) -> Option<Shape>,
) -> Result<Vec<Item<'a>>, Error> {
    let items = match format {
        ContentFormat::Text | ContentFormat::Opaque => {
            let kind = resource_shape(base, shape)?.kind;
            let value = match format {
                ContentFormat::Opaque if kind == ResourceType::Opaque => Value::Opaque(payload),
                ContentFormat::Opaque => return Err(Error::UnsupportedContentFormat),
                _ => text::decode(kind, payload)?,
            };
            alloc::vec![Item {
                path: *base,
                kind,
                value
            }]
        }
        ContentFormat::Tlv => tlv::decode(base, payload, shape)?,
        #[cfg(feature = "senml-json")]
        ContentFormat::SenmlJson => senml_json::decode_json(payload, shape)?,
        #[cfg(feature = "senml-cbor")]
        ContentFormat::SenmlCbor => senml_cbor::decode_cbor(payload, shape)?,
        #[cfg(feature = "lwm2m-cbor")]
        ContentFormat::Lwm2mCbor => lwm2m_cbor::decode(payload, shape)?,
        // Link format carries no values; the others are left out of this build.
        _ => return Err(Error::UnsupportedContentFormat),
    };
    if items.iter().any(|i| !i.path.starts_with(base)) {
        return Err(Error::BadRequest);
    }
    Ok(items)
}

/// The shape of the resource a value path (`/o/i/r` or `/o/i/r/ri`) belongs to, checking
/// that the depth fits its multiplicity.
fn resource_shape(path: &Path, shape: &dyn Fn(&Path) -> Option<Shape>) -> Result<Shape, Error> {
    let resource = match path.len() {
        3 => *path,
        4 => Path::new(path.ids().get(..3).unwrap_or(&[])).ok_or(Error::BadRequest)?,
        _ => return Err(Error::BadRequest),
    };
    let s = shape(&resource).ok_or(Error::NotFound)?;
    match (path.len(), s.multiple) {
        (4, false) => Err(Error::BadRequest),
        _ => Ok(s),
    }
}

/// Converts a decoded number to the value of a resource of type `kind`: 4.00 when it does not
/// fit the type.
#[cfg(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor"))]
fn number_value<'a>(kind: ResourceType, int: Option<i128>, float: f64) -> Result<Value<'a>, Error> {
    let int = || int.ok_or(Error::BadRequest);
    Ok(match kind {
        ResourceType::Integer => {
            Value::Integer(i64::try_from(int()?).map_err(|_| Error::BadRequest)?)
        }
        ResourceType::UnsignedInteger => {
            Value::Unsigned(u64::try_from(int()?).map_err(|_| Error::BadRequest)?)
        }
        ResourceType::Time => Value::Time(i64::try_from(int()?).map_err(|_| Error::BadRequest)?),
        ResourceType::Float => Value::Float(float),
        _ => return Err(Error::BadRequest),
    })
}

/// `3:0`.
fn parse_objlink(text: &str) -> Result<crate::value::ObjLink, Error> {
    let id = |digits: &[u8]| {
        digits::parse_unsigned(digits)
            .and_then(|v| u16::try_from(v).ok())
            .ok_or(Error::BadRequest)
    };
    let (object, instance) = split_at_byte(text.as_bytes(), b':').ok_or(Error::BadRequest)?;
    Ok(crate::value::ObjLink {
        object: id(object)?,
        instance: id(instance)?,
    })
}

/// What comes before and after the first `separator`, which neither includes.
pub(crate) fn split_at_byte(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == separator)?;
    let (before, after) = bytes.split_at(at);
    Some((before, after.get(1..)?))
}

#[cfg(all(
    test,
    feature = "senml-json",
    feature = "senml-cbor",
    feature = "lwm2m-cbor"
))]
mod tests;

/// Run by `firmware_target` (`cargo test -p lwm2m-runtime --no-default-features`).
#[cfg(all(
    test,
    not(feature = "senml-json"),
    not(feature = "senml-cbor"),
    not(feature = "lwm2m-cbor")
))]
mod without_formats {
    use super::*;

    #[test]
    fn formats_left_out_are_refused_and_tlv_is_the_default() {
        assert_eq!(ContentFormat::DEFAULT_MULTI, ContentFormat::Tlv);
        let base = Path::new(&[3, 0]).unwrap();
        let shape = |_: &Path| {
            Some(Shape {
                kind: ResourceType::Integer,
                multiple: false,
            })
        };
        let value = Item {
            path: Path::new(&[3, 0, 9]).unwrap(),
            kind: ResourceType::Integer,
            value: Value::Integer(80),
        };
        for format in [
            ContentFormat::SenmlJson,
            ContentFormat::SenmlCbor,
            ContentFormat::Lwm2mCbor,
        ] {
            assert!(!format.is_served());
            let mut out = Vec::new();
            let got = encode(format, &base, &mut Items(&[value]), &mut out);
            assert_eq!(got, Err(Error::NotAcceptable), "{format:?}");
            let mut payload = *b"[{\"n\":\"/3/0/9\",\"v\":80}]";
            let got = decode(format, &base, &mut payload, &shape);
            assert_eq!(got, Err(Error::UnsupportedContentFormat), "{format:?}");
        }
        // TLV still carries the value both ways: resource 9, a one-byte integer.
        let mut out = Vec::new();
        encode(ContentFormat::Tlv, &base, &mut Items(&[value]), &mut out).unwrap();
        assert_eq!(out, [0xc1, 9, 80]);
        let got = decode(ContentFormat::Tlv, &base, &mut out, &shape).unwrap();
        assert_eq!(got, [value]);
    }
}
