//! Properties of the client over random fault schedules on the simulated network (`netsim`):
//! outages from seconds to hours, storms of loss (up to 50 % each way) with a small MTU,
//! server restarts and NAT rebindings, over a link that delays, jitters, duplicates and
//! reorders. Each property is an invariant checked on every run, not a scripted path;
//! proptest shrinks a failure to a small schedule.
//!
//! `cargo test -p lwm2m-tests --test network_faults -- --nocapture` prints what each property
//! measured (worst recovery, busiest 10 s, notifications checked). `LWM2M_SOAK=1` runs many
//! more cases from a random seed, with outages up to 6 hours and lifetimes up to an hour.

mod netsim;

use std::cell::RefCell;

use lwm2m_runtime::client::Event;
use netsim::faults::schedules;
use netsim::server::What;
use netsim::sim::{Kind, Sent};
use netsim::{
    Episode, Fault, LinkParams, Profile, Report, Schedule, Sim, quiet_ms, recovery_bound_ms,
};
use proptest::prelude::*;
use proptest::test_runner::{TestError, TestRunner};

/// The window of the rate property.
const WINDOW_MS: u64 = 10_000;

/// The most datagrams the client may start in any 10 s window, not counting its answers to
/// the server (ACK, RST), by kind, from first principles:
///
/// * notifications: one live observation notifies at most once per pmin, so
///   `⌊10 s / pmin⌋ + 1` start in a window; one more may have waited behind the exchange in
///   flight (NSTART = 1), and one more may belong to an observation the server forgot
///   (answered with RST, which ends it). A retransmission that carries a newer value has a
///   new message ID (RFC 7641 4.5.2), so the simulator sees a first transmission: those
///   come out of the retransmission budget below, and are added here;
/// * registration requests (Register, Update): an Update, the Register that follows its
///   4.04, and one retry of that Register no sooner than 5 s later: 3; and each server
///   restart may cost an Update and a Register more (a reset notification makes the client
///   check its registration at once), so 2 for each restart of the busiest episode
///   (episodes are a quiet stretch apart, longer than the window);
/// * retransmissions: NSTART = 1 keeps one exchange in flight to the server, and each
///   retransmission comes at least ACK_TIMEOUT (2 s) after the previous transmission of its
///   exchange, during which no other exchange was in flight: at most 12 s / 2 s = 6 of them
///   touch a 10 s window;
///
/// and the total is the sum of the last two and the notifications without the refreshed
/// retransmissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RateBound {
    /// First transmissions of notifications.
    notifications: usize,
    /// First transmissions of Register and Update.
    registration: usize,
    /// Retransmissions of anything.
    retransmissions: usize,
    /// Everything that is not an answer to the server.
    total: usize,
}

/// The bound for an observation with `pmin_s` (1 to 5 s in generated schedules; taken as
/// 1 s when unset, in scenarios whose value does not change).
fn rate_bound(pmin_s: u32, restarts: usize) -> RateBound {
    let paced = (WINDOW_MS / (u64::from(pmin_s.max(1)) * 1000)) as usize + 3;
    let (registration, retransmissions) = (3 + 2 * restarts, 6);
    RateBound {
        notifications: paced + retransmissions,
        registration,
        retransmissions,
        total: paced + registration + retransmissions,
    }
}

/// Cases per property in the default run (16 times more with `LWM2M_SOAK`): about 40 ms
/// each in debug, so a passing property takes a few seconds and a failing one is shrunk for
/// at most 30 s.
const CASES: u32 = 64;

