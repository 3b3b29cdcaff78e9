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
//!
//! One file per part of a module: `plan` decides names and value types, then `resources`,
//! `enums`, `instance`, `handler` and `served` write the items, and `docs` writes the
//! documentation they carry.

mod docs;
mod enums;
mod handler;
mod instance;
mod plan;
mod resources;
mod served;

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use crate::ident::{self, Name};
use crate::machine::{self, EnumNames, Machine};
use crate::model::{Object, Resource};

pub use docs::doc_escape;
pub(crate) use plan::{konst_name, narrowest_name};

use docs::{alias, docs, module_doc_text};
use enums::emit_enum;
use handler::emit_handler;
use instance::emit_struct;
use plan::{EnumPlan, ResourcePlan, plan_enum, plan_resource};
use resources::{emit_resources_module, multiplicity_tokens, requirement_tokens};
use served::emit_served;

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
    /// State machines, checked against their objects: each becomes its object's `machine`
    /// module.
    pub machines: Vec<Machine>,
    /// Whether `ObjectInfo` and `ResourceInfo` carry the names, units and URN (on by
    /// default). Off, they are empty strings, which keeps their text out of a firmware that
    /// never shows them; the `NAME` and `URN` constants and the docs keep them either way.
    pub names: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            string_capacity: DEFAULT_STRING_CAPACITY,
            opaque_capacity: DEFAULT_OPAQUE_CAPACITY,
            instances_capacity: DEFAULT_INSTANCES_CAPACITY,
            overrides: Overrides::default(),
            machines: Vec::new(),
            names: true,
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

/// The enums generated for an object's resources: the plans, and which plan each resource
/// with named values uses (several resources may share one).
struct Enums {
    plans: Vec<EnumPlan>,
    of: BTreeMap<u16, usize>,
}

/// The name of an object's instance struct, kept clear of the module's other items.
fn object_struct_name(object: &Object) -> Name {
    let object_name = ident::non_empty(Name::from_oma(&object.name), "Object");
    match object_name.camel().as_str() {
        "Spec" | "Handler" | "Resources" => object_name.with_suffix("object"),
        _ => object_name,
    }
}

fn plan_enums(object: &Object, named: &[(&Resource, Name)], options: &Options) -> Enums {
    let reserved = [
        object_struct_name(object).camel(),
        "Spec".to_owned(),
        "Handler".to_owned(),
        "Resources".to_owned(),
    ];
    // One enum per resource with named values, unless it shares another resource's.
    let mut plans: Vec<EnumPlan> = Vec::new();
    let mut of: BTreeMap<u16, usize> = BTreeMap::new();
    for (r, name) in named {
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
        of.insert(r.id, plans.len());
        plans.push(plan_enum(object, r, &enum_name, options));
    }
    for (&(obj, res), &source) in &options.overrides.same_values {
        if let (true, Some(&i)) = (obj == object.id, of.get(&source)) {
            of.insert(res, i);
        }
    }
    Enums { plans, of }
}

/// The enum generated for resource `resource` of `object`, if it names values: what a machine
/// file's states and results refer to.
pub fn enum_names(object: &Object, resource: u16, options: &Options) -> Option<EnumNames> {
    let enums = plan_enums(object, &resource_names(object), options);
    let plan = enums.plans.get(*enums.of.get(&resource)?)?;
    Some(EnumNames {
        name: plan.ident.to_string(),
        variants: plan
            .variants
            .iter()
            .map(|(v, value, _)| (v.to_string(), *value))
            .collect(),
    })
}

/// Tokens for one object as a module named `module`.
pub fn emit_object(object: &Object, module: &str, options: &Options) -> TokenStream {
    let named = resource_names(object);
    let Enums {
        plans: enums,
        of: enum_of,
    } = plan_enums(object, &named, options);
    let (sorted, names): (Vec<&Resource>, Vec<Name>) = named.into_iter().unzip();
    let struct_ident = ident(&object_struct_name(object).camel());

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
    let (info_name, info_urn) = if options.names {
        (quote!(NAME), quote!(URN))
    } else {
        (quote!(""), quote!(""))
    };
    let resources_module = emit_resources_module(object, &plans, options.names);
    let enum_items = enums.iter().map(emit_enum);
    let struct_item = emit_struct(object, &struct_ident, &plans);
    let handler = emit_handler(object, &plans);
    let served = emit_served(object, &plans);
    let machine = options
        .machines
        .iter()
        .find(|m| m.object == object.id)
        .map(machine::emit);

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
                        name: #info_name,
                        urn: #info_urn,
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
            #machine
        }
    }
}
