//! Malformed definitions: each case edits a valid file, marks with `§` where the error must
//! point, and names a part of the message. The expected line and column come from the marker,
//! not from the parser.

use lwm2m_codegen::check::check;
use lwm2m_codegen::model::{ResourceType, Span};
use lwm2m_codegen::parse::{Document, parse};
use lwm2m_codegen::range::Constraint;
use lwm2m_codegen::{Diagnostics, Severity};

const VALID: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Object ObjectType="MODefinition">
    <Name>Test Object</Name>
    <Description1><![CDATA[A test object.]]></Description1>
    <ObjectID>42000</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:42000:1.1</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.1</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0">
        <Name>Level</Name>
        <Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>Integer</Type>
        <RangeEnumeration>0..100</RangeEnumeration>
        <Units>%</Units>
        <Description>Level &amp; more.</Description>
      </Item>
      <Item ID="1">
        <Name>Reset</Name>
        <Operations>E</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Optional</Mandatory>
        <Type></Type>
        <RangeEnumeration></RangeEnumeration>
        <Units></Units>
        <Description>Resets.</Description>
      </Item>
      <Item ID="2">
        <Name>Label</Name>
        <Operations>R</Operations>
        <MultipleInstances>Multiple</MultipleInstances>
        <Mandatory>Optional</Mandatory>
        <Type>String</Type>
        <RangeEnumeration>0..32 bytes</RangeEnumeration>
        <Units></Units>
        <Description>A label.</Description>
      </Item>
    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
"#;

/// Parses and checks `xml`: every diagnostic of one run.
fn diagnose(xml: &[u8]) -> Diagnostics {
    let parsed = parse("case.xml", xml);
    let mut diagnostics = parsed.diagnostics;
    if let Document::Objects(objects) = &parsed.document {
        diagnostics.extend(check(objects));
    }
    diagnostics
}

