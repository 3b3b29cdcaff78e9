//! The simulated board: the update library's [`FotaDevice`] (client, Object 3, Object 5) with
//! a simulated radio as Object 4, MCUboot images signed with Ed25519, and embassy-boot's swap
//! run at every power-on the way a bootloader would before the application starts.
//!
//! [`Board`] is sans-IO like the device it wraps: a runner hands it datagrams and the time,
//! sends what it returns, and reboots it when asked (the host runner re-executes the process;
//! tests build a new board from the same flash).

use ed25519_dalek::VerifyingKey;
use embedded_storage::nor_flash::NorFlash;
use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::Mcuboot;
use lwm2m_fota::{
    BootError, DeviceConfig, DeviceReboot, FotaDevice, FotaError, Layout, ServerAccounts, Version,
};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_objects::firmware_update::{FirmwareUpdateProtocolSupport, State, UpdateResult};
use lwm2m_runtime::client::{self, Event, Instant, Peer, Transmit};
use lwm2m_runtime::{Enumeration, Error, Instances, Object, Time};
use lwm2m_servers::{Accounts, SecurityObject, ServerObject};

use crate::demo;

/// How the board is set up.
#[derive(Clone, Debug)]
pub struct BoardConfig {
    /// The client's settings (endpoint name, lifetime).
    pub client: client::Config,
    /// Where things live in the flash.
    pub layout: Layout,
    /// The key images must be signed with.
    pub key: VerifyingKey,
    /// Seeds message IDs and tokens: give each boot a different one.
    pub seed: u64,
    /// The Radio Signal Strength the simulated radio settles at, in dBm.
    pub rssi: i16,
    /// Package URI schemes the board downloads besides CoAP (HTTP with the host runner).
    pub http: bool,
    /// Whether it downloads `coaps://` Package URIs (the runner carries them over DTLS).
    pub coaps: bool,
}

/// Something the board did, for a runner to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// What the update agent did (boot, self-test, each /5 change, refusals).
    Firmware(lwm2m_fota::Notice),
    /// The server accepted the registration.
    Registered,
    /// The client asked the Bootstrap-Server for its accounts.
    Bootstrapping,
    /// The Bootstrap-Server provisioned the accounts; registration follows.
    Bootstrapped,
    /// A bootstrap failed (refused, or no Finish in time); the client tries again.
    BootstrapFailed,
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

    /// A radio settling at `target` dBm.
    pub fn new(target: i16) -> Self {
        Self {
            rssi: Self::START_DBM,
            target,
            last_step: None,
        }
    }

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
        let ip = heapless::String::try_from("127.0.0.1").map_err(|_| Error::Internal)?;
        ips.insert(0, ip).map_err(|_| Error::Internal)?;
        Ok(ips)
    }
}

/// A board: the updatable device, its radio, its server accounts and what it logged.
pub struct Board<F> {
    device: FotaDevice<F, Mcuboot, EmbassyBoot>,
    radio: cm::Served<Radio>,
    /// Objects 0 and 1 on their own flash: where the client registers, and how.
    accounts: Option<Accounts<F>>,
    notices: heapless::Deque<Notice, 32>,
}

/// The radio, and Objects 0 and 1 when the board has accounts.
fn objects<'a, F: NorFlash>(
    radio: &'a mut cm::Served<Radio>,
    accounts: &'a mut Option<(SecurityObject<'_, F>, ServerObject<'_, F>)>,
) -> Vec<&'a mut dyn Object> {
    let mut all: Vec<&mut dyn Object> = vec![radio];
    if let Some((security, server)) = accounts.as_mut() {
        all.push(security);
        all.push(server);
    }
    all
}

impl<F: NorFlash> Board<F> {
    /// Powers on from `flash`: embassy-boot's bootloader swaps or reverts, then the device
    /// boots (see [`FotaDevice::boot`]; the demo self-test decides whether a new image stays).
    /// Hands the flash back with the error when nothing can run.
    ///
    /// With `accounts`, the client registers where they say (or bootstraps from the
    /// Bootstrap-Server account) and serves them as Objects 0 and 1; without, it registers
    /// with whatever server the runner binds.
    pub fn start(
        mut flash: F,
        accounts: Option<Accounts<F>>,
        config: BoardConfig,
        now: Instant,
    ) -> Result<Self, (F, BootError)> {
        let bootloader = EmbassyBoot::new(config.layout.clone());
        if let Err(e) = bootloader.prepare_boot_4k(&mut flash) {
            return Err((flash, e));
        }
        let mut device = DeviceConfig {
            client: config.client,
            seed: config.seed,
            manufacturer: heapless::String::try_from("lwm2m-rs").unwrap_or_default(),
            model: heapless::String::try_from("sim-board").unwrap_or_default(),
            layout: config.layout,
            firmware: lwm2m_fota::Settings::default(),
            accounts: match &accounts {
                Some(a) => ServerAccounts::Objects {
                    bootstrap: a.bootstrap_account(),
                },
                None => ServerAccounts::Unbound,
            },
        };
        if config.coaps {
            let _ = device
                .firmware
                .protocols
                .push(FirmwareUpdateProtocolSupport::Coaps);
        }
        if config.http {
            let _ = device
                .firmware
                .protocols
                .push(FirmwareUpdateProtocolSupport::Http11);
        }
        let device = FotaDevice::boot(
            flash,
            device,
            Mcuboot::new(config.key),
            bootloader,
            demo::self_test,
        )?;
        let mut board = Self {
            device,
            radio: cm::Served(Radio::new(config.rssi)),
            accounts,
            notices: heapless::Deque::new(),
        };
        board.settle(now);
        Ok(board)
    }

