//! Object 5 through the client, exchange by exchange: PUSH over Block1 into the update agent
//! on simulated flash, every Update Result a push can reach, every operation the state
//! forbids, resets, deferral, and what a reboot leaves.

mod support;

use coap_lite::CoapOption;
use lwm2m_runtime::client::{Client, Config};
use support::*;

#[test]
fn push_downloads_block_by_block_verifies_installs_and_reports_success_after_reboot() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    let register = h.register(dev!(fw));
    assert!(
        String::from_utf8(register.payload)
            .unwrap()
            .contains("</5>;ver=1.2,</5/0>")
    );
    // The server watches State.
    let r = h.send(
        dev!(fw),
        Request::new(GET, "/5/0/3").uint(CoapOption::Observe, 0),
    );
    assert_eq!(
        (code_str(&r), r.payload.as_slice()),
        ("2.05".into(), &b"0"[..])
    );

    let data = image(3 * 1024 + 100);
    let responses = push(&mut h, &mut fw, &data, 6);
    let codes: Vec<String> = responses.iter().map(code_str).collect();
    assert_eq!(codes, ["2.31", "2.31", "2.31", "2.04"]);
    assert_eq!(block(&responses[1], CoapOption::Block1), Some((1, true, 6)));
    assert_eq!(
        block(&responses[3], CoapOption::Block1),
        Some((3, false, 6))
    );
    assert_eq!(dfu(&mut fw, data.len()), data, "every byte, in order");
    assert_eq!(state(&fw), (State::Downloaded, 0));

    // Every State change was notified: Downloading, then Downloaded.
    let states: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(fw))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(states, [b"1".to_vec(), b"2".to_vec()]);

    let r = h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    settle(&mut h, &mut fw);
    assert_eq!(fw.reboot_requested(), Some(Reboot::Install));
    assert_eq!(state(&fw), (State::Updating, 0));
    // Updating is notified before the device reboots (it sends what is queued first).
    let states: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(fw))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(states, [b"3".to_vec()]);

    // Reboot: only the flash survives. The bootloader swaps, the self-test passes, the agent
    // confirms and reports success.
    let mut fw = reboot(fw, Settings::default());
    assert_eq!(fw.running().version, NEW);
    assert_eq!(state(&fw), (State::Idle, 1));
    let notices: Vec<Notice> = std::iter::from_fn(|| fw.take_notice()).collect();
    assert!(
        notices.contains(&Notice::SelfTest { passed: true }),
        "{notices:?}"
    );
    // Confirmed: the next reboot keeps the new image.
    let fw = reboot(fw, Settings::default());
    assert_eq!((fw.running().version, state(&fw)), (NEW, (State::Idle, 1)));
}

#[test]
fn an_image_that_fails_its_self_test_is_reverted_and_reported_as_update_failed() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let bad = mcuboot::sign(&body(3000, false), NEW, &dev_key());
    push(&mut h, &mut fw, &bad, 6);
    h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    settle(&mut h, &mut fw);
    let fw = reboot(fw, Settings::default());
    assert_eq!(fw.reboot_requested(), Some(Reboot::SelfTestFailed));
    assert_eq!(fw.running().version, NEW, "on trial, unconfirmed");
    let fw = reboot(fw, Settings::default());
    assert_eq!(fw.running().version, FACTORY, "the bootloader reverted");
    assert_eq!(
        state(&fw),
        (State::Downloaded, 8),
        "the package is still there"
    );
}

#[test]
fn a_push_cut_by_a_reboot_reports_connection_lost_and_can_start_over() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let data = image(300);
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 2)
            .payload(&data[..64]),
    );
    assert_eq!(code_str(&r), "2.31");
    let mut fw = reboot(fw, Settings::default());
    assert_eq!(
        state(&fw),
        (State::Idle, 4),
        "the server's transfer is gone with the reboot"
    );
    let mut h = client();
    h.register(dev!(fw));
    let responses = push(&mut h, &mut fw, &data, 2);
    assert_eq!(code_str(responses.last().unwrap()), "2.04");
    assert_eq!(state(&fw), (State::Downloaded, 0));
    assert_eq!(dfu(&mut fw, data.len()), data);
}

