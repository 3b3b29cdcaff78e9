//! What the CBOR formats (SenML CBOR and LwM2M CBOR) share: minicbor's writer over [`Out`],
//! values, numbers (half floats included) and arrays or maps of either length.

use minicbor::data::Type;

use super::Out;
use crate::error::Error;
use crate::object::Value;

/// Adapts [`Out`] to minicbor's writer.
pub(super) struct CborOut<'o>(&'o mut dyn Out);

impl minicbor::encode::Write for CborOut<'_> {
    type Error = Error;
    fn write_all(&mut self, buf: &[u8]) -> Result<(), Error> {
        self.0.write(buf)
    }
}

pub(super) fn cbor_error<E>(e: minicbor::encode::Error<E>) -> Error
where
    Error: From<E>,
{
    match e.into_write() {
        Some(e) => e.into(),
        None => Error::Internal,
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
        Value::ObjLink(link) => e.str(&link.text()).map(drop),
    };
    r.map_err(cbor_error)
}

pub(super) fn new_cbor(out: &mut dyn Out) -> minicbor::Encoder<CborOut<'_>> {
    minicbor::Encoder::new(CborOut(out))
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
