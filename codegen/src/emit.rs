//! Turns the model into Rust tokens: one module per object. Never reads XML.
//!
//! Each module holds, for an object such as Firmware Update (`firmware_update`):
//!
//! * `ID`, `NAME`, `URN`, `OBJECT_VERSION`, `LWM2M_VERSION`, `MULTIPLICITY`, `REQUIREMENT`;
//! * `Spec`, implementing `ObjectSpec` with every resource's facts;
//! * `resources::{Package, PackageUri, ...}`: a zero-sized type per resource implementing
//!   `ResourceSpec`, plus `Readable`/`Writable`/`Executable` only where `<Operations>` allow,
//!   and `resources::PACKAGE_URI`-style ID constants;
//! * an enum per integer resource with named values (`State`, `UpdateResult`);
//! * a struct holding one instance's values (`FirmwareUpdate`): mandatory resources as plain
//!   fields, optional ones as `Option`; executables and streamed data have no field;
//! * `Handler`, a trait with one method per operation the definition allows.
//!
//! Generated code reaches the runtime only through `::lwm2m_runtime::...` paths and puts
//! trait impls inside `const _: () = { ... };`.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ident::{self, Name};
use crate::model::{Multiplicity, Object, Operations, Requirement, Resource, ResourceType};
use crate::range::{Constraint, Label, RangeEnumeration};

/// Capacity of a String or Corelnk value whose definition declares no length.
pub const DEFAULT_STRING_CAPACITY: usize = 64;
/// Capacity of an Opaque value that declares no length and is not writable (writable ones are
/// streamed in chunks instead).
pub const DEFAULT_OPAQUE_CAPACITY: usize = 256;
/// How many instances a multiple-instance resource can hold.
pub const DEFAULT_INSTANCES_CAPACITY: usize = 8;

/// Choices the definition leaves open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// See [`DEFAULT_STRING_CAPACITY`].
    pub string_capacity: usize,
    /// See [`DEFAULT_OPAQUE_CAPACITY`].
    pub opaque_capacity: usize,
    /// See [`DEFAULT_INSTANCES_CAPACITY`].
    pub instances_capacity: usize,
    /// Names the heuristics cannot make well.
    pub overrides: Overrides,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            string_capacity: DEFAULT_STRING_CAPACITY,
            opaque_capacity: DEFAULT_OPAQUE_CAPACITY,
            instances_capacity: DEFAULT_INSTANCES_CAPACITY,
            overrides: Overrides::default(),
        }
    }
}

/// The override table: names chosen by a person where a heuristic would choose badly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `(object, resource, value)` to a `CamelCase` variant name.
    pub variants: BTreeMap<(u16, u16, i64), String>,
    /// `(object, resource)` to a `CamelCase` name for the enum of its named values.
    pub enums: BTreeMap<(u16, u16), String>,
    /// `(object, resource)` to the resource of the same object whose named values (and enum)
    /// it shares, e.g. Available Network Bearer (4/1) takes Network Bearer's (4/0).
    pub same_values: BTreeMap<(u16, u16), u16>,
}

/// Tokens for a set of objects: one module each, names unique across the set.
pub fn emit(objects: &[Object], options: &Options) -> TokenStream {
    objects
        .iter()
        .zip(module_names(objects))
        .map(|(object, module)| emit_object(object, &module, options))
        .collect()
}

/// The module name of each of a set of objects, in order, unique across the set.
pub fn module_names(objects: &[Object]) -> Vec<String> {
    let keys: Vec<(u16, (u8, u8), &str)> = objects
        .iter()
        .map(|o| {
            (
                o.id,
                (o.version().major, o.version().minor),
                o.name.as_str(),
            )
        })
        .collect();
    ident::module_names(&keys)
}

/// An identifier from a rendered name (`r#type` becomes a raw identifier).
pub(crate) fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// The narrowest integer type holding `lo..=hi`, unsigned when `lo >= 0`.
pub(crate) fn narrowest_name(lo: i128, hi: i128) -> &'static str {
    narrowest(lo, hi)
}

fn narrowest(lo: i128, hi: i128) -> &'static str {
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
struct EnumPlan {
    ident: Ident,
    repr: &'static str,
    variants: Vec<(Ident, i64, String)>,
    /// Whether the variants cover every value the resource allows, so the enum can be its
    /// value type.
    exhaustive: bool,
    /// Whether the resource is an Unsigned Integer (the enum's wire form).
    unsigned: bool,
}

