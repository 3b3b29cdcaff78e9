//! The world of `world` with its device and server joined by two links of `netsim` (loss,
//! duplication, reordering, delay) instead of directly: downloads over a lossy network, on
//! the simulated clock.

use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Instant, Peer};

use crate::netsim::Rng;
use crate::netsim::link::{Datagram, Link, LinkParams};
use crate::world::{self, Addr, World};

/// The world and the two links between its device and its server.
pub struct LossyWorld {
    pub world: World,
    rng: Rng,
    /// Device to server.
    pub up: Link,
    /// Server to device.
    pub down: Link,
    up_params: LinkParams,
    down_params: LinkParams,
}

/// The device's two sockets as link addresses.
fn link_addr(a: Addr) -> u32 {
    match a {
        Addr::Lwm2m => 0,
        Addr::Download => 1,
    }
}

/// The device socket a link address names.
fn addr(a: u32) -> Addr {
    if a == 0 { Addr::Lwm2m } else { Addr::Download }
}

impl LossyWorld {
    /// `world` with links `up` and `down`, their coin flips seeded with `seed`.
    pub fn new(world: World, seed: u64, up: LinkParams, down: LinkParams) -> Self {
        Self {
            world,
            rng: Rng::new(seed),
            up: Link::default(),
            down: Link::default(),
            up_params: up,
            down_params: down,
        }
    }

    /// Everything due now: arrivals both ways, what the device and the server send, a reboot.
    pub fn step(&mut self) {
        let w = &mut self.world;
        if w.device.is_none() {
            w.boot();
            return;
        }
        w.tick_radio();
        let now = w.now;
        while let Some(d) = self.up.pop_due(now) {
            w.server.handle(now, addr(d.addr), &d.bytes);
        }
        let Some(device) = w.device.as_mut() else {
            return;
        };
        while device.reboot_requested().is_none()
            && let Some(d) = self.down.pop_due(now)
        {
            let peer = match addr(d.addr) {
                Addr::Lwm2m => Peer::Server(1),
                Addr::Download => Peer::Download,
            };
            device.handle(
                Instant(now),
                peer,
                &d.bytes,
                &mut [&mut w.radio as &mut dyn Object],
            );
        }
        while let Some(t) = device.poll(Instant(now), &mut [&mut w.radio as &mut dyn Object]) {
            let from = match t.to {
                // These devices have no Bootstrap-Server account.
                Peer::Server(_) | Peer::Bootstrap => Addr::Lwm2m,
                Peer::Download => Addr::Download,
            };
            let d = Datagram {
                addr: link_addr(from),
                bytes: t.data,
            };
            self.up.send(now, &mut self.rng, &self.up_params, false, d);
        }
        let rebooting = device.reboot_requested().is_some();
        while let Some((to, bytes)) = w.server.poll(now) {
            let d = Datagram {
                addr: link_addr(to),
                bytes,
            };
            self.down
                .send(now, &mut self.rng, &self.down_params, false, d);
        }
        while let Some(e) = w.server.poll_event() {
            w.seen.push(world::Seen::Server(e));
        }
        w.collect_notices();
        if rebooting {
            w.power_off();
        }
    }

    /// Runs until the server finished its job or `limit_ms` passed; when it finished.
    pub fn run(&mut self, limit_ms: u64) -> Option<u64> {
        let end = self.world.now + limit_ms;
        while self.world.now < end {
            self.step();
            if self.world.server.finished().is_some() {
                return Some(self.world.now);
            }
            let w = &self.world;
            let radio = (w.radio.0.rssi != w.radio.0.target).then_some(w.now + 1000);
            let next = [
                w.device.as_ref().and_then(|d| d.timeout()).map(|t| t.0),
                w.server.timeout(),
                self.up.next_arrival(),
                self.down.next_arrival(),
                radio,
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(w.now + 1_000);
            self.world.now = next.clamp(w.now + 1, end);
        }
        None
    }
}
