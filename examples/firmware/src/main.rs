//! The update library as firmware: the LwM2M client with Objects 3, 4 and 5, the generated
//! /5 state machine, MCUboot image verification, embassy-boot and the persisted records, on a
//! Cortex-M4F without `std`.
//!
//! It exists to be measured (`size.sh` prints its sections). The parts a real product brings
//! are stand-ins: the flash is a RAM buffer behind the same `NorFlash` rules (a product uses
//! its MCU's flash driver), and the modem is two buffers the optimiser cannot see through.
//! With the `dtls` feature the line to the server is DTLS 1.2 with a pre-shared key
//! (`lwm2m-dtls`), seeded by a stand-in for the MCU's random number generator.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::Mcuboot;
use lwm2m_fota::sim::NorSim;
use lwm2m_fota::{DeviceConfig, FotaDevice, Layout, keys};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_runtime::client::{Instant, Peer};
use lwm2m_runtime::{Error, Instances, Object};
use panic_halt as _;

#[global_allocator]
static HEAP: Heap = Heap::empty();
/// coap-lite's heap: the client's peak per request is under 2 KiB (see the heap report).
#[cfg(not(feature = "dtls"))]
const HEAP_SIZE: usize = 16 * 1024;
/// Plus Mbed TLS's: two 1.5 KiB record buffers, the session and the handshake's state.
#[cfg(feature = "dtls")]
const HEAP_SIZE: usize = 32 * 1024;

/// Partitions sized for the RAM stand-in: 16 KiB images in 4 KiB sectors.
const LAYOUT: Layout = Layout::new(4096, 4, 2, 4);
const FLASH_SIZE: usize = LAYOUT.size() as usize;

/// The modem: where datagrams would arrive and leave.
static mut RX: [u8; 1280] = [0; 1280];

/// Object 4 from the modem's readings.
struct Radio;

impl cm::Handler for Radio {
    fn read_network_bearer(&mut self, _: u16) -> Result<u8, Error> {
        Ok(black_box(6))
    }
    fn read_available_network_bearer(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut b = Instances::new();
        b.insert(0, black_box(6)).map_err(|_| Error::Internal)?;
        Ok(b)
    }
    fn read_radio_signal_strength(&mut self, _: u16) -> Result<i64, Error> {
        Ok(black_box(-75))
    }
    fn read_ip_addresses(&mut self, _: u16) -> Result<Instances<heapless::String<64>, 8>, Error> {
        Ok(Instances::new())
    }
}

#[entry]
fn main() -> ! {
    {
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: runs once, before anything allocates; the memory is used for nothing else.
        #[allow(static_mut_refs)]
        unsafe {
            HEAP.init(HEAP_MEM.as_ptr() as usize, HEAP_SIZE)
        }
    }
    let Some(storage) = cortex_m::singleton!(: [u8; FLASH_SIZE] = [0xFF; FLASH_SIZE]) else {
        halt()
    };
    // What the flash holds is not known at build time (the factory programs it).
    let storage = black_box(storage);
    let Ok(flash) = NorSim::new(&mut storage[..]) else {
        halt()
    };
    let Some(verifier) = Mcuboot::from_bytes(&keys::DEV_PUBLIC_KEY) else {
        halt()
    };
    let Ok(mut config) = DeviceConfig::new("fw-board", LAYOUT) else {
        halt()
    };
    config.seed = black_box(0x5eed);
    let self_test = |body: &[u8]| black_box(body).first() != Some(&0);
    let Ok(mut device) =
        FotaDevice::boot(flash, config, verifier, EmbassyBoot::new(LAYOUT), self_test)
    else {
        halt()
    };
    let mut radio = cm::Served(Radio);
    let mut objects: [&mut dyn Object; 1] = [&mut radio];
    device.register(Instant(0), &mut objects);
    #[cfg(feature = "dtls")]
    let mut link = {
        let psk = lwm2m_dtls::Psk {
            identity: b"fw-board",
            key: &black_box([0x11; 16]),
        };
        // A stand-in for the MCU's true random number generator.
        let trng = |buf: &mut [u8]| buf.fill(black_box(0x5a));
        let Ok(link) = lwm2m_dtls::Link::new(psk, trng) else {
            halt()
        };
        link
    };
    let mut now = 0u64;
    loop {
        // SAFETY: a single-threaded read of the modem buffer; nothing else touches it.
        #[allow(static_mut_refs)]
        let datagram: &[u8] = unsafe { &RX };
        let len = black_box(datagram.len());
        #[cfg(not(feature = "dtls"))]
        if len > 0 {
            device.handle(Instant(now), Peer::Server(1), &datagram[..len], &mut objects);
        }
        #[cfg(feature = "dtls")]
        {
            if len > 0 {
                link.handle(now, &datagram[..len]);
            }
            while let Some(plain) = link.recv() {
                device.handle(Instant(now), Peer::Server(1), &plain, &mut objects);
            }
            link.handle_timeout(now);
        }
        while let Some(out) = device.poll(Instant(now), &mut objects) {
            #[cfg(feature = "dtls")]
            link.send(now, &out.data);
            black_box(&out.data);
        }
        #[cfg(feature = "dtls")]
        while let Some(record) = link.poll_transmit() {
            black_box(&record);
        }
        while device.firmware().take_notice().is_some() {}
        if device.reboot_requested().is_some() {
            cortex_m::peripheral::SCB::sys_reset();
        }
        now = black_box(now + 1);
    }
}

fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
