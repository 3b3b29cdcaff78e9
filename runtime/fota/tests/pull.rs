//! Object 5 through the client, exchange by exchange: PULL over CoAP Block2 run by the client
//! for the update agent, application-run downloads for other schemes, the Package URIs the
//! agent refuses, the settings resources, and what a reboot leaves.

mod support;

use coap_lite::{CoapOption, Packet};
use lwm2m_fota::records::Records;
use lwm2m_objects::firmware_update::FirmwareUpdateProtocolSupport as Protocol;
use lwm2m_runtime::client::Peer;
use support::*;

/// Answers a block request of the download server from `data`, in blocks of `2^(szx+4)`.
fn serve_block(
    h: &mut Harness,
    fw: &mut Firmware,
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
    h.reply(dev!(*fw), Peer::Download, get, code(2, 5), |r| {
        r.add_option(CoapOption::Block2, block_value(num, more, szx));
        r.add_option(CoapOption::ETag, etag);
        if num == 0 {
            r.add_option(CoapOption::Size2, uint_value(total));
        }
        r.payload = payload;
    });
    (num, more)
}

/// Serves every block from `get` on, and lets the agent verify the package; the block
/// numbers asked for.
fn serve_all(
    h: &mut Harness,
    fw: &mut Firmware,
    mut get: Packet,
    data: &[u8],
    etag: &[u8],
) -> Vec<u32> {
    let mut asked = Vec::new();
    loop {
        let (num, more) = serve_block(h, fw, &get, data, etag, 6);
        asked.push(num);
        h.pump(dev!(*fw));
        if !more {
            settle(h, fw);
            return asked;
        }
        get = h.take_download().expect("the next block is asked for");
    }
}

fn start_pull(fw: &mut Firmware) -> Harness {
    let mut h = client();
    h.register(dev!(*fw));
    let r = h.send(
        dev!(*fw),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(b"coap://fw.example:5699/images/v2.bin"),
    );
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(state(fw), (State::Downloading, 0));
    assert_eq!(h.client.download_peer(), Some(("fw.example", 5699)));
    h
}

#[test]
fn pull_downloads_over_coap_block2() {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    let data = image(2500);
    h.pump(dev!(fw));
    let first = h.take_download().expect("a GET to the download server");
    assert_eq!(code_of(&first), GET);
    assert_eq!(strings(&first, CoapOption::UriPath), ["images", "v2.bin"]);
    assert_eq!(block(&first, CoapOption::Block2), Some((0, false, 6)));
    assert_eq!(
        uint(&first, CoapOption::Size2),
        Some(0),
        "asks for the size"
    );
    let asked = serve_all(&mut h, &mut fw, first, &data, &[1, 2, 3, 4]);
    assert_eq!(asked, [0, 1, 2]);
    assert_eq!(dfu(&mut fw, data.len()), data);
    assert_eq!(state(&fw), (State::Downloaded, 0));
    assert_eq!(h.client.download_peer(), None, "the download is over");
}

