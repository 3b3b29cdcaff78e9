//! The `Object` and `Typed` impls of a derived struct whose bindings all checked.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use super::derive::{Binding, Served};
use super::field_type::streamed;
use super::load::Loaded;
use crate::emit::module_name;
use crate::model::{Multiplicity, Object};

/// The `Object` and `Typed` impls for a struct whose bindings all checked.
pub(super) fn generate(
    input: &DeriveInput,
    object: &Object,
    loaded: &Loaded,
    bound: &[Binding<'_>],
    instance: u16,
) -> TokenStream {
    let rt = quote!(::lwm2m_runtime);
    let err = quote!(#rt::Error);
    let ok = quote!(::core::result::Result::Ok(()));
    let ident = &input.ident;
    let module = crate::emit::ident(&module_name(object));
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let mut executes = Vec::new();
    for b in bound {
        let r = b.r;
        let konst = crate::emit::ident(&crate::emit::konst_name(b.name));
        let id = quote!(#module::resources::#konst);
        let spec = crate::emit::ident(&b.name.camel());
        let info = quote!(<#module::resources::#spec as #rt::ResourceSpec>::INFO);
        let multiple = r.multiplicity == Multiplicity::Multiple;
        match &b.served {
            Served::Field {
                ident: field,
                ty,
                optional,
            } => {
                // Conversions are spanned at the field's type, so a type that does not
                // implement `ValueType` is reported there.
                let span = ty.span();
                let read_value = |v: TokenStream| {
                    if multiple {
                        quote_spanned!(span=> ::lwm2m_runtime::object::read_instances(#v, out))
                    } else {
                        quote_spanned!(span=> out.value(::core::option::Option::None, ::lwm2m_runtime::ValueType::to_value(#v)))
                    }
                };
                if r.operations.is_readable() {
                    let body = if *optional {
                        let read = read_value(quote!(v));
                        quote!(match &self.#field {
                            ::core::option::Option::Some(v) => #read,
                            ::core::option::Option::None => ::core::result::Result::Err(#err::NotFound),
                        })
                    } else {
                        read_value(quote!(&self.#field))
                    };
                    reads.push(quote!(#id => #body,));
                }
                if r.operations.is_writable() {
                    let wrap = |v: TokenStream| {
                        if *optional {
                            quote!(::core::option::Option::Some(#v))
                        } else {
                            v
                        }
                    };
                    if multiple {
                        let current = if *optional {
                            quote!(self.#field.as_ref())
                        } else {
                            quote!(::core::option::Option::Some(&self.#field))
                        };
                        let set = wrap(quote!(next));
                        let collect = quote_spanned!(span=> ::lwm2m_runtime::object::collect_instances(&#info, #current, replace, items)?);
                        writes.push(quote!((#id, #rt::Write::Instances { replace, items }) => {
                            let next = #collect;
                            self.#field = #set;
                            #ok
                        }));
                    } else {
                        let set = wrap(
                            quote_spanned!(span=> ::lwm2m_runtime::ValueType::from_value(&value)?),
                        );
                        writes.push(quote!((#id, #rt::Write::Value(value)) => {
                            #info.check(&value)?;
                            self.#field = #set;
                            #ok
                        }));
                    }
                }
            }
            Served::Methods {
                read,
                write,
                execute,
            } => {
                if let Some(m) = read {
                    let body = if multiple {
                        quote!(#rt::object::read_instances(&value, out))
                    } else {
                        quote!(out.value(::core::option::Option::None, #rt::ValueType::to_value(&value)))
                    };
                    reads.push(quote!(#id => {
                        let value = self.#m(instance)?;
                        #body
                    }));
                }
                if let Some(m) = write {
                    if streamed(r) {
                        writes.push(
                            quote!((#id, #rt::Write::Chunk(chunk)) => self.#m(instance, chunk),),
                        );
                    } else if multiple {
                        writes.push(quote!((#id, #rt::Write::Instances { replace, items }) => {
                            self.#m(instance, #rt::object::collect_instances(&#info, ::core::option::Option::None, replace, items)?)
                        }));
                    } else {
                        writes.push(quote!((#id, #rt::Write::Value(value)) => {
                            #info.check(&value)?;
                            self.#m(instance, #rt::ValueType::from_value(&value)?)
                        }));
                    }
                }
                if let Some(m) = execute {
                    executes.push(quote!(#id => self.#m(instance, args),));
                }
            }
        }
    }
    let bound_ids = bound.iter().map(|b| b.r.id);
    let chunked = bound
        .iter()
        .filter(|b| matches!(b.served, Served::Methods { write: Some(_), .. }) && streamed(b.r))
        .map(|b| proc_macro2::Literal::u16_unsuffixed(b.r.id));
    let tokens = &loaded.tokens;
    let tracking = &loaded.tracking;
    let instance_lit = proc_macro2::Literal::u16_unsuffixed(instance);
    let refuse = quote!(::core::result::Result::Err(if BOUND.contains(&resource) { #err::MethodNotAllowed } else { #err::NotFound }));
    quote! {
        const _: () = {
            #tracking
            #[allow(dead_code, reason = "the definition's module, generated for this derive")]
            #tokens

            /// The resources the struct serves.
            const BOUND: &[u16] = &[#(#bound_ids),*];

            impl #rt::Typed for #ident {
                type Spec = #module::Spec;
            }

            impl #rt::Object for #ident {
                fn info(&self) -> &'static #rt::ObjectInfo {
                    &<#module::Spec as #rt::ObjectSpec>::INFO
                }

                fn instances(&self, f: &mut dyn FnMut(u16)) {
                    f(#instance_lit)
                }

                fn read(&mut self, instance: u16, resource: u16, out: &mut dyn #rt::ReadSink) -> ::core::result::Result<(), #err> {
                    if instance != #instance_lit {
                        return ::core::result::Result::Err(#err::NotFound);
                    }
                    match resource {
                        #(#reads)*
                        _ => #refuse,
                    }
                }

                fn write(&mut self, instance: u16, resource: u16, write: #rt::Write<'_, '_>) -> ::core::result::Result<(), #err> {
                    if instance != #instance_lit {
                        return ::core::result::Result::Err(#err::NotFound);
                    }
                    match (resource, write) {
                        #(#writes)*
                        (resource, _) => #refuse,
                    }
                }

                fn accepts_chunks(&self, resource: u16) -> bool {
                    [#(#chunked),*].contains(&resource)
                }

                fn implements(&self, resource: u16) -> bool {
                    BOUND.contains(&resource)
                }

                fn execute(&mut self, instance: u16, resource: u16, args: #rt::ExecuteArgs<'_>) -> ::core::result::Result<(), #err> {
                    if instance != #instance_lit {
                        return ::core::result::Result::Err(#err::NotFound);
                    }
                    let _ = &args;
                    match resource {
                        #(#executes)*
                        _ => #refuse,
                    }
                }
            }
        };
    }
}
