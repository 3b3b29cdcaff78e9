//! Proc-macros that bind a firmware crate's types to OMA LwM2M object definitions at compile
//! time. Each is a thin entry point into `lwm2m_codegen::expand`, where the logic and its
//! unit tests live.
//!
//! * [`object!`] expands to the typed module of an object definition, exactly what
//!   `lwm2m_codegen::Config` generates from `build.rs`, without a build script.
//! * [`derive@Lwm2mObject`] checks a struct against an object definition and implements the
//!   runtime's `Object` (read, write and execute dispatch) and `Typed` for it.
//!
//! Paths are relative to the crate's `Cargo.toml` (`CARGO_MANIFEST_DIR`; the variable
//! `LWM2M_MACROS_MANIFEST_DIR` is read first). Editing the XML rebuilds the crate.
//!
//! # Deriving an object
//!
//! ```
//! use lwm2m_macros::Lwm2mObject;
//! use lwm2m_runtime::{Error, ExecuteArgs, Instances, Object, ReadSink, Value};
//!
//! /// Object 4, Connectivity Monitoring, from a plain struct the radio driver fills.
//! #[derive(Lwm2mObject)]
//! #[lwm2m(xml = "../objects/xml/4.xml")]
//! struct Radio {
//!     network_bearer: u8,                       // resource 0, bound by name; 0..50 fits a u8
//!     #[lwm2m(resource = 1)]
//!     bearers: Instances<u8, 4>,                // a multiple-instance resource
//!     radio_signal_strength: i16,               // read-only, no declared range: any integer
//!     link_quality: Option<i64>,                // optional: None reads as 4.04 Not Found
//!     ip_addresses: Instances<heapless::String<40>, 2>,
//!     #[lwm2m(skip)]
//!     last_scan_ms: u32,                        // not a resource
//! }
//!
//! struct First(Option<i64>);
//! impl ReadSink for First {
//!     fn value(&mut self, _: Option<u16>, value: Value<'_>) -> Result<(), Error> {
//!         self.0 = value.as_i64();
//!         Ok(())
//!     }
//! }
//!
//! let mut radio = Radio {
//!     network_bearer: 6,
//!     bearers: Instances::new(),
//!     radio_signal_strength: -87,
//!     link_quality: None,
//!     ip_addresses: Instances::new(),
//!     last_scan_ms: 0,
//! };
//! let mut first = First(None);
//! radio.read(0, 2, &mut first).unwrap();
//! assert_eq!(first.0, Some(-87));
//! assert_eq!(radio.read(0, 3, &mut first), Err(Error::NotFound));
//! assert_eq!(radio.execute(0, 2, ExecuteArgs(b"")), Err(Error::MethodNotAllowed));
//! ```
//!
//! # Attribute reference
//!
//! On the struct:
//!
//! | key | meaning | checked |
//! |---|---|---|
//! | `xml = "path"` | the object definition (required) | the file exists and parses; errors give `file:line:col` |
//! | `id = N` | which object, when the file holds several | the file has object N; required when it holds several |
//! | `instance = N` | the instance ID the struct serves (default 0) | a `u16` |
//! | `overrides = "path"` | an override table for generated names | the table parses and matches the definition |
//! | `resource = N, read = "m"` | serve resource N's Read with `fn m(&mut self, instance: u16) -> Result<T, Error>` | N exists and allows Read |
//! | `resource = N, write = "m"` | serve Write with `fn m(&mut self, instance: u16, value: T) -> Result<(), Error>` (a `Chunk` for streamed data, an `Instances` for multiple resources) | N exists and allows Write |
//! | `resource = N, execute = "m"` | serve Execute with `fn m(&mut self, instance: u16, args: ExecuteArgs<'_>) -> Result<(), Error>` | N exists and is executable |
//!
//! On a field:
//!
//! | key | meaning | checked |
//! |---|---|---|
//! | (none) | bind to the resource whose generated name is the field's name | such a resource exists ("did you mean" otherwise) |
//! | `resource = N` | bind to resource N | N exists |
//! | `skip` | the field is not a resource | |
//!
//! Every binding is checked against the definition: each mandatory resource is bound, with
//! every operation it allows; no resource is bound twice; the field type holds the resource's
//! values (an integer type covers the declared range, and a writable resource without one needs
//! the full `i64`/`u64`; `heapless::String<N>` and `heapless::Vec<u8, N>` are at least as long
//! as the declared maximum; `Instances` exactly for multiple-instance resources; `Option` only
//! for optional ones); executables and unbounded writable data are served by methods, never
//! fields. Misspelled keys get a "did you mean". The generated `write` checks each value's
//! type and range and answers 4.00 Bad Request outside them.
//!
//! Types the derive cannot see into (a generated enum, a newtype) must implement
//! `lwm2m_runtime::ValueType`, which the compiler checks; their range is not checked at compile
//! time. The types of delegated methods are checked by the compiler, not against the range.

use proc_macro::TokenStream;

/// The typed module of an object definition: `object!("objects/xml/5.xml")`, optionally with
/// `overrides = "objects/xml/overrides.toml"`.
#[proc_macro]
pub fn object(input: TokenStream) -> TokenStream {
    lwm2m_codegen::expand::expand_object(input.into())
        .unwrap_or_else(|e| e.into_compile_error())
        .into()
}

/// Binds a struct to an object definition; see the [crate documentation](crate).
#[proc_macro_derive(Lwm2mObject, attributes(lwm2m))]
pub fn derive_lwm2m_object(input: TokenStream) -> TokenStream {
    lwm2m_codegen::expand::expand_derive(input.into()).into()
}
