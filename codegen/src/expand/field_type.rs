//! Whether a field's Rust type can hold a resource's values, and what to use instead.

use syn::{Expr, ExprLit, GenericArgument, Lit, PathArguments, Type};

use crate::model::{Multiplicity, Requirement, Resource, ResourceType};

/// A Rust type as the derive understands it.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldType {
    /// A fixed-width integer and its range.
    Int {
        /// `u8`, `i64`, ...
        name: String,
        /// Smallest value.
        min: i128,
        /// Largest value.
        max: i128,
    },
    /// `f64`.
    F64,
    /// `bool`.
    Bool,
    /// `heapless::String<N>` (`None` when N is not a literal).
    HeaplessString(Option<u64>),
    /// `heapless::Vec<u8, N>`.
    HeaplessVec(Option<u64>),
    /// `lwm2m_runtime::Time`.
    Time,
    /// `lwm2m_runtime::ObjLink`.
    ObjLink,
    /// `Option<T>`.
    Option(Box<FieldType>),
    /// `lwm2m_runtime::Instances<T, N>`.
    Instances(Box<FieldType>),
    /// A type the derive cannot see into (a generated enum, a newtype): it must implement
    /// `ValueType`, which the compiler checks; its range cannot be checked here.
    Other,
    /// A type that never fits, with the reason and what to use instead.
    Refused(String),
}

fn const_arg(arg: &GenericArgument) -> Option<u64> {
    match arg {
        GenericArgument::Const(Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        })) => n.base10_parse().ok(),
        _ => None,
    }
}

/// Reads a field type.
pub fn field_type(ty: &Type) -> FieldType {
    let Type::Path(path) = ty else {
        return FieldType::Other;
    };
    let Some(last) = path.path.segments.last() else {
        return FieldType::Other;
    };
    let args: Vec<&GenericArgument> = match &last.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().collect(),
        _ => Vec::new(),
    };
    let inner = |arg: Option<&&GenericArgument>| match arg {
        Some(GenericArgument::Type(t)) => field_type(t),
        _ => FieldType::Other,
    };
    let int = |name: &str, min: i128, max: i128| FieldType::Int {
        name: name.to_owned(),
        min,
        max,
    };
    match (last.ident.to_string().as_str(), args.len()) {
        ("u8", 0) => int("u8", 0, u8::MAX.into()),
        ("u16", 0) => int("u16", 0, u16::MAX.into()),
        ("u32", 0) => int("u32", 0, u32::MAX.into()),
        ("u64", 0) => int("u64", 0, u64::MAX.into()),
        ("i8", 0) => int("i8", i8::MIN.into(), i8::MAX.into()),
        ("i16", 0) => int("i16", i16::MIN.into(), i16::MAX.into()),
        ("i32", 0) => int("i32", i32::MIN.into(), i32::MAX.into()),
        ("i64", 0) => int("i64", i64::MIN.into(), i64::MAX.into()),
        ("usize" | "isize", 0) => {
            FieldType::Refused("its width depends on the target: use a fixed-width integer".into())
        }
        ("f64", 0) => FieldType::F64,
        ("f32", 0) => {
            FieldType::Refused("LwM2M floats are read and written as f64: use f64".into())
        }
        ("bool", 0) => FieldType::Bool,
        ("String", 1) => FieldType::HeaplessString(args.first().and_then(|a| const_arg(a))),
        ("String", 0) => FieldType::Refused("`String` allocates: use heapless::String<N>".into()),
        ("str", 0) => FieldType::Refused("use heapless::String<N>".into()),
        ("Vec", 2) => FieldType::HeaplessVec(args.get(1).and_then(|a| const_arg(a))),
        ("Vec", 1) => FieldType::Refused("`Vec` allocates: use heapless::Vec<u8, N>".into()),
        ("Time", 0) => FieldType::Time,
        ("ObjLink", 0) => FieldType::ObjLink,
        ("Option", 1) => FieldType::Option(Box::new(inner(args.first()))),
        ("Instances", 2) => FieldType::Instances(Box::new(inner(args.first()))),
        _ => FieldType::Other,
    }
}

/// The Rust type a resource's values suggest, for messages.
pub(super) fn suggestion(r: &Resource) -> String {
    let bounds = r.constraint.int_bounds();
    let single = match r.value_kind() {
        ResourceType::Integer => bounds
            .map_or("i64", |(lo, hi)| crate::emit::narrowest_name(lo, hi))
            .to_owned(),
        ResourceType::UnsignedInteger => bounds
            .map_or("u64", |(lo, hi)| crate::emit::narrowest_name(lo, hi))
            .to_owned(),
        ResourceType::Float => "f64".to_owned(),
        ResourceType::Boolean => "bool".to_owned(),
        ResourceType::String | ResourceType::Corelnk => {
            format!(
                "heapless::String<{}>",
                r.constraint
                    .max_len()
                    .map_or("N".to_owned(), |n| n.to_string())
            )
        }
        ResourceType::Opaque => {
            format!(
                "heapless::Vec<u8, {}>",
                r.constraint
                    .max_len()
                    .map_or("N".to_owned(), |n| n.to_string())
            )
        }
        ResourceType::Time => "lwm2m_runtime::Time".to_owned(),
        ResourceType::Objlnk => "lwm2m_runtime::ObjLink".to_owned(),
        ResourceType::None => "()".to_owned(),
    };
    match r.multiplicity {
        Multiplicity::Multiple => format!("lwm2m_runtime::Instances<{single}, N>"),
        Multiplicity::Single => single,
    }
}

