//! Object 5 through the client: PUSH over Block1, PULL over CoAP Block2, every Update Result,
//! every operation the state forbids, resets, snapshots and notifications.

mod common;

use coap_lite::{CoapOption, Packet};
use common::*;
use lwm2m_runtime::client::{Client, Config, Device, Event, FirmwareSettings, Peer, Protocol};
use lwm2m_runtime::fota::{FotaError, State, UpdateResult};

/// A device with only Object 5, over `storage`, for one call.
macro_rules! dev {
    ($storage:expr) => {
        &mut Device::new(&mut []).with_firmware(&mut $storage)
    };
}

fn client(settings: FirmwareSettings) -> Harness {
    Harness::new(Client::new(Config::new("fw-1").unwrap(), 7).with_firmware(settings))
}

fn state(h: &Harness) -> (State, u8) {
    let (s, r) = h.client.firmware_state().unwrap();
    (s, r as u8)
}

fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Pushes `data` in blocks of `2^(szx+4)` bytes with Size1, returning each response.
fn push(h: &mut Harness, storage: &mut MemoryStorage, data: &[u8], szx: u8) -> Vec<Packet> {
    let size = 16usize << szx;
    let blocks: Vec<&[u8]> = data.chunks(size).collect();
    let mut responses = Vec::new();
    for (num, chunk) in blocks.iter().enumerate() {
        let more = num + 1 < blocks.len();
        let r = h.send(
            dev!(*storage),
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(num as u32, more, szx)
                .uint(CoapOption::Size1, data.len() as u32)
                .payload(chunk),
        );
        let done = code_str(&r) != "2.31";
        responses.push(r);
        if done {
            break;
        }
    }
    responses
}

#[test]
fn push_downloads_block_by_block_verifies_installs_and_reports_success_after_reboot() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = client(FirmwareSettings::default());
    let register = h.register(dev!(storage));
    assert!(
        String::from_utf8(register.payload)
            .unwrap()
            .contains("</5>;ver=1.2,</5/0>")
    );
    // The server watches State and Update Result.
    let r = h.send(
        dev!(storage),
        Request::new(GET, "/5/0/3").uint(CoapOption::Observe, 0),
    );
    assert_eq!(
        (code_str(&r), r.payload.as_slice()),
        ("2.05".into(), &b"0"[..])
    );

    let data = image(3 * 1024 + 100);
    let responses = push(&mut h, &mut storage, &data, 6);
    let codes: Vec<String> = responses.iter().map(code_str).collect();
    assert_eq!(codes, ["2.31", "2.31", "2.31", "2.04"]);
    assert_eq!(block(&responses[1], CoapOption::Block1), Some((1, true, 6)));
    assert_eq!(
        block(&responses[3], CoapOption::Block1),
        Some((3, false, 6))
    );
    assert_eq!(
        storage.data, data,
        "every byte, in order, never buffered whole"
    );
    assert_eq!(storage.begun, [Some(3 * 1024 + 100)]);
    assert_eq!(state(&h), (State::Downloaded, 0));

    // Every State change was notified: Downloading, then Downloaded.
    h.advance(dev!(storage), 1_000);
    let states: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(storage))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(states, [b"1".to_vec(), b"2".to_vec()]);

    let r = h.send(dev!(storage), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    h.pump(dev!(storage));
    assert!(h.events().contains(&Event::Install));
    assert!(storage.installed);
    assert_eq!(state(&h), (State::Updating, 0));
    // Updating is notified before the board reboots (it sends what is queued first).
    let states: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(storage))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(states, [b"3".to_vec()]);

    // Reboot: only the snapshot and the flash survive.
    let snapshot = h.client.firmware_snapshot().unwrap();
    let mut h = client(FirmwareSettings::default());
    h.client.restore_firmware(&snapshot).unwrap();
    assert_eq!(state(&h), (State::Updating, 0));
    h.client
        .firmware_booted(h.now, dev!(storage), true)
        .unwrap();
    assert!(storage.confirmed);
    assert_eq!(state(&h), (State::Idle, UpdateResult::Success as u8));
}

