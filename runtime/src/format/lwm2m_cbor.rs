//! LwM2M CBOR (11544, LwM2M 1.2): nested maps keyed by path IDs from the object down, the
//! values at the leaves. Written with indefinite-length maps, opened and closed as the paths
//! of consecutive values diverge; read in any mix of definite or indefinite maps and of single
//! IDs or arrays of IDs as keys.

extern crate alloc;

use alloc::vec::Vec;

use minicbor::data::Type;

use super::cbor::{cbor_each, cbor_number, cbor_value, new_cbor};
use super::{Item, Out, Shape, Source, number_value, parse_objlink, resource_shape};
use crate::error::Error;
use crate::object::Value;
use crate::path::Path;
use crate::spec::ResourceType;

fn enc<T, E>(r: Result<T, minicbor::encode::Error<E>>) -> Result<T, Error>
where
    Error: From<E>,
{
    r.map_err(|e| e.into_write().map_or(Error::Internal, Error::from))
}

pub(super) fn encode(source: &mut dyn Source, out: &mut dyn Out) -> Result<(), Error> {
    let mut e = new_cbor(out);
    enc(e.begin_map())?;
    let mut prev: Option<Path> = None;
    source.each(&mut |item| {
        let ids = item.path.ids();
        let keep = match &prev {
            Some(prev) => {
                let common = prev
                    .ids()
                    .iter()
                    .zip(ids)
                    .take_while(|(a, b)| a == b)
                    .count();
                let keep = common
                    .min(prev.len().saturating_sub(1))
                    .min(ids.len().saturating_sub(1));
                for _ in keep..prev.len().saturating_sub(1) {
                    enc(e.end())?;
                }
                keep
            }
            None => 0,
        };
        for &id in ids.iter().take(ids.len().saturating_sub(1)).skip(keep) {
            enc(e.u16(id))?;
            enc(e.begin_map())?;
        }
        enc(e.u16(ids.last().copied().ok_or(Error::Internal)?))?;
        cbor_value(&item.value, &mut e)?;
        prev = Some(item.path);
        Ok(())
    })?;
    for _ in 0..prev.map_or(0, |p| p.len().saturating_sub(1)) {
        enc(e.end())?;
    }
    enc(e.end()).map(drop)
}

pub(super) fn decode<'a>(
    payload: &'a [u8],
    shape: &dyn Fn(&Path) -> Option<Shape>,
) -> Result<Vec<Item<'a>>, Error> {
    let mut d = minicbor::Decoder::new(payload);
    let mut items = Vec::new();
    decode_map(&mut d, Path::ROOT, shape, &mut items)?;
    if d.position() != payload.len() {
        return Err(Error::BadRequest);
    }
    Ok(items)
}

fn decode_map<'a>(
    d: &mut minicbor::Decoder<'a>,
    prefix: Path,
    shape: &dyn Fn(&Path) -> Option<Shape>,
    items: &mut Vec<Item<'a>>,
) -> Result<(), Error> {
    let bad = |_| Error::BadRequest;
    let entries = d.map().map_err(bad)?;
    cbor_each(d, entries, |d| {
        let mut path = prefix;
        match d.datatype().map_err(bad)? {
            Type::Array | Type::ArrayIndef => {
                let len = d.array().map_err(bad)?;
                cbor_each(d, len, |d| {
                    path = path.child(d.u16().map_err(bad)?).ok_or(Error::BadRequest)?;
                    Ok(())
                })?;
            }
            _ => path = path.child(d.u16().map_err(bad)?).ok_or(Error::BadRequest)?,
        }
        match d.datatype().map_err(bad)? {
            Type::Map | Type::MapIndef if path.len() < 4 => decode_map(d, path, shape, items),
            _ => {
                let kind = resource_shape(&path, shape)?.kind;
                let value = leaf(d, kind)?;
                items.push(Item { path, kind, value });
                Ok(())
            }
        }
    })
}

fn leaf<'a>(d: &mut minicbor::Decoder<'a>, kind: ResourceType) -> Result<Value<'a>, Error> {
    let bad = |_| Error::BadRequest;
    // Time may carry tag 1 (epoch seconds).
    if d.datatype().map_err(bad)? == Type::Tag {
        d.tag().map_err(bad)?;
    }
    Ok(match kind {
        ResourceType::Integer
        | ResourceType::UnsignedInteger
        | ResourceType::Time
        | ResourceType::Float => {
            let (int, float) = cbor_number(d)?;
            number_value(kind, int, float)?
        }
        ResourceType::Boolean => Value::Boolean(d.bool().map_err(bad)?),
        ResourceType::String => Value::String(d.str().map_err(bad)?),
        ResourceType::Corelnk => Value::CoreLink(d.str().map_err(bad)?),
        ResourceType::Objlnk => Value::ObjLink(parse_objlink(d.str().map_err(bad)?)?),
        ResourceType::Opaque => Value::Opaque(d.bytes().map_err(bad)?),
        ResourceType::None => return Err(Error::BadRequest),
    })
}
