//! The board and the FOTA server in one process, joined by a simulated network and clock:
//! end-to-end updates that run in milliseconds and can be cut at any flash operation.

#![allow(dead_code, reason = "each test file uses part of the world")]

use lwm2m_board::flash::{ERASED, NorSim};
use lwm2m_board::image::{self, Version};
use lwm2m_board::{Board, BoardConfig, Layout, Notice, PowerCut, keys, slot};
use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings};
use lwm2m_runtime::client::{Instant, Peer};

pub type Flash = NorSim<Vec<u8>>;

/// Where a datagram comes from or goes to, from the server's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    /// The device's LwM2M endpoint.
    Lwm2m,
    /// The device's download socket.
    Download,
}

pub const FACTORY: Version = Version::new(1, 0, 0, 0);
pub const PULL_URI: &str = "coap://fw.example/fw/image.bin";

pub fn dev_key() -> ed25519_dalek::SigningKey {
    keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap()
}

/// A demo image of `version`, `len` bytes of body, signed with the development key.
pub fn signed(version: Version, len: usize, passes_self_test: bool) -> Vec<u8> {
    image::sign(
        &image::demo_body(version, passes_self_test, len),
        version,
        &dev_key(),
    )
}

/// A fresh flash holding the factory image (1.0.0).
pub fn factory_flash(layout: &Layout) -> Flash {
    let mut flash = NorSim::new(vec![ERASED; layout.size() as usize]).unwrap();
    slot::provision(&mut flash, layout, &signed(FACTORY, 8 * 1024, true)).unwrap();
    flash
}

pub fn job(name: &str, image: Vec<u8>, version: &str, method: Method, expect: Expect) -> Job {
    Job {
        name: name.into(),
        image,
        version: version.into(),
        method,
        min_rssi: None,
        expect,
        cancel_after: None,
    }
}

pub fn push() -> Method {
    Method::Push { szx: 6 }
}

pub fn pull() -> Method {
    Method::Pull {
        uri: PULL_URI.into(),
    }
}

/// What happened, in order, from both sides.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Server(Event),
    Board(Notice),
    Boot(u32),
}

pub struct World {
    pub layout: Layout,
    pub server: Server<Addr>,
    pub board: Option<Board<Flash>>,
    /// The flash while the board is off.
    pub off: Option<Flash>,
    pub now: u64,
    pub boots: u32,
    pub seen: Vec<Seen>,
    /// Datagrams are dropped while `now` is in this window.
    pub outage: Option<(u64, u64)>,
    /// Datagrams dropped during outages.
    pub dropped: usize,
    pub rssi: i16,
    /// Block2 requests the server received, by block number.
    pub pulled_blocks: Vec<u32>,
    /// Times the board lost power (a planned cut went off).
    pub power_losses: u32,
}

impl World {
    pub fn new(layout: Layout, jobs: Vec<Job>) -> Self {
        let flash = factory_flash(&layout);
        Self::with_flash(layout, jobs, flash)
    }

    /// A world whose server tries each job up to `attempts` times.
    pub fn retrying(layout: Layout, jobs: Vec<Job>, attempts: u32) -> Self {
        let mut world = Self::new(layout, jobs.clone());
        world.server = Server::new(
            Settings {
                attempts,
                ..Settings::default()
            },
            jobs,
            0x2000,
        );
        world
    }

    pub fn with_flash(layout: Layout, jobs: Vec<Job>, flash: Flash) -> Self {
        let settings = Settings {
            attempts: 1,
            ..Settings::default()
        };
        Self {
            layout,
            server: Server::new(settings, jobs, 0x2000),
            board: None,
            off: Some(flash),
            now: 1_000,
            boots: 0,
            seen: Vec::new(),
            outage: None,
            dropped: 0,
            rssi: -70,
            pulled_blocks: Vec::new(),
            power_losses: 0,
        }
    }

    fn config(&self) -> BoardConfig {
        BoardConfig {
            endpoint: heapless::String::try_from("sim-1").unwrap(),
            layout: self.layout.clone(),
            key: keys::dev_public_key().unwrap(),
            seed: 0x5eed + u64::from(self.boots) * 7919,
            rssi: self.rssi,
            lifetime: 300,
            http: false,
        }
    }

    fn instant(&self) -> Instant {
        Instant(self.now)
    }

    /// Powers the board on from the flash it was left with.
    fn boot(&mut self) {
        let mut flash = self.off.take().expect("the board is off");
        flash.power_on();
        self.boots += 1;
        self.seen.push(Seen::Boot(self.boots));
        match Board::start(flash, self.config(), self.instant()) {
            Ok(mut board) => {
                board.register(self.instant());
                self.board = Some(board);
                self.collect_notices();
            }
            Err((flash, e)) => {
                assert!(!flash.powered(), "boot failed with power on: {e}");
                self.power_losses += 1;
                self.off = Some(flash); // power was cut during boot: try again
            }
        }
    }

    fn power_off(&mut self) {
        if let Some(board) = self.board.take() {
            self.off = Some(board.into_flash());
        }
    }

    fn collect_notices(&mut self) {
        if let Some(board) = self.board.as_mut() {
            while let Some(n) = board.take_notice() {
                self.seen.push(Seen::Board(n));
            }
        }
    }

    fn in_outage(&self) -> bool {
        self.outage.is_some_and(|(a, b)| (a..b).contains(&self.now))
    }

