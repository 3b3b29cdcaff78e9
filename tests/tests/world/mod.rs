//! The update library's device and the FOTA server in one process, joined by a simulated
//! network and clock: end-to-end updates that run in milliseconds and can be cut at any flash
//! operation. The device is `lwm2m_fota::FotaDevice` (client, Objects 3 and 5) with a radio as
//! Object 4, on simulated NOR flash, booted through embassy-boot's swap at every power-on.

#![allow(dead_code, reason = "each test file uses part of the world")]

use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::{self, Mcuboot};
use lwm2m_fota::sim::{ERASED, NorSim};
use lwm2m_fota::{DeviceConfig, FotaDevice, Layout, Notice, Version, keys, slot};
use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_objects::firmware_update::{State, UpdateResult};
use lwm2m_runtime::client::{Instant, Peer};
use lwm2m_runtime::{Error, Instances, Object};

pub type Flash = NorSim<Vec<u8>>;
pub type Device = FotaDevice<Flash, Mcuboot, EmbassyBoot>;

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
/// The layout of most tests: 384 KiB images.
pub const LAYOUT: Layout = Layout::new(4096, 4, 4, 96);
/// The weakest signal the test radio starts from.
pub const START_DBM: i16 = -110;

const FAILS_SELF_TEST: &[u8] = b"self-test: fail";

pub fn dev_key() -> ed25519_dalek::SigningKey {
    keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap()
}

/// A firmware body of `len` bytes that passes its self-test or not, different per version.
pub fn body(version: Version, passes_self_test: bool, len: usize) -> Vec<u8> {
    let mut body = if passes_self_test {
        b"self-test: pass".to_vec()
    } else {
        FAILS_SELF_TEST.to_vec()
    };
    let seed = u32::from(version.major) * 31 + u32::from(version.minor) * 7 + 1;
    body.extend((0..len.saturating_sub(body.len())).map(|i| ((i as u32 * seed) >> 3) as u8));
    body.truncate(len.max(16));
    body
}

/// What the test firmware's self-test says about the running body.
pub fn self_test(body_start: &[u8]) -> bool {
    !body_start.starts_with(FAILS_SELF_TEST)
}

/// An image of `version`, `len` bytes of body, signed with the development key.
pub fn signed(version: Version, len: usize, passes_self_test: bool) -> Vec<u8> {
    mcuboot::sign(&body(version, passes_self_test, len), version, &dev_key())
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
        image: image.into(),
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

/// Object 4 of the test device: a signal that moves one step a second towards its target.
pub struct Radio {
    pub rssi: i16,
    pub target: i16,
    last_step: u64,
}

impl Radio {
    /// A radio at `rssi` that settles at `target`.
    pub fn new(rssi: i16, target: i16) -> Self {
        Self {
            rssi,
            target,
            last_step: 0,
        }
    }

    /// Moves one step (3 dB) towards the target if a second passed since the last; whether
    /// the signal changed.
    pub fn tick(&mut self, now: u64) -> bool {
        if now < self.last_step + 1000 || self.rssi == self.target {
            return false;
        }
        self.last_step = now;
        self.rssi += (self.target - self.rssi).clamp(-3, 3);
        true
    }
}

impl cm::Handler for Radio {
    fn read_network_bearer(&mut self, _: u16) -> Result<u8, Error> {
        Ok(cm::NetworkBearer::NbIot as u8)
    }
    fn read_available_network_bearer(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut b = Instances::new();
        b.insert(0, cm::NetworkBearer::NbIot as u8)
            .map_err(|_| Error::Internal)?;
        Ok(b)
    }
    fn read_radio_signal_strength(&mut self, _: u16) -> Result<i64, Error> {
        Ok(i64::from(self.rssi))
    }
    fn read_ip_addresses(&mut self, _: u16) -> Result<Instances<heapless::String<64>, 8>, Error> {
        Ok(Instances::new())
    }
}

/// What happened, in order, from both sides.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Server(Event),
    Device(Notice),
    Boot(u32),
}

