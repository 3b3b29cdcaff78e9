//! What a range means for a resource type: values for numbers, lengths for text and bytes.

use super::{Constraint, Interval, Number, RangeEnumeration};
use crate::model::ResourceType;

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
