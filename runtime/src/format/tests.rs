//! Known-answer tests for each format, and property tests: whatever is encoded decodes to the
//! same items, in every format, at every depth.

extern crate std;

use std::string::String;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::value::ObjLink;

/// The test object 30000: one resource of each type, and two multiple-instance resources.
fn shape(path: &Path) -> Option<Shape> {
    if path.object() != Some(30000) {
        return None;
    }
    let (kind, multiple) = match path.resource()? {
        0 => (ResourceType::String, false),
        1 => (ResourceType::Integer, false),
        2 => (ResourceType::Float, false),
        3 => (ResourceType::Boolean, false),
        4 => (ResourceType::Opaque, false),
        5 => (ResourceType::Time, false),
        6 => (ResourceType::Objlnk, false),
        7 => (ResourceType::UnsignedInteger, false),
        8 => (ResourceType::Corelnk, false),
        9 => (ResourceType::Integer, true),
        300 => (ResourceType::String, true),
        _ => return None,
    };
    Some(Shape { kind, multiple })
}

fn p(ids: &[u16]) -> Path {
    Path::new(ids).unwrap()
}

fn encoded(format: ContentFormat, base: &Path, items: &mut [Item<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    encode(format, base, &mut Items(items), &mut out).unwrap();
    out
}

#[test]
fn tlv_matches_the_specification_layout() {
    // A resource with an 8-bit ID and an 8-bit length: type 0xC8, ID 0, length 20.
    let text = "Open Mobile Alliance";
    let mut items = [Item {
        path: p(&[30000, 0, 0]),
        kind: ResourceType::String,
        value: Value::String(text),
    }];
    let bytes = encoded(ContentFormat::Tlv, &p(&[30000, 0, 0]), &mut items);
    assert_eq!(&bytes[..3], &[0xC8, 0x00, 0x14]);
    assert_eq!(&bytes[3..], text.as_bytes());
    // A multiple resource holding two one-byte resource instances: 0x86 (multiple resource,
    // 8-bit ID, length 6 in the type byte) 0x09 (ID 9), then 0x41 (resource instance,
    // length 1) ID 0 value 1, and ID 1 value 5.
    let mut items = [
        Item {
            path: p(&[30000, 0, 9, 0]),
            kind: ResourceType::Integer,
            value: Value::Integer(1),
        },
        Item {
            path: p(&[30000, 0, 9, 1]),
            kind: ResourceType::Integer,
            value: Value::Integer(5),
        },
    ];
    let bytes = encoded(ContentFormat::Tlv, &p(&[30000, 0, 9]), &mut items);
    assert_eq!(bytes, [0x86, 0x09, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05]);
    // Wide IDs set the 16-bit identifier bit: 0xA3 (multiple resource, 16-bit ID, length 3).
    let mut items = [Item {
        path: p(&[30000, 0, 300, 2]),
        kind: ResourceType::String,
        value: Value::String("x"),
    }];
    let bytes = encoded(ContentFormat::Tlv, &p(&[30000, 0]), &mut items);
    assert_eq!(bytes, [0xA3, 0x01, 0x2C, 0x41, 0x02, b'x']);
}

#[test]
fn tlv_integers_take_the_fewest_bytes() {
    for (v, len) in [
        (0i64, 1),
        (-128, 1),
        (127, 1),
        (128, 2),
        (-32769, 4),
        (1 << 40, 8),
    ] {
        let mut items = [Item {
            path: p(&[30000, 0, 1]),
            kind: ResourceType::Integer,
            value: Value::Integer(v),
        }];
        let bytes = encoded(ContentFormat::Tlv, &p(&[30000, 0, 1]), &mut items);
        // Lengths below 8 sit in the type byte; 8 takes a length byte.
        let header = if len < 8 { 2 } else { 3 };
        assert_eq!(bytes.len(), header + len, "{v}");
        assert_eq!(&bytes[header..], &v.to_be_bytes()[8 - len..], "{v}");
    }
}

#[test]
fn senml_json_and_text_read_as_servers_write_them() {
    let mut items = [
        Item {
            path: p(&[30000, 0, 0]),
            kind: ResourceType::String,
            value: Value::String("ACME \"Co\""),
        },
        Item {
            path: p(&[30000, 0, 3]),
            kind: ResourceType::Boolean,
            value: Value::Boolean(true),
        },
        Item {
            path: p(&[30000, 0, 2]),
            kind: ResourceType::Float,
            value: Value::Float(1.5),
        },
    ];
    let bytes = encoded(ContentFormat::SenmlJson, &p(&[30000, 0]), &mut items);
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"[{"n":"/30000/0/0","vs":"ACME \"Co\""},{"n":"/30000/0/3","vb":true},{"n":"/30000/0/2","v":1.5}]"#
    );
    // Base names, escapes and integers written as floats, as other implementations send them.
    let mut payload =
        br#"[{"bn":"/30000/0/","n":"1","v":5.0},{"n":"0","vs":"caf\u00e9"},{"n":"4","vd":"AQID"}]"#
            .to_vec();
    let items = decode(
        ContentFormat::SenmlJson,
        &p(&[30000, 0]),
        &mut payload,
        &shape,
    )
    .unwrap();
    assert_eq!(items[0].value, Value::Integer(5));
    assert_eq!(items[1].value, Value::String("café"));
    assert_eq!(items[2].value, Value::Opaque(&[1, 2, 3]));
    let mut text = *b"-42";
    assert_eq!(
        decode(ContentFormat::Text, &p(&[30000, 0, 1]), &mut text, &shape).unwrap()[0].value,
        Value::Integer(-42)
    );
}

