//! Every content-format decoder on arbitrary payloads, then what decodes is encoded again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_runtime::format::{self, ContentFormat, Shape};
use lwm2m_runtime::path::Path;
use lwm2m_runtime::spec::ResourceType;

const FORMATS: [ContentFormat; 7] = [
    ContentFormat::Text,
    ContentFormat::Opaque,
    ContentFormat::Tlv,
    ContentFormat::SenmlJson,
    ContentFormat::SenmlCbor,
    ContentFormat::Lwm2mCbor,
    ContentFormat::LinkFormat,
];

const TYPES: [ResourceType; 8] = [
    ResourceType::String,
    ResourceType::Integer,
    ResourceType::UnsignedInteger,
    ResourceType::Float,
    ResourceType::Boolean,
    ResourceType::Opaque,
    ResourceType::Time,
    ResourceType::Objlnk,
];

fuzz_target!(|data: &[u8]| {
    let [selector, depth, rest @ ..] = data else { return };
    let format = FORMATS[usize::from(*selector) % FORMATS.len()];
    let base = match depth % 3 {
        0 => Path::parse("/30000/0"),
        1 => Path::parse("/30000/0/3"),
        _ => Path::parse("/30000/0/9/1"),
    };
    let Some(base) = base else { return };
    // Resource r of object 30000 has type TYPES[r % 8]; odd resources are multiple.
    let shape = |p: &Path| {
        let r = p.resource()?;
        (r < 64).then(|| Shape {
            kind: TYPES[usize::from(r) % TYPES.len()],
            multiple: r % 2 == 1,
        })
    };
    let mut payload = rest.to_vec();
    if let Ok(items) = format::decode(format, &base, &mut payload, &shape) {
        let mut out: Vec<u8> = Vec::new();
        let _ = format::encode(format, &base, &mut format::Items(&items), &mut out);
    }
});
