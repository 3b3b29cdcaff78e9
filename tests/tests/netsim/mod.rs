//! A deterministic simulated network for the LwM2M client, in the style of smoltcp's
//! `FaultInjector` and quinn-proto's deterministic tests: a virtual clock in milliseconds, no
//! sockets, no threads, every coin flip drawn from one seeded generator, so a seed and a
//! [`Schedule`] replay the same run to the datagram.
//!
//! * [`link`]: one direction of the network: loss, duplication, reordering, delay and jitter,
//!   an MTU, and the outages of the schedule.
//! * [`faults`]: the fault schedule (outages from seconds to hours, storms of loss with a
//!   small MTU, server restarts, NAT rebindings), its timeline, and proptest strategies.
//! * [`server`]: a small LwM2M server: registrations, one observation with Write-Attributes,
//!   periodic reads, and a record of everything it receives.
//! * [`app`]: the device's application: Object 3 with a Battery Level that changes over time.
//! * [`sim`]: the client, the application, the links and the server joined on one clock,
//!   with what the device sent and what the properties measure.

#![allow(
    dead_code,
    unused_imports,
    reason = "each test binary uses part of the simulator"
)]

pub mod app;
pub mod faults;
pub mod link;
pub mod server;
pub mod sim;

pub use faults::{Episode, Fault, Profile, Schedule};
pub use link::LinkParams;
pub use sim::{Report, Sim};

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

/// A small seeded generator (SplitMix64): every random choice of a run comes from one.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `pct` percent.
    pub fn percent(&mut self, pct: u8) -> bool {
        self.below(100) < u64::from(pct)
    }
}

/// How long after a heal the client must be registered again in the server's view: the
/// bound the client states (`Config::recovery_bound_ms`, documented there).
pub fn recovery_bound_ms(lifetime_s: u32) -> u64 {
    let mut config = lwm2m_runtime::client::Config::new("bound").unwrap();
    config.lifetime = lifetime_s;
    config.recovery_bound_ms()
}

/// The fault-free stretch after each heal: the bound and a minute.
pub fn quiet_ms(lifetime_s: u32) -> u64 {
    recovery_bound_ms(lifetime_s) + 60_000
}

/// Whether `LWM2M_SOAK` asks for the long run: many more cases and hour-long outages.
pub fn soak() -> bool {
    std::env::var_os("LWM2M_SOAK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The proptest settings of the fault properties: `cases` cases (16 times more with
/// `LWM2M_SOAK`); a fixed seed, so that `cargo test` runs the same cases every time (a random
/// one with `LWM2M_SOAK`, or the one `PROPTEST_RNG_SEED` names); a failure shrunk for at
/// most 30 s and saved in `<test file>.proptest-regressions`, whose cases run first.
pub fn proptest_config(cases: u32, source_file: &'static str) -> Config {
    let base = Config::default();
    let rng_seed = match base.rng_seed {
        RngSeed::Random if !soak() => RngSeed::Fixed(0x0010_5eed),
        chosen => chosen,
    };
    Config {
        cases: if soak() { cases * 16 } else { cases },
        max_shrink_time: 30_000,
        max_shrink_iters: 4096,
        source_file: Some(source_file),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        rng_seed,
        ..base
    }
}
