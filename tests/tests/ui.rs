//! The compile-fail suite: every case in `ui/<category>/` must fail to compile with exactly the
//! diagnostic in its `.stderr`; the cases in `ui/pass/` must compile and run.
//!
//! Run only these with `cargo test -p lwm2m-tests --test ui`; after an intended change to a
//! message, `TRYBUILD=overwrite cargo test -p lwm2m-tests --test ui` and review the diff.

use std::process::Command;

use lwm2m_tests::workspace_root;

/// The macros resolve XML paths against this variable first; trybuild builds the cases in its
/// own directory, so the variable points them back at the workspace.
const BASE: &str = "LWM2M_MACROS_MANIFEST_DIR";

#[test]
fn ui() {
    if std::env::var_os(BASE).is_none() {
        // Setting a variable in a running process is unsafe; running this test again as a
        // child process with the variable set is not.
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["ui", "--exact", "--nocapture", "--test-threads=1"])
            .env(BASE, workspace_root())
            .status()
            .unwrap();
        assert!(status.success(), "the ui cases failed (see above)");
        return;
    }
    let cases = trybuild::TestCases::new();
    for category in [
        "object",
        "derive_attributes",
        "derive_binding",
        "derive_types",
        "typed_access",
        "fota",
        "software_management",
    ] {
        cases.compile_fail(format!("ui/{category}/*.rs"));
    }
    cases.pass("ui/pass/*.rs");
}
