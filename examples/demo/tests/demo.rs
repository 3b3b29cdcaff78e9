//! The demo, as the README runs it: a fresh board bootstraps, then takes three updates, over
//! DTLS on loopback (two processes, a flash file).

use std::process::Command;

#[test]
fn the_demo_pushes_pulls_and_rolls_back() {
    let out = Command::new(env!("CARGO_BIN_EXE_lwm2m-demo"))
        .arg("--quick")
        .output()
        .expect("the demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "(DTLS 1.2, PSK identity demo-board, a new random key)",
        "board: asking the Bootstrap-Server for an account",
        "bootstrap: POST /bs?ep=demo-board (from the device) -> 2.04",
        "bootstrap: DELETE / -> 2.02",
        "bootstrap: PUT /0/1 -> 2.04",
        "bootstrap: PUT /1/1 -> 2.04",
        "bootstrap: POST /bs (Bootstrap-Finish) -> 2.04",
        "bootstrap: demo-board provisioned",
        "board: bootstrapped: registering with the provisioned server",
        "server: signal -110 dBm is below -90 dBm: waiting before sending the image",
        "board: booted image 1.1.0 (bootloader: Swapped)",
        "board: booted image 1.2.0 (bootloader: Swapped)",
        "board: self-test of the new image FAILED",
        "board: booted image 1.2.0 (bootloader: Reverted)",
        "server: /5/0/5 Update Result = 8 (Firmware update failed)",
        "  ok   PUSH 1.1.0",
        "  ok   PULL 1.2.0",
        "  ok   PUSH 1.3.0, which fails its self-test (expect a rollback): Update Result 8 (Firmware update failed), running 1.2.0",
        "demo: PUSH, PULL and rollback all went as expected",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // The servers log each DTLS session on stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "[INFO  lwm2m::server] DTLS session with 127.0.0.1:",
        "(demo-board), 367 bytes in 4 datagrams",
    ] {
        assert!(stderr.contains(line), "missing {line:?} in:\n{stderr}");
    }
    // Piped to a file, the output reads line by line: no carriage returns redrawing a bar,
    // and the transfer's progress as plain lines.
    assert!(!stdout.contains('\r'), "a carriage return in:\n{stdout}");
    let longest = stdout.lines().map(str::len).max().unwrap_or(0);
    assert!(
        longest <= 500,
        "a line of {longest} characters in:\n{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("  progress: 50% ")),
        "no progress line in:\n{stdout}"
    );
}

#[test]
fn help_is_printed_with_status_0_and_a_wrong_flag_is_refused_with_2() {
    let demo = || Command::new(env!("CARGO_BIN_EXE_lwm2m-demo"));
    let help = demo().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in ["--quick", "--keep", "--insecure"] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    let wrong = demo().arg("--quik").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("unexpected argument '--quik'"));
    // The board it runs as a second process takes the board's options.
    let board = demo().args(["board", "--help"]).output().unwrap();
    assert_eq!(board.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&board.stdout).contains("--endpoint <NAME>"));
}
