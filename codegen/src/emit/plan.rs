//! Everything decided about an object before tokens are written: each resource's names and
//! value type, and the enums of named values.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs::summary;
use super::{Options, ident};
use crate::ident::{self as names, Name};
use crate::model::{Multiplicity, Object, Resource, ResourceType};
use crate::range::{Constraint, Label};

/// The narrowest integer type holding `lo..=hi`, unsigned when `lo >= 0`.
pub(crate) fn narrowest_name(lo: i128, hi: i128) -> &'static str {
    let fits = |min: i128, max: i128| lo >= min && hi <= max;
    if lo >= 0 {
        [
            ("u8", u8::MAX as i128),
            ("u16", u16::MAX as i128),
            ("u32", u32::MAX as i128),
        ]
        .into_iter()
        .find(|&(_, max)| hi <= max)
        .map_or("u64", |(t, _)| t)
    } else if fits(i8::MIN.into(), i8::MAX.into()) {
        "i8"
    } else if fits(i16::MIN.into(), i16::MAX.into()) {
        "i16"
    } else if fits(i32::MIN.into(), i32::MAX.into()) {
        "i32"
    } else {
        "i64"
    }
}

/// An enum generated for a resource's named values.
pub(super) struct EnumPlan {
    pub(super) ident: Ident,
    pub(super) repr: &'static str,
    /// Each variant: its name, value and the label it came from.
    pub(super) variants: Vec<(Ident, i64, String)>,
    /// Whether the variants cover every value the resource allows, so the enum can be its
    /// value type.
    pub(super) exhaustive: bool,
    /// Whether the resource is an Unsigned Integer (the enum's wire form).
    pub(super) unsigned: bool,
}

/// Everything decided about one resource before tokens are written.
pub(super) struct ResourcePlan<'a> {
    pub(super) r: &'a Resource,
    /// The name every item of the resource is made from.
    pub(super) name: Name,
    /// Its type in the `resources` module (`PackageUri`).
    pub(super) spec: Ident,
    /// Its ID constant (`PACKAGE_URI`).
    pub(super) konst: Ident,
    /// Its field in the instance struct (`package_uri`).
    pub(super) field: Ident,
    /// Index into the object's enums of the enum this resource's values use, if any.
    pub(super) enum_index: Option<usize>,
    /// The value type of the resource, as seen from the object module: one value, or an
    /// `Instances` map of them for multiple-instance resources.
    pub(super) value: TokenStream,
    /// The same type as seen from the `resources` module (generated enums are in `super`).
    pub(super) spec_value: TokenStream,
    /// Unbounded writable Opaque: arrives in chunks, has no struct field.
    pub(super) streamed: bool,
    /// The resource's facts in one line (see [`summary`]), for its docs.
    pub(super) summary: String,
}

/// Plans the enum named `name` of resource `r`'s named values; overrides name variants.
pub(super) fn plan_enum(object: &Object, r: &Resource, name: &Name, options: &Options) -> EnumPlan {
    let heuristic = names::variant_names(&r.labels, &object.name);
    let chosen: Vec<(i64, Name)> = r
        .labels
        .iter()
        .zip(heuristic)
        .map(|(label, name)| {
            let name = options
                .overrides
                .variants
                .get(&(object.id, r.id, label.value))
                .map_or(name, |n| Name::from_oma(n));
            (label.value, name)
        })
        .collect();
    let unique = names::unique(&chosen, &[]);
    let variants: Vec<(Ident, i64, String)> = r
        .labels
        .iter()
        .zip(unique)
        .map(|(Label { value, text }, name)| (ident(&name.camel()), *value, text.clone()))
        .collect();
    let label_lo = r
        .labels
        .iter()
        .map(|l| i128::from(l.value))
        .min()
        .unwrap_or(0);
    let label_hi = r
        .labels
        .iter()
        .map(|l| i128::from(l.value))
        .max()
        .unwrap_or(0);
    let (lo, hi) = match r.constraint.int_bounds() {
        Some((lo, hi)) => (lo.min(label_lo), hi.max(label_hi)),
        None => (label_lo, label_hi),
    };
    let exhaustive = match &r.constraint {
        Constraint::Int(set) => set.iter().all(|&(lo, hi)| {
            hi - lo < 4096 && (lo..=hi).all(|v| r.labels.iter().any(|l| i128::from(l.value) == v))
        }),
        _ => false,
    };
    EnumPlan {
        ident: ident(&name.camel()),
        repr: narrowest_name(lo, hi),
        variants,
        exhaustive,
        unsigned: r.value_kind() == ResourceType::UnsignedInteger,
    }
}

