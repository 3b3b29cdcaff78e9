//! The board: Objects 3, 4 and 5 over the slot, and what happens at boot.
//!
//! [`Board`] is sans-IO like the client it wraps: a runner hands it datagrams and the time,
//! sends what it returns, and reboots it when asked (the host runner re-executes the process;
//! tests build a new board from the same flash).
//!
//! At boot the board reconciles three witnesses that a power cut can leave out of step: the
//! bootloader's state, the install record, and the persisted /5 snapshot.
//!
//! | install record | running image | bootloader | what the board does |
//! |---|---|---|---|
//! | present | the new one | swapped (on trial) | self-test; pass: confirm, Update Result 1; fail: reboot unconfirmed, so the bootloader reverts |
//! | present | the new one | booted | it was confirmed before the cut: Update Result 1 |
//! | present | the old one | any | the install failed or never ran: Update Result 8 |
//! | none, /5 in Updating | the old one | any | power went before the install began: Update Result 8 |
//! | none | any | reverted | a stale revert: mark booted |
//!
//! Each step is idempotent, in this order: report (confirm), persist the snapshot, clear the
//! record; so a cut between two of them repeats the step on the next boot with the same result.

use ed25519_dalek::VerifyingKey;
use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::{connectivity_monitoring as cm, device};
use lwm2m_runtime::client::{
    Client, Config, Device, Event, FirmwareSettings, Instant, Peer, SNAPSHOT_MAX, Transmit,
};
use lwm2m_runtime::fota::{FotaError, State, UpdateResult};
use lwm2m_runtime::{Enumeration, Error, ExecuteArgs, Instances, Object, Time};

use crate::image::{self, ImageError, Version};
use crate::layout::Layout;
use crate::slot::{BootError, BootInfo, Bootloader, Slot};

/// How the board is set up.
#[derive(Clone, Debug)]
pub struct BoardConfig {
    /// The LwM2M endpoint name.
    pub endpoint: heapless::String<64>,
    /// Where things live in the flash.
    pub layout: Layout,
    /// The key images must be signed with.
    pub key: VerifyingKey,
    /// Seeds message IDs and tokens: give each boot a different one.
    pub seed: u64,
    /// The Radio Signal Strength the simulated radio settles at, in dBm.
    pub rssi: i16,
    /// Registration lifetime in seconds.
    pub lifetime: u32,
    /// Package URI schemes the board downloads besides CoAP (HTTP with the host runner).
    pub http: bool,
}

/// Why the board wants to reboot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reboot {
    /// A verified package is scheduled: the bootloader swaps it in.
    Install,
    /// The new image failed its self-test: reboot unconfirmed so the bootloader reverts.
    SelfTestFailed,
    /// The server executed /3/0/4 Reboot.
    Requested,
}

/// Something the board did, for a runner to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// It booted this image.
    Booted {
        /// The running version.
        version: Version,
        /// What the bootloader did.
        bootloader: Bootloader,
    },
    /// The new image ran its self-test.
    SelfTest {
        /// Whether it passed.
        passed: bool,
    },
    /// The server accepted the registration.
    Registered,
    /// /5 State or Update Result changed.
    Firmware(State, UpdateResult),
    /// A package was refused, and why.
    Refused(ImageError),
    /// The server asked for a download over a scheme the runner handles (HTTP).
    Download,
    /// The /5 snapshot could not be persisted (the flash failed).
    PersistFailed,
    /// The persisted /5 snapshot was unreadable and was dropped.
    SnapshotDropped,
}

/// Object 3 of this board.
pub struct DeviceInfo {
    serial: heapless::String<64>,
    version: heapless::String<64>,
    reboot: bool,
}

impl device::Handler for DeviceInfo {
    fn read_manufacturer(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        Ok(text("lwm2m-rs"))
    }
    fn read_model_number(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        Ok(text("sim-board"))
    }
    fn read_serial_number(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        Ok(self.serial.clone())
    }
    fn read_firmware_version(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        Ok(self.version.clone())
    }
    fn execute_reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        self.reboot = true;
        Ok(())
    }
    fn read_error_code(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut codes = Instances::new();
        codes.insert(0, 0).map_err(|_| Error::Internal)?;
        Ok(codes)
    }
    fn read_supported_binding_and_modes(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        Ok(text("U"))
    }
}

