//! SenML (RFC 8428) as LwM2M uses it, in JSON (110) and CBOR (112): one record per value,
//! named by its path; `v` for numbers and Time, `vb` booleans, `vs` strings and Corelnk,
//! `vd` Opaque (base64url in JSON), `vlo` Objlnk (`"3:0"`).

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write as _;

use minicbor::data::Type;

use super::json::{Lexer, Token, write_string};
use super::{
    Item, Out, Shape, Source, base64, number_value, objlink_text, parse_objlink, resource_shape,
};
use crate::error::Error;
use crate::object::Value;
use crate::path::Path;
use crate::spec::ResourceType;

/// CBOR labels (RFC 8428 section 6).
const BN: i64 = -2;
const BT: i64 = -3;
const N: i64 = 0;
const V: i64 = 2;
const VS: i64 = 3;
const VB: i64 = 4;
const T: i64 = 6;
const VD: i64 = 8;

/// A path as a SenML name.
fn name(path: &Path) -> heapless::String<30> {
    let mut s = heapless::String::new();
    let _ = write!(s, "{path}");
    s
}

pub(super) fn encode_json(source: &mut dyn Source, out: &mut dyn Out) -> Result<(), Error> {
    out.write(b"[")?;
    let mut first = true;
    source.each(&mut |item| {
        out.write(if first { b"{\"n\":" } else { b",{\"n\":" })?;
        first = false;
        write_string(&name(&item.path), out)?;
        let mut num: heapless::String<40> = heapless::String::new();
        match item.value {
            Value::Integer(v) | Value::Time(v) => {
                let _ = write!(num, "{v}");
                out.write(b",\"v\":")?;
                out.write(num.as_bytes())?;
            }
            Value::Unsigned(v) => {
                let _ = write!(num, "{v}");
                out.write(b",\"v\":")?;
                out.write(num.as_bytes())?;
            }
            Value::Float(v) => {
                super::decimal::write_float(&mut num, v)?;
                out.write(b",\"v\":")?;
                out.write(num.as_bytes())?;
            }
            Value::Boolean(v) => out.write(if v { b",\"vb\":true" } else { b",\"vb\":false" })?,
            Value::String(s) | Value::CoreLink(s) => {
                out.write(b",\"vs\":")?;
                write_string(s, out)?;
            }
            Value::Opaque(b) => {
                out.write(b",\"vd\":\"")?;
                base64::encode(b, out)?;
                out.write(b"\"")?;
            }
            Value::ObjLink(link) => {
                let mut buf = heapless::String::new();
                out.write(b",\"vlo\":")?;
                write_string(objlink_text(link, &mut buf), out)?;
            }
        }
        out.write(b"}")
    })?;
    out.write(b"]")
}

/// Adapts [`Out`] to minicbor's writer.
pub(super) struct CborOut<'o>(&'o mut dyn Out);

impl minicbor::encode::Write for CborOut<'_> {
    type Error = Error;
    fn write_all(&mut self, buf: &[u8]) -> Result<(), Error> {
        self.0.write(buf)
    }
}

fn cbor_error<E>(e: minicbor::encode::Error<E>) -> Error
where
    Error: From<E>,
{
    match e.into_write() {
        Some(e) => e.into(),
        None => Error::Internal,
    }
}

impl From<core::convert::Infallible> for Error {
    fn from(e: core::convert::Infallible) -> Self {
        match e {}
    }
}

/// Writes one value as CBOR: integers, floats, booleans, text, bytes; Objlnk as `"o:i"`.
pub(super) fn cbor_value(
    value: &Value<'_>,
    e: &mut minicbor::Encoder<CborOut<'_>>,
) -> Result<(), Error> {
    let r = match *value {
        Value::Integer(v) | Value::Time(v) => e.i64(v).map(drop),
        Value::Unsigned(v) => e.u64(v).map(drop),
        Value::Float(v) => e.f64(v).map(drop),
        Value::Boolean(v) => e.bool(v).map(drop),
        Value::String(s) | Value::CoreLink(s) => e.str(s).map(drop),
        Value::Opaque(b) => e.bytes(b).map(drop),
        Value::ObjLink(link) => {
            let mut buf = heapless::String::new();
            e.str(objlink_text(link, &mut buf)).map(drop)
        }
    };
    r.map_err(cbor_error)
}

