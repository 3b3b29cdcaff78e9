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
//! [`constraint`] then reads the values for the resource type: integer and float intervals for
//! numeric types, lengths in bytes for String, Corelnk and Opaque.

use crate::model::ResourceType;
use crate::text::collapse_spaces;

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

/// Reads a `<RangeEnumeration>` text. Never fails: what the grammar does not read becomes
/// [`RangeEnumeration::Prose`] with a warning.
pub fn parse(text: &str) -> Parsed {
    let text = text.trim();
    let mut warnings = Vec::new();
    if text.is_empty() {
        return Parsed {
            range: RangeEnumeration::Empty,
            warnings,
        };
    }
    if let Some(labels) = parse_label_lines(text) {
        return Parsed {
            range: RangeEnumeration::Labels(labels),
            warnings,
        };
    }
    let (body, bytes) = strip_bytes_unit(text);
    let items: Option<Vec<Interval>> = body.split([',', ';']).map(parse_item).collect();
    match items {
        Some(mut intervals) => {
            for iv in &mut intervals {
                if iv.min.as_f64() > iv.max.as_f64() {
                    warnings.push(format!(
                        "inverted range {}..{} read as {}..{}",
                        iv.min, iv.max, iv.max, iv.min
                    ));
                    std::mem::swap(&mut iv.min, &mut iv.max);
                }
            }
            Parsed {
                range: RangeEnumeration::Values { intervals, bytes },
                warnings,
            }
        }
        None => {
            let prose = collapse_spaces(text);
            warnings.push(format!(
                "\"{prose}\" is not a range, a list of values or named values; kept as documentation only"
            ));
            Parsed {
                range: RangeEnumeration::Prose(prose),
                warnings,
            }
        }
    }
}

/// Splits off a trailing `bytes`/`byte` unit, in any case.
fn strip_bytes_unit(text: &str) -> (&str, bool) {
    for unit in ["bytes", "byte"] {
        if text.len() > unit.len() {
            let split = text.len() - unit.len();
            if let (Some(head), Some(tail)) = (text.get(..split), text.get(split..))
                && tail.eq_ignore_ascii_case(unit)
            {
                return (head.trim_end(), true);
            }
        }
    }
    (text, false)
}

/// `N`, `N..M` or `N...M` with optional spaces around each part.
fn parse_item(item: &str) -> Option<Interval> {
    let item = item.trim();
    match item.find("..") {
        Some(at) => {
            let min = parse_number(item.get(..at)?)?;
            let max = parse_number(item.get(at..)?.trim_start_matches('.'))?;
            Some(Interval { min, max })
        }
        None => {
            let n = parse_number(item)?;
            Some(Interval { min: n, max: n })
        }
    }
}

/// `-?digits` or `-?digits.digits`.
fn parse_number(s: &str) -> Option<Number> {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) {
        return None;
    }
    match frac {
        None => s.parse().ok().map(Number::Int),
        Some(f) if all_digits(f) => s.parse().ok().map(Number::Float),
        Some(_) => None,
    }
}

/// `N: label` or `N=label`, one per non-empty line; `None` unless every line is one.
fn parse_label_lines(text: &str) -> Option<Vec<Label>> {
    let mut labels = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        labels.push(parse_label(line)?);
    }
    (!labels.is_empty()).then_some(labels)
}

fn parse_label(line: &str) -> Option<Label> {
    let line = line.trim();
    let sign = usize::from(line.starts_with('-'));
    let end = sign + line.get(sign..)?.find(|c: char| !c.is_ascii_digit())?;
    if end == sign {
        return None;
    }
    let value = line.get(..end)?.parse().ok()?;
    let rest = line.get(end..)?.trim_start();
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
    let text = collapse_spaces(rest);
    let text = text.trim_end_matches('.').trim().to_owned();
    (!text.is_empty()).then_some(Label { value, text })
}

/// The `N: label` entries of a description (its raw text, tabs and all): one per line, several
/// on a line when separated by a tab or two spaces (`0: generic  1: system`), or tables of
/// `N<tab>Label<tab>Explanation` rows.
fn description_labels(description: &str) -> Vec<Label> {
    let mut found = Vec::new();
    for line in description.lines() {
        if let Some(row) = table_row(line) {
            found.push(row);
            continue;
        }
        found.extend(label_segments(line).into_iter().filter_map(parse_label));
    }
    found
}

