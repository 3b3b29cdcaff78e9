//! OMA TLV (11542): nested type-length-value entries for object instances, resources,
//! multiple resources and resource instances.
//!
//! Containers state their length before their content, so encoding walks the items twice:
//! once to measure every container, once to write.

extern crate alloc;

use alloc::vec::Vec;

use super::{Item, Out, Shape, Source, resource_shape};
use crate::error::Error;
use crate::object::Value;
use crate::path::Path;
use crate::spec::ResourceType;
use crate::value::ObjLink;

/// The identifier types of the type byte (bits 7-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ObjectInstance = 0b00,
    ResourceInstance = 0b01,
    MultipleResource = 0b10,
    Resource = 0b11,
}

/// Bytes of the header of an entry with this ID and content length.
fn header_len(id: u16, len: usize) -> usize {
    let id_len = if id > 0xff { 2 } else { 1 };
    let len_len = match len {
        0..=7 => 0,
        8..=0xff => 1,
        0x100..=0xffff => 2,
        _ => 3,
    };
    1 + id_len + len_len
}

fn write_header(kind: Kind, id: u16, len: usize, out: &mut dyn Out) -> Result<(), Error> {
    if len > 0xff_ffff {
        return Err(Error::TooLarge);
    }
    let mut header: heapless::Vec<u8, 6> = heapless::Vec::new();
    let (len_type, inline) = match len {
        0..=7 => (0u8, len as u8),
        8..=0xff => (1, 0),
        0x100..=0xffff => (2, 0),
        _ => (3, 0),
    };
    let wide_id = id > 0xff;
    let _ = header.push(((kind as u8) << 6) | (u8::from(wide_id) << 5) | (len_type << 3) | inline);
    if wide_id {
        let _ = header.extend_from_slice(&id.to_be_bytes());
    } else {
        let _ = header.push(id as u8);
    }
    let len_bytes = (len as u32).to_be_bytes();
    let _ = header.extend_from_slice(len_bytes.get(4 - usize::from(len_type)..).unwrap_or(&[]));
    out.write(&header)
}

/// The value bytes of an item: small values in a buffer, text and bytes borrowed.
enum Bytes<'a> {
    Small(heapless::Vec<u8, 8>),
    Borrowed(&'a [u8]),
}

impl Bytes<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Small(v) => v,
            Self::Borrowed(b) => b,
        }
    }
}

fn value_bytes<'a>(value: &Value<'a>) -> Result<Bytes<'a>, Error> {
    let small = |bytes: &[u8]| {
        let mut v = heapless::Vec::new();
        let _ = v.extend_from_slice(bytes);
        Bytes::Small(v)
    };
    Ok(match *value {
        Value::Integer(v) | Value::Time(v) => {
            let bytes = v.to_be_bytes();
            let len = if i8::try_from(v).is_ok() {
                1
            } else if i16::try_from(v).is_ok() {
                2
            } else if i32::try_from(v).is_ok() {
                4
            } else {
                8
            };
            small(bytes.get(8 - len..).unwrap_or(&bytes))
        }
        Value::Unsigned(v) => {
            let bytes = v.to_be_bytes();
            let len = if v <= 0xff {
                1
            } else if v <= 0xffff {
                2
            } else if v <= 0xffff_ffff {
                4
            } else {
                8
            };
            small(bytes.get(8 - len..).unwrap_or(&bytes))
        }
        Value::Float(v) => small(&v.to_be_bytes()),
        Value::Boolean(v) => small(&[u8::from(v)]),
        Value::ObjLink(l) => {
            let [a, b] = l.object.to_be_bytes();
            let [c, d] = l.instance.to_be_bytes();
            small(&[a, b, c, d])
        }
        Value::String(s) | Value::CoreLink(s) => Bytes::Borrowed(s.as_bytes()),
        Value::Opaque(b) => Bytes::Borrowed(b),
    })
}

/// Walks items, opening and closing containers, and calls back for each entry.
struct Walker<'o> {
    base_len: usize,
    /// Open containers: (kind, id, path) and the index of their length.
    open: heapless::Vec<(Kind, u16, Path, usize), 2>,
    /// Lengths of containers, in the order they opened (measured, or to write).
    lengths: Vec<usize>,
    /// Bytes each open container has so far (measure pass).
    sizes: heapless::Vec<usize, 2>,
    out: Option<&'o mut dyn Out>,
    next_length: usize,
}