    /// The device, and the objects the board serves beside Objects 3 and 5.
    #[allow(clippy::type_complexity)]
    fn split(
        &mut self,
    ) -> (
        &mut FotaDevice<F, Mcuboot, EmbassyBoot>,
        &mut cm::Served<Radio>,
        Option<(SecurityObject<'_, F>, ServerObject<'_, F>)>,
    ) {
        (
            &mut self.device,
            &mut self.radio,
            self.accounts.as_mut().map(Accounts::objects),
        )
    }

    /// After every input: collect what the agent and the client said, move the radio.
    fn settle(&mut self, now: Instant) {
        while let Some(n) = self.device.firmware().take_notice() {
            self.notice(Notice::Firmware(n));
        }
        while let Some(event) = self.device.client_mut().poll_event() {
            match event {
                Event::Registered { .. } => self.notice(Notice::Registered),
                Event::BootstrapStarted => self.notice(Notice::Bootstrapping),
                Event::Bootstrapped => self.notice(Notice::Bootstrapped),
                Event::BootstrapFailed => self.notice(Notice::BootstrapFailed),
                _ => {}
            }
        }
        if self.radio.0.tick(now) {
            self.device.client_mut().notify_changed(now);
        }
    }

    fn notice(&mut self, n: Notice) {
        if self.notices.is_full() {
            let _ = self.notices.pop_front();
        }
        let _ = self.notices.push_back(n);
    }

    /// Registers with the server (unless the board must reboot first).
    pub fn register(&mut self, now: Instant) {
        let (device, radio, mut accounts) = self.split();
        device.register(now, &mut objects(radio, &mut accounts));
        self.settle(now);
    }

    /// Hands in a datagram from `from`.
    pub fn handle(&mut self, now: Instant, from: Peer, datagram: &[u8]) {
        let (device, radio, mut accounts) = self.split();
        device.handle(now, from, datagram, &mut objects(radio, &mut accounts));
        self.settle(now);
    }

    /// The next datagram to send, if any.
    pub fn poll(&mut self, now: Instant) -> Option<Transmit> {
        self.settle(now);
        let (device, radio, mut accounts) = self.split();
        let t = device.poll(now, &mut objects(radio, &mut accounts));
        self.settle(now);
        t
    }

    /// When to call [`Board::poll`] next at the latest.
    pub fn timeout(&self) -> Option<Instant> {
        let radio = self.radio.0.last_step.map(|t| t.after(1000));
        match (self.device.timeout(), radio) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next notice.
    pub fn take_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    /// Whether (and why) the board must reboot, once what [`Board::poll`] returns is sent.
    pub fn reboot_requested(&self) -> Option<DeviceReboot> {
        self.device.reboot_requested()
    }

    /// The running image's version.
    pub fn running_version(&self) -> Version {
        self.device.firmware_ref().running().version
    }

    /// /5 State and Update Result.
    pub fn firmware_state(&self) -> (State, UpdateResult) {
        self.device.firmware_ref().state()
    }

    /// The client, to look at.
    pub fn client(&self) -> &client::Client {
        self.device.client()
    }

    /// Sets the wall-clock time (for /5 Last State Change Time).
    pub fn set_clock(&mut self, clock: Time) {
        self.device.set_clock(clock);
    }

    /// Sets the signal the simulated radio moves towards.
    pub fn set_rssi_target(&mut self, dbm: i16) {
        self.radio.0.target = dbm;
    }

    /// The network changed: resume a stalled download now.
    pub fn connection_changed(&mut self, now: Instant) {
        self.device.client_mut().connection_changed(now);
    }

    /// The Package URI and the byte to resume from of a download the runner performs (HTTP).
    pub fn external_download(&mut self) -> Option<(String, u32)> {
        self.device
            .firmware()
            .external_download()
            .map(|(uri, at)| (uri.to_owned(), at))
    }

    /// Bytes of a runner's download at `offset`.
    pub fn download_chunk(
        &mut self,
        now: Instant,
        offset: u32,
        bytes: &[u8],
    ) -> Result<(), FotaError> {
        let r = self.device.firmware().download_chunk(offset, bytes);
        self.settle(now);
        r
    }

    /// The runner's download is complete.
    pub fn download_finished(&mut self, now: Instant) -> Result<(), Error> {
        let r = self.device.firmware().download_finished();
        self.settle(now);
        r
    }

    /// The runner's download failed.
    pub fn download_failed(&mut self, now: Instant, error: FotaError) {
        self.device.firmware().download_failed(error);
        self.settle(now);
    }

    /// The flash, to inspect (tests look at the simulated power).
    pub fn flash_mut(&mut self) -> &mut F {
        self.device.firmware().flash_mut()
    }

    /// Gives the flash back: a reboot starts a new board from it.
    pub fn into_flash(self) -> F {
        self.device.into_flash()
    }
}
