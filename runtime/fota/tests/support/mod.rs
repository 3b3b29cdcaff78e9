//! What the agent's exchange-level tests share: the scripted server of the workspace tests,
//! and a device whose Object 5 is the update agent on simulated NOR flash, with MCUboot
//! images signed by the development key and embassy-boot's swap at every reboot.

#![allow(dead_code, reason = "each test file uses part of the support")]

#[path = "../../../../tests/tests/common/mod.rs"]
mod common;

pub use common::*;
pub use lwm2m_fota::embassy::EmbassyBoot;
pub use lwm2m_fota::mcuboot::{self, Mcuboot};
pub use lwm2m_fota::sim::{ERASED, NorSim};
pub use lwm2m_fota::{FirmwareUpdate, Layout, Settings, Version, keys, slot};
#[allow(
    unused_imports,
    reason = "not every test file tells notices and reboots"
)]
pub use lwm2m_fota::{Notice, Reboot};
pub use lwm2m_objects::firmware_update::State;

use lwm2m_runtime::client::{Client, Config};

pub type Flash = NorSim<Vec<u8>>;
pub type Firmware = FirmwareUpdate<Flash, Mcuboot, EmbassyBoot>;

/// 64 KiB images in 4 KiB sectors.
pub const LAYOUT: Layout = Layout::new(4096, 4, 2, 16);
pub const FACTORY: Version = Version::new(1, 0, 0, 0);
pub const NEW: Version = Version::new(2, 0, 0, 0);
/// Bytes an MCUboot image adds to its body: the header and the three TLVs.
pub const OVERHEAD: usize = 32 + 144;

/// The development key's private half.
pub fn dev_key() -> ed25519_dalek::SigningKey {
    keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap()
}

/// A body of `len` bytes; one whose start says so fails the test self-test.
pub fn body(len: usize, passes_self_test: bool) -> Vec<u8> {
    let mut b: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    if !passes_self_test {
        b[..4].copy_from_slice(b"FAIL");
    }
    b
}

/// The self-test of these tests' firmware.
pub fn self_test(body_start: &[u8]) -> bool {
    !body_start.starts_with(b"FAIL")
}

/// A 2.0.0 image of exactly `len` bytes, signed with the development key.
pub fn image(len: usize) -> Vec<u8> {
    let image = mcuboot::sign(&body(len - OVERHEAD, true), NEW, &dev_key());
    assert_eq!(image.len(), len);
    image
}

/// A flash holding a 1.0.0 factory image.
pub fn factory() -> Flash {
    let mut flash = NorSim::new(vec![ERASED; LAYOUT.size() as usize]).unwrap();
    let factory = mcuboot::sign(&body(2048, true), FACTORY, &dev_key());
    slot::provision(&mut flash, &LAYOUT, &factory).unwrap();
    flash
}

/// Powers on: the bootloader's step, then the agent's boot.
pub fn boot(mut flash: Flash, settings: Settings) -> Firmware {
    let bootloader = EmbassyBoot::new(LAYOUT);
    bootloader.prepare_boot_4k(&mut flash).unwrap();
    let verifier = Mcuboot::new(keys::dev_public_key().unwrap());
    FirmwareUpdate::boot(flash, LAYOUT, verifier, bootloader, settings, self_test)
        .map_err(|(_, e)| e)
        .unwrap()
}

/// A device on a fresh factory flash.
pub fn fresh(settings: Settings) -> Firmware {
    boot(factory(), settings)
}

/// A reboot: only the flash survives.
pub fn reboot(fw: Firmware, settings: Settings) -> Firmware {
    boot(fw.into_flash(), settings)
}

/// The first `len` bytes of the download slot.
pub fn dfu(fw: &mut Firmware, len: usize) -> Vec<u8> {
    use embedded_storage::nor_flash::ReadNorFlash;
    let mut bytes = vec![0; len];
    fw.flash_mut().read(LAYOUT.dfu.start, &mut bytes).unwrap();
    bytes
}

/// State and Update Result, the result as its number.
pub fn state(fw: &Firmware) -> (State, u8) {
    let (s, r) = fw.state();
    (s, u8::from(r))
}

/// The scripted server's side of a client with endpoint `fw-1`.
pub fn client() -> Harness {
    Harness::new(Client::new(Config::new("fw-1").unwrap(), 7))
}

/// A device serving only `$fw`, for one call.
#[macro_export]
macro_rules! dev {
    ($fw:expr) => {
        &mut lwm2m_runtime::client::Device::new(&mut [&mut $fw as &mut dyn lwm2m_runtime::Object])
    };
}

/// Lets the agent finish the work it paces (verifying a package, installing it), a
/// millisecond at a time: the client runs once, then while it asks to be polled within the
/// next millisecond.
pub fn settle(h: &mut Harness, object: &mut dyn lwm2m_runtime::Object) {
    for _ in 0..100_000 {
        h.advance(
            &mut lwm2m_runtime::client::Device::new(&mut [&mut *object]),
            1,
        );
        if h.client.timeout().is_none_or(|t| t > h.now.after(1)) {
            return;
        }
    }
    panic!("the agent still works after 100 s of polls a millisecond apart");
}

/// Pushes `data` in blocks of `2^(szx+4)` bytes with Size1, returning each response, and
/// lets the agent verify what it got.
pub fn push(h: &mut Harness, fw: &mut Firmware, data: &[u8], szx: u8) -> Vec<coap_lite::Packet> {
    let size = 16usize << szx;
    let blocks: Vec<&[u8]> = data.chunks(size).collect();
    let mut responses = Vec::new();
    for (num, chunk) in blocks.iter().enumerate() {
        let more = num + 1 < blocks.len();
        let r = h.send(
            dev!(*fw),
            Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(num as u32, more, szx)
                .uint(coap_lite::CoapOption::Size1, data.len() as u32)
                .payload(chunk),
        );
        let done = code_str(&r) != "2.31";
        responses.push(r);
        if done {
            break;
        }
    }
    settle(h, fw);
    responses
}