impl Walker<'_> {
    fn emit(&mut self, kind: Kind, id: u16, value: &[u8]) -> Result<(), Error> {
        let total = header_len(id, value.len()) + value.len();
        if let Some(size) = self.sizes.last_mut() {
            *size += total;
        }
        if let Some(out) = self.out.as_deref_mut() {
            write_header(kind, id, value.len(), out)?;
            out.write(value)?;
        }
        Ok(())
    }

    fn open(&mut self, kind: Kind, id: u16, path: Path) -> Result<(), Error> {
        let index = self.next_length;
        self.next_length += 1;
        if let Some(out) = self.out.as_deref_mut() {
            let len = self.lengths.get(index).copied().ok_or(Error::Internal)?;
            write_header(kind, id, len, out)?;
        } else {
            self.lengths.push(0);
        }
        self.open
            .push((kind, id, path, index))
            .map_err(|_| Error::Internal)?;
        self.sizes.push(0).map_err(|_| Error::Internal)?;
        Ok(())
    }

    fn close(&mut self) -> Result<(), Error> {
        let (_, id, _, index) = self.open.pop().ok_or(Error::Internal)?;
        let size = self.sizes.pop().ok_or(Error::Internal)?;
        if self.out.is_none() {
            *self.lengths.get_mut(index).ok_or(Error::Internal)? = size;
            if let Some(parent) = self.sizes.last_mut() {
                *parent += header_len(id, size) + size;
            }
        }
        Ok(())
    }

    fn item(&mut self, item: &Item<'_>) -> Result<(), Error> {
        let ids = item.path.ids();
        if ids.len() < self.base_len.max(3) {
            return Err(Error::Internal);
        }
        // The containers this item lives in, below the request path.
        let mut wanted: heapless::Vec<(Kind, u16, Path), 2> = heapless::Vec::new();
        if self.base_len <= 1 {
            let path = Path::new(ids.get(..2).unwrap_or(&[])).ok_or(Error::Internal)?;
            let _ = wanted.push((Kind::ObjectInstance, path.instance().unwrap_or(0), path));
        }
        if ids.len() == 4 && self.base_len <= 3 {
            let path = Path::new(ids.get(..3).unwrap_or(&[])).ok_or(Error::Internal)?;
            let _ = wanted.push((Kind::MultipleResource, path.resource().unwrap_or(0), path));
        }
        let keep = self
            .open
            .iter()
            .zip(&wanted)
            .take_while(|((k, _, p, _), (wk, _, wp))| k == wk && p == wp)
            .count();
        while self.open.len() > keep {
            self.close()?;
        }
        for &(kind, id, path) in wanted.iter().skip(keep) {
            self.open(kind, id, path)?;
        }
        let bytes = value_bytes(&item.value)?;
        let (kind, id) = match ids {
            [_, _, _, ri] => (Kind::ResourceInstance, *ri),
            [_, _, r] => (Kind::Resource, *r),
            _ => return Err(Error::Internal),
        };
        self.emit(kind, id, bytes.as_slice())
    }
}

pub(super) fn encode(base: &Path, source: &mut dyn Source, out: &mut dyn Out) -> Result<(), Error> {
    if base.is_root() {
        return Err(Error::NotAcceptable);
    }
    let mut walker = Walker {
        base_len: base.len(),
        open: heapless::Vec::new(),
        lengths: Vec::new(),
        sizes: heapless::Vec::new(),
        out: None,
        next_length: 0,
    };
    source.each(&mut |item| walker.item(item))?;
    while !walker.open.is_empty() {
        walker.close()?;
    }
    walker.out = Some(out);
    walker.next_length = 0;
    source.each(&mut |item| walker.item(item))?;
    while !walker.open.is_empty() {
        walker.close()?;
    }
    Ok(())
}

/// One entry read from the payload.
struct Entry<'a> {
    kind: Kind,
    id: u16,
    value: &'a [u8],
}

