//! The board's binaries' command lines: help with status 0, usage errors with 2.

use std::process::Command;

#[test]
fn help_is_printed_with_status_0() {
    for (bin, flags) in [
        (
            env!("CARGO_BIN_EXE_lwm2m-board"),
            &["--server <URI>", "--flash <FILE>", "RUST_LOG"][..],
        ),
        (
            env!("CARGO_BIN_EXE_lwm2m-sign"),
            &["--version <X.Y.Z[+B]>", "--demo <BYTES>"][..],
        ),
    ] {
        let out = Command::new(bin).arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{bin}");
        let text = String::from_utf8_lossy(&out.stdout);
        for flag in flags {
            assert!(
                text.contains(flag),
                "{flag} missing from {bin}'s help:\n{text}"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let board = Command::new(env!("CARGO_BIN_EXE_lwm2m-board"))
        .args(["--endpoint", "e", "--flash", "f", "--lifetime", "5"])
        .output()
        .unwrap();
    assert_eq!(board.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&board.stderr).contains("5 is not in 30.."));
    let sign = Command::new(env!("CARGO_BIN_EXE_lwm2m-sign"))
        .args(["--version", "1.0.0", "--out", "x.bin"])
        .output()
        .unwrap();
    assert_eq!(sign.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&sign.stderr).contains("--body <FILE>|--demo <BYTES>"));
}