#[test]
fn bad_payloads_are_bad_requests() {
    let cases: &[(ContentFormat, &[u16], &[u8])] = &[
        (ContentFormat::Text, &[30000, 0, 1], b"12x"),
        (ContentFormat::Text, &[30000, 0, 3], b"true"),
        (ContentFormat::Text, &[30000, 0, 6], b"3-0"),
        (ContentFormat::Tlv, &[30000, 0], &[0xC8, 0x00, 0x14, b'a']),
        (ContentFormat::Tlv, &[30000, 0], &[0xC1, 0x01, 1, 2]),
        (ContentFormat::Tlv, &[30000, 0, 1], &[0xC1, 0x02, 1]),
        (
            ContentFormat::SenmlJson,
            &[30000, 0],
            br#"[{"n":"/30000/0/1","vs":"5"}]"#,
        ),
        (
            ContentFormat::SenmlJson,
            &[30000, 0],
            br#"[{"n":"/30000/0/1","v":5.5}]"#,
        ),
        (
            ContentFormat::SenmlJson,
            &[30000, 0],
            br#"[{"n":"/30000/1/1","v":5}]"#,
        ),
        (
            ContentFormat::SenmlJson,
            &[30000, 0],
            br#"[{"n":"/30000/0/1","v":5,"x_":1}]"#,
        ),
        (
            ContentFormat::SenmlJson,
            &[30000, 0],
            br#"[{"n":"/30000/0/1","v":5}"#,
        ),
        (ContentFormat::SenmlCbor, &[30000, 0], &[0x81, 0xa1, 0x00]),
        (ContentFormat::Lwm2mCbor, &[30000, 0], &[0xa1, 0x19, 0x75]),
        (ContentFormat::Tlv, &[30000, 0], &[0xC1, 0x09, 1]),
    ];
    for (format, base, payload) in cases {
        let mut bytes = payload.to_vec();
        let got = decode(*format, &p(base), &mut bytes, &shape);
        assert_eq!(got.err(), Some(Error::BadRequest), "{format:?} {payload:?}");
    }
    let mut bytes = b"x".to_vec();
    assert_eq!(
        decode(ContentFormat::Text, &p(&[30000, 0, 99]), &mut bytes, &shape).err(),
        Some(Error::NotFound)
    );
    assert_eq!(
        decode(
            ContentFormat::Opaque,
            &p(&[30000, 0, 1]),
            &mut bytes,
            &shape
        )
        .err(),
        Some(Error::UnsupportedContentFormat)
    );
    assert_eq!(
        decode(
            ContentFormat::LinkFormat,
            &p(&[30000, 0]),
            &mut bytes,
            &shape
        )
        .err(),
        Some(Error::UnsupportedContentFormat)
    );
}

#[test]
fn single_value_formats_refuse_what_they_cannot_carry() {
    let two = [
        Item {
            path: p(&[30000, 0, 1]),
            kind: ResourceType::Integer,
            value: Value::Integer(1),
        },
        Item {
            path: p(&[30000, 0, 2]),
            kind: ResourceType::Float,
            value: Value::Float(1.0),
        },
    ];
    let mut out = Vec::new();
    assert_eq!(
        encode(
            ContentFormat::Text,
            &p(&[30000, 0]),
            &mut Items(&two),
            &mut out
        ),
        Err(Error::NotAcceptable)
    );
    let opaque = [Item {
        path: p(&[30000, 0, 4]),
        kind: ResourceType::Opaque,
        value: Value::Opaque(b"ab"),
    }];
    assert_eq!(
        encode(
            ContentFormat::Text,
            &p(&[30000, 0, 4]),
            &mut Items(&opaque),
            &mut out
        ),
        Err(Error::NotAcceptable)
    );
    assert_eq!(
        encode(
            ContentFormat::Opaque,
            &p(&[30000, 0, 4]),
            &mut Items(&opaque),
            &mut out
        ),
        Ok(())
    );
    assert_eq!(out, b"ab");
}