pub struct World {
    pub layout: Layout,
    pub server: Server<Addr>,
    pub device: Option<Device>,
    pub radio: cm::Served<Radio>,
    /// The flash while the device is off.
    pub off: Option<Flash>,
    pub now: u64,
    pub boots: u32,
    pub seen: Vec<Seen>,
    /// Datagrams are dropped while `now` is in this window.
    pub outage: Option<(u64, u64)>,
    /// Datagrams dropped during outages.
    pub dropped: usize,
    /// Block2 requests the server received, by block number.
    pub pulled_blocks: Vec<u32>,
    /// Times the device lost power (a planned cut went off).
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
            device: None,
            radio: cm::Served(Radio::new(START_DBM, -70)),
            off: Some(flash),
            now: 1_000,
            boots: 0,
            seen: Vec::new(),
            outage: None,
            dropped: 0,
            pulled_blocks: Vec::new(),
            power_losses: 0,
        }
    }

    fn config(&self) -> DeviceConfig {
        let mut config = DeviceConfig::new("sim-1", self.layout.clone()).unwrap();
        config.seed = 0x5eed + u64::from(self.boots) * 7919;
        config
    }

    fn instant(&self) -> Instant {
        Instant(self.now)
    }

    /// Powers the device on from the flash it was left with: the bootloader first.
    pub fn boot(&mut self) {
        let mut flash = self.off.take().expect("the device is off");
        flash.power_on();
        self.boots += 1;
        self.seen.push(Seen::Boot(self.boots));
        self.radio.0.rssi = START_DBM;
        let bootloader = EmbassyBoot::new(self.layout.clone());
        if bootloader.prepare_boot_4k(&mut flash).is_err() {
            assert!(!flash.powered(), "the bootloader failed with power on");
            self.power_losses += 1;
            self.off = Some(flash);
            return;
        }
        let verifier = Mcuboot::new(keys::dev_public_key().unwrap());
        match Device::boot(flash, self.config(), verifier, bootloader, self_test) {
            Ok(mut device) => {
                let now = self.instant();
                device.register(now, &mut [&mut self.radio as &mut dyn Object]);
                self.device = Some(device);
                self.collect_notices();
            }
            Err((flash, e)) => {
                assert!(!flash.powered(), "boot failed with power on: {e}");
                self.power_losses += 1;
                self.off = Some(flash); // power was cut during boot: try again
            }
        }
    }

    /// Powers the device off, keeping its flash.
    pub fn power_off(&mut self) {
        if let Some(device) = self.device.take() {
            self.off = Some(device.into_flash());
        }
    }

    /// Moves what the update agent noticed into [`World::seen`].
    pub fn collect_notices(&mut self) {
        if let Some(device) = self.device.as_mut() {
            while let Some(n) = device.firmware().take_notice() {
                self.seen.push(Seen::Device(n));
            }
        }
    }

    fn in_outage(&self) -> bool {
        self.outage.is_some_and(|(a, b)| (a..b).contains(&self.now))
    }

    /// Moves the radio one step a second; tells the client when the signal changed.
    pub fn tick_radio(&mut self) {
        if !self.radio.0.tick(self.now) {
            return;
        }
        if let Some(d) = self.device.as_mut() {
            d.client_mut().notify_changed(Instant(self.now));
        }
    }

    /// One round: boots if off, moves datagrams both ways until quiet, handles reboots.
    fn step(&mut self) {
        if self.device.is_none() {
            self.boot();
            return;
        }
        self.tick_radio();
        for _ in 0..10_000 {
            let mut moved = false;
            let now = self.instant();
            let device = self.device.as_mut().unwrap();
            while let Some(t) = device.poll(now, &mut [&mut self.radio as &mut dyn Object]) {
                moved = true;
                if self.outage.is_some_and(|(a, b)| (a..b).contains(&self.now)) {
                    self.dropped += 1;
                    continue;
                }
                let from = match t.to {
                    // These devices have no Bootstrap-Server account.
                    Peer::Server(_) | Peer::Bootstrap => Addr::Lwm2m,
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
                    // The device's one server, of an unprovisioned account.
                    Addr::Lwm2m => Peer::Server(1),
                    Addr::Download => Peer::Download,
                };
                let device = self.device.as_mut().unwrap();
                device.handle(now, peer, &bytes, &mut [&mut self.radio as &mut dyn Object]);
                if !device.firmware().flash_mut().powered() {
                    break;
                }
            }
            while let Some(e) = self.server.poll_event() {
                self.seen.push(Seen::Server(e));
            }
            self.collect_notices();
            let device = self.device.as_mut().unwrap();
            if !device.firmware().flash_mut().powered() {
                self.power_losses += 1;
                self.power_off();
                return;
            }
            if device.reboot_requested().is_some() {
                // What the device queued before rebooting is handed over first.
                while let Some(t) = device.poll(now, &mut [&mut self.radio as &mut dyn Object]) {
                    if matches!(t.to, Peer::Server(_))
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
            "the device and the server kept talking for 10000 rounds at {} ms",
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
            let radio =
                (self.radio.0.rssi != self.radio.0.target).then_some(self.radio.0.last_step + 1000);
            let next = [
                self.device.as_ref().and_then(|d| d.timeout()).map(|t| t.0),
                self.server.timeout(),
                radio,
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
                Event::State(s) => Some(u8::from(s)),
                _ => None,
            })
            .collect()
    }

    /// /5/0/5 values the server was told, in order.
    pub fn results_seen(&self) -> Vec<u8> {
        self.server_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Result(r) => Some(u8::from(r)),
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

    /// The device once it has booted and settled (no reboot pending), for final assertions.
    pub fn device(&mut self) -> &mut Device {
        for _ in 0..8 {
            match self.device.as_ref() {
                Some(d) if d.reboot_requested().is_none() => break,
                Some(_) => self.power_off(),
                None => self.boot(),
            }
        }
        let device = self.device.as_mut().expect("the device boots");
        assert!(
            device.reboot_requested().is_none(),
            "the device keeps rebooting"
        );
        device
    }

    /// The version the settled device runs.
    pub fn running_version(&mut self) -> Version {
        self.device().firmware_ref().running().version
    }

    /// /5 State and Update Result of the settled device.
    pub fn firmware_state(&mut self) -> (State, UpdateResult) {
        self.device().firmware_ref().state()
    }

    pub fn refusals(&self) -> Vec<lwm2m_fota::ImageError> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Device(Notice::Refused(e)) => Some(*e),
                _ => None,
            })
            .collect()
    }

    fn flash(&mut self) -> &mut Flash {
        match (self.device.as_mut(), self.off.as_mut()) {
            (Some(d), _) => d.firmware().flash_mut(),
            (None, Some(f)) => f,
            (None, None) => unreachable!("the flash is either in the device or off"),
        }
    }

    pub fn cut(&mut self, cut: lwm2m_fota::sim::PowerCut) {
        self.flash().set_power_cut(Some(cut));
    }

    pub fn flash_ops(&mut self) -> u64 {
        self.flash().ops()
    }
}
