//! Checks across the items of a model. Every finding is collected; nothing stops early.
//!
//! Errors:
//! * an object ID or version defined twice in one set, a resource ID twice in one object;
//! * an object ID in a reserved range (1024..=2047, 42801..=65534) or `MAX_ID` 65535, a
//!   resource ID of 65535.
//!
//! Warnings (the generated code stays sound; `Config::strict` makes them errors):
//! * a resource that is not executable but has no `<Type>`: it is generated as Opaque. The
//!   registry has one (10482.xml, Item 5 `Read data`, Operations `R`), so this cannot be an
//!   error without failing a registry file;
//! * an executable resource with a `<Type>`: it is generated as an executable with no value,
//!   the type ignored. The registry has one too (version_history/10260-1_0.xml, Item 3);
//! * a type the declared LwM2M version does not have (`Unsigned Integer` and `Corelnk` came
//!   with 1.1), on a resource that carries a value;
//! * an object ID in the test range 42769..=42800, a resource ID above the registry's
//!   ranges (32769..=65534);
//! * an `<ObjectURN>` that does not match the ID and version.
//!
//! Unknown spellings (`<Type>Int</Type>`) are reported by the parser, in the same run.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{Object, Operations, ResourceType, Span, Version};

/// Checks a set of objects (one file's, or every file's of one generated module).
pub fn check(objects: &[Object]) -> Diagnostics {
    let mut out = Diagnostics::default();
    let mut seen: BTreeMap<(u16, Version), &Object> = BTreeMap::new();
    for object in objects {
        match seen.get(&(object.id, object.version())) {
            Some(first) => out.push(
                Severity::Error,
                &object.file,
                object.span,
                object.context(),
                format!(
                    "object {} version {} is already defined at {}:{}:{}",
                    object.id,
                    object.version(),
                    first.file,
                    first.span.line,
                    first.span.col
                ),
            ),
            None => {
                seen.insert((object.id, object.version()), object);
            }
        }
        check_object(object, &mut out);
    }
    out
}

fn check_object(object: &Object, out: &mut Diagnostics) {
    let file = object.file.as_str();
    let context = object.context();
    let mut push = |severity, span: Span, context: String, message: String| {
        out.push(severity, file, span, context, message);
    };
    match object.id {
        1024..=2047 => push(
            Severity::Error,
            object.span,
            context.clone(),
            format!(
                "object ID {} is in the range 1024..=2047 that LwM2M reserves for future use",
                object.id
            ),
        ),
        42769..=42800 => push(
            Severity::Warning,
            object.span,
            context.clone(),
            format!(
                "object ID {} is in the test range 42769..=42800 and must not be used in production",
                object.id
            ),
        ),
        42801..=65534 => push(
            Severity::Error,
            object.span,
            context.clone(),
            format!(
                "object ID {} is in the range 42801..=65534 that LwM2M reserves for future use",
                object.id
            ),
        ),
        65535 => push(
            Severity::Error,
            object.span,
            context.clone(),
            "object ID 65535 is MAX_ID, which LwM2M reserves".to_owned(),
        ),
        _ => {}
    }
    if let Some(message) = urn_mismatch(object) {
        push(
            Severity::Warning,
            object.span,
            format!("{context} > <ObjectURN>"),
            message,
        );
    }
    let lwm2m = object.lwm2m();
    let mut ids: BTreeMap<u16, Span> = BTreeMap::new();
    for r in &object.resources {
        let rc = format!("{context} > {}", r.context());
        if let Some(first) = ids.get(&r.id) {
            push(
                Severity::Error,
                r.span,
                rc.clone(),
                format!(
                    "resource ID {} is already used at {}:{}",
                    r.id, first.line, first.col
                ),
            );
        } else {
            ids.insert(r.id, r.span);
        }
        if r.id == u16::MAX {
            push(
                Severity::Error,
                r.span,
                rc.clone(),
                "resource ID 65535 is MAX_ID, which LwM2M reserves".to_owned(),
            );
        } else if r.id > 32768 {
            push(
                Severity::Warning,
                r.span,
                rc.clone(),
                format!(
                    "resource ID {} is above the registry's resource ID ranges (0..=32768)",
                    r.id
                ),
            );
        }
        let type_context = format!("{rc} > <Type>");
        match (r.operations, r.kind) {
            (Operations::Execute, ResourceType::None) => {}
            (Operations::Execute, kind) => push(
                Severity::Warning,
                r.kind_span,
                type_context.clone(),
                format!(
                    "an executable resource carries no value, so its <Type> should be empty, not \"{}\"; generated with no value",
                    kind.as_str()
                ),
            ),
            (_, ResourceType::None) => push(
                Severity::Warning,
                r.kind_span,
                type_context.clone(),
                format!(
                    "a resource with Operations \"{}\" needs a <Type>; generated as Opaque",
                    r.operations.as_str()
                ),
            ),
            _ => {}
        }
        if lwm2m < Version::new(1, 1)
            && matches!(
                r.value_kind(),
                ResourceType::UnsignedInteger | ResourceType::Corelnk
            )
        {
            push(
                Severity::Warning,
                r.kind_span,
                type_context,
                format!(
                    "\"{}\" is a LwM2M 1.1 type but the object declares LwM2M {lwm2m}",
                    r.kind.as_str()
                ),
            );
        }
    }
}

/// Why the URN does not fit `urn:oma:lwm2m:{oma|ext|x}:{id}[:{version}]`, if it does not.
fn urn_mismatch(object: &Object) -> Option<String> {
    let class = match object.id {
        0..=1023 => "oma",
        2048..=10240 => "ext",
        _ => "x",
    };
    let base = format!("urn:oma:lwm2m:{class}:{}", object.id);
    let version = object.version();
    let versioned = format!("{base}:{version}");
    let fits = object.urn == versioned || (object.urn == base && version == Version::new(1, 0));
    (!fits).then(|| {
        let expected = if version == Version::new(1, 0) {
            base
        } else {
            versioned
        };
        format!(
            "\"{}\" does not match the object ID and version; expected \"{expected}\"",
            object.urn
        )
    })
}