/// Object 4 of this board: a simulated radio whose signal improves towards a target.
pub struct Radio {
    rssi: i16,
    target: i16,
    last_step: Option<Instant>,
}

impl Radio {
    /// The simulated signal starts this weak at boot, in dBm.
    pub const START_DBM: i16 = -110;
    /// It changes by this much per second until it reaches its target.
    pub const STEP_DBM: i16 = 3;

    /// Moves the signal one step per elapsed second; whether it changed.
    fn tick(&mut self, now: Instant) -> bool {
        let Some(last) = self.last_step else {
            self.last_step = Some(now);
            return false;
        };
        if now.0 < last.0 + 1000 || self.rssi == self.target {
            return false;
        }
        self.last_step = Some(now);
        let step = (self.target - self.rssi).clamp(-Self::STEP_DBM, Self::STEP_DBM);
        self.rssi += step;
        true
    }
}

impl cm::Handler for Radio {
    fn read_network_bearer(&mut self, _: u16) -> Result<u8, Error> {
        Ok(cm::NetworkBearer::LteFdd.value() as u8)
    }
    fn read_available_network_bearer(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut bearers = Instances::new();
        for (i, b) in [cm::NetworkBearer::LteFdd, cm::NetworkBearer::NbIot]
            .into_iter()
            .enumerate()
        {
            bearers
                .insert(i as u16, b.value() as u8)
                .map_err(|_| Error::Internal)?;
        }
        Ok(bearers)
    }
    fn read_radio_signal_strength(&mut self, _: u16) -> Result<i64, Error> {
        Ok(i64::from(self.rssi))
    }
    fn read_link_quality(&mut self, _: u16) -> Result<i64, Error> {
        // A rough 0..100 score from the signal: -120 dBm is 0, -60 dBm and better is 100.
        Ok(((i64::from(self.rssi) + 120) * 100 / 60).clamp(0, 100))
    }
    fn read_ip_addresses(&mut self, _: u16) -> Result<Instances<heapless::String<64>, 8>, Error> {
        let mut ips = Instances::new();
        ips.insert(0, text("127.0.0.1"))
            .map_err(|_| Error::Internal)?;
        Ok(ips)
    }
}

fn text(s: &str) -> heapless::String<64> {
    let mut t = heapless::String::new();
    let _ = t.push_str(s);
    t
}

/// A board: the LwM2M client, its objects and the flash behind /5.
pub struct Board<F> {
    client: Client,
    slot: Slot<F>,
    device: device::Served<DeviceInfo>,
    radio: cm::Served<Radio>,
    clock: Option<Time>,
    persisted: heapless::Vec<u8, SNAPSHOT_MAX>,
    last_state: Option<(State, UpdateResult)>,
    reboot: Option<Reboot>,
    notices: heapless::Deque<Notice, 16>,
}

impl<F: NorFlash> Board<F> {
    /// Boots from `flash`: bootloader, image check, /5 restore and the reconciliation in the
    /// module docs. Hands the flash back with the error when nothing can run.
    pub fn start(flash: F, config: BoardConfig, now: Instant) -> Result<Self, (F, BootError)> {
        let (slot, info) = Slot::boot(flash, config.layout.clone(), config.key)?;
        let mut settings = FirmwareSettings::default();
        if config.http {
            let _ = settings
                .protocols
                .push(lwm2m_runtime::client::Protocol::Http);
        }
        let mut client_config = match Config::new(&config.endpoint) {
            Ok(c) => c,
            Err(_) => return Err((slot.into_flash(), BootError::Records)),
        };
        client_config.lifetime = config.lifetime;
        let version = slot.running().header.version;
        let mut version_text = heapless::String::new();
        let _ = core::fmt::write(&mut version_text, format_args!("{version}"));
        let mut board = Self {
            client: Client::new(client_config, config.seed).with_firmware(settings),
            slot,
            device: device::Served(DeviceInfo {
                serial: config.endpoint.clone(),
                version: version_text,
                reboot: false,
            }),
            radio: cm::Served(Radio {
                rssi: Radio::START_DBM,
                target: config.rssi,
                last_step: None,
            }),
            clock: None,
            persisted: heapless::Vec::new(),
            last_state: None,
            reboot: None,
            notices: heapless::Deque::new(),
        };
        board.notice(Notice::Booted {
            version,
            bootloader: info.bootloader,
        });
        if let Err(e) = board.restore(now, info) {
            return Err((board.into_flash(), e));
        }
        board.last_state = board.client.firmware_state();
        Ok(board)
    }

