//! The object model: plain data read from a definition file, with the OMA spellings.
//!
//! The parser builds it and the emitter reads it; neither the checks nor the emitter ever see
//! XML. The enums describing operations, types and multiplicity are the runtime's own (each
//! with `parse_str`/`as_str` in the exact OMA spelling), so generated code and generator can
//! never disagree about them.

pub use lwm2m_runtime::spec::{Multiplicity, Operations, Requirement, ResourceType, Version};

use crate::range::{Constraint, Label, RangeEnumeration};

/// A 1-based line and column (in characters) in a definition file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

/// One `<Object>` of a definition file.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The file it came from, as the caller named it (used in diagnostics).
    pub file: String,
    /// Where `<Object>` starts.
    pub span: Span,
    /// `<ObjectID>`.
    pub id: u16,
    /// `<Name>`, whitespace normalised.
    pub name: String,
    /// `<Description1>`, whitespace cleaned line by line.
    pub description1: String,
    /// `<Description2>`, whitespace cleaned line by line.
    pub description2: String,
    /// `<ObjectURN>`.
    pub urn: String,
    /// `<LWM2MVersion>`, when present.
    pub lwm2m_version: Option<Version>,
    /// `<ObjectVersion>`, when present.
    pub object_version: Option<Version>,
    /// `<MultipleInstances>`.
    pub multiplicity: Multiplicity,
    /// `<Mandatory>`.
    pub requirement: Requirement,
    /// The `<Item>`s, in file order.
    pub resources: Vec<Resource>,
}

impl Object {
    /// The object version, 1.0 when the file does not declare one (as the registry specifies).
    pub fn version(&self) -> Version {
        self.object_version.unwrap_or(Version::new(1, 0))
    }

    /// The LwM2M version the object targets, 1.0 when the file does not declare one.
    pub fn lwm2m(&self) -> Version {
        self.lwm2m_version.unwrap_or(Version::new(1, 0))
    }

    /// How diagnostics name this object: `Object 5 (Firmware Update)`.
    pub fn context(&self) -> String {
        format!("Object {} ({})", self.id, self.name)
    }
}

/// One `<Item>` (resource) of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// Where `<Item>` starts.
    pub span: Span,
    /// The `ID` attribute.
    pub id: u16,
    /// `<Name>`, whitespace normalised.
    pub name: String,
    /// `<Operations>`.
    pub operations: Operations,
    /// `<MultipleInstances>`.
    pub multiplicity: Multiplicity,
    /// `<Mandatory>`.
    pub requirement: Requirement,
    /// `<Type>`.
    pub kind: ResourceType,
    /// Where the `<Type>` text is (for diagnostics about the type).
    pub kind_span: Span,
    /// `<RangeEnumeration>`, read by the grammar in [`crate::range`].
    pub range: RangeEnumeration,
    /// The values or lengths the range allows, read for this resource's type.
    pub constraint: Constraint,
    /// Named values (`0: Idle`), from the range or the description; empty when none.
    pub labels: Vec<Label>,
    /// `<Units>`, empty when none.
    pub units: String,
    /// `<Description>`, whitespace cleaned line by line.
    pub description: String,
}

impl Resource {
    /// The type values are generated with: the declared one, except that a resource which is
    /// not executable but has no `<Type>` is treated as Opaque (see [`crate::check`]).
    pub fn value_kind(&self) -> ResourceType {
        value_kind(self.kind, self.operations)
    }

    /// How diagnostics name this resource: `Item ID="3" (State)`.
    pub fn context(&self) -> String {
        format!("Item ID=\"{}\" ({})", self.id, self.name)
    }
}

/// The type values of a resource declared `kind` with `operations` are generated with: `kind`,
/// except that a resource which is not executable but has no `<Type>` is treated as Opaque.
pub fn value_kind(kind: ResourceType, operations: Operations) -> ResourceType {
    match (kind, operations) {
        (ResourceType::None, Operations::Execute) => ResourceType::None,
        (ResourceType::None, _) => ResourceType::Opaque,
        (kind, _) => kind,
    }
}
