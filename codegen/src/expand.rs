//! What the proc-macros of `lwm2m-macros` expand to. The logic lives here, in the normal
//! library, where unit tests reach it; the proc-macro crate only forwards tokens.
//!
//! * [`expand_object`]: `object!("objects/xml/5.xml")` is the module [`Config::generate`] makes
//!   for the file, through the same code path.
//! * [`expand_derive`]: `#[derive(Lwm2mObject)]` binds a struct's fields (and methods) to the
//!   resources of an object definition, checks the binding against the XML and implements the
//!   runtime's `Object` for it.
//!
//! Files are found relative to the directory in the `LWM2M_MACROS_MANIFEST_DIR` variable when
//! it is set (the compile-fail tests point it at the workspace), else `CARGO_MANIFEST_DIR`.
//! Errors are spanned at what the user wrote and all errors of one invocation are reported
//! together.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Data, DeriveInput, Expr, ExprLit, Fields, GenericArgument, Ident, Lit, LitInt, LitStr,
    PathArguments, Token, Type,
};

use crate::config::{Config, Error as ConfigError, Source};
use crate::emit::{module_name, resource_names};
use crate::ident::Name;
use crate::model::{Multiplicity, Object, Requirement, Resource, ResourceType};

/// The variable read before `CARGO_MANIFEST_DIR` to resolve XML paths.
pub const MANIFEST_DIR_OVERRIDE: &str = "LWM2M_MACROS_MANIFEST_DIR";

/// The directory XML paths are relative to.
fn base_dir() -> PathBuf {
    std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Collects every error of one expansion, serde's `Ctxt` style.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// An error spanning all of `tokens` (a whole type or attribute, not its first token).
    fn spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn into_compile_errors(self) -> TokenStream {
        self.0.map(|e| e.into_compile_error()).unwrap_or_default()
    }
}

/// A definition file read and generated for a macro.
struct Loaded {
    objects: Vec<Object>,
    tokens: TokenStream,
    /// `const _: &[u8] = include_bytes!(...)` for each file, so editing it rebuilds the crate.
    tracking: TokenStream,
}

/// Reads `path` (and the override table, if any) relative to [`base_dir`] and generates.
/// Every failure is an error spanned on the literal that named the file, with the file as the
/// user wrote it (never an absolute path) and the parser's `line:col`.
fn load(
    path: &LitStr,
    overrides: Option<&LitStr>,
    only: Option<u16>,
) -> Result<Loaded, syn::Error> {
    let base = base_dir();
    let read = |lit: &LitStr| -> Result<(PathBuf, Vec<u8>), syn::Error> {
        let abs = base.join(lit.value());
        let bytes = std::fs::read(&abs).map_err(|e| {
            syn::Error::new(
                lit.span(),
                format!("cannot read {}: {}", lit.value(), io_reason(&e)),
            )
        })?;
        Ok((abs, bytes))
    };
    let (abs, bytes) = read(path)?;
    let mut config = Config::new();
    let mut tracked = vec![abs];
    if let Some(lit) = overrides {
        let (abs, _) = read(lit)?;
        config.overrides_file(&abs);
        tracked.push(abs);
    }
    let source = Source {
        name: path.value(),
        bytes,
    };
    let generated = config.generate_only(&[source], only).map_err(|e| match e {
        ConfigError::Definitions(diagnostics) => {
            let mut errors = Errors::default();
            for d in diagnostics.errors() {
                errors.at(path.span(), d);
            }
            errors
                .0
                .unwrap_or_else(|| syn::Error::new(path.span(), "invalid definition"))
        }
        ConfigError::Overrides(message) => {
            syn::Error::new(overrides.map_or(path.span(), LitStr::span), message)
        }
        other => syn::Error::new(path.span(), other),
    })?;
    let tracking = tracked.iter().map(|p| {
        let p = p.display().to_string();
        quote!(
            const _: &[u8] = include_bytes!(#p);
        )
    });
    let tokens = generated.tokens();
    Ok(Loaded {
        objects: generated.objects,
        tokens,
        tracking: quote!(#(#tracking)*),
    })
}

/// `No such file or directory`, without the OS error number.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "no such file (paths are relative to the crate's Cargo.toml)".to_owned()
        }
        _ => e.to_string(),
    }
}