/// Line and column (in characters) of the `§` marker, and the text without it.
fn locate(marked: &str) -> (Span, String) {
    let at = marked.find('§').expect("case has a § marker");
    let before = &marked[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (
        Span {
            line: line as u32,
            col: col as u32,
        },
        marked.replacen('§', "", 1),
    )
}

/// Applies `edit` (find, replace-with-marker) to the valid file, then asserts an error at the
/// marker whose text contains `message`.
fn assert_error(case: &str, find: &str, replace: &str, message: &str) {
    assert!(
        VALID.contains(find),
        "{case}: {find:?} is not in the valid file"
    );
    let (span, xml) = locate(&VALID.replacen(find, replace, 1));
    let diagnostics = diagnose(xml.as_bytes());
    let found = diagnostics
        .errors()
        .any(|d| d.span == span && d.message.contains(message) && d.file == "case.xml");
    assert!(
        found,
        "{case}: expected an error at {}:{} containing {message:?}, got:\n{diagnostics}",
        span.line, span.col
    );
}

#[test]
fn the_valid_file_has_no_diagnostics() {
    assert_eq!(diagnose(VALID.as_bytes()), Diagnostics::default());
}

// --- XML syntax -------------------------------------------------------------------------

#[test]
fn mismatched_end_tag() {
    assert_error(
        "mismatch",
        "<Name>Level</Name>",
        "<Name>Level§</Nme>",
        "expected `</Name>`",
    );
}

#[test]
fn unknown_entity() {
    assert_error(
        "entity",
        "Level &amp; more.",
        "Level §&nbsp; more.",
        "unknown entity &nbsp;",
    );
}

#[test]
fn bad_character_reference() {
    assert_error(
        "charref",
        "Level &amp; more.",
        "Level §&#xZZ; more.",
        "bad character reference",
    );
}

#[test]
fn unquoted_attribute() {
    assert_error(
        "unquoted",
        r#"<Item ID="1">"#,
        "§<Item ID=1>",
        "XML syntax error in <Item>",
    );
}

#[test]
fn duplicate_attribute() {
    assert_error(
        "dup attr",
        r#"<Item ID="1">"#,
        r#"§<Item ID="1" ID="2">"#,
        "XML syntax error in <Item>",
    );
}

#[test]
fn text_after_the_root() {
    assert_error(
        "trailing text",
        "</LWM2M>\n",
        "</LWM2M>\n§junk\n",
        "text outside the root element",
    );
}

#[test]
fn second_root_element() {
    assert_error(
        "two roots",
        "</LWM2M>\n",
        "</LWM2M>\n<LWM2M>§</LWM2M>\n",
        "a second root element",
    );
}

#[test]
fn unclosed_comment() {
    assert_error(
        "comment",
        "<Resources>",
        "§<!-- never closed <Resources>",
        "XML syntax error",
    );
}

#[test]
fn unclosed_cdata() {
    assert_error(
        "cdata",
        "<![CDATA[A test object.]]>",
        "§<![CDATA[A test object.",
        "XML syntax error",
    );
}

#[test]
fn less_than_in_text() {
    assert_error(
        "lt",
        "<Name>Label</Name>",
        "<Name>a §< b</Name>",
        "XML syntax error",
    );
}

#[test]
fn file_ends_inside_an_element() {
    let (span, xml) = locate(&format!(
        "{}§",
        VALID.replace("  </Object>\n</LWM2M>\n", "")
    ));
    let d = diagnose(xml.as_bytes());
    let e = d.errors().next().expect("an error");
    assert_eq!(
        (e.span, e.message.as_str()),
        (span, "the file ends inside <Object>")
    );
    assert_eq!(e.context, "LWM2M > Object");
}

#[test]
fn empty_file() {
    let d = diagnose(b"");
    let e = d.errors().next().expect("an error");
    assert_eq!(
        (e.span, e.message.as_str()),
        (Span { line: 1, col: 1 }, "the file has no root element")
    );
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let mut bytes = b"<LWM2M>\n  <Object>\xff".to_vec();
    bytes.extend_from_slice(b"</Object></LWM2M>");
    let d = diagnose(&bytes);
    let e = d.errors().next().expect("an error");
    assert_eq!(
        (e.span, e.message.as_str()),
        (Span { line: 2, col: 11 }, "the file is not valid UTF-8")
    );
}

// --- Object elements ----------------------------------------------------------------------

#[test]
fn object_id_not_a_number() {
    assert_error(
        "oid",
        "<ObjectID>42000</ObjectID>",
        "<ObjectID>§4x</ObjectID>",
        "\"4x\" is not a number",
    );
}

#[test]
fn object_id_too_large() {
    assert_error(
        "oid big",
        "<ObjectID>42000</ObjectID>",
        "<ObjectID>§70000</ObjectID>",
        "70000 does not fit the 16 bits",
    );
}

#[test]
fn object_id_missing() {
    let (span, xml) = locate(
        &VALID
            .replacen("    <ObjectID>42000</ObjectID>\n", "", 1)
            .replacen("  <Object ObjectType", "  §<Object ObjectType", 1),
    );
    let d = diagnose(xml.as_bytes());
    assert!(
        d.errors()
            .any(|e| e.span == span && e.message == "<Object> has no <ObjectID>"),
        "{d}"
    );
}

#[test]
fn lwm2m_version_malformed() {
    assert_error(
        "lwm2m version",
        "<LWM2MVersion>1.1</",
        "<LWM2MVersion>§1.x</",
        "\"1.x\" is not a version such as 1.0",
    );
}

#[test]
fn object_version_malformed() {
    assert_error(
        "object version",
        "<ObjectVersion>1.1</",
        "<ObjectVersion>§v2</",
        "\"v2\" is not a version",
    );
}

#[test]
fn object_multiplicity_misspelled() {
    assert_error(
        "object multiple",
        "<MultipleInstances>Multiple</MultipleInstances>\n    <Mandatory>",
        "<MultipleInstances>§Many</MultipleInstances>\n    <Mandatory>",
        "\"Many\" is not one of Single, Multiple",
    );
}

#[test]
fn object_mandatory_misspelled() {
    assert_error(
        "object mandatory",
        "<Mandatory>Optional</Mandatory>\n    <Resources>",
        "<Mandatory>§Required</Mandatory>\n    <Resources>",
        "\"Required\" is not one of Mandatory, Optional",
    );
}

#[test]
fn resources_missing() {
    let (span, xml) = locate(
        &VALID
            .replacen("  <Object ObjectType", "  §<Object ObjectType", 1)
            .replacen("<Resources>", "<Other>", 1)
            .replacen("</Resources>", "</Other>", 1),
    );
    let d = diagnose(xml.as_bytes());
    assert!(
        d.errors()
            .any(|e| e.span == span && e.message == "<Object> has no <Resources>"),
        "{d}"
    );
}

// --- Item elements -------------------------------------------------------------------------

#[test]
fn item_id_missing() {
    assert_error(
        "item id",
        r#"<Item ID="1">"#,
        "§<Item>",
        "<Item> has no ID attribute",
    );
}

#[test]
fn item_id_not_a_number() {
    assert_error(
        "item id nan",
        r#"<Item ID="1">"#,
        r#"§<Item ID="x1">"#,
        "\"x1\" is not a number",
    );
}

#[test]
fn item_id_too_large() {
    assert_error(
        "item id big",
        r#"<Item ID="1">"#,
        r#"§<Item ID="70000">"#,
        "does not fit the 16 bits",
    );
}

#[test]
fn operations_misspelled() {
    assert_error(
        "operations",
        "<Operations>RW</Operations>",
        "<Operations>§RWE</Operations>",
        "\"RWE\" is not one of R, W, RW, E, empty",
    );
}

#[test]
fn type_misspelled_lists_every_type() {
    assert_error(
        "type",
        "<Type>Integer</Type>",
        "<Type>§Int</Type>",
        "\"Int\" is not one of String, Integer, Float, Boolean, Opaque, Time, Objlnk, Unsigned Integer, Corelnk, empty",
    );
}

#[test]
fn type_spelling_is_case_sensitive() {
    assert_error(
        "type case",
        "<Type>String</Type>",
        "<Type>§string</Type>",
        "\"string\" is not one of",
    );
}

#[test]
fn item_multiplicity_misspelled() {
    assert_error(
        "item multiple",
        "<MultipleInstances>Single</MultipleInstances>\n        <Mandatory>Mandatory",
        "<MultipleInstances>§single</MultipleInstances>\n        <Mandatory>Mandatory",
        "\"single\" is not one of Single, Multiple",
    );
}

#[test]
fn item_mandatory_misspelled() {
    assert_error(
        "item mandatory",
        "<Mandatory>Mandatory</Mandatory>\n        <Type>Integer",
        "<Mandatory>§Yes</Mandatory>\n        <Type>Integer",
        "\"Yes\" is not one of Mandatory, Optional",
    );
}

#[test]
fn item_name_empty() {
    assert_error(
        "name",
        "      <Item ID=\"0\">\n        <Name>Level</Name>",
        "      §<Item ID=\"0\">\n        <Name> </Name>",
        "no <Name> or an empty one",
    );
}

#[test]
fn item_name_twice() {
    assert_error(
        "name twice",
        "<Name>Reset</Name>",
        "<Name>Reset</Name>\n        §<Name>Again</Name>",
        "<Name> appears more than once",
    );
}

#[test]
fn item_operations_missing() {
    assert_error(
        "operations missing",
        "      <Item ID=\"2\">\n        <Name>Label</Name>\n        <Operations>R</Operations>\n",
        "      §<Item ID=\"2\">\n        <Name>Label</Name>\n",
        "<Item> has no <Operations>",
    );
}

// --- Checks across items --------------------------------------------------------------------

#[test]
fn duplicate_resource_id() {
    assert_error(
        "dup id",
        r#"<Item ID="2">"#,
        r#"§<Item ID="0">"#,
        "resource ID 0 is already used at 13:7",
    );
}

#[test]
fn duplicate_object_in_one_file() {
    let object = &VALID[VALID.find("  <Object").unwrap()..VALID.find("</LWM2M>").unwrap()];
    let (span, xml) =
        locate(&VALID.replacen("</LWM2M>", &format!("§{}</LWM2M>", object.trim_start()), 1));
    let d = diagnose(xml.as_bytes());
    assert!(
        d.errors().any(|e| e.span == span
            && e.message == "object 42000 version 1.1 is already defined at case.xml:3:3"),
        "{d}"
    );
}

#[test]
fn reserved_object_id() {
    assert_error(
        "reserved id",
        "  <Object ObjectType=\"MODefinition\">\n    <Name>Test Object</Name>\n    <Description1><![CDATA[A test object.]]></Description1>\n    <ObjectID>42000</ObjectID>",
        "  §<Object ObjectType=\"MODefinition\">\n    <Name>Test Object</Name>\n    <Description1><![CDATA[A test object.]]></Description1>\n    <ObjectID>1500</ObjectID>",
        "object ID 1500 is in the range 1024..=2047 that LwM2M reserves",
    );
}

#[test]
fn max_id_object() {
    assert_error(
        "max id",
        "  <Object ObjectType=\"MODefinition\">\n    <Name>Test Object</Name>\n    <Description1><![CDATA[A test object.]]></Description1>\n    <ObjectID>42000</ObjectID>",
        "  §<Object ObjectType=\"MODefinition\">\n    <Name>Test Object</Name>\n    <Description1><![CDATA[A test object.]]></Description1>\n    <ObjectID>65535</ObjectID>",
        "object ID 65535 is MAX_ID",
    );
}

#[test]
fn max_id_resource() {
    assert_error(
        "max rid",
        r#"<Item ID="2">"#,
        r#"§<Item ID="65535">"#,
        "resource ID 65535 is MAX_ID",
    );
}

#[test]
fn every_error_of_a_file_is_reported_together() {
    let xml = VALID
        .replacen("<Type>Integer</Type>", "<Type>Int</Type>", 1)
        .replacen(
            "<Operations>R</Operations>",
            "<Operations>X</Operations>",
            1,
        )
        .replacen(r#"<Item ID="2">"#, r#"<Item ID="0">"#, 1);
    let d = diagnose(xml.as_bytes());
    let messages: Vec<String> = d.errors().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 3, "{d}");
    assert_eq!(
        messages[0],
        "case.xml:18:15: Object 42000 (Test Object) > Item ID=\"0\" (Level) > <Type>: \"Int\" is not one of \
         String, Integer, Float, Boolean, Opaque, Time, Objlnk, Unsigned Integer, Corelnk, empty"
    );
    assert!(messages[1].starts_with(
        "case.xml:35:21: Object 42000 (Test Object) > Item ID=\"0\" (Label) > <Operations>"
    ));
    assert!(messages[2].starts_with(
        "case.xml:33:7: Object 42000 (Test Object) > Item ID=\"0\" (Label): resource ID 0"
    ));
}

// --- Warnings: the file is usable --------------------------------------------------------------

fn warnings_of(xml: &str) -> Vec<String> {
    let d = diagnose(xml.as_bytes());
    assert!(!d.has_errors(), "{d}");
    d.0.iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn warnings_do_not_fail_a_file() {
    let no_type = VALID.replacen("<Type>String</Type>", "<Type></Type>", 1);
    assert_eq!(
        warnings_of(&no_type),
        ["a resource with Operations \"R\" needs a <Type>; generated as Opaque"]
    );
    let old = VALID
        .replacen("<LWM2MVersion>1.1", "<LWM2MVersion>1.0", 1)
        .replacen("<Type>Integer</Type>", "<Type>Unsigned Integer</Type>", 1);
    assert_eq!(
        warnings_of(&old),
        ["\"Unsigned Integer\" is a LwM2M 1.1 type but the object declares LwM2M 1.0"]
    );
    let urn = VALID.replacen("urn:oma:lwm2m:x:42000:1.1", "urn:oma:lwm2m:x:42001", 1);
    assert_eq!(
        warnings_of(&urn),
        [
            "\"urn:oma:lwm2m:x:42001\" does not match the object ID and version; expected \"urn:oma:lwm2m:x:42000:1.1\""
        ]
    );
    let inverted = VALID.replacen("0..100", "100..0", 1);
    assert_eq!(
        warnings_of(&inverted),
        ["inverted range 100..0 read as 0..100"]
    );
    let test_range = VALID.replace("42000", "42770");
    assert_eq!(
        warnings_of(&test_range),
        ["object ID 42770 is in the test range 42769..=42800 and must not be used in production"]
    );
}

#[test]
fn an_executable_with_a_type_is_a_warning_at_the_type() {
    let (span, xml) = locate(&VALID.replacen(
        "<Operations>E</Operations>\n        <MultipleInstances>Single</MultipleInstances>\n        <Mandatory>Optional</Mandatory>\n        <Type></Type>",
        "<Operations>E</Operations>\n        <MultipleInstances>Single</MultipleInstances>\n        <Mandatory>Optional</Mandatory>\n        <Type>§Boolean</Type>",
        1,
    ));
    assert_eq!(span, Span { line: 28, col: 15 });
    let d = diagnose(xml.as_bytes());
    assert!(!d.has_errors(), "{d}");
    let warnings: Vec<String> = d.warnings().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "case.xml:28:15: Object 42000 (Test Object) > Item ID=\"1\" (Reset) > <Type>: an executable \
             resource carries no value, so its <Type> should be empty, not \"Boolean\"; generated with \
             no value"
        ]
    );
    // Generated as an executable with no value: the type and anything read for it are ignored.
    let Document::Objects(objects) = parse("case.xml", xml.as_bytes()).document else {
        panic!("not objects")
    };
    let reset = &objects[0].resources[1];
    assert_eq!(reset.kind, ResourceType::Boolean);
    assert_eq!(reset.value_kind(), ResourceType::None);
    assert_eq!(reset.constraint, Constraint::None);
}

