//! The struct holding one instance's values (`FirmwareUpdate`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::{alias, capitalize_first, doc_escape, docs};
use super::plan::ResourcePlan;
use crate::model::{Object, Requirement, ResourceType};

pub(super) fn emit_struct(object: &Object, ident: &Ident, plans: &[ResourcePlan]) -> TokenStream {
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
