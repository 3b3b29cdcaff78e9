//! What an object or resource *is*: the facts of its OMA definition, as `const` data.
//!
//! Every generated resource is a zero-sized type implementing [`ResourceSpec`]; the marker
//! traits [`Readable`], [`Writable`] and [`Executable`] are implemented only where the
//! definition's `<Operations>` allow, so typed code that writes a read-only resource does not
//! compile. The same facts are available at run time through [`ObjectInfo`] and
//! [`ResourceInfo`], which is what a generic client uses for routing and Discover.

use core::fmt;

/// Operations a LwM2M server may perform on a resource (`<Operations>` in the definition).
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

    /// Every value, in the order the definition format lists them.
    pub const ALL: [Self; 5] = [
        Self::Read,
        Self::Write,
        Self::ReadWrite,
        Self::Execute,
        Self::None,
    ];

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

/// The data type of a resource (`<Type>` in the definition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// Empty `<Type>`: executable resources carry no value.
    None,
    /// UTF-8 text.
    String,
    /// Signed integer, up to 64 bits.
    Integer,
    /// Unsigned integer, up to 64 bits (LwM2M 1.1 and later).
    UnsignedInteger,
    /// IEEE 754 floating point, 32 or 64 bits on the wire.
    Float,
    /// `true` or `false`.
    Boolean,
    /// Bytes.
    Opaque,
    /// Seconds since the Unix epoch.
    Time,
    /// A link to an object instance.
    Objlnk,
    /// CoRE link format text (LwM2M 1.1 and later).
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

    /// The spelling used in object definitions, e.g. `"Unsigned Integer"` or `"Objlnk"`.
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

/// Whether an object or resource has one instance or may have several.
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

    /// The spelling used in object definitions.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Single => "Single",
            Self::Multiple => "Multiple",
        }
    }
}

/// Whether a client must implement an object or resource.
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

    /// The spelling used in object definitions.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mandatory => "Mandatory",
            Self::Optional => "Optional",
        }
    }
}

/// A `major.minor` version, as in `<ObjectVersion>` and `<LWM2MVersion>`.
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

impl Version {
    /// `1.2`: what [`Display`](fmt::Display) writes, without core's formatting machinery.
    pub fn text(&self) -> heapless::String<7> {
        use crate::format::Digits;
        let mut text = heapless::String::new();
        // Two u8s and a dot always fit.
        let _ = text.push_str(Digits::unsigned(self.major.into()).as_str());
        let _ = text.push('.');
        let _ = text.push_str(Digits::unsigned(self.minor.into()).as_str());
        text
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The values a resource accepts, from its `<RangeEnumeration>`.
///
/// Each variant holds a union of closed intervals, sorted and disjoint. A value outside them is
/// refused on write (4.00 Bad Request). Ranges the generator could not read (prose) are not
/// enforced and appear as [`Constraint::None`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constraint {
    /// Any value of the resource type.
    None,
    /// Integer values, inclusive intervals.
    Signed(&'static [(i64, i64)]),
    /// Unsigned integer values, inclusive intervals.
    Unsigned(&'static [(u64, u64)]),
    /// Float values, inclusive intervals.
    Float(&'static [(f64, f64)]),
    /// Lengths in bytes of String, Corelnk and Opaque values, inclusive intervals.
    Length(&'static [(usize, usize)]),
}

impl Constraint {
    /// Whether an integer value is allowed. Only [`Constraint::Signed`] and
    /// [`Constraint::Unsigned`] restrict integers.
    pub fn allows_i64(&self, value: i64) -> bool {
        match *self {
            Self::Signed(set) => set.iter().any(|&(lo, hi)| lo <= value && value <= hi),
            Self::Unsigned(set) => {
                u64::try_from(value).is_ok_and(|v| set.iter().any(|&(lo, hi)| lo <= v && v <= hi))
            }
            Self::None | Self::Float(_) | Self::Length(_) => true,
        }
    }

    /// Whether an unsigned integer value is allowed. Only [`Constraint::Signed`] and
    /// [`Constraint::Unsigned`] restrict integers.
    pub fn allows_u64(&self, value: u64) -> bool {
        match *self {
            Self::Unsigned(set) => set.iter().any(|&(lo, hi)| lo <= value && value <= hi),
            Self::Signed(set) => {
                i64::try_from(value).is_ok_and(|v| set.iter().any(|&(lo, hi)| lo <= v && v <= hi))
            }
            Self::None | Self::Float(_) | Self::Length(_) => true,
        }
    }

    /// Whether a float value is allowed. NaN is never inside a range.
    pub fn allows_f64(&self, value: f64) -> bool {
        match *self {
            Self::Float(set) => set.iter().any(|&(lo, hi)| lo <= value && value <= hi),
            Self::None | Self::Signed(_) | Self::Unsigned(_) | Self::Length(_) => true,
        }
    }

    /// Whether a String, Corelnk or Opaque value of `len` bytes is allowed.
    pub fn allows_len(&self, len: usize) -> bool {
        match *self {
            Self::Length(set) => set.iter().any(|&(lo, hi)| lo <= len && len <= hi),
            Self::None | Self::Signed(_) | Self::Unsigned(_) | Self::Float(_) => true,
        }
    }
}

impl fmt::Display for Constraint {
    /// `0..247,255`, `-100..100`, `0..255 bytes`; nothing for [`Constraint::None`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: fmt::Display + PartialEq>(
            f: &mut fmt::Formatter<'_>,
            set: &[(T, T)],
        ) -> fmt::Result {
            for (i, (lo, hi)) in set.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if lo == hi {
                    write!(f, "{lo}")?;
                } else {
                    write!(f, "{lo}..{hi}")?;
                }
            }
            Ok(())
        }
        match self {
            Self::None => Ok(()),
            Self::Signed(set) => list(f, set),
            Self::Unsigned(set) => list(f, set),
            Self::Float(set) => list(f, set),
            Self::Length(set) => {
                list(f, set)?;
                f.write_str(" bytes")
            }
        }
    }
}

/// The facts of one resource definition, available at run time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceInfo {
    /// Resource ID.
    pub id: u16,
    /// Name as written in the definition (whitespace normalised); `""` when generated without
    /// names (`lwm2m-codegen`'s `Config::names(false)`).
    pub name: &'static str,
    /// Allowed operations.
    pub operations: Operations,
    /// Data type.
    pub kind: ResourceType,
    /// Single or multiple resource instances.
    pub multiplicity: Multiplicity,
    /// Mandatory or optional.
    pub requirement: Requirement,
    /// Allowed values or lengths.
    pub constraint: Constraint,
    /// Units (`""` when the definition has none, or when generated without names).
    pub units: &'static str,
}

/// The facts of one object definition, available at run time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObjectInfo {
    /// Object ID.
    pub id: u16,
    /// Name as written in the definition (whitespace normalised); `""` when generated without
    /// names (`lwm2m-codegen`'s `Config::names(false)`).
    pub name: &'static str,
    /// Object URN, e.g. `urn:oma:lwm2m:oma:5:1.2` (`""` when generated without names).
    pub urn: &'static str,
    /// `<ObjectVersion>` (1.0 when absent).
    pub object_version: Version,
    /// `<LWM2MVersion>` (1.0 when absent).
    pub lwm2m_version: Version,
    /// Single or multiple object instances.
    pub multiplicity: Multiplicity,
    /// Mandatory or optional for a client.
    pub requirement: Requirement,
    /// Every resource, sorted by ID.
    pub resources: &'static [ResourceInfo],
}

