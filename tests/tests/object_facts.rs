//! Our `objects/xml/{0,1,3,4,5,9}.xml` carry the same facts as the OMA registry's files; only the
//! descriptions (and the value names read from them) are our own. A `<RangeEnumeration>` the
//! grammar cannot read (the registry's /1/22 says in words where the values are listed) is prose,
//! so it counts as description: ours leave it empty and say it in the description, as the
//! generator's strict mode asks.

use lwm2m_codegen::model::{Object, Span};
use lwm2m_codegen::parse::{Document, parse};
use lwm2m_codegen::range::RangeEnumeration;
use lwm2m_tests::{registry_dir, workspace_root};

fn objects(path: &std::path::Path) -> Vec<Object> {
    let bytes = std::fs::read(path).unwrap();
    let parsed = parse(&path.display().to_string(), &bytes);
    assert!(!parsed.diagnostics.has_errors(), "{}", parsed.diagnostics);
    match parsed.document {
        Document::Objects(objects) => objects,
        Document::NotObjects { reason } => panic!("{}: {reason}", path.display()),
    }
}

/// The object without what is allowed to differ: where things are, and the prose (descriptions,
/// value names, ranges written in words).
fn facts(mut object: Object) -> Object {
    object.file.clear();
    object.span = Span::default();
    object.description1.clear();
    object.description2.clear();
    for r in &mut object.resources {
        r.span = Span::default();
        r.kind_span = Span::default();
        r.description.clear();
        r.labels.clear();
        if matches!(r.range, RangeEnumeration::Prose(_)) {
            r.range = RangeEnumeration::Empty;
        }
    }
    object
}

#[test]
fn our_definitions_match_the_registry_apart_from_descriptions() {
    let Some(registry) = registry_dir() else {
        return;
    };
    for id in [0, 1, 3, 4, 5, 9] {
        let ours = objects(&workspace_root().join(format!("objects/xml/{id}.xml")));
        let theirs = objects(&registry.join(format!("{id}.xml")));
        assert_eq!(ours.len(), 1);
        let (ours, theirs) = (
            facts(ours.into_iter().next().unwrap()),
            facts(theirs.into_iter().next().unwrap()),
        );
        assert_eq!(ours, theirs, "object {id}");
        assert!(ours.resources.len() >= 14, "object {id} lost resources");
    }
}

#[test]
fn our_descriptions_are_our_own() {
    let Some(registry) = registry_dir() else {
        return;
    };
    for id in [0, 1, 3, 4, 5, 9] {
        let ours = objects(&workspace_root().join(format!("objects/xml/{id}.xml"))).remove(0);
        let theirs = objects(&registry.join(format!("{id}.xml"))).remove(0);
        assert_ne!(ours.description1, theirs.description1);
        for (a, b) in ours.resources.iter().zip(&theirs.resources) {
            assert!(
                a.description != b.description || a.description.is_empty(),
                "object {id} resource {} copies the OMA description",
                a.id
            );
        }
    }
}