#[test]
fn a_package_larger_than_the_slot_is_refused_with_its_capacity_before_any_write() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .uint(CoapOption::Size1, 100_000)
            .payload(&image(1024)),
    );
    assert_eq!(
        (code_str(&r), uint(&r, CoapOption::Size1)),
        ("4.13".into(), Some(LAYOUT.image_capacity()))
    );
    assert!(
        dfu(&mut fw, 4096).iter().all(|&b| b == ERASED),
        "nothing written"
    );
    assert_eq!(state(&fw), (State::Idle, 2));
}

#[test]
fn block1_gaps_duplicates_and_smaller_sizes() {
    let mut fw = fresh(Settings::default());
    let config = Config {
        max_block: 256,
        ..Config::new("fw-1").unwrap()
    };
    let mut h = Harness::new(Client::new(config, 7));
    h.register(dev!(fw));
    let data = image(2000);
    // The server starts with 1024-byte blocks; the client takes 256 and says so.
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .payload(&data[..1024]),
    );
    assert_eq!(
        (code_str(&r), block(&r, CoapOption::Block1)),
        ("2.31".into(), Some((0, true, 4)))
    );
    assert_eq!(dfu(&mut fw, 256), data[..256]);
    assert!(
        dfu(&mut fw, 260)[256..].iter().all(|&b| b == ERASED),
        "only 256 taken"
    );
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(1, true, 4)
            .payload(&data[256..512]),
    );
    assert_eq!(code_str(&r), "2.31");
    // A retransmitted block (a new message) is acknowledged and not written again.
    let ops = fw.flash_mut().ops();
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(1, true, 4)
            .payload(&data[256..512]),
    );
    assert_eq!(code_str(&r), "2.31");
    assert_eq!(fw.flash_mut().ops(), ops, "no flash operation");
    // A gap: block 3 before block 2.
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(3, true, 4)
            .payload(&data[768..1024]),
    );
    assert_eq!(code_str(&r), "4.08");
    // The server restarts with 128-byte blocks; the download starts over cleanly.
    for (num, chunk) in data.chunks(128).enumerate() {
        let more = (num + 1) * 128 < data.len();
        let r = h.send(
            dev!(fw),
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(num as u32, more, 3)
                .payload(chunk),
        );
        assert_eq!(code_str(&r), if more { "2.31" } else { "2.04" });
    }
    settle(&mut h, &mut fw);
    assert_eq!(dfu(&mut fw, data.len()), data);
    assert_eq!(state(&fw), (State::Downloaded, 0));
    // A block with no transfer in progress.
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(5, true, 3)
            .payload(&data[..128]),
    );
    assert_eq!(code_str(&r), "4.08");
}

#[test]
fn each_update_result_a_push_can_reach() {
    let good = image(3000);
    let mut bad_signature = good.clone();
    let last = bad_signature.len() - 1;
    bad_signature[last] ^= 1;
    let mut corrupted = good.clone();
    corrupted[1000] ^= 1;
    let older = mcuboot::sign(&body(1000, true), Version::new(0, 9, 0, 0), &dev_key());
    /// What is pushed, with what Size1, and the answer and Update Result it must get: a
    /// package refused by its first block gets an error; one whose check fails gets 2.04 (the
    /// check runs after the answer) and Update Result 5.
    type Case = (&'static str, Vec<u8>, Option<u32>, &'static str, u8);
    let cases: [Case; 5] = [
        (
            "larger than the slot",
            good.clone(),
            Some(1 << 20),
            "4.13",
            2,
        ),
        ("bad signature", bad_signature, None, "2.04", 5),
        ("corrupted body", corrupted, None, "2.04", 5),
        (
            "not an image",
            b"#!/bin/sh\necho hi\n".repeat(100),
            None,
            "4.00",
            6,
        ),
        ("a downgrade", older, None, "4.00", 6),
    ];
    for (what, data, size1, expected_code, result) in cases {
        let mut fw = fresh(Settings::default());
        let mut h = client();
        h.register(dev!(fw));
        assert_eq!(state(&fw), (State::Idle, 0), "0: the initial value");
        let mut responses = Vec::new();
        for (num, chunk) in data.chunks(1024).enumerate() {
            let more = (num + 1) * 1024 < data.len();
            let mut request = Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(num as u32, more, 6)
                .payload(chunk);
            if let Some(s) = size1 {
                request = request.uint(CoapOption::Size1, s);
            }
            let r = h.send(dev!(fw), request);
            let go_on = code_str(&r) == "2.31";
            responses.push(r);
            if !go_on {
                break;
            }
        }
        assert_eq!(code_str(responses.last().unwrap()), expected_code, "{what}");
        settle(&mut h, &mut fw);
        assert_eq!(state(&fw), (State::Idle, result), "{what}");
        let refused =
            std::iter::from_fn(|| fw.take_notice()).any(|n| matches!(n, Notice::Refused(_)));
        assert!(refused, "{what}: the refusal is told");
    }
}