/// Plans resource `r`, named `name`, whose values use enum `enum_index` of `enums`.
pub(super) fn plan_resource<'a>(
    r: &'a Resource,
    name: Name,
    enum_index: Option<usize>,
    enums: &[EnumPlan],
    options: &Options,
) -> ResourcePlan<'a> {
    let kind = r.value_kind();
    let rt = quote!(::lwm2m_runtime);
    let cap = |n: u64| Literal::usize_unsuffixed(usize::try_from(n).unwrap_or(usize::MAX));
    let mut streamed = false;
    let enum_ident = match kind {
        ResourceType::Integer | ResourceType::UnsignedInteger => enum_index
            .and_then(|i| enums.get(i))
            .filter(|e| e.exhaustive)
            .map(|e| e.ident.clone()),
        _ => None,
    };
    let single = match kind {
        ResourceType::None => quote!(()),
        ResourceType::Integer | ResourceType::UnsignedInteger => match &enum_ident {
            Some(e) => quote!(#e),
            None => {
                let default = if kind == ResourceType::Integer {
                    "i64"
                } else {
                    "u64"
                };
                let t = r
                    .constraint
                    .int_bounds()
                    .map_or(default, |(lo, hi)| narrowest_name(lo, hi));
                let t = format_ident!("{t}");
                quote!(#t)
            }
        },
        ResourceType::Float => quote!(f64),
        ResourceType::Boolean => quote!(bool),
        ResourceType::Time => quote!(#rt::Time),
        ResourceType::Objlnk => quote!(#rt::ObjLink),
        ResourceType::String | ResourceType::Corelnk => {
            let n = cap(r
                .constraint
                .max_len()
                .unwrap_or(options.string_capacity as u64));
            quote!(#rt::heapless::String<#n>)
        }
        ResourceType::Opaque => match r.constraint.max_len() {
            Some(n) => {
                let n = cap(n);
                quote!(#rt::heapless::Vec<u8, #n>)
            }
            None if r.operations.is_writable() && r.multiplicity == Multiplicity::Single => {
                streamed = true;
                quote!([u8])
            }
            None => {
                let n = cap(options.opaque_capacity as u64);
                quote!(#rt::heapless::Vec<u8, #n>)
            }
        },
    };
    let wrap = |single: TokenStream| match r.multiplicity {
        Multiplicity::Multiple if kind != ResourceType::None => {
            let n = Literal::usize_unsuffixed(options.instances_capacity);
            quote!(#rt::Instances<#single, #n>)
        }
        _ => single,
    };
    let spec_value = match &enum_ident {
        Some(e) => wrap(quote!(super::#e)),
        None => wrap(single.clone()),
    };
    let value = wrap(single);
    let konst = konst_name(&name);
    ResourcePlan {
        r,
        spec: ident(&name.camel()),
        konst: ident(&konst),
        field: ident(&name.snake_ident()),
        name,
        enum_index,
        value,
        spec_value,
        streamed,
        summary: summary(r),
    }
}

/// The name of a resource's ID constant: `SCREAMING_CASE`, with `_ID` appended when that would
/// equal the type's `CamelCase` name (a one-letter name such as `X`).
pub(crate) fn konst_name(name: &Name) -> String {
    let konst = name.screaming();
    if konst == name.camel() {
        format!("{konst}_ID")
    } else {
        konst
    }
}