    fn restore(&mut self, now: Instant, info: BootInfo) -> Result<(), BootError> {
        let records = self.slot.records().clone();
        if let Some(snapshot) = records.snapshot(self.slot.flash_mut())? {
            if self.client.restore_firmware(&snapshot).is_ok() {
                self.persisted = snapshot;
            } else {
                self.notice(Notice::SnapshotDropped);
            }
        }
        let running = self.slot.running().digest;
        let outcome = match (info.install, info.bootloader) {
            (Some(install), Bootloader::Swapped) if install.new == running => {
                if !self.self_test() {
                    return Ok(());
                }
                Some(true)
            }
            (Some(install), _) if install.new == running => Some(true),
            (Some(_), _) => Some(false),
            (None, Bootloader::Swapped) => {
                // No record of an install (the records were lost): trust the self-test.
                if !self.self_test() {
                    return Ok(());
                }
                self.slot.mark_booted()?;
                None
            }
            // Updating persisted, but power went before the install was recorded: the old
            // image runs and the package waits in DFU. The update failed (8); the server may
            // execute it again.
            (None, _)
                if self
                    .client
                    .firmware_state()
                    .is_some_and(|(s, _)| s == State::Updating) =>
            {
                Some(false)
            }
            (None, Bootloader::Reverted) => {
                self.slot.mark_booted()?;
                None
            }
            (None, Bootloader::Boot) => None,
        };
        if let Some(success) = outcome {
            let r = self.with_device(|client, device| client.firmware_booted(now, device, success));
            if r.is_err() {
                return Err(BootError::Flash(
                    embedded_storage::nor_flash::NorFlashErrorKind::Other,
                ));
            }
            self.persist();
            if info.bootloader == Bootloader::Reverted {
                self.slot.mark_booted()?;
            }
            records.set_install(self.slot.flash_mut(), None)?;
        }
        Ok(())
    }

    /// Runs the new image's self-test; on failure asks for a reboot without confirming, so
    /// the bootloader reverts, and leaves everything else as it is.
    fn self_test(&mut self) -> bool {
        let passed = self
            .slot
            .running_body_start()
            .is_ok_and(|body| image::self_test(&body));
        self.notice(Notice::SelfTest { passed });
        if !passed {
            self.reboot = Some(Reboot::SelfTestFailed);
        }
        passed
    }

    fn with_device<R>(&mut self, f: impl FnOnce(&mut Client, &mut Device<'_, '_>) -> R) -> R {
        let mut objects: [&mut dyn Object; 2] = [&mut self.device, &mut self.radio];
        let mut device = Device::new(&mut objects).with_firmware(&mut self.slot);
        device.clock = self.clock;
        f(&mut self.client, &mut device)
    }

    fn notice(&mut self, n: Notice) {
        if self.notices.is_full() {
            let _ = self.notices.pop_front();
        }
        let _ = self.notices.push_back(n);
    }

    /// Persists the /5 snapshot if it changed since the last time.
    fn persist(&mut self) {
        let Some(snapshot) = self.client.firmware_snapshot() else {
            return;
        };
        if snapshot == self.persisted {
            return;
        }
        let records = self.slot.records().clone();
        match records.set_snapshot(self.slot.flash_mut(), &snapshot) {
            Ok(()) => self.persisted = snapshot,
            Err(_) => self.notice(Notice::PersistFailed),
        }
    }