fn read_entry<'a>(bytes: &'a [u8]) -> Result<(Entry<'a>, &'a [u8]), Error> {
    let bad = Error::BadRequest;
    let (&type_byte, rest) = bytes.split_first().ok_or(bad)?;
    let kind = match type_byte >> 6 {
        0b00 => Kind::ObjectInstance,
        0b01 => Kind::ResourceInstance,
        0b10 => Kind::MultipleResource,
        _ => Kind::Resource,
    };
    let id_len = if type_byte & 0x20 != 0 { 2 } else { 1 };
    let len_len = usize::from((type_byte >> 3) & 0x3);
    let id_bytes = rest.get(..id_len).ok_or(bad)?;
    let id = id_bytes
        .iter()
        .fold(0u16, |acc, &b| (acc << 8) | u16::from(b));
    let rest = rest.get(id_len..).ok_or(bad)?;
    let len = if len_len == 0 {
        usize::from(type_byte & 0x7)
    } else {
        rest.get(..len_len)
            .ok_or(bad)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let rest = rest.get(len_len..).ok_or(bad)?;
    let value = rest.get(..len).ok_or(bad)?;
    let rest = rest.get(len..).ok_or(bad)?;
    Ok((Entry { kind, id, value }, rest))
}

pub(super) fn decode<'a>(
    base: &Path,
    payload: &'a [u8],
    shape: &dyn Fn(&Path) -> Option<Shape>,
) -> Result<Vec<Item<'a>>, Error> {
    let mut items = Vec::new();
    decode_level(*base, payload, shape, &mut items, 0)?;
    Ok(items)
}

/// Reads the entries of `bytes` in the context of `path`.
fn decode_level<'a>(
    path: Path,
    mut bytes: &'a [u8],
    shape: &dyn Fn(&Path) -> Option<Shape>,
    items: &mut Vec<Item<'a>>,
    depth: u8,
) -> Result<(), Error> {
    if depth > 3 {
        return Err(Error::BadRequest);
    }
    while !bytes.is_empty() {
        let (entry, rest) = read_entry(bytes)?;
        bytes = rest;
        // An entry either names the child of `path`, or repeats the last ID of `path` (a
        // write to /o/i/r carrying the resource's own entry).
        let own = || path.ids().last() == Some(&entry.id);
        let target = match (entry.kind, path.len()) {
            (Kind::ObjectInstance, 1) | (Kind::Resource | Kind::MultipleResource, 2) => {
                path.child(entry.id)
            }
            (Kind::ResourceInstance, 3) => path.child(entry.id),
            (Kind::Resource | Kind::MultipleResource, 3) if own() => Some(path),
            (Kind::ResourceInstance, 4) if own() => Some(path),
            _ => None,
        }
        .ok_or(Error::BadRequest)?;
        match entry.kind {
            Kind::ObjectInstance | Kind::MultipleResource => {
                decode_level(target, entry.value, shape, items, depth + 1)?;
            }
            Kind::Resource | Kind::ResourceInstance => {
                let s = resource_shape(&target, shape)?;
                if entry.kind == Kind::Resource && s.multiple {
                    return Err(Error::BadRequest);
                }
                items.push(Item {
                    path: target,
                    kind: s.kind,
                    value: decode_value(s.kind, entry.value)?,
                });
            }
        }
    }
    Ok(())
}

fn decode_value(kind: ResourceType, bytes: &[u8]) -> Result<Value<'_>, Error> {
    let bad = Error::BadRequest;
    let signed = || -> Result<i64, Error> {
        match bytes.len() {
            1 | 2 | 4 | 8 => {
                let negative = bytes.first().is_some_and(|&b| b & 0x80 != 0);
                let init = if negative { -1i64 } else { 0 };
                Ok(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
            }
            _ => Err(bad),
        }
    };
    Ok(match kind {
        ResourceType::Integer => Value::Integer(signed()?),
        ResourceType::Time => Value::Time(signed()?),
        ResourceType::UnsignedInteger => match bytes.len() {
            1 | 2 | 4 | 8 => {
                Value::Unsigned(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
            }
            _ => return Err(bad),
        },
        ResourceType::Float => match bytes.len() {
            4 => Value::Float(f64::from(f32::from_be_bytes(
                bytes.try_into().map_err(|_| bad)?,
            ))),
            8 => Value::Float(f64::from_be_bytes(bytes.try_into().map_err(|_| bad)?)),
            _ => return Err(bad),
        },
        ResourceType::Boolean => match bytes {
            [0] => Value::Boolean(false),
            [1] => Value::Boolean(true),
            _ => return Err(bad),
        },
        ResourceType::Objlnk => match bytes {
            [a, b, c, d] => Value::ObjLink(ObjLink {
                object: u16::from_be_bytes([*a, *b]),
                instance: u16::from_be_bytes([*c, *d]),
            }),
            _ => return Err(bad),
        },
        ResourceType::String => Value::String(core::str::from_utf8(bytes).map_err(|_| bad)?),
        ResourceType::Corelnk => Value::CoreLink(core::str::from_utf8(bytes).map_err(|_| bad)?),
        ResourceType::Opaque => Value::Opaque(bytes),
        ResourceType::None => return Err(bad),
    })
}