#[test]
fn pull_resumes_from_the_last_block_written_after_a_drop() {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    let data = image(5000);
    h.pump(dev!(fw));
    for _ in 0..2 {
        let get = h.take_download().unwrap();
        serve_block(&mut h, &mut fw, &get, &data, &[9], 6);
        h.pump(dev!(fw));
    }
    // The link drops: block 2 is never answered.
    let lost = h.take_download().unwrap();
    assert_eq!(block(&lost, CoapOption::Block2), Some((2, false, 6)));
    let mut retransmissions = 0;
    while state(&fw).0 == State::Downloading {
        h.now = h.client.timeout().unwrap();
        h.pump(dev!(fw));
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
    h.pump(dev!(fw));
    let get = h.take_download().expect("resumed");
    assert_eq!(block(&get, CoapOption::Block2).map(|b| b.0), Some(2));
    let asked = serve_all(&mut h, &mut fw, get, &data, &[9]);
    assert_eq!(asked, [2, 3, 4]);
    assert_eq!(dfu(&mut fw, data.len()), data);
    assert_eq!(state(&fw), (State::Downloaded, 0));
}

#[test]
fn pull_gives_up_with_connection_lost_when_the_server_stays_silent() {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    for _ in 0..1000 {
        if state(&fw).0 != State::Downloading {
            break;
        }
        h.now = h.client.timeout().unwrap();
        h.pump(dev!(fw));
        h.to_download.clear();
    }
    assert_eq!(state(&fw), (State::Idle, 4));
}

#[test]
fn a_changed_etag_aborts_with_integrity_failure() {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    let data = image(3000);
    h.pump(dev!(fw));
    let get = h.take_download().unwrap();
    serve_block(&mut h, &mut fw, &get, &data, &[1], 6);
    h.pump(dev!(fw));
    let get = h.take_download().unwrap();
    serve_block(&mut h, &mut fw, &get, &data, &[2], 6);
    assert_eq!(state(&fw), (State::Idle, 5));
}

#[test]
fn a_server_that_does_not_know_the_uri_gives_invalid_uri() {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    h.pump(dev!(fw));
    let get = h.take_download().unwrap();
    h.reply(dev!(fw), Peer::Download, &get, code(4, 4), |_| {});
    assert_eq!(state(&fw), (State::Idle, 7));
}

#[test]
fn pull_follows_a_server_that_answers_with_smaller_blocks() {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    let data = image(1500);
    h.pump(dev!(fw));
    let mut get = h.take_download().unwrap();
    let mut nums = vec![];
    loop {
        let (num, more) = serve_block(&mut h, &mut fw, &get, &data, &[5], 5);
        nums.push((num, block(&get, CoapOption::Block2).unwrap().2));
        h.pump(dev!(fw));
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
    assert_eq!(dfu(&mut fw, data.len()), data);
}

/// Pulls the first five 1 KiB blocks of `data` (ETag 7 7), reboots, registers again: the
/// device after the reboot, its server's side, and the first block request it sends.
fn pull_five_blocks_and_reboot(data: &[u8]) -> (Firmware, Harness, Packet) {
    let mut fw = fresh(Settings::default());
    let mut h = start_pull(&mut fw);
    h.pump(dev!(fw));
    for _ in 0..5 {
        let get = h.take_download().unwrap();
        serve_block(&mut h, &mut fw, &get, data, &[7, 7], 6);
        h.pump(dev!(fw));
    }
    let mut fw = reboot(fw, Settings::default());
    assert_eq!(state(&fw), (State::Downloading, 0));
    let mut h = client();
    h.register(dev!(fw));
    h.pump(dev!(fw));
    let get = h.take_download().expect("the download goes on");
    (fw, h, get)
}

#[test]
fn a_reboot_while_pulling_resumes_from_the_last_whole_sector_in_flash() {
    let data = image(12_000);
    // Power cut: a new boot from the flash (5 KiB written, progress kept per 4 KiB sector).
    let (mut fw, mut h, get) = pull_five_blocks_and_reboot(&data);
    assert_eq!(
        block(&get, CoapOption::Block2).map(|b| b.0),
        Some(4),
        "from byte 4096"
    );
    let asked = serve_all(&mut h, &mut fw, get, &data, &[7, 7]);
    assert_eq!(asked, (4..12).collect::<Vec<_>>());
    assert_eq!(dfu(&mut fw, data.len()), data);
    assert_eq!(state(&fw), (State::Downloaded, 0));
}

#[test]
fn a_resumed_pull_of_a_package_that_changed_meanwhile_is_an_integrity_failure() {
    let data = image(9000);
    let (mut fw, mut h, get) = pull_five_blocks_and_reboot(&data);
    serve_block(&mut h, &mut fw, &get, &data, &[8, 8], 6);
    assert_eq!(
        state(&fw),
        (State::Idle, 5),
        "the ETag persisted before the reboot differs"
    );
}

#[test]
fn a_package_named_by_its_hash_is_pulled_with_its_query() {
    // A 64-character file name used to fail the download with Update Result 7 (Invalid URI),
    // and the query was dropped.
    let hash = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";
    let uri = format!("coap://fw.example:5699/fw/{hash}?token=a%2Bb");
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(uri.as_bytes()),
    );
    assert_eq!(code_str(&r), "2.04");
    h.pump(dev!(fw));
    assert_eq!(state(&fw), (State::Downloading, 0));
    let get = h.take_download().expect("a GET to the download server");
    assert_eq!(strings(&get, CoapOption::UriPath), ["fw", hash]);
    assert_eq!(strings(&get, CoapOption::UriQuery), ["token=a+b"]);
    let data = image(1500);
    serve_all(&mut h, &mut fw, get, &data, &[4]);
    assert_eq!(dfu(&mut fw, data.len()), data);
    assert_eq!(state(&fw), (State::Downloaded, 0));
}

#[test]
fn a_package_uri_written_in_64_byte_blocks_starts_the_pull() {
    // A server that writes in 64-byte blocks used to be refused with 4.13 for any URI longer
    // than a block.
    let uri = format!("coap://fw.example:5699/{}/v2.bin", "p".repeat(70));
    assert_eq!(uri.len(), 100);
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .block1(0, true, 2)
            .payload(&uri.as_bytes()[..64]),
    );
    assert_eq!(
        (code_str(&r), block(&r, CoapOption::Block1)),
        ("2.31".into(), Some((0, true, 2)))
    );
    assert_eq!(
        state(&fw),
        (State::Idle, 0),
        "nothing before the last block"
    );
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .block1(1, false, 2)
            .payload(&uri.as_bytes()[64..]),
    );
    assert_eq!(
        (code_str(&r), block(&r, CoapOption::Block1)),
        ("2.04".into(), Some((1, false, 2)))
    );
    assert_eq!(state(&fw), (State::Downloading, 0));
    h.pump(dev!(fw));
    let get = h.take_download().expect("a GET to the download server");
    assert_eq!(
        strings(&get, CoapOption::UriPath),
        ["p".repeat(70), "v2.bin".into()]
    );
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
        let mut fw = fresh(Settings::default());
        let mut h = client();
        h.register(dev!(fw));
        let r = h.send(
            dev!(fw),
            Request::new(PUT, "/5/0/1")
                .format(0)
                .payload(uri.as_bytes()),
        );
        assert_eq!(
            code_str(&r),
            "2.04",
            "{uri}: the write is fine, the result reports the problem"
        );
        assert_eq!(state(&fw), (State::Idle, result), "{uri}");
    }
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let long = format!("coap://host/{}", "x".repeat(250));
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(long.as_bytes()),
    );
    assert_eq!(
        code_str(&r),
        "4.00",
        "longer than the 255 bytes Package URI holds"
    );
    assert_eq!(state(&fw), (State::Idle, 0), "and nothing changed");
}