#[test]
fn cancel_defer_approve_and_failed_update() {
    let settings = Settings {
        require_approval: true,
        ..Settings::default()
    };
    let mut fw = fresh(settings.clone());
    let mut h = client();
    h.register(dev!(fw));
    // 10: cancelled while downloading; the package is dropped.
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .payload(&image(2000)[..1024]),
    );
    assert_eq!(code_str(&r), "2.31");
    let r = h.send(dev!(fw), Request::new(POST, "/5/0/10"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&fw), (State::Idle, 10));
    assert!(
        dfu(&mut fw, 64).iter().all(|&b| b == ERASED),
        "the header is erased"
    );
    // 11: the update waits for approval; Maximum Defer Period 30 s.
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/13").format(0).payload(b"30"),
    );
    assert_eq!(code_str(&r), "2.04");
    push(&mut h, &mut fw, &image(1500), 6);
    let r = h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&fw), (State::Downloaded, 11));
    h.advance(dev!(fw), 29_000);
    assert_eq!(fw.reboot_requested(), None);
    h.advance(dev!(fw), 1_000);
    settle(&mut h, &mut fw);
    assert_eq!(
        fw.reboot_requested(),
        Some(Reboot::Install),
        "the deferral ran out"
    );
    assert_eq!(state(&fw), (State::Updating, 0));
    // The new image passes its self-test and is confirmed.
    let mut fw = reboot(fw, settings.clone());
    assert_eq!(state(&fw), (State::Idle, 1));
    // Approval path: a second package, Update deferred, then approved by the application.
    let mut h = client();
    h.register(dev!(fw));
    let v3 = mcuboot::sign(&body(1200, true), Version::new(3, 0, 0, 0), &dev_key());
    push(&mut h, &mut fw, &v3, 6);
    let r = h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&fw), (State::Downloaded, 11));
    fw.approve_update().unwrap();
    settle(&mut h, &mut fw);
    assert_eq!(fw.reboot_requested(), Some(Reboot::Install));
    assert_eq!(
        fw.approve_update(),
        Err(lwm2m_runtime::Error::MethodNotAllowed),
        "nothing deferred any more"
    );
}