#[test]
fn a_push_cut_by_a_reboot_reports_connection_lost_and_can_start_over() {
    let mut storage = MemoryStorage::new(4096);
    let mut h = client(FirmwareSettings::default());
    h.register(dev!(storage));
    let data = image(300);
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 2)
            .payload(&data[..64]),
    );
    assert_eq!(code_str(&r), "2.31");
    let snapshot = h.client.firmware_snapshot().unwrap();

    let mut h = client(FirmwareSettings::default());
    h.client.restore_firmware(&snapshot).unwrap();
    assert_eq!(
        state(&h),
        (State::Idle, UpdateResult::ConnectionLost as u8),
        "the server's transfer is gone with the reboot"
    );
    h.register(dev!(storage));
    let responses = push(&mut h, &mut storage, &data, 2);
    assert_eq!(code_str(responses.last().unwrap()), "2.04");
    assert_eq!(state(&h), (State::Downloaded, 0));
    assert_eq!(storage.data, data);
}

#[test]
fn an_install_whose_updating_state_was_not_persisted_still_reports_its_outcome() {
    // Power was lost after the bootloader was told to swap but before the board persisted
    // Updating: the snapshot says Downloaded, the board knows an install began.
    for (success, expected) in [
        (true, (State::Idle, UpdateResult::Success as u8)),
        (false, (State::Downloaded, UpdateResult::UpdateFailed as u8)),
    ] {
        let mut storage = MemoryStorage::new(4096);
        let mut h = client(FirmwareSettings::default());
        h.register(dev!(storage));
        push(&mut h, &mut storage, &image(100), 2);
        assert_eq!(state(&h).0, State::Downloaded);
        let snapshot = h.client.firmware_snapshot().unwrap();

        let mut h = client(FirmwareSettings::default());
        h.client.restore_firmware(&snapshot).unwrap();
        h.client
            .firmware_booted(h.now, dev!(storage), success)
            .unwrap();
        assert_eq!(state(&h), expected);
        assert_eq!(storage.confirmed, success);
    }
    // Without an install, the call changes nothing.
    let mut storage = MemoryStorage::new(4096);
    let mut h = client(FirmwareSettings::default());
    h.client
        .firmware_booted(h.now, dev!(storage), true)
        .unwrap();
    assert_eq!(state(&h), (State::Idle, 0));
    assert!(!storage.confirmed);
}

#[test]
fn a_package_larger_than_the_slot_is_refused_with_its_capacity_before_any_write() {
    let mut storage = MemoryStorage::new(2048);
    let mut h = client(FirmwareSettings::default());
    h.register(dev!(storage));
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .uint(CoapOption::Size1, 5000)
            .payload(&image(1024)),
    );
    assert_eq!(
        (code_str(&r), uint(&r, CoapOption::Size1)),
        ("4.13".into(), Some(2048))
    );
    assert_eq!(storage.writes, 0);
    assert_eq!(state(&h), (State::Idle, 2));
}

#[test]
fn block1_gaps_duplicates_and_smaller_sizes() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = Harness::new(
        Client::new(
            Config {
                max_block: 256,
                ..Config::new("fw-1").unwrap()
            },
            7,
        )
        .with_firmware(FirmwareSettings::default()),
    );
    h.register(dev!(storage));
    let data = image(2000);
    // The server starts with 1024-byte blocks; the client takes 256 and says so.
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .payload(&data[..1024]),
    );
    assert_eq!(
        (code_str(&r), block(&r, CoapOption::Block1)),
        ("2.31".into(), Some((0, true, 4)))
    );
    assert_eq!(storage.data.len(), 256);
    // Block 1 at 256 bytes follows.
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(1, true, 4)
            .payload(&data[256..512]),
    );
    assert_eq!(code_str(&r), "2.31");
    // A retransmitted block (a new message) is acknowledged and not written again.
    let writes = storage.writes;
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(1, true, 4)
            .payload(&data[256..512]),
    );
    assert_eq!(code_str(&r), "2.31");
    assert_eq!(storage.writes, writes);
    // A gap: block 3 before block 2.
    let r = h.send(
        dev!(storage),
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
            dev!(storage),
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(num as u32, more, 3)
                .payload(chunk),
        );
        assert_eq!(code_str(&r), if more { "2.31" } else { "2.04" });
    }
    assert_eq!(storage.begun.len(), 2, "restarted once");
    assert_eq!(storage.data, data);
    assert_eq!(state(&h), (State::Downloaded, 0));
    // A block with no transfer in progress.
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(5, true, 3)
            .payload(&data[..128]),
    );
    assert_eq!(code_str(&r), "4.08");
}

