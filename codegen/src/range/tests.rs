use super::labels::description_labels;
use super::*;
use crate::model::ResourceType;

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
    let description = "State of the thing.\n0: Idle (waiting)\n1: Busy.\n2=Done\n10 - 20: Reserved";
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