/// The arguments of `object!`: a path, and optionally `overrides = "..."`.
struct ObjectArgs {
    path: LitStr,
    overrides: Option<LitStr>,
}

impl Parse for ObjectArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the path of an object definition, e.g. object!(\"objects/xml/5.xml\")",
            )
        })?;
        let mut overrides = None;
        while input.parse::<Token![,]>().is_ok() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "overrides" {
                return Err(syn::Error::new(
                    key.span(),
                    unknown_key(&key.to_string(), &["overrides"]),
                ));
            }
            input.parse::<Token![=]>()?;
            overrides = Some(input.parse()?);
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the path"));
        }
        Ok(Self { path, overrides })
    }
}

/// `object!("path.xml")`: the generated module(s) of the file.
pub fn expand_object(input: TokenStream) -> syn::Result<TokenStream> {
    let args: ObjectArgs = syn::parse2(input)?;
    let loaded = load(&args.path, args.overrides.as_ref(), None)?;
    let (tokens, tracking) = (loaded.tokens, loaded.tracking);
    Ok(quote!(#tracking #tokens))
}

/// "unknown key `resouce`; did you mean `resource`?" or the list of keys.
fn unknown_key(key: &str, allowed: &[&str]) -> String {
    let close = allowed
        .iter()
        .map(|a| (edit_distance(key, a), *a))
        .filter(|&(d, a)| d <= 2.max(a.len() / 3))
        .min();
    match close {
        Some((_, a)) => format!("unknown key `{key}`; did you mean `{a}`?"),
        None => format!(
            "unknown key `{key}`; expected one of: {}",
            allowed.join(", ")
        ),
    }
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            prev = current;
        }
    }
    row[b.len()]
}

const STRUCT_KEYS: &[&str] = &[
    "xml",
    "id",
    "instance",
    "overrides",
    "resource",
    "read",
    "write",
    "execute",
];
const FIELD_KEYS: &[&str] = &["resource", "skip"];

/// A resource delegated to methods: `#[lwm2m(resource = 4, execute = "reboot")]`.
struct Delegate {
    resource: LitInt,
    read: Option<Ident>,
    write: Option<Ident>,
    execute: Option<Ident>,
}

/// The struct-level keys.
#[derive(Default)]
struct StructAttrs {
    xml: Option<LitStr>,
    overrides: Option<LitStr>,
    id: Option<LitInt>,
    instance: Option<LitInt>,
    delegates: Vec<Delegate>,
}

fn parse_struct_attrs(input: &DeriveInput, errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("lwm2m")) {
        let mut delegate: Option<LitInt> = None;
        let (mut read, mut write, mut execute) = (None, None, None);
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let method = |meta: &syn::meta::ParseNestedMeta<'_>| -> syn::Result<Ident> {
                let lit: LitStr = meta.value()?.parse()?;
                syn::parse_str::<Ident>(&lit.value())
                    .map(|i| Ident::new(&i.to_string(), lit.span()))
                    .map_err(|_| {
                        syn::Error::new(lit.span(), "expected a method name, e.g. \"reboot\"")
                    })
            };
            match key.as_str() {
                "xml" => out.xml = Some(meta.value()?.parse()?),
                "overrides" => out.overrides = Some(meta.value()?.parse()?),
                "id" => out.id = Some(meta.value()?.parse()?),
                "instance" => out.instance = Some(meta.value()?.parse()?),
                "resource" => delegate = Some(meta.value()?.parse()?),
                "read" => read = Some(method(&meta)?),
                "write" => write = Some(method(&meta)?),
                "execute" => execute = Some(method(&meta)?),
                other => return Err(meta.error(unknown_key(other, STRUCT_KEYS))),
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(e);
            continue;
        }
        match delegate {
            Some(resource) if read.is_some() || write.is_some() || execute.is_some() => {
                out.delegates.push(Delegate { resource, read, write, execute });
            }
            Some(resource) => errors.at(
                resource.span(),
                "a struct-level `resource = N` needs the methods that serve it: `read = \"...\"`, `write = \"...\"` or `execute = \"...\"`",
            ),
            None if read.is_some() || write.is_some() || execute.is_some() => errors.spanned(
                attr,
                "`read`, `write` and `execute` name the methods of one resource: add `resource = N`",
            ),
            None => {}
        }
    }
    out
}

