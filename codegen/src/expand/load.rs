//! Finding, reading and generating the definition file a macro names.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use super::Errors;
use crate::config::{Config, Error as ConfigError, Source};
use crate::model::Object;

/// The variable read before `CARGO_MANIFEST_DIR` to resolve XML paths.
pub const MANIFEST_DIR_OVERRIDE: &str = "LWM2M_MACROS_MANIFEST_DIR";

/// The directory XML paths are relative to.
fn base_dir() -> PathBuf {
    std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// A definition file read and generated for a macro.
pub(super) struct Loaded {
    pub(super) objects: Vec<Object>,
    pub(super) tokens: TokenStream,
    /// `const _: &[u8] = include_bytes!(...)` for each file, so editing it rebuilds the crate.
    pub(super) tracking: TokenStream,
}

/// Reads `path` (and the override table, if any) relative to [`base_dir`] and generates.
/// Every failure is an error spanned on the literal that named the file, with the file as the
/// user wrote it (never an absolute path) and the parser's `line:col`.
pub(super) fn load(
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
