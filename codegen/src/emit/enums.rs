//! The enum of a resource's named values (`State`, `UpdateResult`), with its conversions.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs::{doc_escape, docs};
use super::plan::EnumPlan;

pub(super) fn emit_enum(e: &EnumPlan) -> TokenStream {
    let ident = &e.ident;
    let repr = format_ident!("{}", e.repr);
    let default_index = e.variants.iter().position(|(_, v, _)| *v == 0).unwrap_or(0);
    let variants = e.variants.iter().enumerate().map(|(i, (v, value, label))| {
        let doc = docs(&format!("`{value}`: {}", doc_escape(label)));
        let discriminant = Literal::i64_unsuffixed(*value);
        let default = (i == default_index).then(|| quote!(#[default]));
        quote! {
            #doc
            #default
            #v = #discriminant
        }
    });
    let names: Vec<&Ident> = e.variants.iter().map(|(v, _, _)| v).collect();
    let values = e
        .variants
        .iter()
        .map(|(_, value, _)| Literal::i64_unsuffixed(*value));
    let labels = e.variants.iter().map(|(_, _, label)| label);
    let doc = docs(&if e.exhaustive {
        "The values the definition names; the resource holds nothing else.".to_owned()
    } else {
        format!(
            "The values the definition names. The resource may hold other values too, so its value type is `{}`; convert with `TryFrom`.",
            e.repr
        )
    });
    let to_value = if e.unsigned {
        quote!(::lwm2m_runtime::Value::Unsigned(*self as u64))
    } else {
        quote!(::lwm2m_runtime::Value::Integer(*self as i64))
    };
    let widen = if e.repr == "u64" {
        quote!(i64::try_from(v).ok())
    } else {
        quote!(::core::option::Option::Some(i64::from(v)))
    };
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(#repr)]
        pub enum #ident {
            #(#variants,)*
        }

        const _: () = {
            impl ::lwm2m_runtime::Enumeration for #ident {
                const VARIANTS: &'static [Self] = &[#(Self::#names),*];

                fn value(self) -> i64 {
                    self as i64
                }

                fn from_value(value: i64) -> ::core::option::Option<Self> {
                    match value {
                        #(#values => ::core::option::Option::Some(Self::#names),)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn label(self) -> &'static str {
                    match self {
                        #(Self::#names => #labels,)*
                    }
                }
            }

            impl ::lwm2m_runtime::ValueType for #ident {
                fn to_value(&self) -> ::lwm2m_runtime::Value<'_> {
                    #to_value
                }

                fn from_value(value: &::lwm2m_runtime::Value<'_>) -> ::core::result::Result<Self, ::lwm2m_runtime::Error> {
                    value
                        .as_i64()
                        .and_then(<Self as ::lwm2m_runtime::Enumeration>::from_value)
                        .ok_or(::lwm2m_runtime::Error::BadRequest)
                }
            }

            impl ::core::convert::From<#ident> for #repr {
                fn from(value: #ident) -> Self {
                    value as #repr
                }
            }

            impl ::core::convert::TryFrom<#repr> for #ident {
                type Error = ::lwm2m_runtime::UnknownValue;

                fn try_from(v: #repr) -> ::core::result::Result<Self, ::lwm2m_runtime::UnknownValue> {
                    #widen
                        .and_then(<Self as ::lwm2m_runtime::Enumeration>::from_value)
                        .ok_or(::lwm2m_runtime::UnknownValue(v as i64))
                }
            }
        };
    }
}