#[test]
fn an_executable_with_an_integer_type_gets_no_range_or_named_values() {
    let xml = VALID.replacen(
        "<Type></Type>\n        <RangeEnumeration></RangeEnumeration>",
        "<Type>Integer</Type>\n        <RangeEnumeration>0: soft\n1: hard</RangeEnumeration>",
        1,
    );
    let Document::Objects(objects) = parse("case.xml", xml.as_bytes()).document else {
        panic!("not objects")
    };
    let reset = &objects[0].resources[1];
    assert_eq!(reset.value_kind(), ResourceType::None);
    assert_eq!(reset.constraint, Constraint::None);
    assert!(reset.labels.is_empty(), "{:?}", reset.labels);
}

#[test]
fn non_object_files_are_recognised() {
    for (xml, reason) in [
        ("<DDFList><Item/></DDFList>", "a DDF index"),
        ("<units><unit/></units>", "a units registry"),
        (
            "<LWM2M><Object ObjectType=\"CommonResources\"/></LWM2M>",
            "ObjectType=\"CommonResources\"",
        ),
        ("<html/>", "root element <html> is not <LWM2M>"),
    ] {
        match parse("x.xml", xml.as_bytes()).document {
            Document::NotObjects { reason: got } => assert!(got.contains(reason), "{got}"),
            other => panic!("{xml}: {other:?}"),
        }
    }
}
