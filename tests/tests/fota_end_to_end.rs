//! End-to-end firmware updates: the FOTA server and the update library's device in one process, over a
//! simulated network, with real NOR rules, real images and embassy-boot's swap. Each test
//! asserts the final State, Update Result and running version, and what the server saw.

mod world;

use lwm2m_fota::mcuboot;
use lwm2m_fota::{ImageError, Version};
use lwm2m_fota_server::{Event, Expect, Job};
use lwm2m_objects::firmware_update::UpdateResult;
use lwm2m_runtime::Enumeration;
use world::*;

const V2: Version = Version::new(2, 0, 0, 0);
const TEN_MINUTES: u64 = 600_000;

fn one(job: Job) -> World {
    World::new(LAYOUT, vec![job])
}

/// The job's outcome as (State, Update Result, running version per the server).
fn outcome(w: &World) -> (u8, u8, String) {
    let o = w.outcomes().pop().expect("the job ended");
    (u8::from(o.state), u8::from(o.result), o.version)
}

fn refused_with(result: u8) -> Expect {
    Expect::Refused(UpdateResult::from_value(i64::from(result)).unwrap())
}

fn push_refused_with(w: &World) -> Vec<String> {
    w.server_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::PushRefused { code } => Some(format!("{}.{:02}", code >> 5, code & 0x1f)),
            _ => None,
        })
        .collect()
}

#[test]
fn push_downloads_verifies_swaps_confirms_and_reports_success() {
    let image = signed(V2, 40 * 1024, true);
    let mut w = one(job("push", image, "2.0.0", push(), Expect::Success));
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(w.states_seen(), [0, 1, 2, 3, 0]);
    assert_eq!(w.results_seen(), [0, 1]);
    assert_eq!(outcome(&w), (0, 1, "2.0.0".into()));
    assert_eq!(w.boots, 2, "one reboot into the new image");
    assert!(w.server_events().contains(&Event::UpdateExecuted));
    assert_eq!(w.running_version(), V2);
}

#[test]
fn pull_over_coap_fetches_each_block_once() {
    let image = signed(V2, 30 * 1024, true);
    let blocks = image.len().div_ceil(1024) as u32;
    let mut w = one(job("pull", image, "2.0.0", pull(), Expect::Success));
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(w.states_seen(), [0, 1, 2, 3, 0]);
    assert_eq!(w.results_seen(), [0, 1]);
    assert_eq!(outcome(&w), (0, 1, "2.0.0".into()));
    assert_eq!(w.pulled_blocks, (0..blocks).collect::<Vec<_>>());
    assert_eq!(w.running_version(), V2);
}

#[test]
fn a_pull_cut_by_a_long_outage_resumes_where_it_stopped() {
    let image = signed(V2, 40 * 1024, true);
    let blocks = image.len().div_ceil(1024) as u32;
    let mut w = one(job("pull", image, "2.0.0", pull(), Expect::Success));
    w.radio.0.target = START_DBM; // a steady signal: nothing else to notify
    assert!(w.run_until(60_000, |w| w.pulled_blocks.len() >= 12));
    // The network is gone for five minutes: the device gives up its retransmissions.
    w.outage = Some((w.now, w.now + 300_000));
    let before = w.pulled_blocks.len();
    assert!(!w.run_until(300_000, |_| false));
    assert!(w.dropped > 0);
    // It comes back; the board learns of it.
    w.outage = None;
    let now = lwm2m_runtime::client::Instant(w.now);
    w.device().client_mut().connection_changed(now);
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(outcome(&w), (0, 1, "2.0.0".into()));
    // Only the block in flight when the network went may be fetched again; none before it.
    let again = &w.pulled_blocks[before..];
    assert!(
        again.iter().all(|&n| n + 1 >= before as u32),
        "fetched again from before the last block written: {:?}",
        w.pulled_blocks
    );
    for n in 0..blocks {
        let times = w.pulled_blocks.iter().filter(|&&b| b == n).count();
        assert!(times >= 1, "block {n} never fetched");
        assert!(
            times == 1 || n + 1 >= before as u32,
            "block {n} fetched {times} times"
        );
    }
    assert_eq!(*w.pulled_blocks.last().unwrap(), blocks - 1);
}

#[test]
fn an_image_that_fails_its_self_test_is_rolled_back_and_reported() {
    let image = signed(V2, 20 * 1024, false);
    let mut w = one(job(
        "bad self-test",
        image,
        "2.0.0",
        push(),
        Expect::RolledBack,
    ));
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(outcome(&w), (2, 8, "1.0.0".into()));
    assert_eq!(w.results_seen(), [0, 8]);
    assert_eq!(w.states_seen(), [0, 1, 2, 3, 2]);
    assert_eq!(
        w.boots, 3,
        "into the new image, back to the bootloader, the old image"
    );
    assert!(w.seen.contains(&Seen::Device(lwm2m_fota::Notice::SelfTest {
        passed: false
    })));
    assert_eq!(w.running_version(), world::FACTORY);
}

