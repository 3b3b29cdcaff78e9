//! The `lwm2m-fota-server` command line: help, and what it refuses before it serves.

use std::process::Command;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lwm2m-fota-server"))
}

#[test]
fn help_is_printed_with_status_0() {
    let out = server().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--image <FILE>",
        "--listen <ADDR>",
        "--pull",
        "--psk <IDENTITY:HEXKEY>",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    for (args, says) in [
        (&[][..], "--image <FILE>"),
        (&["--image", "x", "--expect", "refused:12"][..], "refused:N"),
        (
            &["--image", "x", "--psk", "dev:zz"][..],
            "the key is not hex",
        ),
        (&["--image", "x", "--psk", "nocolon"][..], "IDENTITY:HEXKEY"),
        (
            &["--image", "x", "--pull", "--http", "8080"][..],
            "cannot be used with",
        ),
        (
            &["--image", "/nonexistent/image.bin"][..],
            "/nonexistent/image.bin",
        ),
    ] {
        let out = server().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_campaign_takes_its_own_options() {
    let out = server().args(["campaign", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--devices <PATTERN>",
        "--waves <LIST>",
        "--max-failures <N>",
        "--report <FILE>",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    for (args, says) in [
        (
            &["campaign", "--image", "x", "--waves", "2,0%"][..],
            "\"0%\": a device count or a share",
        ),
        (
            &["campaign", "--image", "x", "--method", "fax"][..],
            "invalid value 'fax'",
        ),
        (
            &["campaign", "--image", "/nonexistent/image.bin"][..],
            "/nonexistent/image.bin",
        ),
        (
            &["campaign", "--image", "x", "--pull"][..],
            "unexpected argument '--pull'",
        ),
    ] {
        let out = server().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
