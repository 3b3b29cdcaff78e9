//! `text/plain` (0): one value as text. Opaque values are not text (use 42).

use super::digits::{parse_signed, parse_unsigned};
use super::{Digits, Out, parse_objlink};
use crate::error::Error;
use crate::object::Value;
use crate::spec::ResourceType;

pub(super) fn encode(value: &Value<'_>, out: &mut dyn Out) -> Result<(), Error> {
    let mut buf: heapless::String<40> = heapless::String::new();
    let number;
    let link;
    let text = match *value {
        Value::Integer(v) | Value::Time(v) => {
            number = Digits::signed(v);
            number.as_str()
        }
        Value::Unsigned(v) => {
            number = Digits::unsigned(v);
            number.as_str()
        }
        Value::Float(v) => {
            super::decimal::write_float(&mut buf, v)?;
            buf.as_str()
        }
        Value::Boolean(v) => {
            if v {
                "1"
            } else {
                "0"
            }
        }
        Value::ObjLink(l) => {
            link = l.text();
            link.as_str()
        }
        Value::String(s) | Value::CoreLink(s) => s,
        Value::Opaque(_) => return Err(Error::NotAcceptable),
    };
    out.write(text.as_bytes())
}

pub(super) fn decode(kind: ResourceType, payload: &[u8]) -> Result<Value<'_>, Error> {
    let text = core::str::from_utf8(payload).map_err(|_| Error::BadRequest)?;
    Ok(match kind {
        ResourceType::Integer => Value::Integer(parse_signed(payload).ok_or(Error::BadRequest)?),
        ResourceType::UnsignedInteger => {
            Value::Unsigned(parse_unsigned(payload).ok_or(Error::BadRequest)?)
        }
        ResourceType::Time => Value::Time(parse_signed(payload).ok_or(Error::BadRequest)?),
        ResourceType::Float => Value::Float(super::parse_float(text)?),
        ResourceType::Boolean => match text {
            "1" => Value::Boolean(true),
            "0" => Value::Boolean(false),
            _ => return Err(Error::BadRequest),
        },
        ResourceType::String => Value::String(text),
        ResourceType::Corelnk => Value::CoreLink(text),
        ResourceType::Objlnk => Value::ObjLink(parse_objlink(text)?),
        ResourceType::Opaque => return Err(Error::UnsupportedContentFormat),
        ResourceType::None => return Err(Error::BadRequest),
    })
}
