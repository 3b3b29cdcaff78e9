//! The generator's model enums and the runtime's `spec` enums are two copies of the same OMA
//! facts (the generator depends on no runtime crate). They must agree variant by variant: the
//! same variants in the same `ALL` order, with the same names (the emitter writes
//! `::lwm2m_runtime::ResourceType::UnsignedInteger` from the model's variant) and the same
//! spellings.

use lwm2m_codegen::model;
use lwm2m_runtime::spec;

/// Pairs the two `ALL` lists and checks name and spelling of each pair; returns the spellings.
fn agree<M: std::fmt::Debug + Copy, R: std::fmt::Debug + Copy>(
    what: &str,
    ours: &[M],
    theirs: &[R],
    ours_str: impl Fn(M) -> &'static str,
    theirs_str: impl Fn(R) -> &'static str,
) -> Vec<&'static str> {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{what}: different number of variants"
    );
    ours.iter()
        .zip(theirs)
        .map(|(&m, &r)| {
            assert_eq!(format!("{m:?}"), format!("{r:?}"), "{what}: variant names");
            assert_eq!(ours_str(m), theirs_str(r), "{what}::{m:?}: spelling");
            ours_str(m)
        })
        .collect()
}

#[test]
fn resource_types_agree() {
    let spelled = agree(
        "ResourceType",
        &model::ResourceType::ALL,
        &spec::ResourceType::ALL,
        model::ResourceType::as_str,
        spec::ResourceType::as_str,
    );
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
    for s in spelled {
        let ours = model::ResourceType::parse_str(s).map(|t| format!("{t:?}"));
        let theirs = spec::ResourceType::parse_str(s).map(|t| format!("{t:?}"));
        assert_eq!(ours, theirs, "parse_str({s:?})");
        assert!(ours.is_some());
    }
}

#[test]
fn operations_agree() {
    let spelled = agree(
        "Operations",
        &model::Operations::ALL,
        &spec::Operations::ALL,
        model::Operations::as_str,
        spec::Operations::as_str,
    );
    assert_eq!(spelled, ["R", "W", "RW", "E", ""]);
    for (m, r) in model::Operations::ALL
        .into_iter()
        .zip(spec::Operations::ALL)
    {
        assert_eq!(
            (m.is_readable(), m.is_writable(), m.is_executable()),
            (r.is_readable(), r.is_writable(), r.is_executable()),
            "{m:?}"
        );
        assert_eq!(
            spec::Operations::parse_str(m.as_str()),
            Some(r),
            "the runtime reads the generator's spelling of {m:?}"
        );
    }
}

#[test]
fn multiplicity_and_requirement_agree() {
    let multiplicity = agree(
        "Multiplicity",
        &model::Multiplicity::ALL,
        &spec::Multiplicity::ALL,
        model::Multiplicity::as_str,
        spec::Multiplicity::as_str,
    );
    assert_eq!(multiplicity, ["Single", "Multiple"]);
    let requirement = agree(
        "Requirement",
        &model::Requirement::ALL,
        &spec::Requirement::ALL,
        model::Requirement::as_str,
        spec::Requirement::as_str,
    );
    assert_eq!(requirement, ["Mandatory", "Optional"]);
}

#[test]
fn versions_agree() {
    let versions = [(1, 0), (1, 1), (1, 2), (2, 0), (1, 10)];
    for (major, minor) in versions {
        let ours = model::Version::new(major, minor);
        let theirs = spec::Version::new(major, minor);
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!((ours.major, ours.minor), (theirs.major, theirs.minor));
        for (a, b) in versions {
            assert_eq!(
                ours.cmp(&model::Version::new(a, b)),
                theirs.cmp(&spec::Version::new(a, b)),
                "{ours} against {a}.{b}"
            );
        }
    }
    assert_eq!(model::Version::new(1, 2).to_string(), "1.2");
}