/// Runs `property` on generated schedules; a failure is shrunk and reported with the
/// smallest schedule found, after `summary` printed what the property measured over every
/// run (shrinking included).
fn check(
    name: &str,
    property: impl Fn(&Schedule, &Report) -> Result<(), TestCaseError>,
    summary: impl FnOnce() -> String,
) {
    let mut runner = TestRunner::new(netsim::proptest_config(CASES, file!()));
    let strategy = schedules(Profile::current(), quiet_ms);
    let runs = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |schedule| {
        runs.set(runs.get() + 1);
        let report = Sim::new(&schedule).run();
        property(&schedule, &report)
    });
    eprintln!("{name} ({} runs): {}", runs.get(), summary());
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, schedule)) => {
            panic!("{name} fails; minimal schedule:\n{schedule:#?}\n{why}")
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// What the device sent in [from, to) (runs of notifications on one line) and the
/// registrations the server saw, for a failure message.
fn story(report: &Report, from: u64, to: u64) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut run: Option<(u64, u64, usize, usize)> = None; // first, last, count, again
    let flush = |run: &mut Option<(u64, u64, usize, usize)>, lines: &mut Vec<String>| {
        if let Some((a, b, n, again)) = run.take() {
            lines.push(format!(
                "  {a:>9}..{b} ms device sends {n} notifications ({again} retransmissions)"
            ));
        }
    };
    for s in report
        .sent
        .iter()
        .filter(|s| (from..to).contains(&s.at) && s.kind != Kind::Response)
    {
        if s.kind == Kind::Notification {
            let r = run.get_or_insert((s.at, s.at, 0, 0));
            r.1 = s.at;
            r.2 += 1;
            r.3 += usize::from(s.retransmission);
            continue;
        }
        flush(&mut run, &mut lines);
        let again = if s.retransmission { " (again)" } else { "" };
        lines.push(format!("  {:>9} ms device sends {:?}{again}", s.at, s.kind));
    }
    flush(&mut run, &mut lines);
    for r in report
        .server_log
        .iter()
        .filter(|r| (from..to).contains(&r.at))
    {
        if matches!(r.what, What::Register { .. } | What::Update { .. }) && !r.duplicate {
            lines.push(format!("  {:>9} ms server receives {:?}", r.at, r.what));
        }
    }
    for (at, e) in report
        .events
        .iter()
        .filter(|(at, _)| (from..to).contains(at))
    {
        lines.push(format!("  {at:>9} ms client event {e:?}"));
    }
    lines.sort_by_key(|l| {
        l.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse::<u64>().ok())
    });
    lines.truncate(60);
    format!(
        "from {from} ms:\n{}\nlinks: up {:?}, down {:?}; server restarts {}, registrations \
         expired {}; at the end ({} ms) the client was registered: {}, next deadline {:?} ms",
        lines.join("\n"),
        report.up,
        report.down,
        report.restarts,
        report.expired,
        report.end,
        report.registered_at_end,
        report.deadline_at_end
    )
}

// --- 1. liveness ---------------------------------------------------------------------------

/// After the start and after every heal (the end of an outage or storm, a server restart, a
/// NAT rebinding), the server holds the device's registration within `recovery_bound_ms`
/// (it still held it at the heal, or accepts a Register or Update); and a registered client
/// always has a deadline (`timeout()` is never `None`).
#[test]
fn registered_again_within_the_bound_after_every_heal() {
    // (worst recovery, its lifetime), heals checked, heals missed
    let worst = RefCell::new(((0u64, 0u32), 0usize, 0usize));
    check(
        "recovery",
        |schedule, report| {
            let bound = recovery_bound_ms(schedule.lifetime_s);
            let mut w = worst.borrow_mut();
            for (heal, after) in report.recoveries() {
                w.1 += 1;
                match after {
                    Some(ms) if ms > w.0.0 => w.0 = (ms, schedule.lifetime_s),
                    Some(_) => {}
                    None => w.2 += 1,
                }
                prop_assert!(
                    after.is_some_and(|ms| ms <= bound),
                    "heal at {heal} ms: the server accepted a Register or Update after {after:?} \
                     ms, bound {bound} ms (lifetime {} s)\n{}",
                    schedule.lifetime_s,
                    story(report, heal.saturating_sub(120_000), heal + bound)
                );
            }
            prop_assert!(
                report.no_deadline.is_empty(),
                "registered without a deadline at {} ms ({} times)\n{}",
                report.no_deadline[0],
                report.no_deadline.len(),
                story(
                    report,
                    report.no_deadline[0].saturating_sub(200_000),
                    report.no_deadline[0] + 1
                )
            );
            Ok(())
        },
        || {
            let ((ms, lifetime), heals, missed) = *worst.borrow();
            format!(
                "worst recovery {ms} ms (lifetime {lifetime} s, bound {} ms) over {heals} \
                 heals; {missed} never recovered",
                recovery_bound_ms(lifetime)
            )
        },
    );
}

// --- 2. rate -------------------------------------------------------------------------------

