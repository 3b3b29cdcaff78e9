//! Arbitrary `<RangeEnumeration>` texts: always read (as prose at worst), and the constraint
//! and labels derived for every type without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_codegen::model::ResourceType;
use lwm2m_codegen::range;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = range::parse(text);
    for kind in [
        ResourceType::Integer,
        ResourceType::UnsignedInteger,
        ResourceType::Float,
        ResourceType::String,
        ResourceType::Opaque,
        ResourceType::Boolean,
    ] {
        let mut warnings = Vec::new();
        let constraint = range::constraint(kind, &parsed.range, &mut warnings);
        let _ = range::labels(kind, &parsed.range, &constraint, text, &mut warnings);
    }
});
