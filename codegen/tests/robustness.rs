//! Bad input never panics the generator: every prefix of a real definition, and the same file
//! with each byte replaced by a troublesome one, gives either objects or errors with a
//! position inside the file.

use lwm2m_codegen::check::check;
use lwm2m_codegen::parse::{Document, parse};
use lwm2m_codegen::{Config, Source};

fn definition() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../objects/xml/4.xml")).unwrap()
}

/// Parses and checks; asserts that every diagnostic points inside the file.
fn run(bytes: &[u8]) -> bool {
    let parsed = parse("x.xml", bytes);
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let mut diagnostics = parsed.diagnostics;
    if let Document::Objects(objects) = &parsed.document {
        diagnostics.extend(check(objects));
    }
    for d in &diagnostics.0 {
        assert!(
            d.span.line >= 1 && d.span.line <= lines && d.span.col >= 1,
            "{d}"
        );
    }
    !diagnostics.has_errors()
        && matches!(parsed.document, Document::Objects(ref o) if !o.is_empty())
}

#[test]
fn every_prefix_is_an_error_not_a_panic() {
    let bytes = definition();
    let mut accepted = 0;
    // Every 5th prefix keeps the debug-build run short and still cuts inside every element.
    for end in (0..bytes.len()).step_by(5) {
        if run(&bytes[..end]) {
            accepted += 1;
        }
    }
    // Only prefixes that still hold the whole <LWM2M> element can be accepted.
    assert!(accepted <= 1, "{accepted} truncated files were accepted");
    assert!(run(&bytes));
}

#[test]
fn every_byte_replaced_never_panics_and_what_passes_generates() {
    let bytes = definition();
    let mut generated = 0;
    let mut accepted = 0;
    for i in (0..bytes.len()).step_by(3) {
        for replacement in [b'<', b'&', b'"', 0xff, b'9'] {
            let mut mutated = bytes.clone();
            mutated[i] = replacement;
            // Generating is the slow part: do it for one accepted mutation in 25.
            if run(&mutated) && {
                accepted += 1;
                accepted % 25 == 1
            } {
                let source = Source {
                    name: "x.xml".into(),
                    bytes: mutated,
                };
                let file = Config::new()
                    .generate(&[source])
                    .and_then(|g| g.to_file_string());
                assert!(
                    file.is_ok(),
                    "accepted input must generate: {:?}",
                    file.err()
                );
                generated += 1;
            }
        }
    }
    assert!(
        generated > 0,
        "some mutations (inside descriptions) are harmless"
    );
}

/// A structural edit of a definition file.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, &'static str),
    Swap(usize, usize, usize),
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let len = bytes.len();
    let at = |i: usize| if len == 0 { 0 } else { i % len };
    match *edit {
        Edit::Delete(a, n) => {
            let a = at(a);
            let end = (a + n).min(len);
            bytes.drain(a..end);
        }
        Edit::Duplicate(a, n) => {
            let a = at(a);
            let end = (a + n).min(len);
            let copy = bytes[a..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Edit::Insert(a, text) => {
            let a = at(a);
            bytes.splice(a..a, text.bytes());
        }
        Edit::Swap(a, b, n) => {
            let (a, b) = (at(a).min(at(b)), at(a).max(at(b)));
            let n = n.min(b - a).min(len - b);
            for i in 0..n {
                bytes.swap(a + i, b + i);
            }
        }
    }
}

fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    let snippet = prop_oneof![
        Just("<Item ID=\"0\">"),
        Just("</Item>"),
        Just("</Resources>"),
        Just("<Type>Integer</Type>"),
        Just("<RangeEnumeration>1..</RangeEnumeration>"),
        Just("<Operations>E</Operations>"),
        Just("<MultipleInstances>Multiple</MultipleInstances>"),
        Just("&amp;&#x41;&bogus;"),
        Just("<![CDATA[<x>]]>"),
        Just("\u{a0}\t"),
        Just("4294967296"),
        Just("-"),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..200).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), 1usize..400).prop_map(|(a, n)| Edit::Duplicate(a, n)),
        (any::<usize>(), snippet).prop_map(|(a, s)| Edit::Insert(a, s)),
        (any::<usize>(), any::<usize>(), 1usize..100).prop_map(|(a, b, n)| Edit::Swap(a, b, n)),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 96, ..Default::default() })]

    /// Random structural edits of our Object 5 definition: errors with positions, or objects
    /// that generate valid Rust; never a panic.
    #[test]
    fn random_edits_never_panic_the_generator(edits in proptest::collection::vec(edit(), 1..6)) {
        let mut bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../objects/xml/5.xml")).unwrap();
        for e in &edits {
            apply(&mut bytes, e);
        }
        if run(&bytes) {
            let file = Config::new()
                .generate(&[Source { name: "x.xml".into(), bytes }])
                .and_then(|g| g.to_file_string());
            proptest::prop_assert!(file.is_ok(), "accepted input must generate: {:?}", file.err());
        }
    }
}