/// In every 10 s window the client starts at most [`rate_bound`] datagrams that are not
/// answers to the server, by kind and in total; and it never asks to be polled again at once
/// for 10 s on end (a tight loop).
#[test]
fn the_datagram_rate_stays_under_the_bound() {
    // per kind, the busiest window measured against its bound: (count, bound), the one with
    // the least headroom
    let busiest = RefCell::new([(0usize, 0usize); 4]);
    check(
        "rate",
        |schedule, report| {
            prop_assert!(
                report.busy_from.is_none(),
                "the client asked to be polled at once for 10 s from {:?} ms",
                report.busy_from
            );
            let restarts = schedule
                .episodes
                .iter()
                .map(|e| {
                    e.faults
                        .iter()
                        .filter(|f| matches!(f, Fault::ServerRestart { .. }))
                        .count()
                })
                .max()
                .unwrap_or(0);
            let bound = rate_bound(schedule.pmin_s.unwrap_or(0), restarts);
            let initiated = |s: &Sent| s.kind != Kind::Response;
            let first = |s: &Sent| !s.retransmission;
            let counts = [
                report.busiest(WINDOW_MS, |s| s.kind == Kind::Notification && first(s)),
                report.busiest(WINDOW_MS, |s| {
                    matches!(s.kind, Kind::Register | Kind::Update) && first(s)
                }),
                report.busiest(WINDOW_MS, |s| initiated(s) && s.retransmission),
                report.busiest(WINDOW_MS, initiated),
            ];
            let limits = [
                bound.notifications,
                bound.registration,
                bound.retransmissions,
                bound.total,
            ];
            let mut b = busiest.borrow_mut();
            for ((&(n, _), limit), worst) in counts.iter().zip(limits).zip(b.iter_mut()) {
                if n as i64 - limit as i64 > worst.0 as i64 - worst.1 as i64 || worst.1 == 0 {
                    *worst = (n, limit);
                }
            }
            let kinds = [
                "notifications",
                "registration requests",
                "retransmissions",
                "datagrams",
            ];
            for (what, (&(n, at), limit)) in kinds.iter().zip(counts.iter().zip(limits)) {
                prop_assert!(
                    n <= limit,
                    "{n} {what} in the 10 s from {at} ms, bound {limit} (pmin {:?} s)\n{}",
                    schedule.pmin_s,
                    story(report, at.saturating_sub(WINDOW_MS), at + WINDOW_MS)
                );
            }
            Ok(())
        },
        || {
            let [n, r, x, t] = *busiest.borrow();
            format!(
                "busiest 10 s, against its bound: {} of {} notifications, {} of {} \
                 registration requests, {} of {} retransmissions, {} of {} datagrams in all",
                n.0, n.1, r.0, r.1, x.0, x.1, t.0, t.1
            )
        },
    );
}

// --- 3. fresh notifications ----------------------------------------------------------------

/// Every notification that leaves the device, first transmission or retransmission, carries
/// the application's value at that moment.
#[test]
fn notifications_carry_the_current_value() {
    // notifications checked, stale ones
    let seen = RefCell::new((0usize, 0usize));
    check(
        "fresh notifications",
        |_, report| {
            let notifications = report
                .sent
                .iter()
                .filter(|s| s.kind == Kind::Notification)
                .count();
            let mut s = seen.borrow_mut();
            s.0 += notifications;
            s.1 += report.stale.len();
            if let Some(stale) = report.stale.first() {
                prop_assert!(
                    false,
                    "{} of {notifications} notifications stale; the first at {} ms carried {} \
                     while the value was {} (since {} ms), retransmission: {}\n{}",
                    report.stale.len(),
                    stale.at,
                    stale.carried,
                    stale.current,
                    stale.changed_at,
                    stale.retransmission,
                    story(report, stale.changed_at.min(stale.at - 1_000), stale.at + 1)
                );
            }
            Ok(())
        },
        || {
            let (n, stale) = *seen.borrow();
            format!("{n} notifications checked, {stale} stale")
        },
    );
}

