//! The fault schedule of a run, its timeline in absolute time, and proptest strategies that
//! generate schedules.
//!
//! A run is a row of episodes. Each episode is a cluster of faults (outages, storms of loss
//! with a small MTU, server restarts, NAT rebindings) that may overlap; the episode *heals*
//! when its last fault ends. After the start and after every heal comes a quiet stretch of
//! at least the recovery bound, in which the link still delays, jitters, duplicates and
//! reorders but loses nothing: a client owes its registration within that stretch, so the
//! next episode cannot excuse it.

use std::ops::RangeInclusive;

use proptest::prelude::*;

use super::link::LinkParams;

/// One fault, timed from the start of its episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Everything is dropped, both ways.
    Outage {
        /// When it begins.
        at_ms: u64,
        /// How long it lasts.
        len_ms: u64,
    },
    /// Loss rises to these percentages and the path MTU falls to `mtu`.
    Storm {
        /// When it begins.
        at_ms: u64,
        /// How long it lasts.
        len_ms: u64,
        /// Loss towards the server, in percent.
        loss_up_pct: u8,
        /// Loss towards the device, in percent.
        loss_down_pct: u8,
        /// The largest datagram that passes, in bytes.
        mtu: usize,
    },
    /// The server restarts: it forgets every registration and observation, so an Update
    /// gets 4.04 and a notification a RST.
    ServerRestart {
        /// When.
        at_ms: u64,
    },
    /// The NAT in front of the device maps it to a new address: the server sees the new one
    /// on what the device sends next; what it sends to the old one is lost.
    NatRebind {
        /// When.
        at_ms: u64,
    },
}

impl Fault {
    /// When it begins and ends, from the start of its episode.
    pub fn span(&self) -> (u64, u64) {
        match *self {
            Fault::Outage { at_ms, len_ms } | Fault::Storm { at_ms, len_ms, .. } => {
                (at_ms, at_ms + len_ms)
            }
            Fault::ServerRestart { at_ms } | Fault::NatRebind { at_ms } => (at_ms, at_ms),
        }
    }
}

/// Faults that belong together; the episode heals when the last one ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    /// Its faults, in any order.
    pub faults: Vec<Fault>,
}

/// Everything a run depends on: the seed of its coin flips, what the server asks of the
/// device, how the application behaves, the link each way, and the faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Seeds the link's coin flips and jitter, the application and the client.
    pub seed: u64,
    /// The client's registration lifetime, in seconds.
    pub lifetime_s: u32,
    /// pmin the server writes before it observes, in seconds.
    pub pmin_s: Option<u32>,
    /// pmax the server writes before it observes, in seconds.
    pub pmax_s: Option<u32>,
    /// How often the server reads the observed resource, in seconds.
    pub read_every_s: Option<u32>,
    /// The mean time between changes of the observed value, in ms (`None`: it never changes).
    pub change_every_ms: Option<u64>,
    /// The link towards the server outside storms and outages.
    pub up: LinkParams,
    /// The link towards the device outside storms and outages.
    pub down: LinkParams,
    /// The faults.
    pub episodes: Vec<Episode>,
    /// Fault-free time after the start and after each heal, in ms.
    pub quiet_ms: u64,
}

/// A storm in absolute time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Storm {
    /// When it begins.
    pub start: u64,
    /// When it ends.
    pub end: u64,
    /// Loss towards the server, in percent.
    pub loss_up_pct: u8,
    /// Loss towards the device, in percent.
    pub loss_down_pct: u8,
    /// The path MTU during it.
    pub mtu: usize,
}

/// Which way a datagram goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Device to server.
    Up,
    /// Server to device.
    Down,
}

/// A schedule's faults in absolute time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Outages, as [start, end).
    pub outages: Vec<(u64, u64)>,
    /// Storms.
    pub storms: Vec<Storm>,
    /// Server restarts, in order.
    pub restarts: Vec<u64>,
    /// NAT rebindings, in order.
    pub rebinds: Vec<u64>,
    /// The start (0) and the end of each episode: after each the client owes a registration.
    pub heals: Vec<u64>,
    /// When the run ends: a quiet stretch after the last heal.
    pub end: u64,
}

