//! A whole updatable device: the LwM2M client, Object 3 (Device) and Object 5 (Firmware
//! Update), plus the product's own objects handed in on each call.
//!
//! [`FotaDevice`] is sans-IO like the client it wraps: a runner hands it datagrams and the
//! time, sends what it returns, and resets the device when [`FotaDevice::reboot_requested`]
//! says so (the bootloader then does its part).

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::device;
use lwm2m_runtime::client::{self, Client, Instant, Peer, Transmit};
use lwm2m_runtime::heapless::String;
use lwm2m_runtime::{Error, ExecuteArgs, Instances, Object, Time};

use crate::agent::{FirmwareUpdate, Reboot, SelfTest, Settings};
use crate::boot::{BootError, Bootloader};
use crate::image::Verifier;
use crate::layout::Layout;

/// The most objects of the product's own a [`FotaDevice`] serves besides 3 and 5.
pub const MAX_OBJECTS: usize = 14;

/// How a device is set up.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// The client's settings: endpoint name, lifetime, block size.
    pub client: client::Config,
    /// Seeds message IDs and tokens: give each boot a different one.
    pub seed: u64,
    /// `/3/0/0` Manufacturer.
    pub manufacturer: String<64>,
    /// `/3/0/1` Model Number.
    pub model: String<64>,
    /// Where things live in the flash.
    pub layout: Layout,
    /// What /5 supports.
    pub firmware: Settings,
    /// Where the client's server account comes from.
    pub accounts: ServerAccounts,
}

/// Where a device's client finds its server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
// Built once, at boot, and moved into the client: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum ServerAccounts {
    /// The runner binds the server itself; the client registers with the lifetime of its
    /// [`client::Config`].
    #[default]
    Unbound,
    /// In Objects 0 and 1 among the objects the runner serves (the `lwm2m-servers` crate):
    /// the management account of the lowest Short Server ID, or, with none, a bootstrap
    /// from `bootstrap` (see [`Client::with_accounts`]).
    Objects {
        /// The Bootstrap-Server account to fall back on.
        bootstrap: Option<client::BootstrapAccount>,
    },
}

impl DeviceConfig {
    /// Defaults for endpoint `endpoint` on a flash laid out as `layout`; 4.00 for an empty or
    /// too long endpoint name.
    pub fn new(endpoint: &str, layout: Layout) -> Result<Self, Error> {
        Ok(Self {
            client: client::Config::new(endpoint)?,
            seed: 1,
            manufacturer: String::new(),
            model: String::new(),
            layout,
            firmware: Settings::default(),
            accounts: ServerAccounts::Unbound,
        })
    }
}

/// Why the device must reboot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceReboot {
    /// The update agent asks for it (install, or revert after a failed self-test).
    Firmware(Reboot),
    /// A server executed `/3/0/4` Reboot.
    Requested,
}

/// Object 3 of an updatable device: who it is, the running firmware's version, Reboot.
pub struct DeviceInfo {
    manufacturer: String<64>,
    model: String<64>,
    serial: String<64>,
    version: String<64>,
    reboot: bool,
}

