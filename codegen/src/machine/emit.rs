//! Writes an object's `machine` module: the table as `Spec`, the events, a handle type per
//! state whose methods are the edges leaving it, and an enum per edge with several results.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use super::{Machine, ResolvedEdge};
use crate::emit::ident;

/// The `machine` module of the object `m` belongs to, placed inside the object's module (the
/// state and result enums are reached as `super::Name`).
pub fn emit(m: &Machine) -> TokenStream {
    let rt = quote!(::lwm2m_runtime::machine);
    let state_enum = ident(&m.state.1.name);
    let result_enum = ident(&m.result.1.name);
    let state_ty = quote!(super::#state_enum);
    let result_ty = quote!(super::#result_enum);
    let state_id = Literal::u16_unsuffixed(m.state.0);
    let result_id = Literal::u16_unsuffixed(m.result.0);

    let mut events: Vec<&ResolvedEdge> = Vec::new();
    for e in &m.edges {
        if !events.iter().any(|seen| seen.event == e.event) {
            events.push(e);
        }
    }
    let event_variants = events.iter().map(|e| {
        let v = ident(&camel(&e.event));
        let doc = docs(&format!("`{}`: {}", e.event, first_line(&e.doc)));
        quote! { #doc #v }
    });

    let table = m.edges.iter().map(|e| {
        let event = ident(&camel(&e.event));
        let from = ident(&e.from);
        let to = ident(&e.to);
        let results = e.results.iter().map(|r| ident(r));
        quote! {
            #rt::Transition {
                event: Event::#event,
                from: #state_ty::#from,
                to: #state_ty::#to,
                results: &[#(#result_ty::#results),*],
            }
        }
    });
    let (initial_state, initial_result) = (ident(&m.initial.0), ident(&m.initial.1));

    let states: Vec<(Ident, i64)> = m
        .state
        .1
        .variants
        .iter()
        .map(|(name, value)| (ident(name), *value))
        .collect();
    let current_variants = states.iter().map(|(s, value)| {
        let doc = docs(&format!("In `{s}` ({} {value}).", m.state_label));
        quote! { #doc #s(#s<'m>) }
    });
    let current_arms = states
        .iter()
        .map(|(s, _)| quote! { #state_ty::#s => Current::#s(#s(machine)) });
    let handles = states.iter().map(|(s, value)| {
        let doc = docs(&format!(
            "A machine in `{s}` ({} {value}): its methods are the edges that leave `{s}`, \
             each consuming the handle and returning the handle of the state it reaches.",
            m.state_label
        ));
        let methods = m
            .edges
            .iter()
            .filter(|e| *s == e.from)
            .map(|e| method(m, e, &result_ty));
        quote! {
            #doc
            #[derive(Debug)]
            pub struct #s<'m>(&'m mut Machine);

            impl<'m> #s<'m> {
                /// The machine, to read its state and result.
                pub fn machine(&self) -> &Machine {
                    self.0
                }
                #(#methods)*
            }
        }
    });
    let sets = m
        .result_sets
        .iter()
        .map(|(name, results)| result_set(m, name, results, &result_ty));

    let module_doc = docs(&module_doc(m));
    quote! {
        #module_doc
        pub mod machine {
            /// The events of the table.
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub enum Event {
                #(#event_variants,)*
            }

            /// The machine as a type: its table of transitions.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct Spec;

            /// The state machine of one instance: every transition is checked against
            /// [`Spec`]'s table.
            pub type Machine = #rt::Machine<Spec>;

            /// The handle of the state a machine is in (`machine.current()`): match on it to
            /// reach the transitions allowed there.
            #[derive(Debug)]
            pub enum Current<'m> {
                #(#current_variants,)*
            }

            #(#handles)*
            #(#sets)*

            const _: () = {
                impl #rt::MachineSpec for Spec {
                    type State = #state_ty;
                    type Result = #result_ty;
                    type Event = Event;
                    type Current<'m> = Current<'m>;
                    const STATE_RESOURCE: u16 = #state_id;
                    const RESULT_RESOURCE: u16 = #result_id;
                    const INITIAL: (#state_ty, #result_ty) = (#state_ty::#initial_state, #result_ty::#initial_result);
                    const TRANSITIONS: &'static [#rt::Transition<Self>] = &[#(#table),*];
                    fn current(machine: &mut Machine) -> Current<'_> {
                        match machine.state() {
                            #(#current_arms,)*
                        }
                    }
                }
            };
        }
    }
}

/// A handle's method for one edge.
fn method(m: &Machine, e: &ResolvedEdge, result_ty: &TokenStream) -> TokenStream {
    let name = ident(&e.event);
    let event = ident(&camel(&e.event));
    let to = ident(&e.to);
    let mut doc = e.doc.clone();
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    match &e.results_name {
        Some(set) => {
            let set_ident = ident(set);
            doc.push_str(&format!(
                "Moves to `{}`, with the {} `result` gives ([`{set}`]).",
                e.to, m.result_label
            ));
            let doc = docs(&doc);
            quote! {
                #doc
                pub fn #name(self, result: #set_ident) -> #to<'m> {
                    self.0.step(Event::#event, #result_ty::from(result));
                    #to(self.0)
                }
            }
        }
        None => {
            let result = e.results.first().map(|r| ident(r));
            doc.push_str(&format!(
                "Moves to `{}`, {} `{}`.",
                e.to,
                m.result_label,
                e.results.first().map_or("", String::as_str)
            ));
            let doc = docs(&doc);
            quote! {
                #doc
                pub fn #name(self) -> #to<'m> {
                    self.0.step(Event::#event, #result_ty::#result);
                    #to(self.0)
                }
            }
        }
    }
}

/// The enum of the results an edge may set, convertible to and from the result enum.
fn result_set(m: &Machine, name: &str, results: &[String], result_ty: &TokenStream) -> TokenStream {
    let set = ident(name);
    let variants: Vec<Ident> = results.iter().map(|r| ident(r)).collect();
    let variant_docs = results.iter().map(|r| {
        let value = m
            .result
            .1
            .variants
            .iter()
            .find(|(v, _)| v == r)
            .map_or(0, |(_, value)| *value);
        docs(&format!("{} {value}.", m.result_label))
    });
    let doc = docs(&format!(
        "The values of {} that the edges taking a `{name}` may set.",
        m.result_label
    ));
    let v1 = &variants;
    let v2 = &variants;
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum #set {
            #(#variant_docs #variants,)*
        }

        const _: () = {
            impl ::core::convert::From<#set> for #result_ty {
                fn from(value: #set) -> Self {
                    match value {
                        #(#set::#v1 => #result_ty::#v2,)*
                    }
                }
            }
            impl ::core::convert::TryFrom<#result_ty> for #set {
                type Error = ::lwm2m_runtime::machine::Refused;
                fn try_from(value: #result_ty) -> ::core::result::Result<Self, Self::Error> {
                    match value {
                        #(#result_ty::#v1 => ::core::result::Result::Ok(#set::#v2),)*
                        _ => ::core::result::Result::Err(::lwm2m_runtime::machine::Refused),
                    }
                }
            }
        };
    }
}

/// The module's documentation: what it is, and the table as Markdown.
fn module_doc(m: &Machine) -> String {
    let mut doc = format!(
        "The state machine of resource {} (`{}`) and resource {} (`{}`), from `{}`.\n\n\
         Starts in `{}` with `{}`. Each row is an edge; the handle of its `from` state has a \
         method named after its event.\n\n\
         | event | from | to | {} |\n|---|---|---|---|\n",
        m.state.0,
        m.state_label,
        m.result.0,
        m.result_label,
        m.file,
        m.initial.0,
        m.initial.1,
        m.result_label,
    );
    for e in &m.edges {
        doc.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} |\n",
            e.event,
            e.from,
            e.to,
            e.results
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    doc
}

/// Documentation attributes, one per line, each line starting with a space as `///` does.
fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// `start_download` to `StartDownload`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