impl ObjectInfo {
    /// What to answer for an operation an object does not serve on `resource`: 4.04 Not Found
    /// when the definition has no such resource, 4.05 Method Not Allowed when it has.
    pub fn refusal(&self, resource: u16) -> crate::Error {
        match self.resource(resource) {
            Some(_) => crate::Error::MethodNotAllowed,
            None => crate::Error::NotFound,
        }
    }

    /// Whether only a Bootstrap-Server may reach the object: it has resources and none lists
    /// an operation (LwM2M Security, OSCORE). The client refuses such an object to a normal
    /// server with 4.01 Unauthorized and leaves it out of Register.
    pub fn is_bootstrap_only(&self) -> bool {
        !self.resources.is_empty()
            && self
                .resources
                .iter()
                .all(|r| r.operations == Operations::None)
    }

    /// The resource with this ID, if the object defines one.
    pub fn resource(&self, id: u16) -> Option<&'static ResourceInfo> {
        let resources: &'static [ResourceInfo] = self.resources;
        resources
            .binary_search_by_key(&id, |r| r.id)
            .ok()
            .and_then(|i| resources.get(i))
    }
}

/// A resource definition as a type. Implemented by the zero-sized types generated per resource.
pub trait ResourceSpec {
    /// The object the resource belongs to, so typed access cannot mix up objects.
    type Object: ObjectSpec;
    /// The facts of the definition.
    const INFO: ResourceInfo;
    /// Resource ID (same as `INFO.id`).
    const ID: u16 = Self::INFO.id;
    /// The Rust type of one value: an integer of the narrowest width that holds the declared
    /// range, `bool`, `f64`, a bounded `heapless` string or byte vector, [`crate::Time`],
    /// [`crate::ObjLink`], a generated enum, [`crate::Instances`] for multiple-instance
    /// resources, `[u8]` for unbounded opaque data that arrives in [`crate::Chunk`]s, and `()`
    /// for executables.
    type Value: ?Sized;
}

/// Marker: the definition allows Read (`R` or `RW`).
pub trait Readable: ResourceSpec {}

/// Marker: the definition allows Write (`W` or `RW`).
pub trait Writable: ResourceSpec {}

/// Marker: the definition allows Execute (`E`).
pub trait Executable: ResourceSpec {}

