//! Generates typed, documented `no_std` Rust APIs from OMA LwM2M object definitions.
//!
//! The pipeline, one module per step:
//!
//! ```text
//! XML --parse--> Model --check--> Model (validated) --emit--> Rust tokens
//! ```
//!
//! * [`parse`] is the only module that reads XML; [`model`] is plain data;
//! * [`range`] reads the `<RangeEnumeration>` grammar into typed values;
//! * [`check`] validates across items and collects every error;
//! * [`ident`] makes every Rust name;
//! * [`emit`] turns the model into tokens and never sees XML;
//! * [`machine`] reads state machines written as data beside the XML (`5.machine.toml`) and
//!   emits their typestate API and transition table;
//! * [`format`](mod@format) prints them as a Rust file, one module at a time, on every core;
//! * [`Config`] ties them together for `build.rs` (in the style of `prost-build`) and for the
//!   proc-macros, which call the same in-memory [`Config::generate`].
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     lwm2m_codegen::Config::new()
//!         .default_string_capacity(64)
//!         .compile(&["objects/5.xml"])?;
//!     Ok(())
//! }
//! ```
//! and in the crate: `include!(concat!(env!("OUT_DIR"), "/lwm2m_objects.rs"));`

pub mod check;
mod config;
pub mod diagnostic;
pub mod emit;
pub mod expand;
pub mod format;
pub mod ident;
pub mod machine;
pub mod model;
mod parallel;
pub mod parse;
pub mod range;
mod text;

pub use config::{
    Config, Error, Generated, OUTPUT_FILE, Source, compile, parse_overrides, write_if_changed,
};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
