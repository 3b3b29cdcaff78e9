//! What the generator emits, kept as reviewable files under `tests/fixtures/<case>/`.
//!
//! A reviewer reads `expected.rs` to see what users get. After an intended change, rewrite
//! the files with `UPDATE_SNAPSHOTS=1 cargo test -p lwm2m-codegen --test snapshots` and review
//! the diff.

use std::path::{Path, PathBuf};

use lwm2m_codegen::{Config, Source};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Generates `inputs` (paths relative to the workspace) and compares with the fixture.
fn snapshot(case: &str, inputs: &[&str], overrides: Option<&str>, machines: &[&str]) {
    let root = manifest().join("..");
    let sources: Vec<Source> = inputs
        .iter()
        .map(|p| Source {
            // Relative names, so the snapshot does not depend on where the checkout is.
            name: (*p).to_owned(),
            bytes: std::fs::read(root.join(p)).unwrap(),
        })
        .collect();
    let mut config = Config::new();
    if let Some(o) = overrides {
        config.overrides_file(root.join(o));
    }
    for m in machines {
        config.machine_file(root.join(m));
    }
    let generated = config.generate(&sources).unwrap_or_else(|e| panic!("{e}"));
    let actual = generated.to_file_string().unwrap();
    // Every expansion is a valid Rust file.
    syn::parse_file(&actual).unwrap();
    let path = manifest()
        .join("tests/fixtures")
        .join(case)
        .join("expected.rs");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b);
        panic!(
            "{} differs from the generator's output (first differing line: {:?}); run with \
             UPDATE_SNAPSHOTS=1 and review the diff",
            rel(&path),
            first.map(|i| i + 1)
        );
    }
}

fn rel(path: &Path) -> String {
    path.strip_prefix(manifest())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn connectivity_monitoring() {
    snapshot(
        "connectivity_monitoring",
        &["objects/xml/4.xml"],
        Some("objects/xml/overrides.toml"),
        &[],
    );
}

#[test]
fn firmware_update() {
    snapshot(
        "firmware_update",
        &["objects/xml/5.xml"],
        Some("objects/xml/overrides.toml"),
        &["objects/xml/5.machine.toml"],
    );
}

#[test]
fn edge_cases() {
    snapshot(
        "edge_cases",
        &["codegen/tests/fixtures/edge_cases/input.xml"],
        None,
        &[],
    );
}

#[test]
fn software_management() {
    snapshot(
        "software_management",
        &["objects/xml/9.xml"],
        Some("objects/xml/overrides.toml"),
        &["objects/xml/9.machine.toml"],
    );
}

#[test]
fn executable_with_type() {
    snapshot(
        "executable_with_type",
        &["codegen/tests/fixtures/executable_with_type/input.xml"],
        None,
        &[],
    );
}
