//! The `resources` module of an object: a zero-sized type per resource with its facts as
//! `ResourceSpec`, the marker traits its operations allow, and its ID constant.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs::{alias, doc_escape, docs, resource_doc_text};
use super::plan::ResourcePlan;
use crate::model::{Multiplicity, Object, Operations, Requirement, Resource, ResourceType};
use crate::range::Constraint;

pub(super) fn multiplicity_tokens(m: Multiplicity) -> TokenStream {
    match m {
        Multiplicity::Single => quote!(::lwm2m_runtime::Multiplicity::Single),
        Multiplicity::Multiple => quote!(::lwm2m_runtime::Multiplicity::Multiple),
    }
}

pub(super) fn requirement_tokens(m: Requirement) -> TokenStream {
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

/// The `resources` module; `names` says whether each `ResourceInfo` carries its name and
/// units (see [`super::Options::names`]).
pub(super) fn emit_resources_module(
    object: &Object,
    plans: &[ResourcePlan],
    names: bool,
) -> TokenStream {
    let items = plans.iter().map(|p| {
        let r = p.r;
        let spec = &p.spec;
        let konst = &p.konst;
        let id = Literal::u16_unsuffixed(r.id);
        let name = if names { r.name.as_str() } else { "" };
        let operations = operations_tokens(r.operations);
        let kind = kind_tokens(r.value_kind());
        let multiplicity = multiplicity_tokens(r.multiplicity);
        let requirement = requirement_tokens(r.requirement);
        let constraint = constraint_tokens(r);
        let units = if names { r.units.as_str() } else { "" };
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
