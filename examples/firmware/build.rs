//! Puts memory.x where cortex-m-rt's link.x finds it, and writes the factory image (a demo
//! body of version 1.0.0, signed with the development key) that the firmware programs into
//! a blank flash, as a production line would.

use std::path::PathBuf;

use lwm2m_fota::{Version, keys, mcuboot};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy("memory.x", out.join("memory.x")).expect("memory.x is copied");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    // cortex-m-rt's `device` feature includes device.x, where a device crate names its
    // interrupt handlers; the AN386's are all the default one (src/mps2.rs).
    std::fs::write(out.join("device.x"), "/* no named interrupt handlers */\n")
        .expect("device.x is written");
    let version = Version::new(1, 0, 0, 0);
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).expect("the development key");
    let body = lwm2m_demo_image::demo_body(version, true, 4096);
    std::fs::write(out.join("factory.bin"), mcuboot::sign(&body, version, &key))
        .expect("the factory image is written");
}