#[test]
fn each_update_result_is_reached_the_way_the_specification_says() {
    // 2, 3, 5, 6 on a push; each leaves the machine in Idle with the result.
    type Setup = fn(&mut MemoryStorage);
    let cases: [(Setup, &str, u8); 4] = [
        (|s| s.capacity = 10, "4.13", 2),
        (|s| s.fail_begin = Some(FotaError::NoRam), "5.00", 3),
        (|s| s.fail_finish = Some(FotaError::Integrity), "4.00", 5),
        (
            |s| s.fail_write_at = Some((0, FotaError::UnsupportedPackage)),
            "4.00",
            6,
        ),
    ];
    for (setup, expected_code, result) in cases {
        let mut storage = MemoryStorage::new(4096);
        setup(&mut storage);
        let mut h = client(FirmwareSettings::default());
        h.register(dev!(storage));
        assert_eq!(state(&h), (State::Idle, 0), "0: the initial value");
        let responses = push(&mut h, &mut storage, &image(100), 6);
        assert_eq!(
            code_str(responses.last().unwrap()),
            expected_code,
            "result {result}"
        );
        assert_eq!(state(&h), (State::Idle, result));
    }
}

#[test]
fn invalid_and_unsupported_package_uris() {
    for (uri, result) in [
        ("coap//no-scheme", 7),
        ("coap://", 7),
        ("coap://host:99999/x", 7),
        ("ftp://host/x", 9),
        ("coaps://host/x", 9),
        ("http://host/x", 9),
    ] {
        let mut storage = MemoryStorage::new(4096);
        let mut h = client(FirmwareSettings::default());
        h.register(dev!(storage));
        let r = h.send(
            dev!(storage),
            Request::new(PUT, "/5/0/1")
                .format(0)
                .payload(uri.as_bytes()),
        );
        assert_eq!(
            code_str(&r),
            "2.04",
            "{uri}: the write is fine, the result reports the problem"
        );
        assert_eq!(state(&h), (State::Idle, result), "{uri}");
    }
    let mut storage = MemoryStorage::new(4096);
    let mut h = client(FirmwareSettings::default());
    h.register(dev!(storage));
    let long = format!("coap://host/{}", "x".repeat(250));
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(long.as_bytes()),
    );
    assert_eq!(
        code_str(&r),
        "4.00",
        "longer than the 255 bytes Package URI holds"
    );
    assert_eq!(state(&h), (State::Idle, 0), "and nothing changed");
}

#[test]
fn cancel_defer_approve_and_failed_update() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = client(FirmwareSettings {
        require_approval: true,
        ..FirmwareSettings::default()
    });
    h.register(dev!(storage));
    // 10: cancelled while downloading.
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .payload(&image(1024)),
    );
    assert_eq!(code_str(&r), "2.31");
    let r = h.send(dev!(storage), Request::new(POST, "/5/0/10"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&h), (State::Idle, 10));
    assert_eq!(storage.cancelled, 1);
    // 11: the update waits for approval; Maximum Defer Period 30 s.
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/13").format(0).payload(b"30"),
    );
    assert_eq!(code_str(&r), "2.04");
    push(&mut h, &mut storage, &image(500), 6);
    let r = h.send(dev!(storage), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&h), (State::Downloaded, 11));
    h.advance(dev!(storage), 29_000);
    assert!(!storage.installed);
    h.advance(dev!(storage), 1_000);
    assert!(storage.installed, "the deferral ran out");
    assert!(h.events().contains(&Event::Install));
    assert_eq!(state(&h), (State::Updating, 0));
    // 8: the new image failed its self-test; back on the old one.
    h.client
        .firmware_booted(h.now, dev!(storage), false)
        .unwrap();
    assert_eq!(state(&h), (State::Downloaded, 8));
    // Approval path: Update again, deferred, then approved by the board.
    let r = h.send(dev!(storage), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&h), (State::Downloaded, 11));
    storage.installed = false;
    h.client.approve_update(h.now).unwrap();
    h.pump(dev!(storage));
    assert!(storage.installed);
}

