//! The LwM2M client core on the chip: registration, reads, writes, executes, observations and
//! block-wise transfers, with Objects 3, 4 and 5 served through their generated handlers, and
//! no image verification, bootloader or persisted records. It is the configuration `size.sh`
//! sets beside other clients' cores (Wakaama's client with its example objects, whose /5 also
//! drops what it receives): what the update firmware adds on top of it is the update itself.
//!
//! /5 takes a package by PUSH, follows the generated state machine (Idle, Downloading,
//! Downloaded, Updating) and counts the bytes where a product would write them to its flash;
//! Update reports success at once. It runs on QEMU's MPS2 AN386 as the whole firmware does.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use lwm2m_firmware::modem::Radio;
use lwm2m_firmware::mps2::Part::{Number, Text};
use lwm2m_firmware::mps2::{self, halt};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_objects::device;
use lwm2m_objects::firmware_update::{self as fw, machine};
use lwm2m_runtime::client::{Client, Config, Device, Event, Instant, Peer};
use lwm2m_runtime::{Chunk, Error, ExecuteArgs, Instances, Object};
use panic_halt as _;
use static_cell::StaticCell;

/// Object 3: who the device is.
struct Info;

impl device::Handler for Info {
    fn read_manufacturer(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        heapless::String::try_from("lwm2m-rs").map_err(|_| Error::Internal)
    }
    fn read_firmware_version(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        heapless::String::try_from("1.0.0").map_err(|_| Error::Internal)
    }
    fn execute_reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        cortex_m::peripheral::SCB::sys_reset()
    }
    fn read_error_code(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut codes = Instances::new();
        codes.insert(0, 0).map_err(|_| Error::Internal)?;
        Ok(codes)
    }
    fn read_supported_binding_and_modes(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        heapless::String::try_from("U").map_err(|_| Error::Internal)
    }
}

/// Object 5, PUSH only: the package's bytes are counted, in order, where a product would
/// write them to its flash.
#[derive(Default)]
struct Firmware {
    machine: machine::Machine,
    received: u32,
}

impl fw::Handler for Firmware {
    fn write_package(&mut self, _: u16, chunk: Chunk<'_>) -> Result<(), Error> {
        if chunk.offset == 0 {
            match self.machine.current() {
                machine::Current::Idle(idle) => drop(idle.start_download()),
                machine::Current::Downloading(_) => {}
                _ => return Err(Error::MethodNotAllowed),
            }
            self.received = 0;
        }
        if chunk.offset != self.received {
            return Err(Error::Incomplete);
        }
        self.received = self.received.saturating_add(chunk.bytes.len() as u32);
        if chunk.last
            && let machine::Current::Downloading(downloading) = self.machine.current()
        {
            downloading.downloaded();
        }
        Ok(())
    }
    fn read_package_uri(&mut self, _: u16) -> Result<heapless::String<255>, Error> {
        Ok(heapless::String::new())
    }
    fn write_package_uri(&mut self, _: u16, uri: heapless::String<255>) -> Result<(), Error> {
        match (self.machine.current(), uri.is_empty()) {
            // An empty URI resets the object.
            (machine::Current::Idle(s), true) => drop(s.reset()),
            (machine::Current::Downloading(s), true) => drop(s.reset()),
            (machine::Current::Downloaded(s), true) => drop(s.reset()),
            // This build does not PULL: Update Result 9, Unsupported protocol.
            (machine::Current::Idle(s), false) => drop(
                s.start_download()
                    .failed(machine::DownloadFailure::UnsupportedProtocol),
            ),
            _ => return Err(Error::MethodNotAllowed),
        }
        Ok(())
    }
    fn execute_update(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        let machine::Current::Downloaded(downloaded) = self.machine.current() else {
            return Err(Error::MethodNotAllowed);
        };
        // A product installs the image and reboots into it here.
        downloaded.start_update().succeeded();
        Ok(())
    }
    fn read_state(&mut self, _: u16) -> Result<fw::State, Error> {
        Ok(self.machine.state())
    }
    fn read_update_result(&mut self, _: u16) -> Result<fw::UpdateResult, Error> {
        Ok(self.machine.result())
    }
    fn read_firmware_update_delivery_method(
        &mut self,
        _: u16,
    ) -> Result<fw::FirmwareUpdateDeliveryMethod, Error> {
        Ok(fw::FirmwareUpdateDeliveryMethod::PushOnly)
    }
}

#[entry]
fn main() -> ! {
    let (mut log, mut modem) = lwm2m_firmware::start();
    let Ok(config) = Config::new("fw-core") else {
        halt()
    };
    // In a static, so the linker counts its RAM.
    static CLIENT: StaticCell<Client> = StaticCell::new();
    let client = CLIENT.init(Client::new(config, black_box(0x5eed)));
    let (mut info, mut radio) = (device::Served(Info), cm::Served(Radio));
    let mut firmware = fw::Served(Firmware::default());
    let mut objects: [&mut dyn Object; 3] = [&mut info, &mut radio, &mut firmware];
    let mut device = Device::new(&mut objects);
    client.register(Instant(mps2::now()), &mut device);
    loop {
        let now = Instant(mps2::now());
        if let Some(datagram) = modem.receive() {
            client.handle(now, Peer::Server(1), datagram, &mut device);
        }
        while let Some(out) = client.poll(now, &mut device) {
            modem.send(&out.data);
        }
        while let Some(event) = client.poll_event() {
            if let Event::Registered { server } = event {
                log.line(&[
                    Text("lwm2m-firmware-core: registered with server "),
                    Number(server.into()),
                ]);
                lwm2m_firmware::log_ram(&mut log, "lwm2m-firmware-core");
            }
        }
    }
}
