//! SenML JSON (110), behind the `senml-json` feature.

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write as _;

use super::json::{Lexer, Token, write_string};
use super::senml::{Field, item};
use super::{Item, Out, Shape, Source, base64};
use crate::error::Error;
use crate::object::Value;
use crate::path::Path;

pub(super) fn encode_json(source: &mut dyn Source, out: &mut dyn Out) -> Result<(), Error> {
    out.write(b"[")?;
    let mut first = true;
    source.each(&mut |item| {
        out.write(if first { b"{\"n\":" } else { b",{\"n\":" })?;
        first = false;
        write_string(&item.path.text(), out)?;
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
                out.write(b",\"vlo\":")?;
                write_string(&link.text(), out)?;
            }
        }
        out.write(b"}")
    })?;
    out.write(b"]")
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