#[test]
fn operations_the_state_forbids_answer_method_not_allowed() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = client(FirmwareSettings::default());
    h.register(dev!(storage));
    let expect =
        |h: &mut Harness, storage: &mut MemoryStorage, request: Request, code: &str, why: &str| {
            let before = state(h);
            let r = h.send(dev!(*storage), request);
            assert_eq!(code_str(&r), code, "{why}");
            if code != "2.04" && code != "2.31" {
                assert_eq!(state(h), before, "{why}: a refusal changes nothing");
            }
        };
    expect(
        &mut h,
        &mut storage,
        Request::new(POST, "/5/0/2"),
        "4.05",
        "Update in Idle",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(POST, "/5/0/10"),
        "4.05",
        "Cancel in Idle",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/3").format(0).payload(b"2"),
        "4.05",
        "State is read-only",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(GET, "/5/0/0"),
        "4.05",
        "Package is write-only",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .payload(&image(1024)),
        "2.31",
        "start a push",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(POST, "/5/0/2"),
        "4.05",
        "Update in Downloading",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/1").format(0).payload(b"coap://h/x"),
        "4.05",
        "a URI while pushing",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(1, false, 6)
            .payload(&image(10)),
        "2.04",
        "finish",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/1").format(0).payload(b"coap://h/x"),
        "4.05",
        "a URI in Downloaded",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(0, true, 6)
            .payload(&image(1024)),
        "4.05",
        "a push in Downloaded",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(POST, "/5/0/2"),
        "2.04",
        "Update",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(POST, "/5/0/10"),
        "4.05",
        "Cancel in Updating",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/1").format(0).payload(b""),
        "4.05",
        "reset in Updating",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(PUT, "/5/0/0").format(42).payload(&[0]),
        "4.05",
        "NUL reset in Updating",
    );
    expect(
        &mut h,
        &mut storage,
        Request::new(POST, "/5/0/2"),
        "4.05",
        "Update in Updating",
    );
}

#[test]
fn an_empty_uri_or_a_nul_package_resets_to_idle() {
    for reset in [
        Request::new(PUT, "/5/0/1").format(0).payload(b""),
        Request::new(PUT, "/5/0/0").format(42).payload(&[0]),
    ] {
        let mut storage = MemoryStorage::new(64 * 1024);
        let mut h = client(FirmwareSettings::default());
        h.register(dev!(storage));
        push(&mut h, &mut storage, &image(300), 6);
        assert_eq!(state(&h), (State::Downloaded, 0));
        let r = h.send(dev!(storage), reset);
        assert_eq!(code_str(&r), "2.04");
        assert_eq!(state(&h), (State::Idle, 0));
        assert_eq!(storage.cancelled, 1, "the package is dropped");
    }
}

/// Answers a block request of the download server from `data`, in blocks of `2^(szx+4)`.
fn serve_block(
    h: &mut Harness,
    storage: &mut MemoryStorage,
    get: &Packet,
    data: &[u8],
    etag: &[u8],
    szx: u8,
) -> (u32, bool) {
    let (num, _, asked_szx) = block(get, CoapOption::Block2).unwrap();
    let szx = szx.min(asked_szx);
    let size = 16usize << szx;
    let offset = num as usize * size;
    let end = (offset + size).min(data.len());
    let more = end < data.len();
    let total = data.len() as u32;
    let payload = data[offset..end].to_vec();
    let etag = etag.to_vec();
    h.reply(dev!(*storage), Peer::Download, get, code(2, 5), |r| {
        r.add_option(CoapOption::Block2, block_value(num, more, szx));
        r.add_option(CoapOption::ETag, etag);
        if num == 0 {
            r.add_option(CoapOption::Size2, uint_value(total));
        }
        r.payload = payload;
    });
    (num, more)
}

fn start_pull(storage: &mut MemoryStorage) -> Harness {
    let mut h = client(FirmwareSettings::default());
    h.register(dev!(*storage));
    let r = h.send(
        dev!(*storage),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(b"coap://fw.example:5699/images/v2.bin"),
    );
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(&h), (State::Downloading, 0));
    assert_eq!(h.client.download_peer(), Some(("fw.example", 5699)));
    h
}

#[test]
fn pull_downloads_over_coap_block2() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = start_pull(&mut storage);
    let data = image(2500);
    h.pump(dev!(storage));
    let first = h.take_download().expect("a GET to the download server");
    assert_eq!(code_of(&first), GET);
    assert_eq!(strings(&first, CoapOption::UriPath), ["images", "v2.bin"]);
    assert_eq!(block(&first, CoapOption::Block2), Some((0, false, 6)));
    assert_eq!(
        uint(&first, CoapOption::Size2),
        Some(0),
        "asks for the size"
    );
    let mut get = first;
    loop {
        let (_, more) = serve_block(&mut h, &mut storage, &get, &data, &[1, 2, 3, 4], 6);
        h.pump(dev!(storage));
        if !more {
            break;
        }
        get = h.take_download().unwrap();
        assert!(get.get_first_option(CoapOption::Size2).is_none());
    }
    assert_eq!(storage.begun, [Some(2500)]);
    assert_eq!(storage.data, data);
    assert_eq!(state(&h), (State::Downloaded, 0));
}