    /// One round: boots if off, moves datagrams both ways until quiet, handles reboots.
    fn step(&mut self) {
        if self.board.is_none() {
            self.boot();
            return;
        }
        for _ in 0..10_000 {
            let mut moved = false;
            let now = self.instant();
            let board = self.board.as_mut().unwrap();
            while let Some(t) = board.poll(now) {
                moved = true;
                if self.outage.is_some_and(|(a, b)| (a..b).contains(&self.now)) {
                    self.dropped += 1;
                    continue;
                }
                let from = match t.to {
                    Peer::Server => Addr::Lwm2m,
                    Peer::Download => Addr::Download,
                };
                if from == Addr::Download
                    && let Ok(p) = coap_lite::Packet::from_bytes(&t.data)
                    && let Some(block) =
                        lwm2m_fota_server::coap::block(&p, coap_lite::CoapOption::Block2)
                {
                    self.pulled_blocks.push(block.num);
                }
                self.server.handle(self.now, from, &t.data);
            }
            while let Some((to, bytes)) = self.server.poll(self.now) {
                moved = true;
                if self.in_outage() {
                    self.dropped += 1;
                    continue;
                }
                let peer = match to {
                    Addr::Lwm2m => Peer::Server,
                    Addr::Download => Peer::Download,
                };
                let board = self.board.as_mut().unwrap();
                board.handle(now, peer, &bytes);
                if !board.flash_mut().powered() {
                    break;
                }
            }
            while let Some(e) = self.server.poll_event() {
                self.seen.push(Seen::Server(e));
            }
            self.collect_notices();
            let board = self.board.as_mut().unwrap();
            if !board.flash_mut().powered() {
                self.power_losses += 1;
                self.power_off();
                return;
            }
            if board.reboot_requested().is_some() {
                // What the board queued before rebooting has been handed over above.
                while let Some(t) = board.poll(now) {
                    if t.to == Peer::Server
                        && !self.outage.is_some_and(|(a, b)| (a..b).contains(&self.now))
                    {
                        self.server.handle(self.now, Addr::Lwm2m, &t.data);
                    }
                }
                self.power_off();
                return;
            }
            if !moved {
                return;
            }
        }
        panic!(
            "the board and the server kept talking for 10000 rounds at {} ms",
            self.now
        );
    }

    /// Runs until the server finished its jobs or `limit_ms` of simulated time passed.
    pub fn run(&mut self, limit_ms: u64) -> Option<bool> {
        self.run_until(limit_ms, |_| false);
        self.server.finished()
    }

    /// Runs until `stop` holds, the server finished, or `limit_ms` passed; whether `stop` held.
    pub fn run_until(&mut self, limit_ms: u64, stop: impl Fn(&World) -> bool) -> bool {
        let end = self.now + limit_ms;
        while self.now < end {
            self.step();
            if stop(self) {
                return true;
            }
            if self.server.finished().is_some() {
                return false;
            }
            let next = [
                self.board.as_ref().and_then(|b| b.timeout()).map(|t| t.0),
                self.server.timeout(),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.now + 1_000);
            self.now = next.clamp(self.now + 1, self.now + 1_000);
        }
        false
    }

    /// Everything but progress, one line each: what an assertion message shows.
    pub fn story(&self) -> String {
        self.seen
            .iter()
            .filter(|s| !matches!(s, Seen::Server(Event::Progress { .. })))
            .map(|s| format!("{s:?}\n"))
            .collect()
    }

    /// The server's events, in order.
    pub fn server_events(&self) -> Vec<Event> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Server(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// /5/0/3 values the server was told, in order.
    pub fn states_seen(&self) -> Vec<u8> {
        self.server_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::State(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    /// /5/0/5 values the server was told, in order.
    pub fn results_seen(&self) -> Vec<u8> {
        self.server_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Result(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    pub fn outcomes(&self) -> Vec<lwm2m_fota_server::Outcome> {
        self.server_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::JobDone { outcome, .. } => Some(outcome),
                _ => None,
            })
            .collect()
    }

    /// The board once it has booted and settled (no reboot pending), for final assertions.
    pub fn board(&mut self) -> &mut Board<Flash> {
        for _ in 0..8 {
            match self.board.as_ref() {
                Some(b) if b.reboot_requested().is_none() => break,
                Some(_) => self.power_off(),
                None => self.boot(),
            }
        }
        let board = self.board.as_mut().expect("the board boots");
        assert!(
            board.reboot_requested().is_none(),
            "the board keeps rebooting"
        );
        board
    }

    pub fn refusals(&self) -> Vec<image::ImageError> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Board(Notice::Refused(e)) => Some(*e),
                _ => None,
            })
            .collect()
    }

    pub fn cut(&mut self, cut: PowerCut) {
        let flash = match (self.board.as_mut(), self.off.as_mut()) {
            (Some(b), _) => b.flash_mut(),
            (None, Some(f)) => f,
            (None, None) => unreachable!(),
        };
        flash.set_power_cut(Some(cut));
    }

    pub fn flash_ops(&mut self) -> u64 {
        match (self.board.as_mut(), self.off.as_mut()) {
            (Some(b), _) => b.flash_mut().ops(),
            (None, Some(f)) => f.ops(),
            (None, None) => unreachable!(),
        }
    }
}
