//! The object model: plain data read from a definition file, with the OMA spellings.
//!
//! The parser builds it and the emitter reads it; neither the checks nor the emitter ever see
//! XML. The enums describing operations, types, multiplicity and requirement each have
//! `parse_str`/`as_str` in the exact OMA spelling. The generator depends on no runtime crate
//! (as prost-build does not depend on prost): these are its own, with the same variants as the
//! runtime's `lwm2m_runtime::spec` enums, which the emitter names by absolute path. A test in
//! the workspace's `tests` crate proves the two agree variant by variant.

use std::fmt;

use crate::range::{Constraint, Label, RangeEnumeration};

/// `<Operations>`: what a LwM2M server may do with a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operations {
    /// Empty `<Operations>`: no operation for a normal server (bootstrap-only resources).
    None,
    /// `R`: Read (and Observe, Discover).
    Read,
    /// `W`: Write.
    Write,
    /// `RW`: Read and Write.
    ReadWrite,
    /// `E`: Execute.
    Execute,
}

impl Operations {
    /// Every value, in the order the definition format lists them.
    pub const ALL: [Self; 5] = [
        Self::Read,
        Self::Write,
        Self::ReadWrite,
        Self::Execute,
        Self::None,
    ];

    /// `true` for `R` and `RW`.
    pub const fn is_readable(self) -> bool {
        matches!(self, Self::Read | Self::ReadWrite)
    }

    /// `true` for `W` and `RW`.
    pub const fn is_writable(self) -> bool {
        matches!(self, Self::Write | Self::ReadWrite)
    }

    /// `true` for `E`.
    pub const fn is_executable(self) -> bool {
        matches!(self, Self::Execute)
    }

    /// Reads the exact spelling of the definition format (see [`Operations::as_str`]).
    pub fn parse_str(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The spelling used in object definitions: `""`, `"R"`, `"W"`, `"RW"` or `"E"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Read => "R",
            Self::Write => "W",
            Self::ReadWrite => "RW",
            Self::Execute => "E",
        }
    }
}

/// `<Type>`: the data type of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// Empty `<Type>`: executable resources carry no value.
    None,
    /// `String`: UTF-8 text.
    String,
    /// `Integer`: signed, up to 64 bits.
    Integer,
    /// `Unsigned Integer`: up to 64 bits (LwM2M 1.1 and later).
    UnsignedInteger,
    /// `Float`: IEEE 754, 32 or 64 bits on the wire.
    Float,
    /// `Boolean`.
    Boolean,
    /// `Opaque`: bytes.
    Opaque,
    /// `Time`: seconds since the Unix epoch.
    Time,
    /// `Objlnk`: a link to an object instance.
    Objlnk,
    /// `Corelnk`: CoRE link format text (LwM2M 1.1 and later).
    Corelnk,
}

impl ResourceType {
    /// Every value, in the order the definition format lists them.
    pub const ALL: [Self; 10] = [
        Self::String,
        Self::Integer,
        Self::Float,
        Self::Boolean,
        Self::Opaque,
        Self::Time,
        Self::Objlnk,
        Self::UnsignedInteger,
        Self::Corelnk,
        Self::None,
    ];

    /// Reads the exact spelling of the definition format (see [`ResourceType::as_str`]).
    pub fn parse_str(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The spelling used in object definitions, e.g. `"Unsigned Integer"` or `"Objlnk"`; `""`
    /// for [`ResourceType::None`].
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::String => "String",
            Self::Integer => "Integer",
            Self::UnsignedInteger => "Unsigned Integer",
            Self::Float => "Float",
            Self::Boolean => "Boolean",
            Self::Opaque => "Opaque",
            Self::Time => "Time",
            Self::Objlnk => "Objlnk",
            Self::Corelnk => "Corelnk",
        }
    }
}

/// `<MultipleInstances>`: one instance, or possibly several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Multiplicity {
    /// `Single`.
    Single,
    /// `Multiple`.
    Multiple,
}

impl Multiplicity {
    /// Every value.
    pub const ALL: [Self; 2] = [Self::Single, Self::Multiple];

    /// Reads the exact spelling of the definition format.
    pub fn parse_str(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The spelling used in object definitions: `"Single"` or `"Multiple"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Single => "Single",
            Self::Multiple => "Multiple",
        }
    }
}