/// `2<tab>Charge Complete<tab>The battery is fully charged.`
fn table_row(line: &str) -> Option<Label> {
    let mut cells = line.trim().split('\t').filter(|c| !c.trim().is_empty());
    let value = cells.next()?.trim().parse().ok()?;
    let text = collapse_spaces(cells.next()?);
    let has_tab = line.trim().contains('\t');
    (has_tab && !text.is_empty() && !text.starts_with([':', '='])).then_some(Label { value, text })
}

/// Splits a line before each `N:` that follows a tab or two spaces.
fn label_segments(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        let gap = bytes.get(i).is_some_and(|&b| b == b'\t')
            || (bytes.get(i) == Some(&b' ') && bytes.get(i + 1) == Some(&b' '));
        if gap {
            let mut j = i;
            while bytes.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
                j += 1;
            }
            let digits = bytes
                .get(j..)
                .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
            let mut k = j + digits;
            while bytes.get(k) == Some(&b' ') {
                k += 1;
            }
            if digits > 0 && matches!(bytes.get(k), Some(b':' | b'=')) && j > 0 {
                starts.push(j);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    starts.push(line.len());
    starts
        .windows(2)
        .filter_map(|w| line.get(w[0]..w[1]))
        .collect()
}

/// The named values of an integer resource: those of the range when it is a list of them,
/// otherwise the `N: label` entries of the description (at least two). Labels outside the
/// constraint are dropped with a warning; a value named twice keeps its first name.
pub fn labels(
    kind: ResourceType,
    range: &RangeEnumeration,
    constraint: &Constraint,
    description: &str,
    warnings: &mut Vec<String>,
) -> Vec<Label> {
    if !matches!(kind, ResourceType::Integer | ResourceType::UnsignedInteger) {
        return Vec::new();
    }
    let found = match range {
        RangeEnumeration::Labels(labels) => labels.clone(),
        _ => {
            let found = description_labels(description);
            if found.len() < 2 {
                return Vec::new();
            }
            found
        }
    };
    let mut kept: Vec<Label> = Vec::new();
    for label in found {
        if !constraint.allows_int(i128::from(label.value)) {
            warnings.push(format!(
                "value {} ({}) is named in the description but outside the declared range; not part of the enum",
                label.value, label.text
            ));
        } else if !kept.iter().any(|k| k.value == label.value) {
            kept.push(label);
        }
    }
    kept.sort_by_key(|l| l.value);
    if kept.len() < 2 && !matches!(range, RangeEnumeration::Labels(_)) {
        return Vec::new();
    }
    kept
}

/// Reads what a range means for a resource of type `kind`. Ranges that cannot apply are
/// dropped with a warning, never an error: the generated code is then unconstrained.
pub fn constraint(
    kind: ResourceType,
    range: &RangeEnumeration,
    warnings: &mut Vec<String>,
) -> Constraint {
    use ResourceType as T;
    let type_name = kind.as_str();
    match range {
        RangeEnumeration::Empty | RangeEnumeration::Prose(_) => Constraint::None,
        RangeEnumeration::Labels(labels) => match kind {
            T::Integer | T::UnsignedInteger => {
                let values = labels.iter().map(|l| {
                    let v = i128::from(l.value);
                    (v, v)
                });
                Constraint::Int(merge_int(values.collect()))
            }
            _ => {
                warnings.push(format!(
                    "named values on {} resource are kept as documentation only",
                    article(type_name)
                ));
                Constraint::None
            }
        },
        RangeEnumeration::Values { intervals, bytes } => match kind {
            T::Integer | T::UnsignedInteger | T::Time => {
                if *bytes {
                    warnings.push(format!(
                        "a size in bytes is not a range of {type_name} values; not enforced"
                    ));
                    return Constraint::None;
                }
                if let [single] = intervals.as_slice()
                    && single.min == single.max
                {
                    warnings.push(format!(
                        "a single value {} on {} resource may be a maximum or the only value; not enforced",
                        single.min,
                        article(type_name)
                    ));
                    return Constraint::None;
                }
                int_constraint(kind, intervals, warnings)
            }
            T::Float => {
                if *bytes {
                    warnings.push(
                        "a size in bytes is not a range of Float values; not enforced".into(),
                    );
                    return Constraint::None;
                }
                let set = intervals
                    .iter()
                    .map(|iv| (iv.min.as_f64(), iv.max.as_f64()))
                    .collect();
                Constraint::Float(merge_float(set))
            }
            T::String | T::Corelnk | T::Opaque => length_constraint(kind, intervals, warnings),
            T::Boolean | T::Objlnk | T::None => {
                let what = if kind == T::None {
                    "an executable"
                } else {
                    type_name
                };
                warnings.push(format!(
                    "a range on {} resource has no meaning; ignored",
                    article(what)
                ));
                Constraint::None
            }
        },
    }
}

/// `an Integer`, `a Boolean`, and `an executable` left as it is.
fn article(what: &str) -> String {
    if what.starts_with("an ") {
        what.to_owned()
    } else if what.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        format!("an {what}")
    } else {
        format!("a {what}")
    }
}

