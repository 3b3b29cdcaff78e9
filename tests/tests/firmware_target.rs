//! The objects a firmware image links build without `std` (the runtime with its `defmt`
//! logging): for `thumbv7em-none-eabihf` when
//! that target is installed, otherwise as a `#![no_std]` crate on the host (with the reason
//! printed).

use std::process::Command;

use lwm2m_tests::workspace_root;

const TARGET: &str = "thumbv7em-none-eabihf";

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn target_installed() -> bool {
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    sysroot.is_some_and(|s| {
        std::path::Path::new(&s)
            .join("lib/rustlib")
            .join(TARGET)
            .is_dir()
    })
}

#[test]
fn objects_and_runtime_build_without_std() {
    let root = workspace_root();
    let target_dir = root.join("target/firmware-check");
    let output = if target_installed() {
        cargo()
            .args([
                "build",
                "--offline",
                "--quiet",
                "-p",
                "lwm2m-objects",
                "-p",
                "lwm2m-runtime",
                // Firmware logs through defmt: its log lines must build for the chip.
                "--features",
                "lwm2m-runtime/defmt",
                "--target",
                TARGET,
            ])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap()
    } else {
        println!(
            "skipped the {TARGET} build: the target is not installed (`rustup target add {TARGET}`); \
             checking a #![no_std] crate on the host instead"
        );
        let dir = target_dir.join("host-no-std");
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"host-no-std\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
                 [dependencies]\nlwm2m-objects = {{ path = {:?} }}\n\n[workspace]\n",
                root.join("objects").display().to_string()
            ),
        )
        .unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        std::fs::write(
            dir.join("src/lib.rs"),
            "#![no_std]\n//! Links the objects without std.\n/// The Firmware Update object ID.\n\
             pub const FW: u16 = lwm2m_objects::firmware_update::ID;\n",
        )
        .unwrap();
        cargo()
            .args(["build", "--offline", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap()
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_update_library_links_into_a_cortex_m4f_firmware() {
    let root = workspace_root();
    if !target_installed() {
        println!(
            "skipped the firmware link: {TARGET} is not installed (`rustup target add {TARGET}`); \
             the update library's no_std build is checked on the host instead"
        );
        let output = cargo()
            .args(["build", "--offline", "--quiet", "-p", "lwm2m-fota", "--lib"])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", root.join("target/firmware-check"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let (elf, bytes) = build_firmware(&root, &[], "target/firmware");
    assert_eq!(&bytes[..4], b"\x7fELF");
    println!("{}: {} bytes of ELF", elf.display(), bytes.len());
}

/// Builds examples/firmware (its own workspace, for the target by its .cargo/config.toml)
/// with `args` into `target_dir`; the ELF's path and bytes, checked to be an ARM executable.
fn build_firmware(
    root: &std::path::Path,
    args: &[&str],
    target_dir: &str,
) -> (std::path::PathBuf, Vec<u8>) {
    let output = cargo()
        .args(["build", "--release", "--quiet"])
        .args(args)
        .current_dir(root.join("examples/firmware"))
        .env("CARGO_TARGET_DIR", root.join(target_dir))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let elf = root
        .join(target_dir)
        .join(TARGET)
        .join("release/lwm2m-firmware");
    let bytes = std::fs::read(&elf).unwrap();
    assert_eq!(
        bytes.get(18),
        Some(&40),
        "an ARM executable (e_machine EM_ARM)"
    );
    (elf, bytes)
}

/// Whether a program is on the PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[test]
fn the_firmware_links_with_dtls_over_mbed_tls() {
    let root = workspace_root();
    if !target_installed() || !on_path("arm-none-eabi-gcc") {
        println!(
            "skipped the DTLS firmware link: it needs the {TARGET} target and arm-none-eabi-gcc \
             (Debian gcc-arm-none-eabi and libnewlib-arm-none-eabi, which .ci/run installs)"
        );
        return;
    }
    let (_, bytes) = build_firmware(&root, &["--features", "dtls"], "target/firmware-dtls");
    // The image carries Mbed TLS (its symbols are in the debug info; a static link with one
    // left undefined would have failed the build above).
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("mbedtls_ssl_handshake"),
        "the handshake is linked"
    );
}
