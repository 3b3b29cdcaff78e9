//! SenML CBOR (112), behind the `senml-cbor` feature.

extern crate alloc;

use alloc::vec::Vec;

use minicbor::data::Type;

use super::cbor::{cbor_each, cbor_error, cbor_number, cbor_value, new_cbor};
use super::senml::{Field, item};
use super::{Item, Out, Shape, Source};
use crate::error::Error;
use crate::object::Value;
use crate::path::Path;

/// CBOR labels (RFC 8428 section 6).
const BN: i64 = -2;
const BT: i64 = -3;
const N: i64 = 0;
const V: i64 = 2;
const VS: i64 = 3;
const VB: i64 = 4;
const T: i64 = 6;
const VD: i64 = 8;

pub(super) fn encode_cbor(source: &mut dyn Source, out: &mut dyn Out) -> Result<(), Error> {
    let mut count = 0u64;
    source.each(&mut |_| {
        count += 1;
        Ok(())
    })?;
    let mut e = new_cbor(out);
    e.array(count).map_err(cbor_error)?;
    source.each(&mut |item| {
        e.map(2).map_err(cbor_error)?;
        e.i64(N)
            .map_err(cbor_error)?
            .str(&item.path.text())
            .map_err(cbor_error)?;
        match item.value {
            Value::Integer(_) | Value::Time(_) | Value::Unsigned(_) | Value::Float(_) => {
                e.i64(V).map_err(cbor_error)?;
            }
            Value::Boolean(_) => {
                e.i64(VB).map_err(cbor_error)?;
            }
            Value::String(_) | Value::CoreLink(_) => {
                e.i64(VS).map_err(cbor_error)?;
            }
            Value::Opaque(_) => {
                e.i64(VD).map_err(cbor_error)?;
            }
            Value::ObjLink(_) => {
                e.str("vlo").map_err(cbor_error)?;
            }
        }
        cbor_value(&item.value, &mut e)
    })
}

pub(super) fn decode_cbor<'a>(
    payload: &'a [u8],
    shape: &dyn Fn(&Path) -> Option<Shape>,
) -> Result<Vec<Item<'a>>, Error> {
    let bad = |_| Error::BadRequest;
    let mut d = minicbor::Decoder::new(payload);
    let mut items = Vec::new();
    let mut base_name: &'a str = "";
    let len = d.array().map_err(bad)?;
    cbor_each(&mut d, len, |d| {
        let mut name: &'a str = "";
        let mut field: Option<Field<'a>> = None;
        let entries = d.map().map_err(bad)?;
        cbor_each(d, entries, |d| {
            match d.datatype().map_err(bad)? {
                Type::String => match d.str().map_err(bad)? {
                    "vlo" => field = Some(Field::ObjLink(d.str().map_err(bad)?)),
                    k if k.ends_with('_') => return Err(Error::BadRequest),
                    _ => d.skip().map_err(bad)?,
                },
                _ => match i64::try_from(i128::from(d.int().map_err(bad)?))
                    .map_err(|_| Error::BadRequest)?
                {
                    BN => base_name = d.str().map_err(bad)?,
                    N => name = d.str().map_err(bad)?,
                    V => {
                        let (int, float) = cbor_number(d)?;
                        field = Some(Field::Number(int, float));
                    }
                    VS => field = Some(Field::Str(d.str().map_err(bad)?)),
                    VB => field = Some(Field::Bool(d.bool().map_err(bad)?)),
                    VD => field = Some(Field::Bytes(d.bytes().map_err(bad)?)),
                    BT | T => d.skip().map_err(bad)?,
                    _ => d.skip().map_err(bad)?,
                },
            }
            Ok(())
        })?;
        if field.is_some() || !name.is_empty() {
            items.push(item(base_name, name, field, shape)?);
        }
        Ok(())
    })?;
    if d.position() != payload.len() {
        return Err(Error::BadRequest);
    }
    Ok(items)
}