#[test]
fn a_window_keeps_one_block_and_counts_the_rest() {
    let mut w = Window::new(4, 3);
    for chunk in [&b"ab"[..], b"cdef", b"gh"] {
        w.write(chunk).unwrap();
    }
    assert_eq!(w.total(), 8);
    assert_eq!(w.into_bytes(), b"efg");
}

/// An owned value, to generate.
#[derive(Clone, Debug)]
enum V {
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    Time(i64),
    Link(u16, u16),
    Core(String),
}

fn value_of(v: &V) -> Value<'_> {
    match v {
        V::Int(x) => Value::Integer(*x),
        V::Uint(x) => Value::Unsigned(*x),
        V::Float(x) => Value::Float(*x),
        V::Bool(x) => Value::Boolean(*x),
        V::Str(s) => Value::String(s),
        V::Bytes(b) => Value::Opaque(b),
        V::Time(x) => Value::Time(*x),
        V::Link(o, i) => Value::ObjLink(ObjLink {
            object: *o,
            instance: *i,
        }),
        V::Core(s) => Value::CoreLink(s),
    }
}

/// A value for resource `r` of the test object.
fn value_for(r: u16) -> BoxedStrategy<V> {
    let text = "[ -~é\\\\\"]{0,24}";
    match r {
        0 | 300 => text.prop_map(V::Str).boxed(),
        1 | 9 => any::<i64>().prop_map(V::Int).boxed(),
        2 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(V::Float)
            .boxed(),
        3 => any::<bool>().prop_map(V::Bool).boxed(),
        4 => proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(V::Bytes)
            .boxed(),
        5 => any::<i64>().prop_map(V::Time).boxed(),
        6 => (any::<u16>(), any::<u16>())
            .prop_map(|(o, i)| V::Link(o, i))
            .boxed(),
        7 => any::<u64>().prop_map(V::Uint).boxed(),
        _ => text.prop_map(V::Core).boxed(),
    }
}

fn kind_of(r: u16) -> ResourceType {
    shape(&p(&[30000, 0, r])).map(|s| s.kind).unwrap()
}

/// Values for one instance: a subset of the single resources, and some resource instances.
fn instance() -> impl Strategy<Value = Vec<(Vec<u16>, V)>> {
    let singles = proptest::sample::subsequence((0u16..=8).collect::<Vec<_>>(), 0..=9)
        .prop_flat_map(|rs| {
            rs.into_iter()
                .map(|r| value_for(r).prop_map(move |v| (std::vec![r], v)))
                .collect::<Vec<_>>()
        });
    let multi = |r: u16| {
        proptest::collection::btree_map(
            any::<u16>().prop_filter("not MAX_ID", |&i| i != u16::MAX),
            value_for(r),
            0..4,
        )
        .prop_map(move |m| {
            m.into_iter()
                .map(|(ri, v)| (std::vec![r, ri], v))
                .collect::<Vec<_>>()
        })
    };
    (singles, multi(9), multi(300)).prop_map(|(mut a, b, c)| {
        a.extend(b);
        a.extend(c);
        a
    })
}

