//! Firmware downloads over a lossy network: the update library's device and the FOTA server of
//! `world`, joined by the links of `netsim` (loss up to 50 % each way, duplication,
//! reordering, delay and jitter) instead of the world's instant wire.
//!
//! The property: a PUSH or PULL of a signed image ends, within [`DEADLINE_MS`], with exactly
//! that image installed (its version running, Update Result 1) or with the factory image
//! still running and a defined failure in Update Result (2 to 10), and the server's record
//! of the outcome agrees with the device.
//!
//! `cargo test -p lwm2m-tests --test fota_faults -- --nocapture` prints the download times;
//! `LWM2M_SOAK=1` runs 16 times more cases, from a random seed.

mod lossy;
mod netsim;
mod world;

use std::cell::RefCell;

use lossy::LossyWorld;
use lwm2m_fota::Version;
use lwm2m_fota_server::{Expect, Outcome};
use lwm2m_objects::firmware_update::{State, UpdateResult};
use netsim::link::LinkParams;
use proptest::prelude::*;
use proptest::test_runner::{TestError, TestRunner};
use world::{FACTORY, LAYOUT, World, job, pull, push, signed};

/// The version of the image delivered.
const V2: Version = Version::new(2, 0, 0, 0);

/// How long a download may take, image of up to 48 KiB, in simulated time: two hours.
///
/// Each of its at most 48 blocks is one exchange; with retransmissions at 2, 4, 8, 16 and
/// 32 s an exchange is answered or given up within 62 s, so 48 blocks take under 50 minutes
/// even when every block needs its last retransmission. A give-up costs the time until the
/// device next updates its registration (three quarters of its 300 s lifetime) and one more
/// exchange, about 5 minutes; the deadline leaves room for the install, the reboot, the
/// report, and a dozen give-ups.
const DEADLINE_MS: u64 = 2 * 3_600_000;

/// One case: how the image goes, how big it is, and the link.
#[derive(Clone, Debug)]
struct Case {
    /// PULL (the device fetches the Package URI) rather than PUSH.
    pull: bool,
    /// The image size in KiB.
    kib: usize,
    /// Seeds the links.
    seed: u64,
    /// The link towards the server.
    up: LinkParams,
    /// The link towards the device.
    down: LinkParams,
}

/// A link that loses up to 50 %, duplicates and reorders up to 20 %, with up to 300 ms of
/// delay and 500 ms of jitter.
fn lossy_link() -> impl Strategy<Value = LinkParams> {
    (0u8..=50, 0u8..=20, 0u8..=20, 1u64..=300, 0u64..=500).prop_map(
        |(loss, dup, reorder, delay, jitter)| LinkParams {
            loss_pct: loss,
            dup_pct: dup,
            reorder_pct: reorder,
            delay_ms: delay,
            jitter_ms: jitter,
            mtu: 1280,
        },
    )
}

/// PUSH or PULL of 4 to 48 KiB over two lossy links.
fn cases() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        4usize..=48,
        any::<u64>(),
        lossy_link(),
        lossy_link(),
    )
        .prop_map(|(pull, kib, seed, up, down)| Case {
            pull,
            kib,
            seed,
            up,
            down,
        })
}

/// What a finished case came to.
struct Ended {
    /// From the start to the server's last job report.
    took_ms: u64,
    /// The image was installed (else a failure was reported).
    installed: bool,
}

/// Runs one case and checks how it ended; the reason when it ended wrong or not in time.
fn run(case: &Case) -> Result<Ended, String> {
    let image = signed(V2, case.kib * 1024 - 176, true);
    let method = if case.pull { pull() } else { push() };
    let world = World::new(
        LAYOUT,
        vec![job("lossy", image, "2.0.0", method, Expect::Success)],
    );
    let mut lossy = LossyWorld::new(world, case.seed, case.up, case.down);
    let start = lossy.world.now;
    let finished = lossy.run(DEADLINE_MS);
    let w = &mut lossy.world;
    let Some(at) = finished else {
        return Err(format!(
            "not finished after {DEADLINE_MS} ms; links up {:?} down {:?}\n{}",
            lossy.up.stats,
            lossy.down.stats,
            w.story()
        ));
    };
    let outcome: Option<Outcome> = w.outcomes().pop();
    let running = w.running_version();
    let (state, result) = w.firmware_state();
    let installed = running == V2 && result == UpdateResult::Success && state == State::Idle;
    let failed = running == FACTORY
        && matches!(state, State::Idle | State::Downloaded)
        && (2..=10).contains(&u8::from(result));
    if !installed && !failed {
        return Err(format!(
            "ended with {running} running, State {state:?}, Update Result {result:?}\n{}",
            w.story()
        ));
    }
    let agrees = outcome.as_ref().is_some_and(|o| {
        o.state == state && o.result == result && o.version == running.to_string()
    });
    if !agrees {
        return Err(format!(
            "the server recorded {outcome:?}; the device runs {running}, State {state:?}, \
             Update Result {result:?}\n{}",
            w.story()
        ));
    }
    Ok(Ended {
        took_ms: at - start,
        installed,
    })
}

/// A PUSH or a PULL over a lossy link ends in time with the image installed or a defined
/// Update Result, and the server agrees.
#[test]
fn a_download_over_a_lossy_link_ends_installed_or_with_a_defined_result() {
    // (slowest install, slowest failure, installs, failures)
    let seen = RefCell::new((0u64, 0u64, 0usize, 0usize));
    let mut runner = TestRunner::new(netsim::proptest_config(16, file!()));
    let result = runner.run(&cases(), |case| {
        let ended = run(&case).map_err(TestCaseError::fail)?;
        let mut s = seen.borrow_mut();
        if ended.installed {
            s.0 = s.0.max(ended.took_ms);
            s.2 += 1;
        } else {
            s.1 = s.1.max(ended.took_ms);
            s.3 += 1;
        }
        Ok(())
    });
    let (install, failure, installs, failures) = *seen.borrow();
    eprintln!(
        "lossy downloads: {installs} installed (slowest {install} ms), {failures} ended with a \
         failure result (slowest {failure} ms); deadline {DEADLINE_MS} ms"
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => panic!("minimal case:\n{case:#?}\n{why}"),
        Err(e) => panic!("{e}"),
    }
}

/// Found by the soak: a push of 32 KiB with 47 % loss towards the server and 36 % towards
/// the device. Every re-registration (frequent at that loss) used to start the push over from
/// block 0, so it never finished in two hours.
#[test]
fn a_push_over_heavy_loss_is_not_started_over_by_each_registration() {
    let link = |loss_pct, dup_pct, delay_ms, jitter_ms| LinkParams {
        loss_pct,
        dup_pct,
        reorder_pct: 0,
        delay_ms,
        jitter_ms,
        mtu: 1280,
    };
    let case = Case {
        pull: false,
        kib: 32,
        seed: 16371672407043882758,
        up: link(47, 7, 1, 0),
        down: link(36, 0, 8, 119),
    };
    let ended = run(&case).unwrap_or_else(|why| panic!("{why}"));
    eprintln!(
        "push over heavy loss: installed {} after {} ms",
        ended.installed, ended.took_ms
    );
}