/// How a field is bound.
enum FieldBinding {
    Skip,
    Resource(LitInt),
    ByName,
}

/// How a field is bound; a field whose attribute has an error is left out, so that one
/// mistake gives one error.
fn parse_field_attrs(field: &syn::Field, errors: &mut Errors) -> FieldBinding {
    let mut binding = FieldBinding::ByName;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("lwm2m")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "skip" => binding = FieldBinding::Skip,
                "resource" => binding = FieldBinding::Resource(meta.value()?.parse()?),
                other => return Err(meta.error(unknown_key(other, FIELD_KEYS))),
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(e);
            return FieldBinding::Skip;
        }
    }
    binding
}

/// A Rust type as the derive understands it.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldType {
    /// A fixed-width integer and its range.
    Int {
        /// `u8`, `i64`, ...
        name: String,
        /// Smallest value.
        min: i128,
        /// Largest value.
        max: i128,
    },
    /// `f64`.
    F64,
    /// `bool`.
    Bool,
    /// `heapless::String<N>` (`None` when N is not a literal).
    HeaplessString(Option<u64>),
    /// `heapless::Vec<u8, N>`.
    HeaplessVec(Option<u64>),
    /// `lwm2m_runtime::Time`.
    Time,
    /// `lwm2m_runtime::ObjLink`.
    ObjLink,
    /// `Option<T>`.
    Option(Box<FieldType>),
    /// `lwm2m_runtime::Instances<T, N>`.
    Instances(Box<FieldType>),
    /// A type the derive cannot see into (a generated enum, a newtype): it must implement
    /// `ValueType`, which the compiler checks; its range cannot be checked here.
    Other,
    /// A type that never fits, with the reason and what to use instead.
    Refused(String),
}

fn const_arg(arg: &GenericArgument) -> Option<u64> {
    match arg {
        GenericArgument::Const(Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        })) => n.base10_parse().ok(),
        _ => None,
    }
}

/// Reads a field type.
pub fn field_type(ty: &Type) -> FieldType {
    let Type::Path(path) = ty else {
        return FieldType::Other;
    };
    let Some(last) = path.path.segments.last() else {
        return FieldType::Other;
    };
    let args: Vec<&GenericArgument> = match &last.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().collect(),
        _ => Vec::new(),
    };
    let inner = |arg: Option<&&GenericArgument>| match arg {
        Some(GenericArgument::Type(t)) => field_type(t),
        _ => FieldType::Other,
    };
    let int = |name: &str, min: i128, max: i128| FieldType::Int {
        name: name.to_owned(),
        min,
        max,
    };
    match (last.ident.to_string().as_str(), args.len()) {
        ("u8", 0) => int("u8", 0, u8::MAX.into()),
        ("u16", 0) => int("u16", 0, u16::MAX.into()),
        ("u32", 0) => int("u32", 0, u32::MAX.into()),
        ("u64", 0) => int("u64", 0, u64::MAX.into()),
        ("i8", 0) => int("i8", i8::MIN.into(), i8::MAX.into()),
        ("i16", 0) => int("i16", i16::MIN.into(), i16::MAX.into()),
        ("i32", 0) => int("i32", i32::MIN.into(), i32::MAX.into()),
        ("i64", 0) => int("i64", i64::MIN.into(), i64::MAX.into()),
        ("usize" | "isize", 0) => {
            FieldType::Refused("its width depends on the target: use a fixed-width integer".into())
        }
        ("f64", 0) => FieldType::F64,
        ("f32", 0) => {
            FieldType::Refused("LwM2M floats are read and written as f64: use f64".into())
        }
        ("bool", 0) => FieldType::Bool,
        ("String", 1) => FieldType::HeaplessString(args.first().and_then(|a| const_arg(a))),
        ("String", 0) => FieldType::Refused("`String` allocates: use heapless::String<N>".into()),
        ("str", 0) => FieldType::Refused("use heapless::String<N>".into()),
        ("Vec", 2) => FieldType::HeaplessVec(args.get(1).and_then(|a| const_arg(a))),
        ("Vec", 1) => FieldType::Refused("`Vec` allocates: use heapless::Vec<u8, N>".into()),
        ("Time", 0) => FieldType::Time,
        ("ObjLink", 0) => FieldType::ObjLink,
        ("Option", 1) => FieldType::Option(Box::new(inner(args.first()))),
        ("Instances", 2) => FieldType::Instances(Box::new(inner(args.first()))),
        _ => FieldType::Other,
    }
}

