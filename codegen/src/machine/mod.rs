//! State machines written as data beside an object's XML, such as `5.machine.toml` for
//! Firmware Update: which event moves the state resource from where to where, and which
//! values of the result resource each edge may set.
//!
//! ```toml
//! object = 5            # the object the machine belongs to
//! state = 3             # the resource holding the state
//! result = 5            # the resource holding the result
//! initial = { state = "Idle", result = "Initial" }
//!
//! [[transition]]
//! event = "start_download"          # the method of the typestate handle (snake_case)
//! from = ["Idle"]                   # variants of the state's generated enum
//! to = "Downloading"
//! results = ["Initial"]             # variants of the result's generated enum
//! doc = "A server writes Package or Package URI."
//!
//! [[transition]]
//! event = "failed"
//! from = ["Downloading"]
//! to = "Idle"
//! results = ["NotEnoughFlash", "OutOfRam", "ConnectionLost"]
//! results-name = "DownloadFailure"  # an edge with several results takes one of this enum
//! ```
//!
//! States and results are named as the generated enums name them (after overrides), so the
//! file reads like the code it produces. [`parse`] reads a file into a [`MachineFile`],
//! [`resolve`] checks it against the objects and their enums (every error with its
//! `file:line:col`), and [`emit`](emit::emit) writes the object's `machine` module.

mod emit;
mod parse;
mod resolve;

pub use emit::emit;
pub use parse::parse;
pub use resolve::{EnumNames, resolve};

use crate::model::Span;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it starts in the machine file.
    pub span: Span,
}

/// A machine file as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineFile {
    /// The file, as the caller named it.
    pub file: String,
    /// `object`.
    pub object: Located<u16>,
    /// `state`: the resource holding the state.
    pub state: Located<u16>,
    /// `result`: the resource holding the result.
    pub result: Located<u16>,
    /// `initial.state`.
    pub initial_state: Located<String>,
    /// `initial.result`.
    pub initial_result: Located<String>,
    /// The `[[transition]]` tables, in file order.
    pub transitions: Vec<Edge>,
}

/// One `[[transition]]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Where the table starts.
    pub span: Span,
    /// `event`.
    pub event: Located<String>,
    /// `from`.
    pub from: Vec<Located<String>>,
    /// `to`.
    pub to: Located<String>,
    /// `results`.
    pub results: Vec<Located<String>>,
    /// `results-name`, required when `results` has more than one value.
    pub results_name: Option<Located<String>>,
    /// `doc`, empty when absent.
    pub doc: String,
}

/// A machine checked against its object: every name resolved to a variant of its enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// The file it came from (its last path component, for documentation).
    pub file: String,
    /// The object.
    pub object: u16,
    /// The state resource, its enum and its variants `(name, value)`.
    pub state: (u16, EnumNames),
    /// The state resource's name (`State`), for documentation.
    pub state_label: String,
    /// The result resource's name (`Update Result`), for documentation.
    pub result_label: String,
    /// The result resource, its enum and its variants.
    pub result: (u16, EnumNames),
    /// The initial state and result (variant names).
    pub initial: (String, String),
    /// The edges, one per `(event, from)` pair, in file order.
    pub edges: Vec<ResolvedEdge>,
    /// The enums of edges with several results: name and variants, in file order.
    pub result_sets: Vec<(String, Vec<String>)>,
}

/// One edge, from one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedEdge {
    /// The event, `snake_case`.
    pub event: String,
    /// The state it leaves.
    pub from: String,
    /// The state it reaches.
    pub to: String,
    /// The results it may set.
    pub results: Vec<String>,
    /// The enum a handle's method takes when there are several results.
    pub results_name: Option<String>,
    /// What the edge means.
    pub doc: String,
}