#[test]
fn pull_resumes_from_the_last_block_written_after_a_drop() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = start_pull(&mut storage);
    let data = image(5000);
    h.pump(dev!(storage));
    for _ in 0..2 {
        let get = h.take_download().unwrap();
        serve_block(&mut h, &mut storage, &get, &data, &[9], 6);
        h.pump(dev!(storage));
    }
    // The link drops: block 2 is never answered.
    let lost = h.take_download().unwrap();
    assert_eq!(block(&lost, CoapOption::Block2), Some((2, false, 6)));
    let mut retransmissions = 0;
    while h.client.firmware_state().unwrap().0 == State::Downloading {
        let next = h.client.timeout().unwrap();
        h.now = next;
        h.pump(dev!(storage));
        if let Some(p) = h.take_download() {
            assert_eq!(
                block(&p, CoapOption::Block2),
                Some((2, false, 6)),
                "never from zero"
            );
            retransmissions += 1;
            if retransmissions == 6 {
                break;
            }
        }
    }
    // The network comes back: the client resumes at once, from block 2.
    h.client.connection_changed(h.now);
    h.pump(dev!(storage));
    let mut get = h.take_download().expect("resumed");
    assert_eq!(block(&get, CoapOption::Block2).map(|b| b.0), Some(2));
    loop {
        let (_, more) = serve_block(&mut h, &mut storage, &get, &data, &[9], 6);
        h.pump(dev!(storage));
        if !more {
            break;
        }
        get = h.take_download().unwrap();
    }
    assert_eq!(storage.data, data);
    assert_eq!(storage.begun.len(), 1, "never restarted from zero");
    assert_eq!(state(&h), (State::Downloaded, 0));
}

#[test]
fn pull_gives_up_with_connection_lost_when_the_server_stays_silent() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = start_pull(&mut storage);
    for _ in 0..1000 {
        if state(&h).0 != State::Downloading {
            break;
        }
        h.now = h.client.timeout().unwrap();
        h.pump(dev!(storage));
        h.to_download.clear();
    }
    assert_eq!(state(&h), (State::Idle, 4));
}

#[test]
fn a_changed_etag_aborts_with_integrity_failure() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = start_pull(&mut storage);
    let data = image(3000);
    h.pump(dev!(storage));
    let get = h.take_download().unwrap();
    serve_block(&mut h, &mut storage, &get, &data, &[1], 6);
    h.pump(dev!(storage));
    let get = h.take_download().unwrap();
    serve_block(&mut h, &mut storage, &get, &data, &[2], 6);
    assert_eq!(state(&h), (State::Idle, 5));
}

#[test]
fn pull_follows_a_server_that_answers_with_smaller_blocks() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = start_pull(&mut storage);
    let data = image(1500);
    h.pump(dev!(storage));
    let mut get = h.take_download().unwrap();
    let mut nums = vec![];
    loop {
        let (num, more) = serve_block(&mut h, &mut storage, &get, &data, &[5], 5);
        nums.push((num, block(&get, CoapOption::Block2).unwrap().2));
        h.pump(dev!(storage));
        if !more {
            break;
        }
        get = h.take_download().unwrap();
    }
    assert_eq!(
        nums,
        [(0, 6), (1, 5), (2, 5)],
        "asked 1024, got 512: continues at 512"
    );
    assert_eq!(storage.data, data);
}

#[test]
fn a_reboot_while_pulling_resumes_from_the_flash() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut h = start_pull(&mut storage);
    let data = image(4000);
    h.pump(dev!(storage));
    for _ in 0..2 {
        let get = h.take_download().unwrap();
        serve_block(&mut h, &mut storage, &get, &data, &[7, 7], 6);
        h.pump(dev!(storage));
    }
    let snapshot = h.client.firmware_snapshot().unwrap();
    // Power cut: a new process with the snapshot and the flash (2048 bytes written).
    let mut h = client(FirmwareSettings::default());
    h.client.restore_firmware(&snapshot).unwrap();
    assert_eq!(state(&h), (State::Downloading, 0));
    h.register(dev!(storage));
    h.pump(dev!(storage));
    let mut get = h.take_download().expect("the download goes on");
    assert_eq!(block(&get, CoapOption::Block2).map(|b| b.0), Some(2));
    loop {
        let (_, more) = serve_block(&mut h, &mut storage, &get, &data, &[7, 7], 6);
        h.pump(dev!(storage));
        if !more {
            break;
        }
        get = h.take_download().unwrap();
    }
    assert_eq!(storage.data, data);
    assert_eq!(state(&h), (State::Downloaded, 0));
}

