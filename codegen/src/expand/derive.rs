//! `#[derive(Lwm2mObject)]`: binds a struct's fields and methods to the resources of a
//! definition, checks every binding and reports every error together.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitInt, Type};

use super::attrs::{FieldBinding, is_skip, parse_field_attrs, parse_struct_attrs};
use super::field_type::{FieldType, check_field, describe, field_type, streamed, suggestion};
use super::impls::generate;
use super::load::load;
use super::{Errors, edit_distance};
use crate::emit::resource_names;
use crate::ident::Name;
use crate::model::{Object, Requirement, Resource, ResourceType};

/// One resource as the struct serves it.
pub(super) enum Served<'a> {
    Field {
        ident: &'a Ident,
        ty: &'a Type,
        optional: bool,
    },
    Methods {
        read: Option<&'a Ident>,
        write: Option<&'a Ident>,
        execute: Option<&'a Ident>,
    },
}

/// `#[derive(Lwm2mObject)]`. Always returns tokens: the `compile_error!`s of every problem
/// found, beside an `Object` impl (the real one, or a stand-in when there are errors, so the
/// user sees the errors and not a cascade of "trait not implemented").
pub fn expand_derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.into_compile_error(),
    };
    let mut errors = Errors::default();
    let expanded = derive(&input, &mut errors);
    let ident = &input.ident;
    let body = match expanded {
        Some(tokens) if errors.is_empty() => tokens,
        _ => stand_in(ident),
    };
    let errors = errors.into_compile_errors();
    quote!(#errors #body)
}

/// An `Object` impl that serves nothing, used beside errors.
fn stand_in(ident: &Ident) -> TokenStream {
    let rt = quote!(::lwm2m_runtime);
    quote! {
        const _: () = {
            impl #rt::Object for #ident {
                fn info(&self) -> &'static #rt::ObjectInfo {
                    const INFO: #rt::ObjectInfo = #rt::ObjectInfo {
                        id: 0,
                        name: "",
                        urn: "",
                        object_version: #rt::Version::new(1, 0),
                        lwm2m_version: #rt::Version::new(1, 0),
                        multiplicity: #rt::Multiplicity::Single,
                        requirement: #rt::Requirement::Optional,
                        resources: &[],
                    };
                    &INFO
                }
                fn instances(&self, _: &mut dyn FnMut(u16)) {}
                fn read(&mut self, _: u16, _: u16, _: &mut dyn #rt::ReadSink) -> ::core::result::Result<(), #rt::Error> {
                    ::core::result::Result::Err(#rt::Error::NotFound)
                }
                fn write(&mut self, _: u16, _: u16, _: #rt::Write<'_, '_>) -> ::core::result::Result<(), #rt::Error> {
                    ::core::result::Result::Err(#rt::Error::NotFound)
                }
                fn execute(&mut self, _: u16, _: u16, _: #rt::ExecuteArgs<'_>) -> ::core::result::Result<(), #rt::Error> {
                    ::core::result::Result::Err(#rt::Error::NotFound)
                }
            }
        };
    }
}