/// Everything decided about one resource before tokens are written.
struct ResourcePlan<'a> {
    r: &'a Resource,
    name: Name,
    spec: Ident,
    konst: Ident,
    field: Ident,
    /// Index into `ObjectPlan::enums` of the enum this resource's values use, if any.
    enum_index: Option<usize>,
    /// The value type of the resource, as seen from the object module: one value, or an
    /// `Instances` map of them for multiple-instance resources.
    value: TokenStream,
    /// The same type as seen from the `resources` module (generated enums are in `super`).
    spec_value: TokenStream,
    /// Unbounded writable Opaque: arrives in chunks, has no struct field.
    streamed: bool,
    /// The resource's facts in one line (see [`summary`]), for its docs.
    summary: String,
}

/// The resources of an object sorted by ID, each with the name every generated item uses for
/// it (field, spec type, constant, method stem); collisions resolved by [`ident::unique`].
pub fn resource_names(object: &Object) -> Vec<(&Resource, Name)> {
    let mut sorted: Vec<&Resource> = object.resources.iter().collect();
    sorted.sort_by_key(|r| r.id);
    let names: Vec<(u16, Name)> = sorted
        .iter()
        .map(|r| {
            (
                r.id,
                ident::non_empty(Name::from_oma(&r.name), &format!("Resource {}", r.id)),
            )
        })
        .collect();
    sorted.into_iter().zip(ident::unique(&names, &[])).collect()
}

/// The module name of one object on its own (as `object!` and the derive generate it).
pub fn module_name(object: &Object) -> String {
    ident::module_names(&[(
        object.id,
        (object.version().major, object.version().minor),
        &object.name,
    )])
    .pop()
    .unwrap_or_else(|| "object".to_owned())
}

