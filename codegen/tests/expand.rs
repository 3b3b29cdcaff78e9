//! The macros' logic, without a compiler: what `object!` and the derive expand to, and the
//! checks the derive makes. The compile-fail suite (`tests/ui` of the workspace) shows the
//! same diagnostics as users see them.

use lwm2m_codegen::expand::{FieldType, check_field, expand_derive, expand_object, field_type};
use lwm2m_codegen::parse::{Document, parse};
use quote::quote;

fn sensor(id: u16) -> lwm2m_codegen::model::Resource {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/ui/xml/sensor.xml"
    ))
    .unwrap();
    let Document::Objects(objects) = parse("sensor.xml", &bytes).document else {
        panic!()
    };
    objects[0]
        .resources
        .iter()
        .find(|r| r.id == id)
        .unwrap()
        .clone()
}

fn ty(tokens: proc_macro2::TokenStream) -> FieldType {
    field_type(&syn::parse2(tokens).unwrap())
}

#[test]
fn field_types_are_read_from_paths() {
    assert_eq!(
        ty(quote!(u8)),
        FieldType::Int {
            name: "u8".into(),
            min: 0,
            max: 255
        }
    );
    assert_eq!(
        ty(quote!(heapless::String<32>)),
        FieldType::HeaplessString(Some(32))
    );
    assert_eq!(ty(quote!(String<N>)), FieldType::HeaplessString(None));
    assert_eq!(
        ty(quote!(heapless::Vec<u8, 16>)),
        FieldType::HeaplessVec(Some(16))
    );
    assert_eq!(
        ty(quote!(Option<lwm2m_runtime::Instances<i8, 4>>)),
        FieldType::Option(Box::new(FieldType::Instances(Box::new(FieldType::Int {
            name: "i8".into(),
            min: -128,
            max: 127
        }))))
    );
    assert_eq!(ty(quote!(my::Enum)), FieldType::Other);
    assert!(matches!(ty(quote!(String)), FieldType::Refused(_)));
    assert!(matches!(ty(quote!(usize)), FieldType::Refused(_)));
}

#[test]
fn integer_fields_must_cover_the_declared_range() {
    let direction = sensor(0); // RW, -1..1
    assert_eq!(check_field(&ty(quote!(i8)), &direction), Ok(()));
    assert_eq!(check_field(&ty(quote!(i64)), &direction), Ok(()));
    let err = check_field(&ty(quote!(u8)), &direction).unwrap_err();
    assert_eq!(
        err,
        "`u8` cannot hold every value of resource 0 `Direction` (RW, Integer, -1..1): use `i8`"
    );
    let count = sensor(1); // R, 0..1000, optional
    assert_eq!(check_field(&ty(quote!(Option<u16>)), &count), Ok(()));
    assert!(check_field(&ty(quote!(Option<u8>)), &count).is_err());
    let offset = sensor(2); // RW, no range
    assert_eq!(check_field(&ty(quote!(Option<i64>)), &offset), Ok(()));
    assert!(
        check_field(&ty(quote!(Option<i32>)), &offset)
            .unwrap_err()
            .contains("no declared range")
    );
}

#[test]
fn other_kinds_and_shapes() {
    let readings = sensor(3); // R, multiple Float
    assert_eq!(
        check_field(&ty(quote!(Option<Instances<f64, 4>>)), &readings),
        Ok(())
    );
    assert!(
        check_field(&ty(quote!(Option<f64>)), &readings)
            .unwrap_err()
            .contains("has multiple instances")
    );
    let enabled = sensor(4); // RW Boolean
    assert_eq!(check_field(&ty(quote!(Option<bool>)), &enabled), Ok(()));
    assert!(
        check_field(&ty(quote!(Option<u8>)), &enabled)
            .unwrap_err()
            .contains("use `bool`")
    );
    assert!(
        check_field(&ty(quote!(Option<Instances<bool, 2>>)), &enabled)
            .unwrap_err()
            .contains("single instance")
    );
    let direction = sensor(0);
    assert!(
        check_field(&ty(quote!(Option<i8>)), &direction)
            .unwrap_err()
            .contains("is mandatory")
    );
    assert_eq!(
        check_field(&ty(quote!(Heading)), &direction),
        Ok(()),
        "checked by the compiler instead"
    );
}

#[test]
fn object_expands_to_the_generated_module_and_tracks_the_file() {
    let tokens = expand_object(quote!("../objects/xml/5.xml")).unwrap();
    let file: syn::File = syn::parse2(tokens.clone()).unwrap();
    let text = tokens.to_string();
    assert!(
        text.contains("include_bytes !"),
        "editing the XML must rebuild"
    );
    assert!(
        file.items
            .iter()
            .any(|i| matches!(i, syn::Item::Mod(m) if m.ident == "firmware_update"))
    );
}

#[test]
fn object_errors_name_the_file_as_written() {
    let err = expand_object(quote!("no/such.xml")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read no/such.xml: no such file (paths are relative to the crate's Cargo.toml)"
    );
    let err = expand_object(quote!("../tests/ui/xml/malformed.xml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("../tests/ui/xml/malformed.xml:25:20: "),
        "{err}"
    );
    let err = expand_object(quote!(5)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected the path of an object definition")
    );
    let err = expand_object(quote!("../objects/xml/5.xml", overides = "x")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown key `overides`; did you mean `overrides`?"
    );
}

#[test]
fn a_derive_with_several_mistakes_reports_them_all_beside_a_stand_in() {
    let input = quote! {
        #[lwm2m(xml = "../tests/ui/xml/sensor.xml")]
        struct Sensor {
            direction: u8,
            count: Option<u8>,
            tempreture: f64,
        }
    };
    let out = expand_derive(input).to_string();
    assert_eq!(out.matches("compile_error").count(), 3, "{out}");
    assert!(
        out.contains("impl :: lwm2m_runtime :: Object for Sensor"),
        "stand-in impl"
    );
    assert!(out.contains("did you mean `temperature`"));
}

#[test]
fn a_good_derive_expands_to_object_and_typed_impls() {
    let input = quote! {
        #[lwm2m(xml = "../tests/ui/xml/sensor.xml")]
        #[lwm2m(resource = 2, read = "offset", write = "set_offset")]
        struct Sensor {
            direction: i8,
            readings: Option<lwm2m_runtime::Instances<f64, 4>>,
            #[lwm2m(skip)]
            other: u32,
        }
    };
    let out = expand_derive(input);
    let text = out.to_string();
    assert!(!text.contains("compile_error"), "{text}");
    let file: syn::File = syn::parse2(out).unwrap();
    assert_eq!(file.items.len(), 1, "one const block");
    assert!(text.contains("impl :: lwm2m_runtime :: Typed for Sensor"));
    assert!(text.contains("self . set_offset (instance"));
    assert!(
        text.contains("const BOUND : & [u16] = & [0u16 , 3u16 , 2u16]"),
        "{text}"
    );
}
