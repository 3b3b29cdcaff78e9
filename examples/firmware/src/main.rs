//! The update library as firmware: the LwM2M client with Objects 3, 4 and 5, the generated
//! /5 state machine, MCUboot image verification, embassy-boot and the persisted records, on a
//! Cortex-M4F without `std`.
//!
//! It runs on the MPS2 AN386 board QEMU emulates (`mps2`): datagrams come and go over UART0
//! as a modem's UART would carry them (`modem`: COBS frames, which a host-side relay turns
//! into UDP), a log goes out on UART1, and SysTick is the clock. `size.sh` measures it. The
//! flash is a RAM buffer behind the same `NorFlash` rules (a product uses its MCU's flash
//! driver), kept where QEMU preserves it across a reset; the first boot programs the factory
//! image into it, and every boot runs embassy-boot's swap or revert first, as the bootloader
//! would. `measure` logs the stack, heap and static RAM used. With the `dtls` feature the
//! line to the server is DTLS 1.2 with a pre-shared key (`lwm2m-dtls`), seeded by a
//! stand-in for the MCU's random number generator.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::Mcuboot;
use lwm2m_fota::{DeviceConfig, FotaDevice, Layout, Notice, keys};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Event, Instant, Peer};
use panic_halt as _;
use static_cell::StaticCell;

use lwm2m_firmware::flash::Flash;
use lwm2m_firmware::modem::Radio;
use lwm2m_firmware::mps2::Part::{Number, Text};
use lwm2m_firmware::mps2::{self, Uart, halt};

/// Partitions sized for the RAM stand-in: 16 KiB images in 4 KiB sectors.
const LAYOUT: Layout = Layout::new(4096, 4, 2, 4);
/// What the production line programs into a blank flash: version 1.0.0 (see build.rs). In a
/// section of its own, `.factory`, which `size.sh` leaves out: a product's flash holds its
/// image in the active slot, not inside the program.
#[unsafe(link_section = ".factory")]
static FACTORY: [u8; FACTORY_LEN] = *include_bytes!(concat!(env!("OUT_DIR"), "/factory.bin"));
const FACTORY_LEN: usize = include_bytes!(concat!(env!("OUT_DIR"), "/factory.bin")).len();
const FLASH_SIZE: usize = LAYOUT.size() as usize;

#[entry]
fn main() -> ! {
    let (mut log, mut modem) = lwm2m_firmware::start();
    log.line(&[Text("lwm2m-firmware: booting")]);
    let device = boot(&mut log);
    let mut radio = cm::Served(Radio);
    let mut objects: [&mut dyn Object; 1] = [&mut radio];
    device.register(Instant(mps2::now()), &mut objects);
    #[cfg(feature = "dtls")]
    let mut link = {
        let psk = lwm2m_dtls::Psk {
            identity: b"fw-board",
            key: &core::hint::black_box([0x11; 16]),
        };
        // A stand-in for the MCU's true random number generator.
        let trng = |buf: &mut [u8]| buf.fill(core::hint::black_box(0x5a));
        let Ok(link) = lwm2m_dtls::Link::new(psk, trng) else {
            halt()
        };
        link
    };
    loop {
        let now = mps2::now();
        if let Some(datagram) = modem.receive() {
            #[cfg(not(feature = "dtls"))]
            device.handle(Instant(now), Peer::Server(1), datagram, &mut objects);
            #[cfg(feature = "dtls")]
            link.handle(now, datagram);
        }
        #[cfg(feature = "dtls")]
        {
            while let Some(plain) = link.recv() {
                device.handle(Instant(now), Peer::Server(1), &plain, &mut objects);
            }
            link.handle_timeout(now);
        }
        while let Some(out) = device.poll(Instant(now), &mut objects) {
            #[cfg(not(feature = "dtls"))]
            modem.send(&out.data);
            #[cfg(feature = "dtls")]
            link.send(now, &out.data);
        }
        #[cfg(feature = "dtls")]
        while let Some(record) = link.poll_transmit() {
            modem.send(&record);
        }
        while let Some(event) = device.client_mut().poll_event() {
            if let Event::Registered { server } = event {
                log.line(&[
                    Text("lwm2m-firmware: registered with server "),
                    Number(server.into()),
                ]);
                lwm2m_firmware::log_ram(&mut log, "lwm2m-firmware");
            }
        }
        while let Some(notice) = device.firmware().take_notice() {
            match notice {
                Notice::Booted {
                    version,
                    bootloader,
                } => log.line(&[
                    Text("lwm2m-firmware: booted image "),
                    Text(&version.text()),
                    Text(" (bootloader: "),
                    Text(bootloader.name()),
                    Text(")"),
                ]),
                Notice::SelfTest { passed } => log.line(&[
                    Text("lwm2m-firmware: self-test passed: "),
                    Text(if passed { "true" } else { "false" }),
                ]),
                _ => {}
            }
        }
        if device.reboot_requested().is_some() {
            lwm2m_firmware::log_ram(&mut log, "lwm2m-firmware");
            log.line(&[Text("lwm2m-firmware: rebooting")]);
            // What was queued before the reset leaves first.
            modem.flush();
            log.flush();
            cortex_m::peripheral::SCB::sys_reset();
        }
    }
}

