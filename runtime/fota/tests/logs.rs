//! What the agent logs (feature `log`): every refused request, State change, verification
//! outcome, flash error, failed snapshot write and boot decision, each once, in order.

mod support;

use std::sync::Mutex;

use support::*;

/// Collects the agent's lines (target `lwm2m::fota`) as `LEVEL message`.
struct Collect(Mutex<Vec<String>>);

impl log::Log for Collect {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "lwm2m::fota"
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{} {}", record.level(), record.args());
            self.0.lock().unwrap().push(line);
        }
    }

    fn flush(&self) {}
}

static LOG: Collect = Collect(Mutex::new(Vec::new()));

/// The lines logged since the last call.
fn logged() -> Vec<String> {
    std::mem::take(&mut *LOG.0.lock().unwrap())
}

/// Whether `lines` holds a line for each of `expected`, in that order (a line matches when it
/// starts with the expected text).
fn in_order(lines: &[String], expected: &[&str]) -> bool {
    let mut rest = lines.iter();
    expected
        .iter()
        .all(|e| rest.by_ref().any(|line| line.starts_with(e)))
}

#[test]
fn the_agent_logs_refusals_changes_verdicts_flash_errors_and_boot_decisions() {
    log::set_logger(&LOG).unwrap();
    log::set_max_level(log::LevelFilter::Debug);

    let mut fw = fresh(Settings::default());
    let lines = logged();
    assert_eq!(
        lines,
        [
            "INFO booted image 1.0.0 (bootloader: Boot, install record: none)",
            "DEBUG boot: no update under way"
        ]
    );

    // A refused request says which resource, with what code, in which State, and why.
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "4.05");
    assert_eq!(
        logged(),
        ["DEBUG /5/0/2 refused with 4.05 in State 0 (Idle): Update needs a package"]
    );

    // A package that fails its check: each step of the story once.
    let mut bad = image(3000);
    let at = bad.len() - 1;
    bad[at] ^= 1;
    push(&mut h, &mut fw, &bad, 6);
    let lines = logged();
    assert!(
        in_order(
            &lines,
            &[
                "INFO push begins (Some(3000) bytes announced)",
                "INFO State 1 (Downloading), Update Result 0",
                "INFO push complete (3000 bytes): verifying it",
                "WARN package refused: the Ed25519 signature does not verify",
                "WARN the download ends: firmware update failed: Update Result 5",
                "INFO State 0 (Idle), Update Result 5 (Integrity check failure)",
            ]
        ),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 6, "{lines:#?}");

    // The flash fails a snapshot write once: said once, and said again when it is written.
    let ops = fw.flash_mut().ops();
    fw.flash_mut()
        .set_power_cut(Some(lwm2m_fota::sim::PowerCut {
            at: ops,
            torn: false,
        }));
    h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/13").format(0).payload(b"30"),
    );
    fw.flash_mut().power_on();
    h.advance(dev!(fw), 1);
    assert_eq!(
        logged(),
        [
            "ERROR the /5 snapshot could not be written; trying again at every poll",
            "INFO the /5 snapshot is written again"
        ]
    );

    // A good package: verified, installed; after the reboot the boot decides.
    push(&mut h, &mut fw, &image(3000), 6);
    h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    settle(&mut h, &mut fw);
    let lines = logged();
    assert!(
        in_order(
            &lines,
            &[
                "INFO package 2.0.0 verified (3000 bytes)",
                "INFO State 2 (Downloaded), Update Result 0",
                "INFO State 3 (Updating), Update Result 0",
                "INFO package 2.0.0 scheduled with the bootloader: rebooting to install it",
            ]
        ),
        "{lines:#?}"
    );
    let fw = reboot(fw, Settings::default());
    assert_eq!(state(&fw), (State::Idle, 1));
    let lines = logged();
    assert!(
        in_order(
            &lines,
            &[
                "INFO booted image 2.0.0 (bootloader: Swapped, install record: present)",
                "INFO boot: the new image passed its self-test",
                "INFO boot: the new image runs: the update succeeded",
            ]
        ),
        "{lines:#?}"
    );
}
