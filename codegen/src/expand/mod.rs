//! What the proc-macros of `lwm2m-macros` expand to. The logic lives here, in the normal
//! library, where unit tests reach it; the proc-macro crate only forwards tokens.
//!
//! * [`expand_object`]: `object!("objects/xml/5.xml")` is the module [`crate::Config::generate`] makes
//!   for the file, through the same code path.
//! * [`expand_derive`]: `#[derive(Lwm2mObject)]` binds a struct's fields (and methods) to the
//!   resources of an object definition, checks the binding against the XML and implements the
//!   runtime's `Object` for it.
//!
//! Files are found relative to the directory in the `LWM2M_MACROS_MANIFEST_DIR` variable when
//! it is set (the compile-fail tests point it at the workspace), else `CARGO_MANIFEST_DIR`.
//! Errors are spanned at what the user wrote and all errors of one invocation are reported
//! together.
//!
//! One file per job: `load` reads and generates the definition a macro names, `object` is
//! `object!`, `attrs` reads the derive's `#[lwm2m(...)]` attributes, `field_type` checks a
//! field's Rust type against its resource, `derive` binds the struct and collects every
//! error, and `impls` writes the `Object` impl of a struct whose binding checked.

mod attrs;
mod derive;
mod field_type;
mod impls;
mod load;
mod object;

use proc_macro2::{Span, TokenStream};

pub use derive::expand_derive;
pub use field_type::{FieldType, check_field, field_type};
pub use load::MANIFEST_DIR_OVERRIDE;
pub use object::expand_object;

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