impl device::Handler for DeviceInfo {
    fn read_manufacturer(&mut self, _: u16) -> Result<String<64>, Error> {
        Ok(self.manufacturer.clone())
    }
    fn read_model_number(&mut self, _: u16) -> Result<String<64>, Error> {
        Ok(self.model.clone())
    }
    fn read_serial_number(&mut self, _: u16) -> Result<String<64>, Error> {
        Ok(self.serial.clone())
    }
    fn read_firmware_version(&mut self, _: u16) -> Result<String<64>, Error> {
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
    fn read_supported_binding_and_modes(&mut self, _: u16) -> Result<String<64>, Error> {
        String::try_from("U").map_err(|_| Error::Internal)
    }
}

/// The client, Object 3 and Object 5 over flash `F`, images checked by `V`, swapped by `B`.
pub struct FotaDevice<F, V: Verifier, B> {
    client: Client,
    info: device::Served<DeviceInfo>,
    firmware: FirmwareUpdate<F, V, B>,
    clock: Option<Time>,
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> FotaDevice<F, V, B> {
    /// Boots the device from `flash`: the update agent reconciles what it finds (see
    /// [`FirmwareUpdate::boot`]; `self_test` decides whether a new image stays). Hands the
    /// flash back with the error when nothing can run.
    pub fn boot(
        flash: F,
        config: DeviceConfig,
        verifier: V,
        bootloader: B,
        self_test: impl SelfTest,
    ) -> Result<Self, (F, BootError)> {
        let firmware = FirmwareUpdate::boot(
            flash,
            config.layout,
            verifier,
            bootloader,
            config.firmware,
            self_test,
        )?;
        // A version's text (at most 24 bytes) always fits.
        let version =
            String::try_from(firmware.running().version.text().as_str()).unwrap_or_default();
        let serial = config.client.endpoint.clone();
        let client = match config.accounts {
            ServerAccounts::Unbound => Client::new(config.client, config.seed),
            ServerAccounts::Objects { bootstrap } => {
                Client::with_accounts(config.client, None, bootstrap, config.seed)
            }
        };
        Ok(Self {
            client,
            info: device::Served(DeviceInfo {
                manufacturer: config.manufacturer,
                model: config.model,
                serial,
                version,
                reboot: false,
            }),
            firmware,
            clock: None,
        })
    }

    /// Runs `f` with the client and every object served: 3, 5 and `objects`.
    fn with<R>(
        &mut self,
        objects: &mut [&mut dyn Object],
        f: impl FnOnce(&mut Client, &mut client::Device<'_, '_>) -> R,
    ) -> R {
        let mut all: heapless::Vec<&mut dyn Object, { MAX_OBJECTS + 2 }> = heapless::Vec::new();
        let _ = all.push(&mut self.info);
        let _ = all.push(&mut self.firmware);
        for o in objects.iter_mut() {
            // More objects than MAX_OBJECTS are not served: the registration lists what is.
            let _ = all.push(&mut **o);
        }
        let mut device = client::Device::new(&mut all);
        device.clock = self.clock;
        f(&mut self.client, &mut device)
    }

    /// Registers with the server (unless the device must reboot first).
    pub fn register(&mut self, now: Instant, objects: &mut [&mut dyn Object]) {
        if self.reboot_requested().is_none() {
            self.with(objects, |c, d| c.register(now, d));
        }
    }

    /// Hands in a datagram from `from`.
    pub fn handle(
        &mut self,
        now: Instant,
        from: Peer,
        datagram: &[u8],
        objects: &mut [&mut dyn Object],
    ) {
        self.with(objects, |c, d| c.handle(now, from, datagram, d));
    }

    /// The next datagram to send, if any. Call until `None`, then again by
    /// [`FotaDevice::timeout`] or when a datagram arrives.
    pub fn poll(&mut self, now: Instant, objects: &mut [&mut dyn Object]) -> Option<Transmit> {
        self.with(objects, |c, d| c.poll(now, d))
    }

    /// When [`FotaDevice::poll`] must run next at the latest.
    pub fn timeout(&self) -> Option<Instant> {
        self.client.timeout()
    }

    /// Whether (and why) the device must reboot, once what [`FotaDevice::poll`] returns is
    /// sent.
    pub fn reboot_requested(&self) -> Option<DeviceReboot> {
        match self.firmware.reboot_requested() {
            Some(r) => Some(DeviceReboot::Firmware(r)),
            None => self.info.0.reboot.then_some(DeviceReboot::Requested),
        }
    }

    /// Sets the wall-clock time (for /5 Last State Change Time).
    pub fn set_clock(&mut self, clock: Time) {
        self.clock = Some(clock);
    }

    /// The client, to look at.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client, for what the device does not wrap (e.g. a connection change).
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The update agent (its state, notices, application-run downloads).
    pub fn firmware(&mut self) -> &mut FirmwareUpdate<F, V, B> {
        &mut self.firmware
    }

    /// The update agent, to look at.
    pub fn firmware_ref(&self) -> &FirmwareUpdate<F, V, B> {
        &self.firmware
    }

    /// Gives the flash back: a reboot starts a new device from it.
    pub fn into_flash(self) -> F {
        self.firmware.into_flash()
    }
}
