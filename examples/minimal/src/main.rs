//! A whole updatable device in one page: Objects 3, 4 and 5 on a NOR flash it is given,
//! MCUboot images checked with an Ed25519 public key, and a UDP socket to an LwM2M server.
//! It takes firmware by PUSH or by PULL over CoAP, installs it through embassy-boot, confirms
//! it after the reboot and reports the outcome. Usage: `lwm2m-minimal [SERVER:PORT]`.

use std::error::Error;
use std::net::UdpSocket;
use std::time::{Duration, Instant as Clock};

use embedded_storage::nor_flash::NorFlash;
use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::Mcuboot;
use lwm2m_fota::{DeviceConfig, FotaDevice, Layout, Version, keys, sim};
use lwm2m_runtime::client::{Instant, Peer};
use lwm2m_runtime::{Instances, Object};

/// 384 KiB images in 4 KiB sectors, as the simulated flash has them.
const LAYOUT: Layout = Layout::new(4096, 4, 2, 96);

/// Object 4, bound to the XML at compile time: what the modem reports.
#[derive(Default, lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "../../objects/xml/4.xml")]
struct Radio {
    network_bearer: u8,
    available_network_bearer: Instances<u8, 4>,
    radio_signal_strength: i16,
    ip_addresses: Instances<heapless::String<40>, 2>,
}

/// Runs the device from power-on until it must reboot; gives the flash back.
fn run<F: NorFlash>(mut flash: F, key: &[u8; 32], server: &str) -> Result<F, Box<dyn Error>> {
    let bootloader = EmbassyBoot::new(LAYOUT);
    bootloader.prepare_boot_4k(&mut flash)?; // what the bootloader does at reset
    let verifier = Mcuboot::from_bytes(key).ok_or("not an Ed25519 public key")?;
    let config = DeviceConfig::new("minimal-1", LAYOUT)?;
    // The self-test decides whether a new image stays: a product checks its peripherals.
    let mut device = FotaDevice::boot(flash, config, verifier, bootloader, |_: &[u8]| true)
        .map_err(|(_, e)| e)?;
    let (socket, download) = (UdpSocket::bind("0.0.0.0:0")?, UdpSocket::bind("0.0.0.0:0")?);
    socket.connect(server)?;
    download.set_nonblocking(true)?; // a PULL's CoAP server answers here
    let mut radio = Radio { network_bearer: 6, radio_signal_strength: -80, ..Radio::default() };
    let mut objects: [&mut dyn Object; 1] = [&mut radio];
    let start = Clock::now();
    let now = || Instant(start.elapsed().as_millis() as u64);
    device.register(now(), &mut objects);
    let mut buf = [0u8; 1500];
    while device.reboot_requested().is_none() {
        let wait = device.timeout().map_or(100, |t| t.since(now())).clamp(1, 100);
        socket.set_read_timeout(Some(Duration::from_millis(wait)))?;
        if let Ok(n) = socket.recv(&mut buf) {
            device.handle(now(), Peer::Server(1), &buf[..n], &mut objects);
        }
        while let Ok(n) = download.recv(&mut buf) {
            device.handle(now(), Peer::Download, &buf[..n], &mut objects);
        }
        // Everything due goes out, also what is queued before a reboot.
        while let Some(t) = device.poll(now(), &mut objects) {
            match (t.to, device.client().download_peer()) {
                (Peer::Server(_), _) => socket.send(&t.data)?,
                (Peer::Download, Some(peer)) => download.send_to(&t.data, peer)?,
                // No Bootstrap-Server in this example; no download without a peer.
                (Peer::Bootstrap, _) | (Peer::Download, None) => 0,
            };
        }
    }
    Ok(device.into_flash())
}

fn main() -> Result<(), Box<dyn Error>> {
    let server = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5683".into());
    // A simulated NOR flash with a factory image signed with the development key; on a
    // board, the chip's flash as the production line programmed it.
    let mut flash = sim::dev_flash(&LAYOUT, Version::new(1, 0, 0, 0))?;
    loop {
        flash = run(flash, &keys::DEV_PUBLIC_KEY, &server)?; // a reboot: only the flash remains
    }
}