    /// After every input: persist what changed, turn client events into notices.
    fn settle(&mut self, now: Instant) {
        if let Some(e) = self.slot.take_last_error() {
            self.notice(Notice::Refused(e));
        }
        self.persist();
        let state = self.client.firmware_state();
        if state != self.last_state {
            self.last_state = state;
            if let Some((s, r)) = state {
                self.notice(Notice::Firmware(s, r));
            }
        }
        while let Some(event) = self.client.poll_event() {
            match event {
                Event::Registered => self.notice(Notice::Registered),
                Event::Install => self.reboot = Some(Reboot::Install),
                Event::Download => self.notice(Notice::Download),
                _ => {}
            }
        }
        if self.device.0.reboot {
            self.reboot.get_or_insert(Reboot::Requested);
        }
        if self.radio.0.tick(now) {
            self.client.notify_changed(now);
        }
    }

    /// Registers with the server (unless the board must reboot first).
    pub fn register(&mut self, now: Instant) {
        if self.reboot.is_none() {
            self.with_device(|client, device| client.register(now, device));
        }
    }

    /// Hands in a datagram from `from`.
    pub fn handle(&mut self, now: Instant, from: Peer, datagram: &[u8]) {
        self.with_device(|client, device| client.handle(now, from, datagram, device));
        self.settle(now);
    }

    /// The next datagram to send, if any.
    pub fn poll(&mut self, now: Instant) -> Option<Transmit> {
        self.settle(now);
        let t = self.with_device(|client, device| client.poll(now, device));
        self.settle(now);
        t
    }

    /// When to call [`Board::poll`] next at the latest.
    pub fn timeout(&self) -> Option<Instant> {
        let radio = self.radio.0.last_step.map(|t| t.after(1000));
        match (self.client.timeout(), radio) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next notice.
    pub fn take_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    /// Whether (and why) the board must reboot, once what [`Board::poll`] returns is sent.
    pub fn reboot_requested(&self) -> Option<Reboot> {
        self.reboot
    }

    /// The running image's version.
    pub fn running_version(&self) -> Version {
        self.slot.running().header.version
    }

    /// /5 State and Update Result.
    pub fn firmware_state(&self) -> Option<(State, UpdateResult)> {
        self.client.firmware_state()
    }

    /// The client, to look at.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sets the wall-clock time (for /5 Last State Change Time).
    pub fn set_clock(&mut self, clock: Time) {
        self.clock = Some(clock);
    }

    /// Sets the signal the simulated radio moves towards.
    pub fn set_rssi_target(&mut self, dbm: i16) {
        self.radio.0.target = dbm;
    }

    /// The network changed: resume a stalled download now.
    pub fn connection_changed(&mut self, now: Instant) {
        self.client.connection_changed(now);
    }

    /// Bytes of the package in the slot, where a board-run download resumes.
    pub fn download_offset(&self) -> u32 {
        use lwm2m_runtime::fota::FirmwareStorage;
        self.slot.written()
    }

    /// Bytes of a board-run download (after [`Notice::Download`]) at `offset`.
    pub fn download_chunk(
        &mut self,
        now: Instant,
        offset: u32,
        bytes: &[u8],
    ) -> Result<(), FotaError> {
        let r = self.with_device(|client, device| client.download_chunk(device, offset, bytes));
        self.settle(now);
        r
    }

    /// The board-run download is complete.
    pub fn download_finished(&mut self, now: Instant) -> Result<(), Error> {
        let r = self.with_device(|client, device| client.download_finished(now, device));
        self.settle(now);
        r
    }

    /// The board-run download failed.
    pub fn download_failed(&mut self, now: Instant, error: FotaError) {
        self.with_device(|client, device| client.download_failed(now, device, error));
        self.settle(now);
    }

    /// The flash, to inspect (tests look at the simulated power).
    pub fn flash_mut(&mut self) -> &mut F {
        self.slot.flash_mut()
    }

    /// Gives the flash back: a reboot starts a new board from it.
    pub fn into_flash(self) -> F {
        self.slot.into_flash()
    }
}