#[test]
fn operations_the_state_forbids_answer_method_not_allowed() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let data = image(1500);
    let steps: [(Request, &str, &str); 13] = [
        (Request::new(POST, "/5/0/2"), "4.05", "Update in Idle"),
        (Request::new(POST, "/5/0/10"), "4.05", "Cancel in Idle"),
        (
            Request::new(PUT, "/5/0/3").format(0).payload(b"2"),
            "4.05",
            "State is read-only",
        ),
        (Request::new(GET, "/5/0/0"), "4.05", "Package is write-only"),
        (
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(0, true, 6)
                .payload(&data[..1024]),
            "2.31",
            "start a push",
        ),
        (
            Request::new(POST, "/5/0/2"),
            "4.05",
            "Update in Downloading",
        ),
        (
            Request::new(PUT, "/5/0/1").format(0).payload(b"coap://h/x"),
            "4.05",
            "a URI while pushing",
        ),
        (
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(1, false, 6)
                .payload(&data[1024..]),
            "2.04",
            "finish",
        ),
        (
            Request::new(PUT, "/5/0/1").format(0).payload(b"coap://h/x"),
            "4.05",
            "a URI in Downloaded",
        ),
        (
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(0, true, 6)
                .payload(&data[..1024]),
            "4.05",
            "a push in Downloaded",
        ),
        (Request::new(POST, "/5/0/2"), "2.04", "Update"),
        (Request::new(POST, "/5/0/10"), "4.05", "Cancel in Updating"),
        (
            Request::new(PUT, "/5/0/1").format(0).payload(b""),
            "4.05",
            "reset in Updating",
        ),
    ];
    for (request, code, why) in steps {
        let before = state(&fw);
        let r = h.send(dev!(fw), request);
        assert_eq!(code_str(&r), code, "{why}");
        if code != "2.04" && code != "2.31" {
            assert_eq!(state(&fw), before, "{why}: a refusal changes nothing");
        }
        settle(&mut h, &mut fw);
    }
    for (request, why) in [
        (
            Request::new(PUT, "/5/0/0").format(42).payload(&[0]),
            "NUL reset in Updating",
        ),
        (Request::new(POST, "/5/0/2"), "Update in Updating"),
    ] {
        let r = h.send(dev!(fw), request);
        assert_eq!(code_str(&r), "4.05", "{why}");
        assert_eq!(state(&fw), (State::Updating, 0), "{why}");
    }
}

#[test]
fn an_empty_uri_or_a_nul_package_resets_to_idle() {
    for reset in [
        Request::new(PUT, "/5/0/1").format(0).payload(b""),
        Request::new(PUT, "/5/0/0").format(42).payload(&[0]),
    ] {
        let mut fw = fresh(Settings::default());
        let mut h = client();
        h.register(dev!(fw));
        push(&mut h, &mut fw, &image(1300), 6);
        assert_eq!(state(&fw), (State::Downloaded, 0));
        let r = h.send(dev!(fw), reset);
        assert_eq!(code_str(&r), "2.04");
        assert_eq!(state(&fw), (State::Idle, 0));
        assert!(
            dfu(&mut fw, 64).iter().all(|&b| b == ERASED),
            "the package is dropped"
        );
    }
}

#[test]
fn power_lost_while_persisting_updating_leaves_the_package_for_another_update() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    push(&mut h, &mut fw, &image(2000), 6);
    // Power goes at the first flash operation of Update: the Updating record.
    let at = fw.flash_mut().ops();
    fw.flash_mut()
        .set_power_cut(Some(lwm2m_fota::sim::PowerCut { at, torn: true }));
    h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert!(!fw.flash_mut().powered());
    let mut flash = fw.into_flash();
    flash.power_on();
    let mut fw = boot(flash, Settings::default());
    assert_eq!(fw.running().version, FACTORY, "nothing was installed");
    assert_eq!(state(&fw).0, State::Downloaded, "the package waits");
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    settle(&mut h, &mut fw);
    assert_eq!(fw.reboot_requested(), Some(Reboot::Install));
    let fw = reboot(fw, Settings::default());
    assert_eq!((fw.running().version, state(&fw)), (NEW, (State::Idle, 1)));
}

#[test]
fn a_record_the_flash_refused_is_written_at_the_next_poll() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    // The flash fails the next operation once (a brown-out), then works again.
    let at = fw.flash_mut().ops();
    fw.flash_mut()
        .set_power_cut(Some(lwm2m_fota::sim::PowerCut { at, torn: false }));
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/13").format(0).payload(b"30"),
    );
    assert_eq!(code_str(&r), "2.04", "the value is taken");
    assert!(std::iter::from_fn(|| fw.take_notice()).any(|n| n == Notice::FlashFailed));
    fw.flash_mut().power_on();
    h.pump(dev!(fw));
    // Only the flash survives a reboot: the value is there.
    let mut fw = reboot(fw, Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(dev!(fw), Request::new(GET, "/5/0/13"));
    assert_eq!(r.payload, b"30");
}