#[test]
fn other_schemes_are_handed_to_the_application() {
    let mut settings = Settings::default();
    settings.protocols.push(Protocol::Http11).unwrap();
    let mut fw = fresh(settings);
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(dev!(fw), Request::new(GET, "/5/0/8").accept(11542));
    assert_eq!(
        r.payload,
        [0x86, 0x08, 0x41, 0x00, 0x00, 0x41, 0x01, 0x02],
        "Protocol Support: CoAP and HTTP"
    );
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(b"http://10.0.0.1:8080/fw.bin"),
    );
    assert_eq!(code_str(&r), "2.04");
    h.pump(dev!(fw));
    assert!(std::iter::from_fn(|| fw.take_notice()).any(|n| n == Notice::Download));
    assert_eq!(
        fw.external_download(),
        Some(("http://10.0.0.1:8080/fw.bin", 0))
    );
    let data = image(700);
    fw.download_chunk(0, &data[..400]).unwrap();
    fw.download_chunk(400, &data[400..]).unwrap();
    fw.download_finished().unwrap();
    h.pump(dev!(fw));
    assert_eq!(
        state(&fw),
        (State::Downloading, 0),
        "verified by the polls after"
    );
    settle(&mut h, &mut fw);
    assert_eq!(state(&fw), (State::Downloaded, 0));
    assert_eq!(dfu(&mut fw, data.len()), data);
    assert_eq!(fw.external_download(), None);
}

#[test]
fn settings_resources_are_served_and_checked() {
    let mut fw = fresh(Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let mut read = |fw: &mut Firmware, path: &str| {
        let r = h.send(dev!(*fw), Request::new(GET, path));
        (code_str(&r), String::from_utf8(r.payload).unwrap())
    };
    assert_eq!(
        read(&mut fw, "/5/0/9"),
        ("2.05".into(), "2".into()),
        "push and pull"
    );
    assert_eq!(
        read(&mut fw, "/5/0/11"),
        ("2.05".into(), "1".into()),
        "Severity mandatory"
    );
    assert_eq!(read(&mut fw, "/5/0/6").0, "4.04", "no package yet");
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/11").format(0).payload(b"3"),
    );
    assert_eq!(code_str(&r), "4.00", "Severity is 0..2");
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/14").format(0).payload(b"1"),
    );
    assert_eq!(code_str(&r), "2.04");
    // Automatic Upgrade at Download: the update starts as soon as the package is verified.
    // Notifications coalesce (RFC 7641 4.5.2): the server hears the first change and then
    // the newest state, never an old one after a newer.
    let r = h.send(
        dev!(fw),
        Request::new(GET, "/5/0/3").uint(CoapOption::Observe, 0),
    );
    assert_eq!(r.payload, b"0");
    push(&mut h, &mut fw, &image(2000), 6);
    h.advance(dev!(fw), 1_000);
    assert_eq!(fw.reboot_requested(), Some(Reboot::Install));
    let states: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(fw))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(states, [b"1".to_vec(), b"3".to_vec()]);
    let r = h.send(dev!(fw), Request::new(GET, "/5/0/7"));
    assert_eq!(
        (code_str(&r), r.payload.as_slice()),
        ("2.05".into(), &b"2.0.0"[..])
    );
    let r = h.send(dev!(fw), Request::new(GET, "/5/0/6"));
    assert_eq!(r.payload, b"firmware");
    // What a server wrote survives a reboot.
    let mut fw = reboot(fw, Settings::default());
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(dev!(fw), Request::new(GET, "/5/0/14"));
    assert_eq!(r.payload, b"1");
}

#[test]
fn a_damaged_snapshot_in_flash_is_dropped_and_the_agent_starts_from_idle() {
    let mut flash = factory();
    Records::new(LAYOUT.records.clone())
        .set_snapshot(
            &mut flash,
            &[2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad],
        )
        .unwrap();
    let mut fw = boot(flash, Settings::default());
    assert_eq!(state(&fw), (State::Idle, 0));
    assert!(std::iter::from_fn(|| fw.take_notice()).any(|n| n == Notice::SnapshotDropped));
}