impl Timeline {
    /// Lays the episodes out: each starts a quiet stretch after the previous heal.
    pub fn new(schedule: &Schedule) -> Self {
        let mut t = Timeline {
            heals: vec![0],
            ..Timeline::default()
        };
        let mut heal = 0;
        for episode in &schedule.episodes {
            let start = heal + schedule.quiet_ms;
            let mut end = start;
            for fault in &episode.faults {
                let (a, b) = fault.span();
                let (a, b) = (start + a, start + b);
                end = end.max(b);
                match *fault {
                    Fault::Outage { .. } => t.outages.push((a, b)),
                    Fault::Storm {
                        loss_up_pct,
                        loss_down_pct,
                        mtu,
                        ..
                    } => t.storms.push(Storm {
                        start: a,
                        end: b,
                        loss_up_pct,
                        loss_down_pct,
                        mtu,
                    }),
                    Fault::ServerRestart { .. } => t.restarts.push(a),
                    Fault::NatRebind { .. } => t.rebinds.push(a),
                }
            }
            heal = end;
            t.heals.push(heal);
        }
        t.restarts.sort_unstable();
        t.rebinds.sort_unstable();
        t.end = heal + schedule.quiet_ms;
        t
    }

    /// Whether the network is out at `at`.
    pub fn out(&self, at: u64) -> bool {
        self.outages.iter().any(|&(a, b)| (a..b).contains(&at))
    }

    /// The link parameters in force at `at`: `base`, with the loss and MTU of any storm.
    pub fn params(&self, base: &LinkParams, direction: Direction, at: u64) -> LinkParams {
        self.storms
            .iter()
            .filter(|s| (s.start..s.end).contains(&at))
            .fold(*base, |p, s| {
                let loss = match direction {
                    Direction::Up => s.loss_up_pct,
                    Direction::Down => s.loss_down_pct,
                };
                LinkParams {
                    loss_pct: p.loss_pct.max(loss),
                    mtu: p.mtu.min(s.mtu),
                    ..p
                }
            })
    }

    /// The first restart or rebinding after `at`.
    pub fn next_event(&self, at: u64) -> Option<u64> {
        let next = |v: &[u64]| v.iter().copied().find(|&t| t > at);
        [next(&self.restarts), next(&self.rebinds)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Heals that are not the start: the ends of episodes.
    pub fn episode_heals(&self) -> &[u64] {
        self.heals.get(1..).unwrap_or(&[])
    }
}

/// How big the generated schedules get.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Episodes per run.
    pub episodes: RangeInclusive<usize>,
    /// Faults per episode.
    pub faults: RangeInclusive<usize>,
    /// The latest a fault starts in its episode, in ms.
    pub spread_ms: u64,
    /// The longest outage, in ms.
    pub longest_outage_ms: u64,
    /// The longest storm, in ms.
    pub longest_storm_ms: u64,
    /// Registration lifetimes to pick from, in seconds (the first is the simplest).
    pub lifetimes: Vec<u32>,
}

impl Profile {
    /// The default run: up to 3 episodes, outages up to 20 minutes.
    pub fn quick() -> Self {
        Self {
            episodes: 1..=3,
            faults: 1..=3,
            spread_ms: 300_000,
            longest_outage_ms: 1_200_000,
            longest_storm_ms: 600_000,
            lifetimes: vec![30, 60, 120, 300, 600, 900],
        }
    }

    /// The soak run: up to 6 episodes, outages up to 6 hours, lifetimes up to an hour.
    pub fn soak() -> Self {
        Self {
            episodes: 1..=6,
            faults: 1..=4,
            spread_ms: 3_600_000,
            longest_outage_ms: 6 * 3_600_000,
            longest_storm_ms: 3_600_000,
            lifetimes: vec![30, 60, 120, 300, 600, 900, 3_600],
        }
    }

