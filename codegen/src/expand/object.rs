//! `object!("objects/xml/5.xml")`: the module(s) of a definition file.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

use super::load::load;
use super::unknown_key;

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