/// The Rust type a resource's values suggest, for messages.
fn suggestion(r: &Resource) -> String {
    let bounds = r.constraint.int_bounds();
    let single = match r.value_kind() {
        ResourceType::Integer => bounds
            .map_or("i64", |(lo, hi)| crate::emit::narrowest_name(lo, hi))
            .to_owned(),
        ResourceType::UnsignedInteger => bounds
            .map_or("u64", |(lo, hi)| crate::emit::narrowest_name(lo, hi))
            .to_owned(),
        ResourceType::Float => "f64".to_owned(),
        ResourceType::Boolean => "bool".to_owned(),
        ResourceType::String | ResourceType::Corelnk => {
            format!(
                "heapless::String<{}>",
                r.constraint
                    .max_len()
                    .map_or("N".to_owned(), |n| n.to_string())
            )
        }
        ResourceType::Opaque => {
            format!(
                "heapless::Vec<u8, {}>",
                r.constraint
                    .max_len()
                    .map_or("N".to_owned(), |n| n.to_string())
            )
        }
        ResourceType::Time => "lwm2m_runtime::Time".to_owned(),
        ResourceType::Objlnk => "lwm2m_runtime::ObjLink".to_owned(),
        ResourceType::None => "()".to_owned(),
    };
    match r.multiplicity {
        Multiplicity::Multiple => format!("lwm2m_runtime::Instances<{single}, N>"),
        Multiplicity::Single => single,
    }
}

/// `resource 2 `Radio Signal Strength` (R, Integer, 0..50)`.
fn describe(r: &Resource) -> String {
    let mut facts: Vec<String> = [r.operations.as_str(), r.value_kind().as_str()]
        .iter()
        .filter(|f| !f.is_empty())
        .map(|f| (*f).to_owned())
        .collect();
    if r.multiplicity == Multiplicity::Multiple {
        facts.push("multiple".to_owned());
    }
    match (
        &r.constraint,
        r.constraint.int_bounds(),
        r.constraint.max_len(),
    ) {
        (_, Some((lo, hi)), _) => facts.push(format!("{lo}..{hi}")),
        (_, _, Some(n)) => facts.push(format!("up to {n} bytes")),
        _ => {}
    }
    format!("resource {} `{}` ({})", r.id, r.name, facts.join(", "))
}

/// Whether a writable resource is streamed (an unbounded writable Opaque): no field can hold it.
fn streamed(r: &Resource) -> bool {
    r.value_kind() == ResourceType::Opaque
        && r.constraint.max_len().is_none()
        && r.operations.is_writable()
        && r.multiplicity == Multiplicity::Single
}

/// Checks that a field of type `ty` can hold resource `r`; the message says what to use.
pub fn check_field(ty: &FieldType, r: &Resource) -> Result<(), String> {
    let what = describe(r);
    let use_instead = suggestion(r);
    if r.value_kind() == ResourceType::None {
        return Err(format!(
            "{what} is executable, so it has no value to hold: serve it with a method, `#[lwm2m(resource = {}, execute = \"...\")]` on the struct",
            r.id
        ));
    }
    if streamed(r) {
        return Err(format!(
            "{what} is unbounded and writable, so it arrives in chunks and cannot be a field: serve it with `#[lwm2m(resource = {}, write = \"...\")]` on the struct (the method takes a lwm2m_runtime::Chunk)",
            r.id
        ));
    }
    let ty = match (ty, r.requirement) {
        (FieldType::Option(_), Requirement::Mandatory) => {
            return Err(format!(
                "{what} is mandatory, so it always has a value: use `{use_instead}` rather than an Option"
            ));
        }
        (FieldType::Option(inner), Requirement::Optional) => inner.as_ref(),
        (ty, _) => ty,
    };
    let single = match (ty, r.multiplicity) {
        (FieldType::Instances(inner), Multiplicity::Multiple) => inner.as_ref(),
        (_, Multiplicity::Multiple) => {
            return Err(format!(
                "{what} has multiple instances, so a single value cannot hold it: use `{use_instead}`"
            ));
        }
        (FieldType::Instances(_), Multiplicity::Single) => {
            return Err(format!(
                "{what} has a single instance: use `{use_instead}`, not Instances"
            ));
        }
        (ty, Multiplicity::Single) => ty,
    };
    check_single(single, r, &what, &use_instead)
}

