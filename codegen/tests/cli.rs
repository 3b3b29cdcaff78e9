//! The `lwm2m-codegen` command line: one line per file, a summary, and the exit code.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lwm2m-codegen"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn objects_xml(n: u16) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../objects/xml/{n}.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn check_reports_each_file_and_fails_when_one_fails() {
    let dir = scratch("cli-check");
    std::fs::write(dir.join("4.xml"), objects_xml(4)).unwrap();
    let broken = String::from_utf8(objects_xml(5)).unwrap().replacen(
        "<Type>Integer</Type>",
        "<Type>Int</Type>",
        1,
    );
    std::fs::write(dir.join("5.xml"), broken).unwrap();
    std::fs::write(dir.join("DDF.xml"), "<DDFList></DDFList>").unwrap();
    std::fs::write(dir.join("notes.txt"), "not xml, not looked at").unwrap();

    let out = bin().arg("check").arg(&dir).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let d = dir.display();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(lines[0], format!("{d}/4.xml: ok"));
    assert!(
        lines[1].starts_with(&format!("error: {d}/5.xml:")),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("> <Type>: \"Int\" is not one of String, Integer"),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        format!("{d}/DDF.xml: skipped: a DDF index (root <DDFList>), not an object definition")
    );
    assert_eq!(lines[3], "1 ok, 1 skipped, 1 failed");
    assert_eq!(out.status.code(), Some(1));

    std::fs::remove_file(dir.join("5.xml")).unwrap();
    let out = bin().arg("check").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .ends_with("1 ok, 1 skipped, 0 failed\n")
    );
}

#[test]
fn generate_writes_one_file_with_unique_module_names() {
    let dir = scratch("cli-generate");
    std::fs::write(dir.join("5.xml"), objects_xml(5)).unwrap();
    // An older version of the same object: both modules must coexist.
    let older = String::from_utf8(objects_xml(5))
        .unwrap()
        .replace(
            "<ObjectVersion>1.2</ObjectVersion>",
            "<ObjectVersion>1.1</ObjectVersion>",
        )
        .replace("urn:oma:lwm2m:oma:5:1.2", "urn:oma:lwm2m:oma:5:1.1");
    std::fs::write(dir.join("5-1_1.xml"), older).unwrap();
    let out_file = dir.join("all.rs");
    let out = bin()
        .arg("generate")
        .arg("--out")
        .arg(&out_file)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.contains("pub mod firmware_update {"));
    assert!(text.contains("pub mod firmware_update_v1_1 {"));
}

#[test]
fn generate_fails_with_every_error_and_usage_errors_exit_2() {
    let dir = scratch("cli-generate-errors");
    let broken = String::from_utf8(objects_xml(4)).unwrap().replacen(
        "<Operations>R</Operations>",
        "<Operations>Read</Operations>",
        2,
    );
    std::fs::write(dir.join("4.xml"), broken).unwrap();
    let out = bin()
        .arg("generate")
        .arg(dir.join("4.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr
            .matches("\"Read\" is not one of R, W, RW, E, empty")
            .count(),
        2,
        "{stderr}"
    );
    assert_eq!(bin().output().unwrap().status.code(), Some(2));
    let help = bin().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("check") && text.contains("generate"),
        "{text}"
    );
    let help = bin().args(["generate", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--overrides <FILE>"));
    assert_eq!(
        bin()
            .args(["generate", "--bogus", "x"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn strict_makes_warnings_errors_for_check_and_generate() {
    let fixture = format!(
        "{}/tests/fixtures/executable_with_type/input.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let dir = scratch("cli-strict");
    let xml = dir.join("valve.xml");
    std::fs::copy(&fixture, &xml).unwrap();
    let warning = format!(
        "{}:51:15: Object 26241 (Valve Actuator) > Item ID=\"3\" (Calibrate) > <Type>: an \
         executable resource carries no value, so its <Type> should be empty, not \"Integer\"; \
         generated with no value",
        xml.display()
    );

    let out = bin().args(["check", "-v"]).arg(&xml).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!(
            "{}: ok (1 warning)\n  warning: {warning}\n1 ok, 0 skipped, 0 failed\n",
            xml.display()
        )
    );
    assert_eq!(out.status.code(), Some(0));

    let out = bin()
        .args(["check", "--strict"])
        .arg(&xml)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("error: {warning}\n0 ok, 0 skipped, 1 failed\n")
    );
    assert_eq!(out.status.code(), Some(1));

    let out_file = dir.join("valve.rs");
    let out = bin()
        .arg("generate")
        .arg("--out")
        .arg(&out_file)
        .arg(&xml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("warning: {warning}\n")
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.contains("impl ::lwm2m_runtime::Executable for Calibrate {}"),
        "{text}"
    );
    assert!(
        text.contains("kind: ::lwm2m_runtime::ResourceType::None"),
        "{text}"
    );

    std::fs::remove_file(&out_file).unwrap();
    let out = bin()
        .args(["generate", "--strict", "--out"])
        .arg(&out_file)
        .arg(&xml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("error: {warning}")), "{stderr}");
    assert!(!out_file.exists(), "nothing is written on error");

    assert_eq!(
        bin()
            .args(["check", "--bogus"])
            .arg(&xml)
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}