/// Once the device has learned of a new registration (its 2.01 arrived), it sends no
/// notification for an observation made under an earlier one: observations end with the
/// registration they were made for.
#[test]
fn observations_end_with_their_registration() {
    // notifications checked, orphaned ones
    let seen = RefCell::new((0usize, 0usize));
    check(
        "observations of old registrations",
        |_, report| {
            let mut s = seen.borrow_mut();
            s.0 += report
                .sent
                .iter()
                .filter(|s| s.kind == Kind::Notification)
                .count();
            s.1 += report.orphans.len();
            if let Some(o) = report.orphans.first() {
                prop_assert!(
                    false,
                    "{} notifications of old observations; the first at {} ms for registration \
                     {} while the device held registration {}\n{}",
                    report.orphans.len(),
                    o.at,
                    o.of,
                    o.held,
                    story(report, o.at.saturating_sub(60_000), o.at + 1)
                );
            }
            Ok(())
        },
        || {
            let (n, orphans) = *seen.borrow();
            format!("{n} notifications checked, {orphans} for an earlier registration")
        },
    );
}

// --- scenarios of the issue ----------------------------------------------------------------

/// A schedule with a clean 20 ms link and `episodes`.
fn scripted(lifetime_s: u32, episodes: Vec<Episode>) -> Schedule {
    Schedule {
        seed: 0x10,
        lifetime_s,
        pmin_s: None,
        pmax_s: None,
        read_every_s: None,
        change_every_ms: None,
        up: LinkParams::CLEAN,
        down: LinkParams::CLEAN,
        episodes,
        quiet_ms: quiet_ms(lifetime_s),
    }
}

/// Issue 10, case (a): registered, one observed value changing, pmax 1 s, lifetime 30 s, then
/// a 60 s outage: the client must be registered again within the bound.
#[test]
fn a_minute_long_outage_with_a_30_s_lifetime_and_pmax_1_s() {
    let schedule = Schedule {
        pmax_s: Some(1),
        change_every_ms: Some(5_000),
        ..scripted(
            30,
            vec![Episode {
                faults: vec![Fault::Outage {
                    at_ms: 0,
                    len_ms: 60_000,
                }],
            }],
        )
    };
    let report = Sim::new(&schedule).run();
    let bound = recovery_bound_ms(30);
    let recoveries = report.recoveries();
    eprintln!("outage of 60 s, lifetime 30 s: recoveries {recoveries:?}, bound {bound} ms");
    let (heal, after) = recoveries[1];
    assert!(
        report.accepted.iter().any(|a| a.at < heal - 60_000),
        "registered before the outage"
    );
    assert!(
        after.is_some_and(|ms| ms <= bound),
        "registered again after {after:?} ms, bound {bound} ms\n{}",
        story(&report, heal - 120_000, heal + bound)
    );
}

/// Issue 10, case (b): registered with an observation, then an hour without traffic: with a
/// lifetime of 300 s the client sends an Update every 225 s (16 in the hour, each accepted
/// before the registration lapses), and `timeout()` is never `None` while registered.
#[test]
fn an_hour_without_traffic_keeps_the_registration_alive() {
    let mut schedule = scripted(300, Vec::new());
    schedule.quiet_ms = 3_700_000;
    let mut sim = Sim::new(&schedule);
    sim.start();
    sim.run_until(60_000);
    assert!(sim.client.is_registered(), "registered after a minute");
    let start = sim.now;
    sim.run_until(start + 3_600_000);
    let report = sim.finish();
    assert!(
        report
            .sent
            .iter()
            .any(|s| s.kind == Kind::Response && s.at < start),
        "the server observed"
    );
    let updates = report.updates_between(start, start + 3_600_000);
    eprintln!(
        "an hour without traffic: {} Updates at {:?} ms",
        updates.len(),
        updates
    );
    assert!(
        report.no_deadline.is_empty(),
        "registered without a deadline at {:?} ms",
        report.no_deadline.first()
    );
    let mut last = report.accepted.iter().rfind(|a| a.at < start).map(|a| a.at);
    for &at in &updates {
        let gap = at - last.unwrap_or(0);
        assert!(gap < 300_000, "{gap} ms between registrations: it lapsed");
        last = Some(at);
    }
    assert!(
        (15..=17).contains(&updates.len()),
        "about 16 Updates in the hour, got {}",
        updates.len()
    );
    assert!(
        !report
            .events
            .iter()
            .any(|(_, e)| *e == Event::RegistrationFailed { server: 1 }),
        "nothing failed"
    );
}
