//! SenML (RFC 8428) as LwM2M uses it, in JSON (110, `senml_json`) and CBOR (112,
//! `senml_cbor`): one record per value, named by its path; `v` for numbers and Time, `vb`
//! booleans, `vs` strings and Corelnk, `vd` Opaque (base64url in JSON), `vlo` Objlnk (`"3:0"`).
//! What both encodings share lives here.

use super::{Item, Shape, number_value, parse_objlink, resource_shape};
use crate::error::Error;
use crate::object::Value;
use crate::path::Path;
use crate::spec::ResourceType;

/// The value fields of one record, before its type is known.
pub(super) enum Field<'a> {
    Number(Option<i128>, f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    ObjLink(&'a str),
}

/// Turns a record into an item: the name resolved against the base name, the value checked
/// against the resource's type.
pub(super) fn item<'a>(
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