    /// [`Profile::soak`] when `LWM2M_SOAK` is set, else [`Profile::quick`].
    pub fn current() -> Self {
        if super::soak() {
            Self::soak()
        } else {
            Self::quick()
        }
    }
}

/// A duration from `min_ms` to `max_ms`, spread evenly on a log scale (seconds are as likely
/// as hours); it shrinks towards `min_ms`.
pub fn duration(min_ms: u64, max_ms: u64) -> impl Strategy<Value = u64> {
    (0u32..=1000).prop_map(move |x| {
        let ratio = max_ms as f64 / min_ms as f64;
        (min_ms as f64 * ratio.powf(f64::from(x) / 1000.0)).round() as u64
    })
}

/// One fault, starting within `spread_ms` of its episode's start.
pub fn fault(profile: &Profile) -> impl Strategy<Value = Fault> + use<> {
    let at = 0..=profile.spread_ms;
    prop_oneof![
        (at.clone(), duration(1_000, profile.longest_outage_ms))
            .prop_map(|(at_ms, len_ms)| Fault::Outage { at_ms, len_ms }),
        (
            at.clone(),
            duration(1_000, profile.longest_storm_ms),
            0u8..=50,
            0u8..=50,
            // Shrinks towards an MTU that passes everything.
            0usize..=1232,
        )
            .prop_map(|(at_ms, len_ms, up, down, cut)| Fault::Storm {
                at_ms,
                len_ms,
                loss_up_pct: up,
                loss_down_pct: down,
                mtu: 1280 - cut,
            }),
        at.clone().prop_map(|at_ms| Fault::ServerRestart { at_ms }),
        at.prop_map(|at_ms| Fault::NatRebind { at_ms }),
    ]
}

/// The link outside faults: it loses nothing, but delays, jitters, duplicates and reorders.
pub fn fair_link() -> impl Strategy<Value = LinkParams> {
    (0u8..=20, 0u8..=20, 1u64..=300, 0u64..=500).prop_map(|(dup, reorder, delay, jitter)| {
        LinkParams {
            loss_pct: 0,
            dup_pct: dup,
            reorder_pct: reorder,
            delay_ms: delay,
            jitter_ms: jitter,
            mtu: 1280,
        }
    })
}

/// Schedules of `profile`, with a quiet stretch of `quiet(lifetime_s)` ms after each heal.
/// The server observes Battery Level with pmin 1 to 5 s and pmax up to 5 minutes past pmin,
/// and reads it every 10 s to 10 minutes; the value changes every 0.2 s to 2 minutes on
/// average (pmax and the change interval spread on a log scale).
pub fn schedules(profile: Profile, quiet: fn(u32) -> u64) -> impl Strategy<Value = Schedule> {
    let episode = proptest::collection::vec(fault(&profile), profile.faults.clone())
        .prop_map(|faults| Episode { faults });
    (
        any::<u64>(),
        proptest::sample::select(profile.lifetimes.clone()),
        (1u32..=5, duration(1, 301).prop_map(|s| s as u32 - 1)),
        10u32..=600,
        duration(200, 120_000),
        fair_link(),
        fair_link(),
        proptest::collection::vec(episode, profile.episodes.clone()),
    )
        .prop_map(
            move |(seed, lifetime_s, (pmin, pmax_extra), read, change, up, down, episodes)| {
                Schedule {
                    seed,
                    lifetime_s,
                    pmin_s: Some(pmin),
                    pmax_s: Some(pmin + pmax_extra),
                    read_every_s: Some(read),
                    change_every_ms: Some(change),
                    up,
                    down,
                    episodes,
                    quiet_ms: quiet(lifetime_s),
                }
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episodes_are_laid_out_a_quiet_stretch_apart() {
        let schedule = Schedule {
            seed: 1,
            lifetime_s: 30,
            pmin_s: None,
            pmax_s: None,
            read_every_s: None,
            change_every_ms: None,
            up: LinkParams::CLEAN,
            down: LinkParams::CLEAN,
            episodes: vec![
                Episode {
                    faults: vec![
                        Fault::Outage {
                            at_ms: 0,
                            len_ms: 60_000,
                        },
                        Fault::ServerRestart { at_ms: 5_000 },
                    ],
                },
                Episode {
                    faults: vec![Fault::NatRebind { at_ms: 1_000 }],
                },
            ],
            quiet_ms: 100_000,
        };
        let t = Timeline::new(&schedule);
        assert_eq!(t.outages, [(100_000, 160_000)]);
        assert_eq!(t.restarts, [105_000]);
        assert_eq!(t.rebinds, [261_000]);
        assert_eq!(t.heals, [0, 160_000, 261_000]);
        assert_eq!(t.end, 361_000);
        assert!(t.out(100_000) && t.out(159_999) && !t.out(160_000));
        assert_eq!(t.next_event(0), Some(105_000));
        assert_eq!(t.next_event(105_000), Some(261_000));
    }
}
