//! `Served<H>`: a `Handler` as a runtime `Object`, dispatching by resource ID.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{doc_escape, docs};
use super::plan::ResourcePlan;
use crate::model::{Multiplicity, Object, ResourceType};

/// `Served<H>`: any `Handler` as a runtime `Object`, dispatching by resource ID with value
/// conversion, type and range checks.
pub(super) fn emit_served(object: &Object, plans: &[ResourcePlan]) -> TokenStream {
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
