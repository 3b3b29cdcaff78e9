//! `Handler`: the trait with one method per operation the definition allows.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{doc_escape, docs};
use super::plan::ResourcePlan;
use crate::model::{Object, Requirement};

pub(super) fn emit_handler(object: &Object, plans: &[ResourcePlan]) -> TokenStream {
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