fn int_constraint(
    kind: ResourceType,
    intervals: &[Interval],
    warnings: &mut Vec<String>,
) -> Constraint {
    let (floor, ceiling) = match kind {
        ResourceType::UnsignedInteger => (0, i128::from(u64::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    let mut set = Vec::new();
    for iv in intervals {
        let (Some(lo), Some(hi)) = (iv.min.as_int(), iv.max.as_int()) else {
            warnings.push(format!(
                "{}..{} has a fraction on {} resource; the range is not enforced",
                iv.min,
                iv.max,
                article(kind.as_str())
            ));
            return Constraint::None;
        };
        let (clo, chi) = (lo.clamp(floor, ceiling), hi.clamp(floor, ceiling));
        if (clo, chi) != (lo, hi) {
            warnings.push(format!(
                "{lo}..{hi} does not fit {} resource; read as {clo}..{chi}",
                article(kind.as_str())
            ));
        }
        set.push((clo, chi));
    }
    Constraint::Int(merge_int(set))
}

fn length_constraint(
    kind: ResourceType,
    intervals: &[Interval],
    warnings: &mut Vec<String>,
) -> Constraint {
    let mut set = Vec::new();
    for iv in intervals {
        let as_len = |n: Number| n.as_int().and_then(|v| u64::try_from(v).ok());
        let (Some(lo), Some(hi)) = (as_len(iv.min), as_len(iv.max)) else {
            warnings.push(format!(
                "{}..{} is not a length in bytes for {} resource; not enforced",
                iv.min,
                iv.max,
                article(kind.as_str())
            ));
            return Constraint::None;
        };
        set.push((lo, hi));
    }
    // A lone number on a String or Opaque is its maximum length (`32 bytes`, `64`).
    if let [(lo, hi)] = set.as_slice()
        && lo == hi
    {
        set = vec![(0, *hi)];
    }
    let merged = merge_int(
        set.iter()
            .map(|&(a, b)| (i128::from(a), i128::from(b)))
            .collect(),
    );
    Constraint::Length(
        merged
            .into_iter()
            .filter_map(|(a, b)| Some((u64::try_from(a).ok()?, u64::try_from(b).ok()?)))
            .collect(),
    )
}

/// Sorts and merges overlapping or adjacent intervals.
fn merge_int(mut set: Vec<(i128, i128)>) -> Vec<(i128, i128)> {
    set.sort_unstable();
    let mut out: Vec<(i128, i128)> = Vec::with_capacity(set.len());
    for (lo, hi) in set {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn merge_float(mut set: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    set.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(set.len());
    for (lo, hi) in set {
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(Number, Number)> {
        match parse(text).range {
            RangeEnumeration::Values { intervals, .. } => {
                intervals.iter().map(|i| (i.min, i.max)).collect()
            }
            other => panic!("{text:?} read as {other:?}"),
        }
    }

    use Number::{Float as F, Int as I};

    #[test]
    fn every_registry_spelling_reads() {
        assert_eq!(values("0..255"), [(I(0), I(255))]);
        assert_eq!(values("-1..1"), [(I(-1), I(1))]);
        assert_eq!(values("-100.0..100.0"), [(F(-100.0), F(100.0))]);
        assert_eq!(values("1...15"), [(I(1), I(15))]);
        assert_eq!(
            values("16,32,48"),
            [(I(16), I(16)), (I(32), I(32)), (I(48), I(48))]
        );
        assert_eq!(values("5, 10, 15, 20").len(), 4);
        assert_eq!(values("0..247, 255"), [(I(0), I(247)), (I(255), I(255))]);
        assert_eq!(values("0; 3.8..20.5"), [(I(0), I(0)), (F(3.8), F(20.5))]);
        assert_eq!(
            values("0..18446744073709551615"),
            [(I(0), I(u64::MAX.into()))]
        );
        assert_eq!(values(" 0 .. 3 "), [(I(0), I(3))]);
    }

    #[test]
    fn byte_units_are_recognised_in_any_case() {
        for text in ["0..255 bytes", "1..64 Bytes", "32 bytes", "1 byte"] {
            let parsed = parse(text);
            assert!(
                matches!(parsed.range, RangeEnumeration::Values { bytes: true, .. }),
                "{text}: {:?}",
                parsed.range
            );
            assert!(parsed.warnings.is_empty());
        }
    }

    #[test]
    fn inverted_range_is_normalised_with_a_warning() {
        let parsed = parse("-30..-120");
        assert_eq!(values("-30..-120"), [(I(-120), I(-30))]);
        assert_eq!(
            parsed.warnings,
            ["inverted range -30..-120 read as -120..-30"]
        );
    }

    #[test]
    fn labelled_lines_become_labels() {
        let parsed = parse("0: disabled\n\t\t\t\t1: normal\n\t\t\t\t255: non_responsive\n\t\t\t\t");
        let RangeEnumeration::Labels(labels) = parsed.range else {
            panic!("{:?}", parsed.range)
        };
        let got: Vec<(i64, &str)> = labels.iter().map(|l| (l.value, l.text.as_str())).collect();
        assert_eq!(
            got,
            [(0, "disabled"), (1, "normal"), (255, "non_responsive")]
        );
    }

    #[test]
    fn prose_is_kept_with_a_warning() {
        for text in [
            "<7 to >12.5",
            "ON;OFF",
            "8-Bits",
            "2 Instances",
            "The possible values are listed",
        ] {
            let parsed = parse(text);
            assert_eq!(
                parsed.range,
                RangeEnumeration::Prose(text.to_owned()),
                "{text}"
            );
            assert_eq!(parsed.warnings.len(), 1, "{text}");
            assert!(parsed.warnings[0].contains("kept as documentation only"));
        }
        assert_eq!(parse("  \n\t ").range, RangeEnumeration::Empty);
    }

    fn constraint_of(kind: ResourceType, text: &str) -> (Constraint, Vec<String>) {
        let mut warnings = Vec::new();
        let c = constraint(kind, &parse(text).range, &mut warnings);
        (c, warnings)
    }

    #[test]
    fn numeric_types_read_intervals_merged() {
        let (c, w) = constraint_of(ResourceType::Integer, "0..247, 255, 248..250");
        assert_eq!(c, Constraint::Int(vec![(0, 250), (255, 255)]));
        assert!(w.is_empty());
        let (c, _) = constraint_of(ResourceType::Float, "0; 3.8..20.5");
        assert_eq!(c, Constraint::Float(vec![(0.0, 0.0), (3.8, 20.5)]));
        let (c, w) = constraint_of(ResourceType::UnsignedInteger, "-5..10");
        assert_eq!(c, Constraint::Int(vec![(0, 10)]));
        assert_eq!(
            w,
            ["-5..10 does not fit an Unsigned Integer resource; read as 0..10"]
        );
    }

    #[test]
    fn strings_and_opaque_read_lengths() {
        assert_eq!(
            constraint_of(ResourceType::String, "0..255 bytes").0,
            Constraint::Length(vec![(0, 255)])
        );
        assert_eq!(
            constraint_of(ResourceType::String, "12").0,
            Constraint::Length(vec![(0, 12)])
        );
        assert_eq!(
            constraint_of(ResourceType::String, "10,26").0,
            Constraint::Length(vec![(10, 10), (26, 26)])
        );
        assert_eq!(
            constraint_of(ResourceType::Opaque, "16,32,48").0,
            Constraint::Length(vec![(16, 16), (32, 32), (48, 48)])
        );
        assert_eq!(
            Constraint::Length(vec![(10, 10), (26, 26)]).max_len(),
            Some(26)
        );
    }

    #[test]
    fn ranges_that_cannot_apply_warn_and_are_dropped() {
        let cases = [
            (
                ResourceType::Boolean,
                "0..65535",
                "a range on a Boolean resource has no meaning; ignored",
            ),
            (
                ResourceType::Integer,
                "1 bytes",
                "a size in bytes is not a range of Integer values; not enforced",
            ),
            (
                ResourceType::Integer,
                "255",
                "a single value 255 on an Integer resource may be a maximum or the only value; not enforced",
            ),
            (
                ResourceType::Integer,
                "0.5..1.5",
                "0.5..1.5 has a fraction on an Integer resource; the range is not enforced",
            ),
            (
                ResourceType::String,
                "-1..3",
                "-1..3 is not a length in bytes for a String resource; not enforced",
            ),
        ];
        for (kind, text, warning) in cases {
            let (c, w) = constraint_of(kind, text);
            assert_eq!(c, Constraint::None, "{text}");
            assert_eq!(w, [warning], "{text}");
        }
    }

    #[test]
    fn labels_come_from_the_description_when_the_range_is_numeric() {
        let description =
            "State of the thing.\n0: Idle (waiting)\n1: Busy.\n2=Done\n10 - 20: Reserved";
        let range = parse("0..3").range;
        let mut warnings = Vec::new();
        let c = constraint(ResourceType::Integer, &range, &mut warnings);
        let got = labels(
            ResourceType::Integer,
            &range,
            &c,
            description,
            &mut warnings,
        );
        let got: Vec<(i64, &str)> = got.iter().map(|l| (l.value, l.text.as_str())).collect();
        assert_eq!(got, [(0, "Idle (waiting)"), (1, "Busy"), (2, "Done")]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn labels_come_from_tables_and_shared_lines() {
        // Object 3's Battery Status is a tab-separated table.
        let table = "Battery\nStatus\tMeaning\tDescription\n0\tNormal\tThe battery is fine.\n1\tCharging\tIt charges.\n2\tCharge Complete\tFull.";
        let got: Vec<(i64, String)> = description_labels(table)
            .into_iter()
            .map(|l| (l.value, l.text))
            .collect();
        assert_eq!(
            got,
            [
                (0, "Normal".into()),
                (1, "Charging".into()),
                (2, "Charge Complete".into())
            ]
        );
        // Common.xml's LogClass puts several on one line.
        let inline =
            " Define the class: 0: generic (default)  1: system   2: security [7-99]: reserved";
        let got: Vec<i64> = description_labels(inline)
            .into_iter()
            .map(|l| l.value)
            .collect();
        assert_eq!(got, [1, 2]);
        let inline = "0: generic (default)  1: system\t2: security";
        let got: Vec<(i64, String)> = description_labels(inline)
            .into_iter()
            .map(|l| (l.value, l.text))
            .collect();
        assert_eq!(
            got,
            [
                (0, "generic (default)".into()),
                (1, "system".into()),
                (2, "security".into())
            ]
        );
    }

    #[test]
    fn labels_outside_the_range_are_dropped_with_a_warning() {
        let range = parse("0..1").range;
        let mut warnings = Vec::new();
        let c = constraint(ResourceType::Integer, &range, &mut warnings);
        let got = labels(
            ResourceType::Integer,
            &range,
            &c,
            "0: Off\n1: On\n7: Broken",
            &mut warnings,
        );
        assert_eq!(got.len(), 2);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("value 7 (Broken)"));
        // Strings never get labels, and one lone label is not an enumeration.
        assert!(
            labels(
                ResourceType::String,
                &range,
                &c,
                "0: Off\n1: On",
                &mut warnings
            )
            .is_empty()
        );
        assert!(labels(ResourceType::Integer, &range, &c, "0: Off", &mut warnings).is_empty());
    }
}