/// An object definition as a type. Implemented by the `Spec` type of every generated module.
pub trait ObjectSpec {
    /// The facts of the definition, resources included.
    const INFO: ObjectInfo;
    /// Object ID (same as `INFO.id`).
    const ID: u16 = Self::INFO.id;
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn operations_follow_the_definition_letters() {
        let all = [
            Operations::None,
            Operations::Read,
            Operations::Write,
            Operations::ReadWrite,
            Operations::Execute,
        ];
        let table: [(&str, bool, bool, bool); 5] = [
            ("", false, false, false),
            ("R", true, false, false),
            ("W", false, true, false),
            ("RW", true, true, false),
            ("E", false, false, true),
        ];
        for (op, (s, r, w, e)) in all.into_iter().zip(table) {
            assert_eq!(op.as_str(), s);
            assert_eq!(
                (op.is_readable(), op.is_writable(), op.is_executable()),
                (r, w, e)
            );
        }
    }

    #[test]
    fn spellings_round_trip() {
        for v in ResourceType::ALL {
            assert_eq!(ResourceType::parse_str(v.as_str()), Some(v));
        }
        for v in Operations::ALL {
            assert_eq!(Operations::parse_str(v.as_str()), Some(v));
        }
        assert_eq!(
            ResourceType::parse_str("Unsigned Integer"),
            Some(ResourceType::UnsignedInteger)
        );
        assert_eq!(
            ResourceType::parse_str("unsigned integer"),
            None,
            "spellings are exact"
        );
        assert_eq!(
            Multiplicity::parse_str("Multiple"),
            Some(Multiplicity::Multiple)
        );
        assert_eq!(
            Requirement::parse_str("Optional"),
            Some(Requirement::Optional)
        );
    }

    #[test]
    fn signed_constraint_checks_every_interval() {
        let c = Constraint::Signed(&[(0, 247), (255, 255)]);
        assert!(c.allows_i64(0) && c.allows_i64(247) && c.allows_i64(255));
        assert!(!c.allows_i64(-1) && !c.allows_i64(248) && !c.allows_i64(256));
        assert!(c.allows_u64(255) && !c.allows_u64(u64::MAX));
    }

    #[test]
    fn unsigned_constraint_refuses_negative_values() {
        let c = Constraint::Unsigned(&[(0, 3)]);
        assert!(!c.allows_i64(-1));
        assert!(c.allows_i64(3) && !c.allows_i64(4));
    }

    #[test]
    fn float_constraint_refuses_nan() {
        let c = Constraint::Float(&[(-100.0, 100.0)]);
        assert!(c.allows_f64(-100.0) && c.allows_f64(100.0));
        assert!(!c.allows_f64(100.5) && !c.allows_f64(f64::NAN));
    }

    #[test]
    fn constraints_display_as_the_definition_writes_them() {
        assert_eq!(
            std::format!("{}", Constraint::Signed(&[(0, 247), (255, 255)])),
            "0..247,255"
        );
        assert_eq!(
            std::format!("{}", Constraint::Float(&[(-40.0, 85.5)])),
            "-40..85.5"
        );
        assert_eq!(
            std::format!("{}", Constraint::Length(&[(0, 255)])),
            "0..255 bytes"
        );
        assert_eq!(std::format!("{}", Constraint::None), "");
    }

    #[test]
    fn length_constraint_applies_to_lengths_only() {
        let c = Constraint::Length(&[(10, 10), (26, 26)]);
        assert!(c.allows_len(10) && c.allows_len(26) && !c.allows_len(11));
        assert!(c.allows_i64(-5), "a length does not restrict integers");
    }

    #[test]
    fn object_info_finds_resources_by_id() {
        const R: [ResourceInfo; 2] = [
            ResourceInfo {
                id: 1,
                name: "A",
                operations: Operations::Read,
                kind: ResourceType::Integer,
                multiplicity: Multiplicity::Single,
                requirement: Requirement::Mandatory,
                constraint: Constraint::None,
                units: "",
            },
            ResourceInfo {
                id: 7,
                name: "B",
                operations: Operations::Execute,
                kind: ResourceType::None,
                multiplicity: Multiplicity::Single,
                requirement: Requirement::Optional,
                constraint: Constraint::None,
                units: "",
            },
        ];
        const O: ObjectInfo = ObjectInfo {
            id: 9,
            name: "O",
            urn: "urn:oma:lwm2m:oma:9",
            object_version: Version::new(1, 0),
            lwm2m_version: Version::new(1, 0),
            multiplicity: Multiplicity::Single,
            requirement: Requirement::Optional,
            resources: &R,
        };
        assert_eq!(O.resource(7).map(|r| r.name), Some("B"));
        assert_eq!(O.refusal(7), crate::Error::MethodNotAllowed);
        assert_eq!(O.refusal(8), crate::Error::NotFound);
        assert_eq!(O.resource(2), None);
        assert_eq!(std::format!("{}", Version::new(1, 2)), "1.2");
    }
}
