//! Every file of the OMA registry parses, checks and generates, and the code generated for
//! all of them together compiles as a `#![no_std]` crate whose only dependency is
//! lwm2m-runtime, without a warning.

use std::process::Command;

use lwm2m_codegen::parse::{Document, parse};
use lwm2m_codegen::{Config, Source};
use lwm2m_tests::{registry_dir, workspace_root, xml_files};

#[test]
fn every_registry_file_checks_and_the_whole_registry_compiles_as_no_std() {
    let Some(registry) = registry_dir() else {
        return;
    };
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for path in xml_files(&registry) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let parsed = parse(&name, &bytes);
        assert!(!parsed.diagnostics.has_errors(), "{}", parsed.diagnostics);
        match parsed.document {
            Document::Objects(objects) => {
                assert!(!objects.is_empty(), "{name}");
                sources.push(Source { name, bytes });
            }
            Document::NotObjects { .. } => skipped.push(name),
        }
    }
    skipped.sort();
    // The registry holds three files that are not object definitions.
    assert_eq!(skipped, ["Common.xml", "DDF.xml", "LWM2M_senml_units.xml"]);
    assert!(sources.len() >= 300, "only {} object files", sources.len());

    let generated = Config::new()
        .generate(&sources)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(generated.objects.len(), sources.len());
    let text = generated.to_file_string().unwrap();

    // A throwaway crate under target/, built with its own target dir so it never contends
    // for the lock of the build that runs this test.
    let dir = workspace_root().join("target/registry-corpus");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let runtime = workspace_root().join("runtime");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"registry-corpus\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nlwm2m-runtime = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("src/all.rs"), &text).unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! Every object of the OMA registry.\n#![no_std]\n#![deny(warnings, missing_docs)]\ninclude!(\"all.rs\");\n",
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "generated code does not compile:\n{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "generated code has warnings:\n{stderr}"
    );
    println!(
        "{} object files generated into {} lines that compile as no_std; skipped {skipped:?}",
        sources.len(),
        text.lines().count()
    );
}