/// `<Mandatory>`: whether a client must implement an object or resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// `Mandatory`.
    Mandatory,
    /// `Optional`.
    Optional,
}

impl Requirement {
    /// Every value.
    pub const ALL: [Self; 2] = [Self::Mandatory, Self::Optional];

    /// Reads the exact spelling of the definition format.
    pub fn parse_str(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The spelling used in object definitions: `"Mandatory"` or `"Optional"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mandatory => "Mandatory",
            Self::Optional => "Optional",
        }
    }
}

/// A `major.minor` version, as in `<ObjectVersion>` and `<LWM2MVersion>`; ordered by major,
/// then minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The part before the dot.
    pub major: u8,
    /// The part after the dot.
    pub minor: u8,
}

impl Version {
    /// Builds `major.minor`.
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for Version {
    /// `1.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

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
    /// The type values are generated with: the declared one, except that an executable
    /// resource has no value whatever its `<Type>` says, and a resource which is not
    /// executable but has no `<Type>` is treated as Opaque (both warnings of [`crate::check`]).
    pub fn value_kind(&self) -> ResourceType {
        value_kind(self.kind, self.operations)
    }

    /// How diagnostics name this resource: `Item ID="3" (State)`.
    pub fn context(&self) -> String {
        format!("Item ID=\"{}\" ({})", self.id, self.name)
    }
}

/// The type values of a resource declared `kind` with `operations` are generated with: `kind`,
/// except that an executable resource carries no value (its `<Type>` is ignored) and a
/// resource which is not executable but has no `<Type>` is treated as Opaque.
pub fn value_kind(kind: ResourceType, operations: Operations) -> ResourceType {
    match (kind, operations) {
        (_, Operations::Execute) => ResourceType::None,
        (ResourceType::None, _) => ResourceType::Opaque,
        (kind, _) => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_the_oma_ones_and_read_back() {
        let spelled: Vec<&str> = ResourceType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "String",
                "Integer",
                "Float",
                "Boolean",
                "Opaque",
                "Time",
                "Objlnk",
                "Unsigned Integer",
                "Corelnk",
                ""
            ]
        );
        let ops: Vec<&str> = Operations::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(ops, ["R", "W", "RW", "E", ""]);
        for t in ResourceType::ALL {
            assert_eq!(ResourceType::parse_str(t.as_str()), Some(t));
        }
        for o in Operations::ALL {
            assert_eq!(Operations::parse_str(o.as_str()), Some(o));
        }
        for m in Multiplicity::ALL {
            assert_eq!(Multiplicity::parse_str(m.as_str()), Some(m));
        }
        for r in Requirement::ALL {
            assert_eq!(Requirement::parse_str(r.as_str()), Some(r));
        }
        assert_eq!(ResourceType::parse_str("UnsignedInteger"), None);
        assert_eq!(ResourceType::parse_str("string"), None);
        assert_eq!(Operations::parse_str("Read"), None);
        assert_eq!(Multiplicity::parse_str("single"), None);
    }

    #[test]
    fn operations_say_what_they_allow() {
        let allowed: Vec<(bool, bool, bool)> = Operations::ALL
            .iter()
            .map(|o| (o.is_readable(), o.is_writable(), o.is_executable()))
            .collect();
        assert_eq!(
            allowed,
            [
                (true, false, false),
                (false, true, false),
                (true, true, false),
                (false, false, true),
                (false, false, false)
            ]
        );
    }

    #[test]
    fn versions_display_and_order_as_numbers() {
        assert_eq!(Version::new(1, 2).to_string(), "1.2");
        assert!(Version::new(1, 10) > Version::new(1, 2));
        assert!(Version::new(2, 0) > Version::new(1, 10));
    }
}
