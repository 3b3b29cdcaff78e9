//! The derive's `#[lwm2m(...)]` attributes, on the struct and on its fields.

use syn::{DeriveInput, Ident, LitInt, LitStr};

use super::{Errors, unknown_key};

const STRUCT_KEYS: &[&str] = &[
    "xml",
    "id",
    "instance",
    "overrides",
    "resource",
    "read",
    "write",
    "execute",
];
const FIELD_KEYS: &[&str] = &["resource", "skip"];

/// A resource delegated to methods: `#[lwm2m(resource = 4, execute = "reboot")]`.
pub(super) struct Delegate {
    pub(super) resource: LitInt,
    pub(super) read: Option<Ident>,
    pub(super) write: Option<Ident>,
    pub(super) execute: Option<Ident>,
}

/// The struct-level keys.
#[derive(Default)]
pub(super) struct StructAttrs {
    pub(super) xml: Option<LitStr>,
    pub(super) overrides: Option<LitStr>,
    pub(super) id: Option<LitInt>,
    pub(super) instance: Option<LitInt>,
    pub(super) delegates: Vec<Delegate>,
}

pub(super) fn parse_struct_attrs(input: &DeriveInput, errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("lwm2m")) {
        let mut delegate: Option<LitInt> = None;
        let (mut read, mut write, mut execute) = (None, None, None);
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let method = |meta: &syn::meta::ParseNestedMeta<'_>| -> syn::Result<Ident> {
                let lit: LitStr = meta.value()?.parse()?;
                syn::parse_str::<Ident>(&lit.value())
                    .map(|i| Ident::new(&i.to_string(), lit.span()))
                    .map_err(|_| {
                        syn::Error::new(lit.span(), "expected a method name, e.g. \"reboot\"")
                    })
            };
            match key.as_str() {
                "xml" => out.xml = Some(meta.value()?.parse()?),
                "overrides" => out.overrides = Some(meta.value()?.parse()?),
                "id" => out.id = Some(meta.value()?.parse()?),
                "instance" => out.instance = Some(meta.value()?.parse()?),
                "resource" => delegate = Some(meta.value()?.parse()?),
                "read" => read = Some(method(&meta)?),
                "write" => write = Some(method(&meta)?),
                "execute" => execute = Some(method(&meta)?),
                other => return Err(meta.error(unknown_key(other, STRUCT_KEYS))),
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(e);
            continue;
        }
        match delegate {
            Some(resource) if read.is_some() || write.is_some() || execute.is_some() => {
                out.delegates.push(Delegate { resource, read, write, execute });
            }
            Some(resource) => errors.at(
                resource.span(),
                "a struct-level `resource = N` needs the methods that serve it: `read = \"...\"`, `write = \"...\"` or `execute = \"...\"`",
            ),
            None if read.is_some() || write.is_some() || execute.is_some() => errors.spanned(
                attr,
                "`read`, `write` and `execute` name the methods of one resource: add `resource = N`",
            ),
            None => {}
        }
    }
    out
}

/// How a field is bound.
pub(super) enum FieldBinding {
    Skip,
    Resource(LitInt),
    ByName,
}

/// How a field is bound; a field whose attribute has an error is left out, so that one
/// mistake gives one error.
pub(super) fn parse_field_attrs(field: &syn::Field, errors: &mut Errors) -> FieldBinding {
    let mut binding = FieldBinding::ByName;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("lwm2m")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "skip" => binding = FieldBinding::Skip,
                "resource" => binding = FieldBinding::Resource(meta.value()?.parse()?),
                other => return Err(meta.error(unknown_key(other, FIELD_KEYS))),
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(e);
            return FieldBinding::Skip;
        }
    }
    binding
}

/// Whether an attribute is exactly `#[lwm2m(skip)]`.
pub(super) fn is_skip(attr: &syn::Attribute) -> bool {
    attr.parse_args::<Ident>().is_ok_and(|i| i == "skip")
}