fn check_round_trip(
    format: ContentFormat,
    base: &Path,
    values: &[(Path, V)],
) -> Result<(), TestCaseError> {
    let items: Vec<Item<'_>> = values
        .iter()
        .map(|(path, v)| Item {
            path: *path,
            kind: kind_of(path.resource().unwrap()),
            value: value_of(v),
        })
        .collect();
    let mut bytes = Vec::new();
    encode(format, base, &mut Items(&items), &mut bytes)
        .map_err(|e| TestCaseError::fail(std::format!("encode: {e}")))?;
    let decoded = decode(format, base, &mut bytes, &shape)
        .map_err(|e| TestCaseError::fail(std::format!("decode: {e}")))?;
    // Unsigned values come back as what the resource declares, so compare normalised.
    prop_assert_eq!(decoded.len(), items.len());
    for (got, want) in decoded.iter().zip(&items) {
        prop_assert_eq!(got.path, want.path);
        prop_assert_eq!(got.value, want.value, "{:?} at {}", format, want.path);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn multi_value_formats_round_trip_objects_and_instances(
        first in instance(),
        second in instance(),
        format in prop_oneof![
            Just(ContentFormat::Tlv),
            Just(ContentFormat::SenmlJson),
            Just(ContentFormat::SenmlCbor),
            Just(ContentFormat::Lwm2mCbor),
        ],
    ) {
        let to_paths = |i: u16, vals: &[(Vec<u16>, V)]| {
            let mut v: Vec<(Path, V)> = vals
                .iter()
                .map(|(ids, val)| {
                    let mut full = std::vec![30000, i];
                    full.extend(ids);
                    (Path::new(&full).unwrap(), val.clone())
                })
                .collect();
            v.sort_by_key(|(path, _)| *path);
            v
        };
        let one = to_paths(0, &first);
        check_round_trip(format, &p(&[30000, 0]), &one)?;
        let mut both = one.clone();
        both.extend(to_paths(7, &second));
        check_round_trip(format, &p(&[30000]), &both)?;
    }

    #[test]
    fn single_values_round_trip_in_every_format(r in 0u16..=8, v in (0u16..=8).prop_flat_map(value_for)) {
        // Only combinations where the value fits the resource.
        let fits = matches!(
            (r, &v),
            (0, V::Str(_)) | (1, V::Int(_)) | (2, V::Float(_)) | (3, V::Bool(_)) | (4, V::Bytes(_))
                | (5, V::Time(_)) | (6, V::Link(..)) | (7, V::Uint(_)) | (8, V::Core(_))
        );
        prop_assume!(fits);
        let path = p(&[30000, 0, r]);
        let values = [(path, v.clone())];
        let single = if r == 4 { ContentFormat::Opaque } else { ContentFormat::Text };
        for format in [single, ContentFormat::Tlv, ContentFormat::SenmlJson, ContentFormat::SenmlCbor, ContentFormat::Lwm2mCbor] {
            check_round_trip(format, &path, &values)?;
        }
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_payloads(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        format in prop_oneof![
            Just(ContentFormat::Text),
            Just(ContentFormat::Opaque),
            Just(ContentFormat::Tlv),
            Just(ContentFormat::SenmlJson),
            Just(ContentFormat::SenmlCbor),
            Just(ContentFormat::Lwm2mCbor),
        ],
        depth in 1usize..=4,
    ) {
        let base = Path::new(&[30000, 0, 9, 1][..depth]).unwrap();
        let mut payload = bytes;
        let _ = decode(format, &base, &mut payload, &shape);
    }
}

#[test]
fn cbor_reads_half_floats_array_keys_and_indefinite_maps() {
    // SenML CBOR with a half float 1.5 (0xF9 0x3E00), as compact encoders write it.
    let mut payload = std::vec![0x81, 0xA2, 0x00, 0x6A];
    payload.extend_from_slice(b"/30000/0/2");
    payload.extend_from_slice(&[0x02, 0xF9, 0x3E, 0x00]);
    let items = decode(
        ContentFormat::SenmlCbor,
        &p(&[30000, 0]),
        &mut payload,
        &shape,
    )
    .unwrap();
    assert_eq!(items[0].value, Value::Float(1.5));
    // LwM2M CBOR with a path array as key: {[30000, 0, 1]: 5}.
    let mut payload = std::vec![0xA1, 0x83, 0x19, 0x75, 0x30, 0x00, 0x01, 0x05];
    let items = decode(
        ContentFormat::Lwm2mCbor,
        &p(&[30000, 0]),
        &mut payload,
        &shape,
    )
    .unwrap();
    assert_eq!(
        (items[0].path, items[0].value),
        (p(&[30000, 0, 1]), Value::Integer(5))
    );
    // Nested indefinite maps, as this encoder writes them: {30000: {0: {1: 5}}}.
    let mut items_in = [Item {
        path: p(&[30000, 0, 1]),
        kind: ResourceType::Integer,
        value: Value::Integer(5),
    }];
    let bytes = encoded(ContentFormat::Lwm2mCbor, &p(&[30000, 0, 1]), &mut items_in);
    assert_eq!(
        bytes,
        [
            0xBF, 0x19, 0x75, 0x30, 0xBF, 0x00, 0xBF, 0x01, 0x05, 0xFF, 0xFF, 0xFF
        ]
    );
}
