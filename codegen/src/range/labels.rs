//! The named values of an integer resource, from its range or from its description.

use super::grammar::parse_label;
use super::{Constraint, Label, RangeEnumeration};
use crate::model::ResourceType;
use crate::text::collapse_spaces;

/// The `N: label` entries of a description (its raw text, tabs and all): one per line, several
/// on a line when separated by a tab or two spaces (`0: generic  1: system`), or tables of
/// `N<tab>Label<tab>Explanation` rows.
pub(super) fn description_labels(description: &str) -> Vec<Label> {
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
