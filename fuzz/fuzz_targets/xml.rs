//! Arbitrary bytes as an object definition: parse, check and generate return an error with a
//! position, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_codegen::{Config, Source};

fuzz_target!(|data: &[u8]| {
    let source = Source {
        name: "fuzz.xml".into(),
        bytes: data.to_vec(),
    };
    if let Ok(generated) = Config::new().generate(&[source]) {
        // What generates must also be valid Rust.
        generated
            .to_file_string()
            .expect("generated code parses as a Rust file");
    }
});