fn derive(input: &DeriveInput, errors: &mut Errors) -> Option<TokenStream> {
    let fields = match &input.data {
        Data::Struct(s) => {
            match &s.fields {
                Fields::Named(named) => &named.named,
                _ => {
                    errors.at(input.ident.span(), "Lwm2mObject binds named fields to resources: use a struct with named fields");
                    return None;
                }
            }
        }
        _ => {
            errors.at(
                input.ident.span(),
                "Lwm2mObject can only be derived for a struct",
            );
            return None;
        }
    };
    if !input.generics.params.is_empty() {
        errors.at(
            input.generics.span(),
            "Lwm2mObject cannot be derived for a generic struct",
        );
    }
    let attrs = parse_struct_attrs(input, errors);
    let field_bindings: Vec<(&syn::Field, FieldBinding)> = fields
        .iter()
        .map(|f| (f, parse_field_attrs(f, errors)))
        .collect();
    let Some(xml) = &attrs.xml else {
        if !errors.is_empty() {
            // The key was probably there, misspelled; that error is the one to fix.
            return None;
        }
        errors.at(
            input.ident.span(),
            "Lwm2mObject needs the object definition: add `#[lwm2m(xml = \"path/to/object.xml\")]`",
        );
        return None;
    };
    let only = match &attrs.id {
        Some(id) => match id.base10_parse::<u16>() {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(e);
                return None;
            }
        },
        None => None,
    };
    let loaded = match load(xml, attrs.overrides.as_ref(), only) {
        Ok(loaded) => loaded,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let object = match (loaded.objects.as_slice(), only) {
        ([object], _) => object,
        ([], Some(id)) => {
            errors.at(
                attrs.id.as_ref().map_or(xml.span(), LitInt::span),
                format!("{} has no object {id}", xml.value()),
            );
            return None;
        }
        (several, _) => {
            let ids: Vec<String> = several.iter().map(|o| o.id.to_string()).collect();
            errors.at(
                xml.span(),
                format!(
                    "{} holds objects {}: choose one with `id = N`",
                    xml.value(),
                    ids.join(", ")
                ),
            );
            return None;
        }
    };
    let instance: u16 = match &attrs.instance {
        Some(lit) => lit.base10_parse().map_err(|e| errors.push(e)).unwrap_or(0),
        None => 0,
    };
    let names = resource_names(object);
    let named = |id: u16| names.iter().find(|(r, _)| r.id == id).map(|(r, n)| (*r, n));
    let listing = || {
        let ids: Vec<String> = names
            .iter()
            .map(|(r, n)| format!("{} `{}`", r.id, n.snake()))
            .collect();
        ids.join(", ")
    };
    let mut bound: Vec<Binding<'_>> = Vec::new();
    // Resources the user tried to bind, even if the binding had an error: they are not also
    // reported as unbound.
    let mut attempted: Vec<u16> = Vec::new();
    // A field whose attribute could not be read may have been meant for any resource.
    let unclear = field_bindings.iter().any(|(f, b)| {
        matches!(b, FieldBinding::Skip)
            && f.attrs
                .iter()
                .any(|a| a.path().is_ident("lwm2m") && !is_skip(a))
    });

    for (field, binding) in &field_bindings {
        let Some(ident) = &field.ident else { continue };
        let target = match binding {
            FieldBinding::Skip => continue,
            FieldBinding::Resource(lit) => match lit.base10_parse::<u16>() {
                Ok(id) => match named(id) {
                    Some(target) => target,
                    None => {
                        errors.at(
                            lit.span(),
                            format!(
                                "{} has no resource {id}; it has {}",
                                object.context(),
                                listing()
                            ),
                        );
                        continue;
                    }
                },
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            FieldBinding::ByName => {
                let wanted = ident.to_string();
                let wanted = wanted.trim_start_matches("r#");
                match names.iter().find(|(_, n)| n.snake() == wanted) {
                    Some((r, n)) => (*r, n),
                    None => {
                        errors.at(ident.span(), no_such_name(wanted, &names, object));
                        continue;
                    }
                }
            }
        };
        let (r, name) = target;
        attempted.push(r.id);
        let ty = field_type(&field.ty);
        if let Err(message) = check_field(&ty, r) {
            errors.spanned(&field.ty, message);
            continue;
        }
        let served = Served::Field {
            ident,
            ty: &field.ty,
            optional: matches!(ty, FieldType::Option(_)),
        };
        push_binding(
            &mut bound,
            errors,
            Binding {
                r,
                name,
                served,
                span: ident.span(),
            },
        );
    }

    for d in &attrs.delegates {
        let id = match d.resource.base10_parse::<u16>() {
            Ok(id) => id,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let Some((r, name)) = named(id) else {
            errors.at(
                d.resource.span(),
                format!(
                    "{} has no resource {id}; it has {}",
                    object.context(),
                    listing()
                ),
            );
            continue;
        };
        attempted.push(r.id);
        let what = describe(r);
        let ops = r.operations.as_str();
        let mut ok = true;
        for (method, allowed, verb) in [
            (&d.read, r.operations.is_readable(), "read"),
            (&d.write, r.operations.is_writable(), "write"),
            (&d.execute, r.operations.is_executable(), "execute"),
        ] {
            if let (Some(m), false) = (method, allowed) {
                let article = if verb == "execute" { "an" } else { "a" };
                errors.at(
                    m.span(),
                    format!("{what} does not allow {verb} (Operations \"{ops}\"), so it cannot have {article} {verb} method"),
                );
                ok = false;
            }
        }
        if r.requirement == Requirement::Mandatory {
            for (method, allowed, verb) in [
                (&d.read, r.operations.is_readable(), "read"),
                (&d.write, r.operations.is_writable(), "write"),
                (&d.execute, r.operations.is_executable(), "execute"),
            ] {
                if allowed && method.is_none() {
                    errors.at(
                        d.resource.span(),
                        format!("{what} is mandatory, so every operation it allows must be served: add `{verb} = \"...\"`"),
                    );
                    ok = false;
                }
            }
        }
        if ok {
            let served = Served::Methods {
                read: d.read.as_ref(),
                write: d.write.as_ref(),
                execute: d.execute.as_ref(),
            };
            push_binding(
                &mut bound,
                errors,
                Binding {
                    r,
                    name,
                    served,
                    span: d.resource.span(),
                },
            );
        }
    }

    for (r, name) in &names {
        if r.requirement == Requirement::Mandatory && !attempted.contains(&r.id) && !unclear {
            let how = if r.value_kind() == ResourceType::None || streamed(r) {
                let verb = if r.value_kind() == ResourceType::None {
                    "execute"
                } else {
                    "write"
                };
                format!(
                    "`#[lwm2m(resource = {}, {verb} = \"...\")]` on the struct",
                    r.id
                )
            } else {
                format!("a field `{}: {}`", name.snake(), suggestion(r))
            };
            errors.at(
                input.ident.span(),
                format!("mandatory {} is not bound: add {how}", describe(r)),
            );
        }
    }
    if !errors.is_empty() {
        return None;
    }
    Some(generate(input, object, &loaded, &bound, instance))
}

/// One resource bound to the struct.
pub(super) struct Binding<'a> {
    pub(super) r: &'a Resource,
    pub(super) name: &'a Name,
    pub(super) served: Served<'a>,
    pub(super) span: Span,
}

fn push_binding<'a>(bound: &mut Vec<Binding<'a>>, errors: &mut Errors, binding: Binding<'a>) {
    if bound.iter().any(|b| b.r.id == binding.r.id) {
        errors.at(
            binding.span,
            format!("{} is bound twice", describe(binding.r)),
        );
    } else {
        bound.push(binding);
    }
}

/// "no resource of ... is called `x`; did you mean ...".
fn no_such_name(wanted: &str, names: &[(&Resource, Name)], object: &Object) -> String {
    let close = names
        .iter()
        .map(|(r, n)| (edit_distance(wanted, &n.snake()), r.id, n.snake()))
        .filter(|(d, _, n)| *d <= 3.max(n.len() / 4))
        .min();
    let hint = match close {
        Some((_, id, n)) => format!("did you mean `{n}` (resource {id})? "),
        None => String::new(),
    };
    format!(
        "{} has no resource called `{wanted}`; {hint}Bind the field with `#[lwm2m(resource = N)]` or leave it out with `#[lwm2m(skip)]`",
        object.context()
    )
}
