//! One direction of the simulated network. A datagram handed to [`Link::send`] is dropped
//! (outage, over the MTU, lost) or queued to arrive after a delay with jitter, maybe twice
//! (duplication), maybe held back past later ones (reordering). [`Link::pop_due`] hands out
//! what has arrived by a given time, earliest first.

use std::collections::BTreeMap;

use super::Rng;

/// How one direction treats datagrams outside the schedule's faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParams {
    /// Datagrams lost, in percent (0 to 50; storms raise it).
    pub loss_pct: u8,
    /// Datagrams delivered twice, in percent.
    pub dup_pct: u8,
    /// Datagrams held back by up to [`REORDER_HOLD_MS`] more, in percent: later ones overtake.
    pub reorder_pct: u8,
    /// The one-way delay, in ms (at least 1, so nothing arrives at the instant it leaves).
    pub delay_ms: u64,
    /// Up to this much more delay, uniformly, in ms.
    pub jitter_ms: u64,
    /// The largest datagram that passes, in bytes; larger ones are dropped.
    pub mtu: usize,
}

/// How much longer a reordered datagram is held back, at most.
pub const REORDER_HOLD_MS: u64 = 2_000;

impl LinkParams {
    /// A clean link: 20 ms each way, nothing lost, duplicated or reordered, 1280-byte MTU.
    pub const CLEAN: Self = Self {
        loss_pct: 0,
        dup_pct: 0,
        reorder_pct: 0,
        delay_ms: 20,
        jitter_ms: 0,
        mtu: 1280,
    };
}

/// A datagram on the wire. `addr` is the device's address: the source of what goes up to
/// the server, the destination of what comes down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// The device's address (NAT rebinding changes it).
    pub addr: u32,
    /// The UDP payload.
    pub bytes: Vec<u8>,
}

/// What happened to the datagrams sent over a link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Handed to [`Link::send`].
    pub sent: u64,
    /// Their bytes (what went over the air, lost or not).
    pub bytes: u64,
    /// Dropped because the network was out when they left or arrived.
    pub outage: u64,
    /// Dropped for being larger than the MTU.
    pub too_big: u64,
    /// Lost at random.
    pub lost: u64,
    /// Delivered twice.
    pub duplicated: u64,
    /// Arrived at a device address that is no longer the device's (after a NAT rebinding).
    pub stale_address: u64,
}

/// One direction: datagrams in flight, by arrival time.
#[derive(Debug, Default)]
pub struct Link {
    /// (arrival, sequence) -> datagram; the sequence keeps equal arrival times in send order.
    in_flight: BTreeMap<(u64, u64), Datagram>,
    seq: u64,
    /// What happened so far.
    pub stats: LinkStats,
}

impl Link {
    /// Sends `d` at `now` under `params`, with the `loss_pct` and `mtu` in force now (a storm
    /// may raise the loss and lower the MTU). `out` is whether the network is out now.
    pub fn send(&mut self, now: u64, rng: &mut Rng, params: &LinkParams, out: bool, d: Datagram) {
        self.stats.sent += 1;
        self.stats.bytes += d.bytes.len() as u64;
        if out {
            self.stats.outage += 1;
            return;
        }
        if d.bytes.len() > params.mtu {
            self.stats.too_big += 1;
            return;
        }
        if rng.percent(params.loss_pct) {
            self.stats.lost += 1;
            return;
        }
        let copies = if rng.percent(params.dup_pct) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut delay = params.delay_ms.max(1) + rng.below(params.jitter_ms + 1);
            if rng.percent(params.reorder_pct) {
                delay += 1 + rng.below(REORDER_HOLD_MS);
            }
            self.seq += 1;
            self.in_flight.insert((now + delay, self.seq), d.clone());
        }
    }

    /// When the next datagram arrives.
    pub fn next_arrival(&self) -> Option<u64> {
        self.in_flight.keys().next().map(|&(at, _)| at)
    }

    /// The earliest datagram that has arrived by `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<Datagram> {
        let (&key, _) = self.in_flight.iter().next()?;
        if key.0 > now {
            return None;
        }
        self.in_flight.remove(&key)
    }

    /// Datagrams in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_delays_duplicates_reorders_and_drops() {
        let mut rng = Rng::new(7);
        let mut link = Link::default();
        let params = LinkParams {
            loss_pct: 0,
            dup_pct: 100,
            ..LinkParams::CLEAN
        };
        let d = |n: u8| Datagram {
            addr: 1,
            bytes: vec![n; 10],
        };
        link.send(0, &mut rng, &params, false, d(1));
        assert_eq!(link.in_flight(), 2, "duplicated");
        assert_eq!(link.next_arrival(), Some(20));
        assert_eq!(link.pop_due(19), None, "not yet");
        assert_eq!(link.pop_due(20), Some(d(1)));
        let small_mtu = LinkParams { mtu: 9, ..params };
        link.send(0, &mut rng, &small_mtu, false, d(2));
        link.send(0, &mut rng, &params, true, d(3));
        assert_eq!((link.stats.too_big, link.stats.outage), (1, 1));
        let lossy = LinkParams {
            loss_pct: 50,
            dup_pct: 0,
            ..params
        };
        for _ in 0..1000 {
            link.send(100, &mut rng, &lossy, false, d(4));
        }
        assert!((400..600).contains(&link.stats.lost), "{:?}", link.stats);
    }
}