pub(super) fn new_cbor(out: &mut dyn Out) -> minicbor::Encoder<CborOut<'_>> {
    minicbor::Encoder::new(CborOut(out))
}

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
            .str(&name(&item.path))
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

/// The value fields of one record, before its type is known.
enum Field<'a> {
    Number(Option<i128>, f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    ObjLink(&'a str),
}

/// Turns a record into an item: the name resolved against the base name, the value checked
/// against the resource's type.
fn item<'a>(
    base_name: &str,
    name: &str,
    field: Option<Field<'a>>,
    shape: &dyn Fn(&Path) -> Option<Shape>,
) -> Result<Item<'a>, Error> {
    let mut full: heapless::String<64> = heapless::String::new();
    full.push_str(base_name).map_err(|_| Error::BadRequest)?;
    full.push_str(name).map_err(|_| Error::BadRequest)?;
    let path = Path::parse(&full).ok_or(Error::BadRequest)?;
    let kind = resource_shape(&path, shape)?.kind;
    let value = match (kind, field.ok_or(Error::BadRequest)?) {
        (
            ResourceType::Integer
            | ResourceType::UnsignedInteger
            | ResourceType::Time
            | ResourceType::Float,
            Field::Number(i, f),
        ) => {
            // An integer written as a float (`5.0`) is still that integer.
            let i = i.or_else(|| {
                let whole = f as i128;
                (f.abs() < 9.3e18 && whole as f64 == f).then_some(whole)
            });
            number_value(kind, i, f)?
        }
        (ResourceType::Boolean, Field::Bool(b)) => Value::Boolean(b),
        (ResourceType::String, Field::Str(s)) => Value::String(s),
        (ResourceType::Corelnk, Field::Str(s)) => Value::CoreLink(s),
        (ResourceType::Opaque, Field::Bytes(b)) => Value::Opaque(b),
        (ResourceType::Objlnk, Field::ObjLink(s)) => Value::ObjLink(parse_objlink(s)?),
        _ => return Err(Error::BadRequest),
    };
    Ok(Item { path, kind, value })
}

fn json_number(text: &str) -> Result<(Option<i128>, f64), Error> {
    let int: Option<i128> = if text.contains(['.', 'e', 'E']) {
        None
    } else {
        text.parse().ok()
    };
    match super::parse_float(text) {
        Ok(float) => Ok((int, float)),
        // Without `float-text`: an integer, or a decimal whose fraction is zero (`5.0`, which
        // an Integer resource takes), still reads; any other decimal is 4.15.
        Err(Error::UnsupportedContentFormat) => {
            let whole = match text.split_once('.') {
                Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
                Some(_) => return Err(Error::UnsupportedContentFormat),
                None => text,
            };
            let i = int
                .or_else(|| whole.parse().ok())
                .ok_or(Error::UnsupportedContentFormat)?;
            Ok((int, i as f64))
        }
        Err(e) => Err(e),
    }
}

fn json_string<'a>(lx: &mut Lexer<'a>) -> Result<&'a str, Error> {
    match lx.next()? {
        Token::String(s) => Ok(s),
        _ => Err(Error::BadRequest),
    }
}

