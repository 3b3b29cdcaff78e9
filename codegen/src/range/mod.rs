//! The `<RangeEnumeration>` grammar, and what it means for each resource type.
//!
//! The registry writes ranges many ways; every one of these reads without failing a file:
//!
//! | text | reads as |
//! |---|---|
//! | `0..255`, `-1..1`, `-100.0..100.0`, `1...15` | one closed interval |
//! | `16,32,48`, `5, 10, 15, 20`, `0..247, 255`, `0; 3.8..20.5` | a union of values and intervals |
//! | `0..255 bytes`, `1..64 Bytes`, `32 bytes` | the same, with the unit `bytes` |
//! | `0: disabled` on several lines | named values ([`Label`]s) |
//! | `-30..-120` | the interval `-120..-30`, with a warning |
//! | anything else (`<7 to >12.5`, `ON;OFF`, sentences) | prose kept as documentation, with a warning |
//!
//! [`constraint()`] then reads the values for the resource type: integer and float intervals for
//! numeric types, lengths in bytes for String, Corelnk and Opaque.
//!
//! `grammar` reads the text, `constraint` reads it for a type, `labels` finds the named
//! values; this file holds the types they share.

mod constraint;
mod grammar;
mod labels;

pub use constraint::constraint;
pub use grammar::parse;
pub use labels::labels;

/// A number as written: an integer, or a decimal with a fraction part.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// Written without a dot. Wide enough for both `i64::MIN` and `u64::MAX`.
    Int(i128),
    /// Written with a dot, e.g. `3.8`.
    Float(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            // Registry values are far below 2^53, where this is exact.
            Self::Int(v) => v as f64,
            Self::Float(v) => v,
        }
    }

    fn as_int(self) -> Option<i128> {
        match self {
            Self::Int(v) => Some(v),
            Self::Float(v) if v.fract() == 0.0 && v.abs() < 1e18 => Some(v as i128),
            Self::Float(_) => None,
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Int(v) => write!(f, "{v}"),
            Self::Float(v) => write!(f, "{v:?}"),
        }
    }
}

/// A closed interval; `min == max` for a single value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower end, included.
    pub min: Number,
    /// Upper end, included.
    pub max: Number,
}

/// A named value: `2: Downloaded`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The integer.
    pub value: i64,
    /// The text after the colon, whitespace normalised, without a final full stop.
    pub text: String,
}

/// What a `<RangeEnumeration>` says, before the resource type is taken into account.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeEnumeration {
    /// Empty or missing.
    Empty,
    /// Values and intervals, in the order written.
    Values {
        /// The items.
        intervals: Vec<Interval>,
        /// Whether the text ends in `bytes` (any case).
        bytes: bool,
    },
    /// One `N: label` per line.
    Labels(Vec<Label>),
    /// Text the grammar does not read; kept as documentation.
    Prose(String),
}

/// The values (or lengths) a resource allows, read for its type. Intervals are sorted,
/// disjoint and closed.
#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    /// No restriction.
    None,
    /// Integer values (Integer, Unsigned Integer, Time).
    Int(Vec<(i128, i128)>),
    /// Float values.
    Float(Vec<(f64, f64)>),
    /// Lengths in bytes (String, Corelnk, Opaque).
    Length(Vec<(u64, u64)>),
}

impl Constraint {
    /// The smallest and largest integer allowed, for [`Constraint::Int`].
    pub fn int_bounds(&self) -> Option<(i128, i128)> {
        match self {
            Self::Int(set) => Some((set.first()?.0, set.last()?.1)),
            _ => None,
        }
    }

    /// The largest length allowed, for [`Constraint::Length`].
    pub fn max_len(&self) -> Option<u64> {
        match self {
            Self::Length(set) => set.last().map(|&(_, hi)| hi),
            _ => None,
        }
    }

    /// Whether an integer is allowed (always for constraints that are not integer ones).
    pub fn allows_int(&self, v: i128) -> bool {
        match self {
            Self::Int(set) => set.iter().any(|&(lo, hi)| lo <= v && v <= hi),
            _ => true,
        }
    }
}

/// The result of reading a `<RangeEnumeration>` text.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// What the text says.
    pub range: RangeEnumeration,
    /// Things the reader had to guess at (inverted intervals, prose).
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests;