/// Pushes `image` and expects the device to refuse it with `result`, and to answer a block
/// with `code` when a block shows what is wrong (the header, at the first block); a package
/// that fails its check after the last block was acknowledged is refused through Update
/// Result alone.
fn refused(image: Vec<u8>, result: u8, code: Option<&str>, why: ImageError) {
    let mut w = one(job("refused", image, "2.0.0", push(), refused_with(result)));
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(outcome(&w), (0, result, "1.0.0".into()));
    assert_eq!(w.results_seen(), [0, result]);
    assert_eq!(
        push_refused_with(&w),
        Vec::from_iter(code.map(String::from))
    );
    assert_eq!(w.refusals(), [why]);
    assert_eq!(w.boots, 1, "no reboot");
    assert_eq!(w.running_version(), world::FACTORY);
}

#[test]
fn a_bad_signature_is_an_integrity_failure() {
    let mut image = signed(V2, 10 * 1024, true);
    let last = image.len() - 1;
    image[last] ^= 0x80;
    refused(image, 5, None, ImageError::BadSignature);
}

#[test]
fn an_image_signed_with_another_key_is_an_integrity_failure() {
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]);
    let image = mcuboot::sign(&world::body(V2, true, 10 * 1024), V2, &stranger);
    refused(image, 5, None, ImageError::KeyMismatch);
}

#[test]
fn a_corrupted_body_is_an_integrity_failure() {
    let mut image = signed(V2, 10 * 1024, true);
    image[5000] ^= 0x01;
    refused(image, 5, None, ImageError::HashMismatch);
}

#[test]
fn something_that_is_not_an_image_is_refused_at_the_first_block() {
    let image = b"#!/bin/sh\necho this is a shell script, not firmware\n".repeat(100);
    refused(image, 6, Some("4.00"), ImageError::NotAnImage);
}

#[test]
fn an_older_version_is_refused_at_the_first_block() {
    let image = signed(Version::new(0, 9, 0, 0), 10 * 1024, true);
    refused(
        image,
        6,
        Some("4.00"),
        ImageError::Downgrade {
            running: world::FACTORY,
            offered: Version::new(0, 9, 0, 0),
        },
    );
}

#[test]
fn an_image_larger_than_the_slot_is_refused_with_4_13_before_anything_is_written() {
    let capacity = LAYOUT.image_capacity();
    let image = signed(V2, capacity as usize, true);
    let mut w = one(job("too big", image, "2.0.0", push(), refused_with(2)));
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(outcome(&w), (0, 2, "1.0.0".into()));
    assert_eq!(push_refused_with(&w), ["4.13"]);
    assert_eq!(w.running_version(), world::FACTORY);
}

#[test]
fn a_server_that_cancels_a_download_gets_cancelled() {
    let image = signed(V2, 40 * 1024, true);
    let mut job = job("cancelled", image, "2.0.0", pull(), refused_with(10));
    job.cancel_after = Some(8 * 1024);
    let mut w = one(job);
    assert_eq!(w.run(TEN_MINUTES), Some(true), "{}", w.story());
    assert_eq!(outcome(&w), (0, 10, "1.0.0".into()));
    assert!(w.server_events().contains(&Event::Cancelled));
    assert!(
        w.pulled_blocks.len() < 20,
        "the download stopped: {:?}",
        w.pulled_blocks
    );
    assert_eq!(w.running_version(), world::FACTORY);
}

#[test]
fn push_then_pull_then_a_rollback_in_one_session() {
    let v3 = Version::new(3, 0, 0, 0);
    let jobs = vec![
        job(
            "push 2.0.0",
            signed(V2, 24 * 1024, true),
            "2.0.0",
            push(),
            Expect::Success,
        ),
        job(
            "pull 3.0.0",
            signed(v3, 24 * 1024, true),
            "3.0.0",
            pull(),
            Expect::Success,
        ),
        job(
            "bad 4.0.0",
            signed(Version::new(4, 0, 0, 0), 24 * 1024, false),
            "4.0.0",
            push(),
            Expect::RolledBack,
        ),
    ];
    let mut w = World::new(LAYOUT, jobs);
    assert_eq!(w.run(3 * TEN_MINUTES), Some(true), "{}", w.story());
    let outcomes: Vec<_> = w
        .outcomes()
        .into_iter()
        .map(|o| (u8::from(o.result), o.version, o.as_expected))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, "2.0.0".into(), true),
            (1, "3.0.0".into(), true),
            (8, "3.0.0".into(), true)
        ]
    );
    assert_eq!(w.running_version(), v3);
}
