//! The `<RangeEnumeration>` grammar: values, intervals, a `bytes` unit, named values, and
//! prose for everything else.

use super::{Interval, Label, Number, Parsed, RangeEnumeration};
use crate::text::collapse_spaces;

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

/// `N: label` or `N=label` (the value may be negative), the label trimmed of a final full stop.
pub(super) fn parse_label(line: &str) -> Option<Label> {
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