/// The update firmware's device: the client, Objects 3 and 5, the flash, the verifier and the
/// bootloader. In a static, so the linker counts its RAM.
type Board = FotaDevice<Flash, Mcuboot, EmbassyBoot>;

/// Programs the factory image on the first boot, runs the bootloader's step, and boots the
/// device into its static. Not inlined: the device is built in this frame, which is gone by
/// the time the main loop runs.
#[inline(never)]
fn boot(log: &mut Uart) -> &'static mut Board {
    static DEVICE: StaticCell<Board> = StaticCell::new();
    // SAFETY: once, with the same size on every boot.
    let (storage, programmed) = unsafe { mps2::sim_flash(FLASH_SIZE) };
    let Some(mut flash) = Flash::new(storage) else {
        halt()
    };
    if !programmed {
        // The production line's step, on the first boot: it erases the whole flash first.
        if lwm2m_fota::slot::provision(&mut flash, &LAYOUT, &FACTORY).is_err() {
            log.line(&[Text("lwm2m-firmware: the factory image does not fit")]);
            halt()
        }
        // SAFETY: as for `sim_flash`.
        unsafe { mps2::set_programmed(FLASH_SIZE) };
        log.line(&[Text("lwm2m-firmware: factory image programmed")]);
    }
    let Some(verifier) = Mcuboot::from_bytes(&keys::DEV_PUBLIC_KEY) else {
        halt()
    };
    let Ok(mut config) = DeviceConfig::new("fw-board", LAYOUT) else {
        halt()
    };
    // Each boot seeds the client differently (message IDs, tokens, backoff jitter): a server
    // must not take the Register after a reboot for a retransmission of the one before.
    // SAFETY: as for `sim_flash`.
    let boot = unsafe { mps2::boot_count(FLASH_SIZE) };
    config.seed = 0x5eed ^ u64::from(boot).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let bootloader = bootloader(&mut flash, log);
    let Ok(device) = FotaDevice::boot(
        flash,
        config,
        verifier,
        bootloader,
        lwm2m_demo_image::self_test,
    ) else {
        log.line(&[Text("lwm2m-firmware: the flash does not boot")]);
        halt()
    };
    DEVICE.init(device)
}

/// What embassy-boot's bootloader does at reset, before the application: swap in a scheduled
/// image, or revert one that was not confirmed. In a frame of its own (its page buffer is
/// 4 KiB), gone before the device is booted.
#[inline(never)]
fn bootloader(flash: &mut Flash, log: &mut Uart) -> EmbassyBoot {
    let bootloader = EmbassyBoot::new(LAYOUT);
    if bootloader.prepare_boot_4k(flash).is_err() {
        log.line(&[Text("lwm2m-firmware: the bootloader's state is unreadable")]);
    }
    bootloader
}