fn check_single(ty: &FieldType, r: &Resource, what: &str, use_instead: &str) -> Result<(), String> {
    use ResourceType as T;
    let mismatch = || {
        Err(format!(
            "`{}` cannot hold {what}: use `{use_instead}`",
            type_name(ty)
        ))
    };
    match (ty, r.value_kind()) {
        (FieldType::Refused(why), _) => Err(format!("{why} ({what})")),
        (FieldType::Other, _) => Ok(()),
        (FieldType::Int { name, min, max }, T::Integer | T::UnsignedInteger) => {
            let needed = match r.constraint.int_bounds() {
                Some(bounds) => Some(bounds),
                // With no declared range the server may write any value of the type.
                None if r.operations.is_writable() => Some(if r.value_kind() == T::Integer {
                    (i64::MIN.into(), i64::MAX.into())
                } else {
                    (0, u64::MAX.into())
                }),
                None => None,
            };
            match needed {
                Some((lo, hi)) if lo < *min || hi > *max => Err(format!(
                    "`{name}` cannot hold every value of {what}{}: use `{use_instead}`",
                    if r.constraint.int_bounds().is_none() {
                        ", which has no declared range and is writable"
                    } else {
                        ""
                    }
                )),
                _ => Ok(()),
            }
        }
        (FieldType::F64, T::Float) | (FieldType::Bool, T::Boolean) | (FieldType::Time, T::Time) => {
            Ok(())
        }
        (FieldType::ObjLink, T::Objlnk) => Ok(()),
        (FieldType::HeaplessString(cap), T::String | T::Corelnk)
        | (FieldType::HeaplessVec(cap), T::Opaque) => match (cap, r.constraint.max_len()) {
            (Some(cap), Some(max)) if *cap < max => Err(format!(
                "`{}` is shorter than {what}: use `{use_instead}`",
                type_name(ty)
            )),
            _ => Ok(()),
        },
        _ => mismatch(),
    }
}

fn type_name(ty: &FieldType) -> String {
    let n = |cap: &Option<u64>| cap.map_or("N".to_owned(), |c| c.to_string());
    match ty {
        FieldType::Int { name, .. } => name.clone(),
        FieldType::F64 => "f64".into(),
        FieldType::Bool => "bool".into(),
        FieldType::HeaplessString(cap) => format!("heapless::String<{}>", n(cap)),
        FieldType::HeaplessVec(cap) => format!("heapless::Vec<u8, {}>", n(cap)),
        FieldType::Time => "Time".into(),
        FieldType::ObjLink => "ObjLink".into(),
        FieldType::Option(inner) => format!("Option<{}>", type_name(inner)),
        FieldType::Instances(inner) => format!("Instances<{}, N>", type_name(inner)),
        FieldType::Other | FieldType::Refused(_) => "this type".into(),
    }
}

/// One resource as the struct serves it.
enum Served<'a> {
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
struct Binding<'a> {
    r: &'a Resource,
    name: &'a Name,
    served: Served<'a>,
    span: Span,
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

/// Whether an attribute is exactly `#[lwm2m(skip)]`.
fn is_skip(attr: &syn::Attribute) -> bool {
    attr.parse_args::<Ident>().is_ok_and(|i| i == "skip")
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

/// The `Object` and `Typed` impls for a struct whose bindings all checked.
fn generate(
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
