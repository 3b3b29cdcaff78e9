//! Helpers shared by the workspace-level tests.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The OMA registry folder: `LWM2M_REGISTRY_DIR` if set (it must then exist, so CI cannot
/// skip silently), else `../shared/oma-registry` beside the workspace. `None`, after printing
/// why, when neither exists; callers skip.
pub fn registry_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LWM2M_REGISTRY_DIR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "LWM2M_REGISTRY_DIR={} is not a folder",
            dir.display()
        );
        return Some(dir);
    }
    let beside = workspace_root().join("../shared/oma-registry");
    if beside.is_dir() {
        return Some(beside);
    }
    println!(
        "skipped: no OMA registry folder (set LWM2M_REGISTRY_DIR, or place it at {})",
        beside.display()
    );
    None
}

/// Every `*.xml` file directly in `dir`, sorted.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "xml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