/// `resource 2 `Radio Signal Strength` (R, Integer, 0..50)`.
pub(super) fn describe(r: &Resource) -> String {
    let mut facts: Vec<String> = [r.operations.as_str(), r.value_kind().as_str()]
        .iter()
        .filter(|f| !f.is_empty())
        .map(|f| (*f).to_owned())
        .collect();
    if r.multiplicity == Multiplicity::Multiple {
        facts.push("multiple".to_owned());
    }
    match (
        &r.constraint,
        r.constraint.int_bounds(),
        r.constraint.max_len(),
    ) {
        (_, Some((lo, hi)), _) => facts.push(format!("{lo}..{hi}")),
        (_, _, Some(n)) => facts.push(format!("up to {n} bytes")),
        _ => {}
    }
    format!("resource {} `{}` ({})", r.id, r.name, facts.join(", "))
}

/// Whether a writable resource is streamed (an unbounded writable Opaque): no field can hold it.
pub(super) fn streamed(r: &Resource) -> bool {
    r.value_kind() == ResourceType::Opaque
        && r.constraint.max_len().is_none()
        && r.operations.is_writable()
        && r.multiplicity == Multiplicity::Single
}

/// Checks that a field of type `ty` can hold resource `r`; the message says what to use.
pub fn check_field(ty: &FieldType, r: &Resource) -> Result<(), String> {
    let what = describe(r);
    let use_instead = suggestion(r);
    if r.value_kind() == ResourceType::None {
        return Err(format!(
            "{what} is executable, so it has no value to hold: serve it with a method, `#[lwm2m(resource = {}, execute = \"...\")]` on the struct",
            r.id
        ));
    }
    if streamed(r) {
        return Err(format!(
            "{what} is unbounded and writable, so it arrives in chunks and cannot be a field: serve it with `#[lwm2m(resource = {}, write = \"...\")]` on the struct (the method takes a lwm2m_runtime::Chunk)",
            r.id
        ));
    }
    let ty = match (ty, r.requirement) {
        (FieldType::Option(_), Requirement::Mandatory) => {
            return Err(format!(
                "{what} is mandatory, so it always has a value: use `{use_instead}` rather than an Option"
            ));
        }
        (FieldType::Option(inner), Requirement::Optional) => inner.as_ref(),
        (ty, _) => ty,
    };
    let single = match (ty, r.multiplicity) {
        (FieldType::Instances(inner), Multiplicity::Multiple) => inner.as_ref(),
        (_, Multiplicity::Multiple) => {
            return Err(format!(
                "{what} has multiple instances, so a single value cannot hold it: use `{use_instead}`"
            ));
        }
        (FieldType::Instances(_), Multiplicity::Single) => {
            return Err(format!(
                "{what} has a single instance: use `{use_instead}`, not Instances"
            ));
        }
        (ty, Multiplicity::Single) => ty,
    };
    check_single(single, r, &what, &use_instead)
}

fn check_single(ty: &FieldType, r: &Resource, what: &str, use_instead: &str) -> Result<(), String> {
    use ResourceType as T;
    let mismatch = || {
        Err(format!(
            "`{}` cannot hold {what}: use `{use_instead}`",
            type_name(ty)
        ))
    };
    match (ty, r.value_kind()) {
        (FieldType::Refused(why), _) => Err(format!("{why} ({what})")),
        (FieldType::Other, _) => Ok(()),
        (FieldType::Int { name, min, max }, T::Integer | T::UnsignedInteger) => {
            let needed = match r.constraint.int_bounds() {
                Some(bounds) => Some(bounds),
                // With no declared range the server may write any value of the type.
                None if r.operations.is_writable() => Some(if r.value_kind() == T::Integer {
                    (i64::MIN.into(), i64::MAX.into())
                } else {
                    (0, u64::MAX.into())
                }),
                None => None,
            };
            match needed {
                Some((lo, hi)) if lo < *min || hi > *max => Err(format!(
                    "`{name}` cannot hold every value of {what}{}: use `{use_instead}`",
                    if r.constraint.int_bounds().is_none() {
                        ", which has no declared range and is writable"
                    } else {
                        ""
                    }
                )),
                _ => Ok(()),
            }
        }
        (FieldType::F64, T::Float) | (FieldType::Bool, T::Boolean) | (FieldType::Time, T::Time) => {
            Ok(())
        }
        (FieldType::ObjLink, T::Objlnk) => Ok(()),
        (FieldType::HeaplessString(cap), T::String | T::Corelnk)
        | (FieldType::HeaplessVec(cap), T::Opaque) => match (cap, r.constraint.max_len()) {
            (Some(cap), Some(max)) if *cap < max => Err(format!(
                "`{}` is shorter than {what}: use `{use_instead}`",
                type_name(ty)
            )),
            _ => Ok(()),
        },
        _ => mismatch(),
    }
}

fn type_name(ty: &FieldType) -> String {
    let n = |cap: &Option<u64>| cap.map_or("N".to_owned(), |c| c.to_string());
    match ty {
        FieldType::Int { name, .. } => name.clone(),
        FieldType::F64 => "f64".into(),
        FieldType::Bool => "bool".into(),
        FieldType::HeaplessString(cap) => format!("heapless::String<{}>", n(cap)),
        FieldType::HeaplessVec(cap) => format!("heapless::Vec<u8, {}>", n(cap)),
        FieldType::Time => "Time".into(),
        FieldType::ObjLink => "ObjLink".into(),
        FieldType::Option(inner) => format!("Option<{}>", type_name(inner)),
        FieldType::Instances(inner) => format!("Instances<{}, N>", type_name(inner)),
        FieldType::Other | FieldType::Refused(_) => "this type".into(),
    }
}