/// Tokens for one object as a module named `module`.
pub fn emit_object(object: &Object, module: &str, options: &Options) -> TokenStream {
    let (sorted, names): (Vec<&Resource>, Vec<Name>) = resource_names(object).into_iter().unzip();

    let object_name = ident::non_empty(Name::from_oma(&object.name), "Object");
    let object_name = match object_name.camel().as_str() {
        "Spec" | "Handler" | "Resources" => object_name.with_suffix("object"),
        _ => object_name,
    };
    let struct_ident = ident(&object_name.camel());
    let reserved = [
        object_name.camel(),
        "Spec".to_owned(),
        "Handler".to_owned(),
        "Resources".to_owned(),
    ];

    // Enums: one per resource with named values, unless it shares another resource's.
    let mut enums: Vec<EnumPlan> = Vec::new();
    let mut enum_of: BTreeMap<u16, usize> = BTreeMap::new();
    for (r, name) in sorted.iter().zip(&names) {
        if r.labels.is_empty()
            || options
                .overrides
                .same_values
                .contains_key(&(object.id, r.id))
        {
            continue;
        }
        let name = match options.overrides.enums.get(&(object.id, r.id)) {
            Some(n) => Name::from_oma(n),
            None => name.clone(),
        };
        let enum_name = if reserved.contains(&name.camel()) {
            name.with_suffix("value")
        } else {
            name
        };
        enum_of.insert(r.id, enums.len());
        enums.push(plan_enum(object, r, &enum_name, options));
    }
    for (&(obj, res), &source) in &options.overrides.same_values {
        if let (true, Some(&i)) = (obj == object.id, enum_of.get(&source)) {
            enum_of.insert(res, i);
        }
    }

    let plans: Vec<ResourcePlan> = sorted
        .iter()
        .zip(names)
        .map(|(r, name)| plan_resource(r, name, enum_of.get(&r.id).copied(), &enums, options))
        .collect();

    let mod_ident = ident(module);
    let id = Literal::u16_unsuffixed(object.id);
    let name = &object.name;
    let urn = &object.urn;
    let version = |v: crate::model::Version| {
        (
            Literal::u8_unsuffixed(v.major),
            Literal::u8_unsuffixed(v.minor),
        )
    };
    let (ov_major, ov_minor) = version(object.version());
    let (lv_major, lv_minor) = version(object.lwm2m());
    let multiplicity = multiplicity_tokens(object.multiplicity);
    let requirement = requirement_tokens(object.requirement);
    let module_doc = docs(&module_doc_text(object));
    let alias = alias(&object.name, module);

    let spec_types = plans.iter().map(|p| &p.spec);
    let resources_module = emit_resources_module(object, &plans);
    let enum_items = enums.iter().map(emit_enum);
    let struct_item = emit_struct(object, &struct_ident, &plans);
    let handler = emit_handler(object, &plans);
    let served = emit_served(object, &plans);

    quote! {
        #module_doc
        #alias
        pub mod #mod_ident {
            /// Object ID.
            pub const ID: u16 = #id;
            /// Object name, as in the definition.
            pub const NAME: &str = #name;
            /// Object URN.
            pub const URN: &str = #urn;
            /// Object version.
            pub const OBJECT_VERSION: ::lwm2m_runtime::Version = ::lwm2m_runtime::Version::new(#ov_major, #ov_minor);
            /// The LwM2M version the definition targets.
            pub const LWM2M_VERSION: ::lwm2m_runtime::Version = ::lwm2m_runtime::Version::new(#lv_major, #lv_minor);
            /// Whether a client may hold several instances.
            pub const MULTIPLICITY: ::lwm2m_runtime::Multiplicity = #multiplicity;
            /// Whether a client must implement the object.
            pub const REQUIREMENT: ::lwm2m_runtime::Requirement = #requirement;

            /// The object definition as a type, with the facts of every resource.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct Spec;

            const _: () = {
                impl ::lwm2m_runtime::ObjectSpec for Spec {
                    const INFO: ::lwm2m_runtime::ObjectInfo = ::lwm2m_runtime::ObjectInfo {
                        id: ID,
                        name: NAME,
                        urn: URN,
                        object_version: OBJECT_VERSION,
                        lwm2m_version: LWM2M_VERSION,
                        multiplicity: MULTIPLICITY,
                        requirement: REQUIREMENT,
                        resources: &[#(<resources::#spec_types as ::lwm2m_runtime::ResourceSpec>::INFO),*],
                    };
                }
            };

            #resources_module
            #(#enum_items)*
            #struct_item
            #handler
            #served
        }
    }
}

fn plan_enum(object: &Object, r: &Resource, name: &Name, options: &Options) -> EnumPlan {
    let heuristic = ident::variant_names(&r.labels, &object.name);
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
    let unique = ident::unique(&chosen, &[]);
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
        repr: narrowest(lo, hi),
        variants,
        exhaustive,
        unsigned: r.value_kind() == ResourceType::UnsignedInteger,
    }
}

fn plan_resource<'a>(
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
                    .map_or(default, |(lo, hi)| narrowest(lo, hi));
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

fn multiplicity_tokens(m: Multiplicity) -> TokenStream {
    match m {
        Multiplicity::Single => quote!(::lwm2m_runtime::Multiplicity::Single),
        Multiplicity::Multiple => quote!(::lwm2m_runtime::Multiplicity::Multiple),
    }
}

fn requirement_tokens(m: Requirement) -> TokenStream {
    match m {
        Requirement::Mandatory => quote!(::lwm2m_runtime::Requirement::Mandatory),
        Requirement::Optional => quote!(::lwm2m_runtime::Requirement::Optional),
    }
}

fn operations_tokens(o: Operations) -> TokenStream {
    match o {
        Operations::None => quote!(::lwm2m_runtime::Operations::None),
        Operations::Read => quote!(::lwm2m_runtime::Operations::Read),
        Operations::Write => quote!(::lwm2m_runtime::Operations::Write),
        Operations::ReadWrite => quote!(::lwm2m_runtime::Operations::ReadWrite),
        Operations::Execute => quote!(::lwm2m_runtime::Operations::Execute),
    }
}

fn kind_tokens(k: ResourceType) -> TokenStream {
    let variant = format_ident!(
        "{}",
        match k {
            ResourceType::None => "None",
            ResourceType::String => "String",
            ResourceType::Integer => "Integer",
            ResourceType::UnsignedInteger => "UnsignedInteger",
            ResourceType::Float => "Float",
            ResourceType::Boolean => "Boolean",
            ResourceType::Opaque => "Opaque",
            ResourceType::Time => "Time",
            ResourceType::Objlnk => "Objlnk",
            ResourceType::Corelnk => "Corelnk",
        }
    );
    quote!(::lwm2m_runtime::ResourceType::#variant)
}

/// The runtime constraint for a resource, in the runtime's integer flavours.
fn constraint_tokens(r: &Resource) -> TokenStream {
    let rt = quote!(::lwm2m_runtime::Constraint);
    match &r.constraint {
        Constraint::None => quote!(#rt::None),
        Constraint::Int(set) if r.value_kind() == ResourceType::UnsignedInteger => {
            let pairs = set.iter().map(|&(lo, hi)| {
                let lo = Literal::u64_unsuffixed(u64::try_from(lo).unwrap_or(0));
                let hi = Literal::u64_unsuffixed(u64::try_from(hi).unwrap_or(u64::MAX));
                quote!((#lo, #hi))
            });
            quote!(#rt::Unsigned(&[#(#pairs),*]))
        }
        Constraint::Int(set) => {
            let pairs = set.iter().map(|&(lo, hi)| {
                let clamp =
                    |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
                let (lo, hi) = (
                    Literal::i64_unsuffixed(clamp(lo)),
                    Literal::i64_unsuffixed(clamp(hi)),
                );
                quote!((#lo, #hi))
            });
            quote!(#rt::Signed(&[#(#pairs),*]))
        }
        Constraint::Float(set) => {
            let pairs = set.iter().map(|&(lo, hi)| {
                let (lo, hi) = (Literal::f64_unsuffixed(lo), Literal::f64_unsuffixed(hi));
                quote!((#lo, #hi))
            });
            quote!(#rt::Float(&[#(#pairs),*]))
        }
        Constraint::Length(set) => {
            let pairs = set.iter().map(|&(lo, hi)| {
                let lo = Literal::usize_unsuffixed(usize::try_from(lo).unwrap_or(usize::MAX));
                let hi = Literal::usize_unsuffixed(usize::try_from(hi).unwrap_or(usize::MAX));
                quote!((#lo, #hi))
            });
            quote!(#rt::Length(&[#(#pairs),*]))
        }
    }
}

fn emit_resources_module(object: &Object, plans: &[ResourcePlan]) -> TokenStream {
    let items = plans.iter().map(|p| {
        let r = p.r;
        let spec = &p.spec;
        let konst = &p.konst;
        let id = Literal::u16_unsuffixed(r.id);
        let name = &r.name;
        let operations = operations_tokens(r.operations);
        let kind = kind_tokens(r.value_kind());
        let multiplicity = multiplicity_tokens(r.multiplicity);
        let requirement = requirement_tokens(r.requirement);
        let constraint = constraint_tokens(r);
        let units = &r.units;
        let value = &p.spec_value;
        let doc = docs(&resource_doc_text(r, p));
        let alias = alias(&r.name, &p.spec.to_string());
        let const_doc = docs(&format!("ID of resource `{}`.", doc_escape(&r.name)));
        let mut markers = Vec::new();
        if r.operations.is_readable() {
            markers.push(quote!(impl ::lwm2m_runtime::Readable for #spec {}));
        }
        if r.operations.is_writable() {
            markers.push(quote!(impl ::lwm2m_runtime::Writable for #spec {}));
        }
        if r.operations.is_executable() {
            markers.push(quote!(impl ::lwm2m_runtime::Executable for #spec {}));
        }
        quote! {
            #const_doc
            pub const #konst: u16 = #id;

            #doc
            #alias
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct #spec;

            const _: () = {
                impl ::lwm2m_runtime::ResourceSpec for #spec {
                    type Object = super::Spec;
                    const INFO: ::lwm2m_runtime::ResourceInfo = ::lwm2m_runtime::ResourceInfo {
                        id: #id,
                        name: #name,
                        operations: #operations,
                        kind: #kind,
                        multiplicity: #multiplicity,
                        requirement: #requirement,
                        constraint: #constraint,
                        units: #units,
                    };
                    type Value = #value;
                }
                #(#markers)*
            };
        }
    });
    let doc = docs(&format!(
        "The resources of {} as types, and their IDs.",
        doc_escape(&object.name)
    ));
    quote! {
        #doc
        pub mod resources {
            #(#items)*
        }
    }
}

fn emit_enum(e: &EnumPlan) -> TokenStream {
    let ident = &e.ident;
    let repr = format_ident!("{}", e.repr);
    let default_index = e.variants.iter().position(|(_, v, _)| *v == 0).unwrap_or(0);
    let variants = e.variants.iter().enumerate().map(|(i, (v, value, label))| {
        let doc = docs(&format!("`{value}`: {}", doc_escape(label)));
        let discriminant = Literal::i64_unsuffixed(*value);
        let default = (i == default_index).then(|| quote!(#[default]));
        quote! {
            #doc
            #default
            #v = #discriminant
        }
    });
    let names: Vec<&Ident> = e.variants.iter().map(|(v, _, _)| v).collect();
    let values = e
        .variants
        .iter()
        .map(|(_, value, _)| Literal::i64_unsuffixed(*value));
    let labels = e.variants.iter().map(|(_, _, label)| label);
    let doc = docs(&if e.exhaustive {
        "The values the definition names; the resource holds nothing else.".to_owned()
    } else {
        format!(
            "The values the definition names. The resource may hold other values too, so its value type is `{}`; convert with `TryFrom`.",
            e.repr
        )
    });
    let to_value = if e.unsigned {
        quote!(::lwm2m_runtime::Value::Unsigned(*self as u64))
    } else {
        quote!(::lwm2m_runtime::Value::Integer(*self as i64))
    };
    let widen = if e.repr == "u64" {
        quote!(i64::try_from(v).ok())
    } else {
        quote!(::core::option::Option::Some(i64::from(v)))
    };
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(#repr)]
        pub enum #ident {
            #(#variants,)*
        }

        const _: () = {
            impl ::lwm2m_runtime::Enumeration for #ident {
                const VARIANTS: &'static [Self] = &[#(Self::#names),*];

                fn value(self) -> i64 {
                    self as i64
                }

                fn from_value(value: i64) -> ::core::option::Option<Self> {
                    match value {
                        #(#values => ::core::option::Option::Some(Self::#names),)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn label(self) -> &'static str {
                    match self {
                        #(Self::#names => #labels,)*
                    }
                }
            }

            impl ::lwm2m_runtime::ValueType for #ident {
                fn to_value(&self) -> ::lwm2m_runtime::Value<'_> {
                    #to_value
                }

                fn from_value(value: &::lwm2m_runtime::Value<'_>) -> ::core::result::Result<Self, ::lwm2m_runtime::Error> {
                    value
                        .as_i64()
                        .and_then(<Self as ::lwm2m_runtime::Enumeration>::from_value)
                        .ok_or(::lwm2m_runtime::Error::BadRequest)
                }
            }

            impl ::core::convert::From<#ident> for #repr {
                fn from(value: #ident) -> Self {
                    value as #repr
                }
            }

            impl ::core::convert::TryFrom<#repr> for #ident {
                type Error = ::lwm2m_runtime::UnknownValue;

                fn try_from(v: #repr) -> ::core::result::Result<Self, ::lwm2m_runtime::UnknownValue> {
                    #widen
                        .and_then(<Self as ::lwm2m_runtime::Enumeration>::from_value)
                        .ok_or(::lwm2m_runtime::UnknownValue(v as i64))
                }
            }
        };
    }
}

fn emit_struct(object: &Object, ident: &Ident, plans: &[ResourcePlan]) -> TokenStream {
    let fields = plans
        .iter()
        .filter(|p| p.r.value_kind() != ResourceType::None && !p.streamed)
        .map(|p| {
            let field = &p.field;
            let value = &p.value;
            let ty = match p.r.requirement {
                Requirement::Mandatory => quote!(#value),
                Requirement::Optional => quote!(::core::option::Option<#value>),
            };
            let doc = docs(&capitalize_first(&p.summary));
            let alias = alias(&p.r.name, &p.name.snake());
            quote! {
                #doc
                #alias
                pub #field: #ty
            }
        });
    let doc = docs(&format!(
        "The values of one {} instance. Mandatory resources are plain fields and optional ones \
         `Option`s; executable resources and data streamed in chunks have no field.",
        doc_escape(&object.name)
    ));
    quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #ident {
            #(#fields,)*
        }
    }
}

fn emit_handler(object: &Object, plans: &[ResourcePlan]) -> TokenStream {
    let rt = quote!(::lwm2m_runtime);
    let result = |ok: TokenStream| quote!(::core::result::Result<#ok, #rt::Error>);
    let mut methods = Vec::new();
    for p in plans {
        let r = p.r;
        let stem = p.name.snake();
        let optional = r.requirement == Requirement::Optional;
        let value = &p.value;
        let summary = &p.summary;
        let mut method = |verb: &str, sig: TokenStream, unused: TokenStream| {
            let doc = docs(&format!("{verb} {summary}"));
            let body = if optional {
                quote!({
                    let _ = #unused;
                    ::core::result::Result::Err(#rt::Error::NotFound)
                })
            } else {
                quote!(;)
            };
            methods.push(quote! {
                #doc
                #sig #body
            });
        };
        if r.operations.is_readable() {
            let name = format_ident!("read_{stem}");
            if p.streamed {
                let ret = result(quote!(usize));
                method(
                    "Reads a piece (from `offset`, into `buf`; returns how many bytes, fewer than `buf.len()` only at the end) of",
                    quote!(fn #name(&mut self, instance: u16, offset: u32, buf: &mut [u8]) -> #ret),
                    quote!((instance, offset, buf)),
                );
            } else {
                let ret = result(quote!(#value));
                method(
                    "Reads",
                    quote!(fn #name(&mut self, instance: u16) -> #ret),
                    quote!(instance),
                );
            }
        }
        if r.operations.is_writable() {
            let name = format_ident!("write_{stem}");
            let ret = result(quote!(()));
            if p.streamed {
                method(
                    "Writes a piece of",
                    quote!(fn #name(&mut self, instance: u16, chunk: #rt::Chunk<'_>) -> #ret),
                    quote!((instance, chunk)),
                );
            } else {
                method(
                    "Writes",
                    quote!(fn #name(&mut self, instance: u16, value: #value) -> #ret),
                    quote!((instance, value)),
                );
            }
        }
        if r.operations.is_executable() {
            let name = format_ident!("execute_{stem}");
            let ret = result(quote!(()));
            method(
                "Executes",
                quote!(fn #name(&mut self, instance: u16, args: #rt::ExecuteArgs<'_>) -> #ret),
                quote!((instance, args)),
            );
        }
    }
    let doc = docs(&format!(
        "Serves {} to a LwM2M server: one method per operation the definition allows. \
         Methods of optional resources answer `Error::NotFound` unless implemented; resources \
         with no operations for a normal server (bootstrap only) have no methods.",
        doc_escape(&object.name)
    ));
    quote! {
        #doc
        pub trait Handler {
            /// Calls `f` with the ID of every instance this handler serves, in increasing
            /// order. By default the single instance 0.
            fn instances(&self, f: &mut dyn FnMut(u16)) {
                f(0)
            }

            #(#methods)*
        }
    }
}

/// `Served<H>`: any [`Handler`] as a runtime `Object`, dispatching by resource ID with value
/// conversion, type and range checks.
fn emit_served(object: &Object, plans: &[ResourcePlan]) -> TokenStream {
    let rt = quote!(::lwm2m_runtime);
    let err = quote!(#rt::Error);
    let refuse =
        quote!(::core::result::Result::Err(<Spec as #rt::ObjectSpec>::INFO.refusal(resource)));
    let mut reads = Vec::new();
    let mut chunk_reads = Vec::new();
    let mut writes = Vec::new();
    let mut executes = Vec::new();
    for p in plans {
        let r = p.r;
        let stem = p.name.snake();
        let konst = &p.konst;
        let spec = &p.spec;
        let info = quote!(<resources::#spec as #rt::ResourceSpec>::INFO);
        let multiple =
            r.multiplicity == Multiplicity::Multiple && r.value_kind() != ResourceType::None;
        if r.operations.is_readable() {
            let read = format_ident!("read_{stem}");
            if p.streamed {
                chunk_reads.push(quote!(resources::#konst => self.0.#read(instance, offset, buf),));
            } else if multiple {
                reads.push(quote!(resources::#konst => {
                    let value = self.0.#read(instance)?;
                    #rt::object::read_instances(&value, out)
                }));
            } else {
                reads.push(quote!(resources::#konst => {
                    let value = self.0.#read(instance)?;
                    out.value(::core::option::Option::None, #rt::ValueType::to_value(&value))
                }));
            }
        }
        if r.operations.is_writable() {
            let write = format_ident!("write_{stem}");
            if p.streamed {
                writes.push(quote!((resources::#konst, #rt::Write::Chunk(chunk)) => self.0.#write(instance, chunk),));
            } else if multiple {
                let current = if r.operations.is_readable() {
                    let read = format_ident!("read_{stem}");
                    quote!(if replace { ::core::option::Option::None } else { ::core::option::Option::Some(self.0.#read(instance)?) })
                } else {
                    quote!(::core::option::Option::None)
                };
                writes.push(quote!((resources::#konst, #rt::Write::Instances { replace, items }) => {
                    let current = #current;
                    let value = #rt::object::collect_instances(&#info, current.as_ref(), replace, items)?;
                    self.0.#write(instance, value)
                }));
            } else {
                writes.push(quote!((resources::#konst, #rt::Write::Value(value)) => {
                    #info.check(&value)?;
                    self.0.#write(instance, #rt::ValueType::from_value(&value)?)
                }));
            }
        }
        if r.operations.is_executable() {
            let execute = format_ident!("execute_{stem}");
            executes.push(quote!(resources::#konst => self.0.#execute(instance, args),));
        }
    }
    let streamed: Vec<TokenStream> = plans
        .iter()
        .filter(|p| p.streamed)
        .map(|p| {
            let konst = &p.konst;
            quote!(resources::#konst)
        })
        .collect();
    let read_body = if reads.is_empty() {
        quote!(let _ = (instance, out); #refuse)
    } else {
        quote!(match resource { #(#reads)* _ => #refuse })
    };
    let chunk_body = if chunk_reads.is_empty() {
        quote!(let _ = (instance, offset, buf); #refuse)
    } else {
        quote!(match resource { #(#chunk_reads)* _ => #refuse })
    };
    let write_body = if writes.is_empty() {
        quote!(let _ = (instance, write); #refuse)
    } else {
        quote!(match (resource, write) {
            #(#writes)*
            (_, #rt::Write::Value(_) | #rt::Write::Instances { .. } | #rt::Write::Chunk(_))
                if <Spec as #rt::ObjectSpec>::INFO.resource(resource).is_some_and(|r| r.operations.is_writable()) =>
            {
                ::core::result::Result::Err(#err::BadRequest)
            }
            _ => #refuse,
        })
    };
    let execute_body = if executes.is_empty() {
        quote!(let _ = (instance, args); #refuse)
    } else {
        quote!(match resource { #(#executes)* _ => #refuse })
    };
    let doc = docs(&format!(
        "Serves a [`Handler`] as a runtime `Object`: each operation is dispatched to its method by \
         resource ID, values are converted to and from their Rust types, and writes are checked \
         against the type and range of {}'s definition (4.00 Bad Request when outside them).",
        doc_escape(&object.name)
    ));
    quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct Served<H>(pub H);

        const _: () = {
            impl<H: Handler> #rt::Typed for Served<H> {
                type Spec = Spec;
            }

            impl<H: Handler> #rt::Object for Served<H> {
                fn info(&self) -> &'static #rt::ObjectInfo {
                    &<Spec as #rt::ObjectSpec>::INFO
                }

                fn instances(&self, f: &mut dyn FnMut(u16)) {
                    self.0.instances(f)
                }

                fn read(&mut self, instance: u16, resource: u16, out: &mut dyn #rt::ReadSink) -> ::core::result::Result<(), #err> {
                    #read_body
                }

                fn read_chunk(&mut self, instance: u16, resource: u16, offset: u32, buf: &mut [u8]) -> ::core::result::Result<usize, #err> {
                    #chunk_body
                }

                fn write(&mut self, instance: u16, resource: u16, write: #rt::Write<'_, '_>) -> ::core::result::Result<(), #err> {
                    #write_body
                }

                fn accepts_chunks(&self, resource: u16) -> bool {
                    [#(#streamed),*].contains(&resource)
                }

                fn execute(&mut self, instance: u16, resource: u16, args: #rt::ExecuteArgs<'_>) -> ::core::result::Result<(), #err> {
                    #execute_body
                }
            }
        };
    }
}

/// `Resource 1 `Package URI`: RW, String, single, mandatory, 0..255 bytes`.
fn summary(r: &Resource) -> String {
    let ops = match r.operations {
        Operations::None => "no operations",
        o => o.as_str(),
    };
    let kind = match (r.kind, r.value_kind()) {
        (ResourceType::None, ResourceType::Opaque) => "no type (generated as Opaque)".to_owned(),
        (ResourceType::None, _) => "no value".to_owned(),
        (declared, ResourceType::None) => format!("no value (type {} ignored)", declared.as_str()),
        (declared, _) => declared.as_str().to_owned(),
    };
    let mut parts = vec![
        ops.to_owned(),
        kind,
        r.multiplicity.as_str().to_lowercase(),
        r.requirement.as_str().to_lowercase(),
    ];
    parts.extend(constraint_text(&r.constraint));
    if !r.units.is_empty() {
        parts.push(format!("units {}", r.units));
    }
    format!(
        "resource {} `{}`: {}",
        r.id,
        doc_escape(&r.name),
        doc_escape(&parts.join(", "))
    )
}

fn constraint_text(c: &Constraint) -> Option<String> {
    /// `0..247, 255`; floats keep their decimal point (`-100.0..100.0`).
    fn intervals<T: PartialEq + std::fmt::Debug>(set: &[(T, T)]) -> String {
        let item = |(lo, hi): &(T, T)| {
            if lo == hi {
                format!("{lo:?}")
            } else {
                format!("{lo:?}..{hi:?}")
            }
        };
        set.iter().map(item).collect::<Vec<_>>().join(", ")
    }
    match c {
        Constraint::None => None,
        Constraint::Int(set) => Some(intervals(set)),
        Constraint::Float(set) => Some(intervals(set)),
        Constraint::Length(set) => Some(format!("{} bytes", intervals(set))),
    }
}

fn resource_doc_text(r: &Resource, p: &ResourcePlan) -> String {
    let mut text = capitalize_first(&p.summary);
    text.push_str(".\n\n");
    text.push_str(&doc_escape(&r.description));
    if let RangeEnumeration::Prose(prose) = &r.range {
        text.push_str(&format!(
            "\n\nRange, as written (not enforced): {}",
            doc_escape(prose)
        ));
    }
    if p.streamed {
        text.push_str("\n\nUnbounded and writable: the value arrives in chunks (`Chunk`), never whole in RAM.");
    }
    if p.enum_index.is_some() && r.multiplicity == Multiplicity::Multiple {
        text.push_str("\n\nEach resource instance holds one of the named values.");
    }
    text
}

fn module_doc_text(object: &Object) -> String {
    let mut text = format!(
        "Object {} `{}` ({}): {}-instance, {}, LwM2M {}, object version {}.\n\n",
        object.id,
        doc_escape(&object.name),
        doc_escape(&object.urn),
        object.multiplicity.as_str().to_lowercase(),
        object.requirement.as_str().to_lowercase(),
        object.lwm2m(),
        object.version(),
    );
    text.push_str(&doc_escape(&object.description1));
    if !object.description2.is_empty() {
        text.push_str("\n\n");
        text.push_str(&doc_escape(&object.description2));
    }
    text
}

fn capitalize_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `#[doc = "..."]` attributes, one per line. Lines of one paragraph end in a hard break so
/// value lists keep their lines when rendered.
fn docs(text: &str) -> TokenStream {
    let lines: Vec<&str> = text.lines().collect();
    let attrs = lines.iter().enumerate().map(|(i, line)| {
        let next_is_text = lines.get(i + 1).is_some_and(|l| !l.is_empty());
        let line = if !line.is_empty() && next_is_text {
            format!(" {line}\\")
        } else if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#attrs)*)
}

/// `#[doc(alias = "...")]` when the Rust name differs from the OMA name and rustdoc accepts
/// the name as an alias.
fn alias(oma: &str, rust: &str) -> Option<TokenStream> {
    let usable = !oma.is_empty() && oma != rust && !oma.contains(['"', '\'', '\t', '\n']);
    usable.then(|| quote!(#[doc(alias = #oma)]))
}

/// Escapes text from a definition so rustdoc renders it as written: Markdown and HTML
/// punctuation is backslash-escaped, list and heading markers at the start of a line are
/// neutralised, and URLs are wrapped in `<...>` so they become links.
pub fn doc_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape_line(line));
    }
    out
}

fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        escape_word(word, &mut out);
    }
    // Markers that would turn the line into a list, heading, rule or quote.
    let starts_block = out.starts_with(['-', '+', '=', '*'])
        || out
            .find(|c: char| !c.is_ascii_digit())
            .is_some_and(|i| i > 0 && out.get(i..).is_some_and(|r| r.starts_with(['.', ')'])));
    if starts_block && let Some(i) = out.find(['-', '+', '=', '*', '.', ')']) {
        out.insert(i, '\\');
    }
    out
}

/// Appends `word` escaped to `out`; a URL in it becomes `<url>`.
fn escape_word(word: &str, out: &mut String) {
    const SCHEMES: [&str; 4] = ["http://", "https://", "coap://", "coaps://"];
    // Every scheme has "://": most words have none, and skip the four searches.
    let start = if word.contains("://") {
        SCHEMES.iter().filter_map(|s| word.find(s)).min()
    } else {
        None
    };
    if let Some(start) = start {
        let (before, rest) = word.split_at(start);
        let end = rest
            .find(['<', '>', '"', '\\', '`', '|', '^', '{', '}'])
            .unwrap_or(rest.len());
        let url = rest.get(..end).unwrap_or(rest);
        let url = url.trim_end_matches(['.', ',', ';', ':', ')', ']', '\'']);
        let after = rest.get(url.len()..).unwrap_or_default();
        if SCHEMES.iter().all(|s| url.len() > s.len()) {
            escape_chars(before, out);
            out.push('<');
            out.push_str(url);
            out.push('>');
            escape_chars(after, out);
            return;
        }
    }
    escape_chars(word, out);
}

/// Appends `text` to `out` with Markdown and HTML punctuation backslash-escaped.
fn escape_chars(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}