pub(super) fn decode_json<'a>(
    payload: &'a mut [u8],
    shape: &dyn Fn(&Path) -> Option<Shape>,
) -> Result<Vec<Item<'a>>, Error> {
    let bad = Error::BadRequest;
    let mut lx = Lexer::new(payload);
    let mut items = Vec::new();
    let mut base_name: &'a str = "";
    lx.expect(Token::BeginArray)?;
    let mut token = lx.next()?;
    if token != Token::EndArray {
        loop {
            if token != Token::BeginObject {
                return Err(bad);
            }
            let mut name: &'a str = "";
            let mut field: Option<Field<'a>> = None;
            let mut key_token = lx.next()?;
            if key_token != Token::EndObject {
                loop {
                    let Token::String(key) = key_token else {
                        return Err(bad);
                    };
                    lx.expect(Token::Colon)?;
                    match key {
                        "bn" => base_name = json_string(&mut lx)?,
                        "n" => name = json_string(&mut lx)?,
                        "v" => {
                            let Token::Number(text) = lx.next()? else {
                                return Err(bad);
                            };
                            let (int, float) = json_number(text)?;
                            field = Some(Field::Number(int, float));
                        }
                        "vs" => field = Some(Field::Str(json_string(&mut lx)?)),
                        "vb" => match lx.next()? {
                            Token::Bool(b) => field = Some(Field::Bool(b)),
                            _ => return Err(bad),
                        },
                        "vd" => {
                            field = Some(Field::Bytes(base64::decode_in_place(
                                lx.next_string_mut()?,
                            )?))
                        }
                        "vlo" => field = Some(Field::ObjLink(json_string(&mut lx)?)),
                        // A label ending in `_` must be understood (RFC 8428 section 4.4).
                        k if k.ends_with('_') => return Err(bad),
                        _ => lx.skip_value()?,
                    }
                    match lx.next()? {
                        Token::Comma => key_token = lx.next()?,
                        Token::EndObject => break,
                        _ => return Err(bad),
                    }
                }
            }
            // A record with only a base name names nothing itself.
            if field.is_some() || !name.is_empty() {
                items.push(item(base_name, name, field, shape)?);
            }
            match lx.next()? {
                Token::Comma => token = lx.next()?,
                Token::EndArray => break,
                _ => return Err(bad),
            }
        }
    }
    if !lx.at_end()? {
        return Err(bad);
    }
    Ok(items)
}

/// Calls `f` for each element of the array or map the decoder is at (definite or indefinite
/// length).
pub(super) fn cbor_each<'b>(
    d: &mut minicbor::Decoder<'b>,
    len: Option<u64>,
    mut f: impl FnMut(&mut minicbor::Decoder<'b>) -> Result<(), Error>,
) -> Result<(), Error> {
    let bad = |_| Error::BadRequest;
    match len {
        Some(n) => {
            for _ in 0..n {
                f(d)?;
            }
        }
        None => loop {
            if d.datatype().map_err(bad)? == Type::Break {
                d.set_position(d.position() + 1);
                break;
            }
            f(d)?;
        },
    }
    Ok(())
}

/// A CBOR number as an integer (when it is one) and a float.
pub(super) fn cbor_number(d: &mut minicbor::Decoder<'_>) -> Result<(Option<i128>, f64), Error> {
    let bad = |_| Error::BadRequest;
    match d.datatype().map_err(bad)? {
        Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::I8
        | Type::I16
        | Type::I32
        | Type::I64
        | Type::Int => {
            let v = i128::from(d.int().map_err(bad)?);
            Ok((Some(v), v as f64))
        }
        Type::F16 => {
            // Half floats are read from their bits (minicbor needs the `half` feature for them).
            let at = d.position();
            let &[hi, lo] = d.input().get(at + 1..at + 3).ok_or(Error::BadRequest)? else {
                return Err(Error::BadRequest);
            };
            let value = half_to_f64(u16::from_be_bytes([hi, lo]));
            d.set_position(at + 3);
            if value.is_finite() {
                Ok((None, value))
            } else {
                Err(Error::BadRequest)
            }
        }
        Type::F32 => Ok((None, f64::from(d.f32().map_err(bad)?))),
        Type::F64 => {
            let v = d.f64().map_err(bad)?;
            if v.is_finite() {
                Ok((None, v))
            } else {
                Err(Error::BadRequest)
            }
        }
        _ => Err(Error::BadRequest),
    }
}

/// An IEEE 754 half-precision float, widened.
fn half_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => fraction * pow2(-24),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + fraction / 1024.0) * pow2(e - 15),
    };
    sign * magnitude
}

/// 2^e for the small exponents of half floats, without `std`.
fn pow2(e: i32) -> f64 {
    let mut v = 1.0;
    for _ in 0..e.unsigned_abs() {
        v = if e < 0 { v / 2.0 } else { v * 2.0 };
    }
    v
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