#[test]
fn other_schemes_are_handed_to_the_board() {
    let mut storage = MemoryStorage::new(64 * 1024);
    let mut protocols = heapless::Vec::new();
    protocols.push(Protocol::Coap).unwrap();
    protocols.push(Protocol::Http).unwrap();
    let mut h = client(FirmwareSettings {
        protocols,
        ..FirmwareSettings::default()
    });
    h.register(dev!(storage));
    let r = h.send(dev!(storage), Request::new(GET, "/5/0/8").accept(11542));
    assert_eq!(
        r.payload,
        [0x86, 0x08, 0x41, 0x00, 0x00, 0x41, 0x01, 0x02],
        "Protocol Support: CoAP and HTTP"
    );
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(b"http://10.0.0.1:8080/fw.bin"),
    );
    assert_eq!(code_str(&r), "2.04");
    h.pump(dev!(storage));
    assert!(h.events().contains(&Event::Download));
    assert_eq!(h.client.download_uri(), Some("http://10.0.0.1:8080/fw.bin"));
    let data = image(700);
    h.client
        .download_chunk(dev!(storage), 0, &data[..400])
        .unwrap();
    h.client
        .download_chunk(dev!(storage), 400, &data[400..])
        .unwrap();
    h.client.download_finished(h.now, dev!(storage)).unwrap();
    assert_eq!(state(&h), (State::Downloaded, 0));
    assert_eq!(storage.data, data);
}

#[test]
fn settings_resources_are_served_and_checked() {
    let mut storage = MemoryStorage::new(64 * 1024);
    storage.package = Some(lwm2m_runtime::fota::PackageInfo {
        name: heapless::String::try_from("app").unwrap(),
        version: heapless::String::try_from("1.4.2").unwrap(),
    });
    let mut h = client(FirmwareSettings::default());
    h.register(dev!(storage));
    let read = |h: &mut Harness, storage: &mut MemoryStorage, path: &str| {
        let r = h.send(dev!(*storage), Request::new(GET, path));
        (code_str(&r), String::from_utf8(r.payload).unwrap())
    };
    assert_eq!(
        read(&mut h, &mut storage, "/5/0/9"),
        ("2.05".into(), "2".into()),
        "push and pull"
    );
    assert_eq!(
        read(&mut h, &mut storage, "/5/0/11"),
        ("2.05".into(), "1".into()),
        "Severity mandatory"
    );
    assert_eq!(
        read(&mut h, &mut storage, "/5/0/6").0,
        "4.04",
        "no package yet"
    );
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/11").format(0).payload(b"3"),
    );
    assert_eq!(code_str(&r), "4.00", "Severity is 0..2");
    let r = h.send(
        dev!(storage),
        Request::new(PUT, "/5/0/14").format(0).payload(b"1"),
    );
    assert_eq!(code_str(&r), "2.04");
    // Automatic Upgrade at Download: the update starts as soon as the package is verified,
    // and the server still sees every state it passed through.
    let r = h.send(
        dev!(storage),
        Request::new(GET, "/5/0/3").uint(CoapOption::Observe, 0),
    );
    assert_eq!(r.payload, b"0");
    push(&mut h, &mut storage, &image(200), 6);
    h.advance(dev!(storage), 1_000);
    assert!(storage.installed);
    let states: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(storage))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(states, [b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    assert_eq!(
        read(&mut h, &mut storage, "/5/0/7"),
        ("2.05".into(), "1.4.2".into())
    );
}

#[test]
fn damaged_snapshots_are_refused() {
    let mut h = client(FirmwareSettings::default());
    let snapshot = h.client.firmware_snapshot().unwrap();
    for i in 0..snapshot.len() {
        let mut bytes = snapshot.clone();
        bytes[i] ^= 0x10;
        assert!(h.client.restore_firmware(&bytes).is_err(), "byte {i}");
    }
    assert!(
        h.client
            .restore_firmware(&snapshot[..snapshot.len() - 1])
            .is_err(),
        "torn"
    );
    assert!(
        h.client.restore_firmware(&[0xff; 40]).is_err(),
        "erased flash"
    );
    assert!(h.client.restore_firmware(&snapshot).is_ok());
}
