//! Power cuts at every flash operation of an update, the MCUboot simulator way, on the update
//! library's device: count the erases and writes of a clean update from the first block to the
//! confirmed boot, then for each one replay the update with power lost at that operation
//! (cleanly, and tearing it), reboot, and let the server finish. The device must always boot a correctly signed image,
//! report a State and Update Result that match what happened, and take the update when the
//! server asks again.

mod world;

use lwm2m_fota::sim::PowerCut;
use lwm2m_fota::{Layout, Notice, Version};
use lwm2m_fota_server::{Event, Expect, Job};
use lwm2m_objects::firmware_update::{State, UpdateResult};
use world::*;

/// Small partitions keep each replay short: 32 KiB images.
const SMALL: Layout = Layout::new(4096, 4, 2, 8);
const V2: Version = Version::new(2, 0, 0, 0);
const LIMIT_MS: u64 = 3_600_000;

fn update(passes_self_test: bool, expect: Expect) -> Job {
    job(
        "update",
        signed(V2, 18 * 1024, passes_self_test),
        "2.0.0",
        push(),
        expect,
    )
}

/// Runs the update with an optional cut; returns the world after the server finished.
fn run(job: &Job, cut: Option<PowerCut>) -> World {
    let mut w = World::retrying(SMALL, vec![job.clone()], 8);
    if let Some(cut) = cut {
        w.cut(cut);
    }
    let finished = w.run(LIMIT_MS);
    assert_eq!(finished, Some(true), "cut {cut:?}:\n{}", w.story());
    w
}

/// What every run must show, whatever was cut.
fn check(w: &mut World, cut: Option<PowerCut>, running: Version, result: u8) {
    let outcome = w.outcomes().pop().expect("the job ended");
    assert!(
        outcome.as_expected,
        "cut {cut:?}: {outcome:?}\n{}",
        w.story()
    );
    assert_eq!(u8::from(outcome.result), result, "cut {cut:?}");
    // Every boot ran a verified image: the factory one or the new one, nothing else.
    for s in &w.seen {
        if let Seen::Device(Notice::Booted { version, .. }) = s {
            assert!(
                *version == FACTORY || *version == V2,
                "cut {cut:?}: booted {version}"
            );
        }
    }
    // After any boot the device reports a settled machine: never Updating, and Success only
    // when running the new image.
    let events = w.server_events();
    for (i, e) in events.iter().enumerate() {
        if let Event::Version(v) = e {
            let after: Vec<_> = events[..i]
                .iter()
                .rev()
                .take_while(|e| !matches!(e, Event::Registered { .. }))
                .collect();
            assert!(
                !after.contains(&&Event::State(State::Updating)),
                "cut {cut:?}: Updating reported after a boot\n{}",
                w.story()
            );
            if after.contains(&&Event::Result(UpdateResult::Success)) {
                assert_eq!(v, "2.0.0", "cut {cut:?}: Success reported on {v}");
            }
        }
    }
    assert_eq!(w.running_version(), running, "cut {cut:?}");
}

/// Replays `job` with power cut at every operation of a clean run.
fn every_cut(job: &Job, running: Version, result: u8) -> usize {
    let mut clean = World::retrying(SMALL, vec![job.clone()], 8);
    let first = clean.flash_ops();
    assert_eq!(clean.run(LIMIT_MS), Some(true), "{}", clean.story());
    let last = clean.flash_ops();
    check(&mut clean, None, running, result);
    assert!(
        last > first + 20,
        "a clean update takes {} operations",
        last - first
    );
    let (mut cuts, mut retried) = (0, 0);
    for at in first..last {
        for torn in [false, true] {
            let cut = Some(PowerCut { at, torn });
            let mut w = run(job, cut);
            check(&mut w, cut, running, result);
            cuts += 1;
            assert_eq!(w.power_losses, 1, "cut {cut:?} went off once");
            retried += usize::from(w.outcomes()[0].attempts > 1);
        }
    }
    // Each cut went off (checked per run); some cost the server another attempt.
    assert!(retried > 0, "no cut ever made the server try again");
    println!("{cuts} cuts: each lost power once, {retried} needed another attempt");
    cuts
}

#[test]
fn an_update_survives_a_power_cut_at_every_flash_operation() {
    let cuts = every_cut(&update(true, Expect::Success), V2, 1);
    println!("update: {cuts} cut points (clean and torn), all recovered");
}

#[test]
fn a_rollback_survives_a_power_cut_at_every_flash_operation() {
    let cuts = every_cut(&update(false, Expect::RolledBack), FACTORY, 8);
    println!("rollback: {cuts} cut points (clean and torn), all recovered");
}
