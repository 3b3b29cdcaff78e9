//! The objects a firmware image links build without `std` (the runtime with its `defmt`
//! logging): for `thumbv7em-none-eabihf` when
//! that target is installed, otherwise as a `#![no_std]` crate on the host (with the reason
//! printed). The firmware (examples/firmware) links, with and without DTLS, and runs on
//! QEMU's emulated Cortex-M4 (mps2-an386): it registers with a scripted LwM2M server over its
//! UART, through the serial-to-UDP relay of `lwm2m_fota_server::serial`.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lwm2m_fota_server::serial::Relayed;

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

#[test]
fn the_runtime_as_the_firmware_builds_it_refuses_what_it_left_out() {
    // The firmware builds the runtime without `float-text`, without the SenML and LwM2M CBOR
    // formats and without `pull` or `bootstrap`; the workspace never does, so the tests of those
    // configurations run here: with none of these features, and with SenML JSON alone.
    let root = workspace_root();
    for (features, tests) in [("", 6), ("senml-json", 10)] {
        let output = cargo()
            .args(["test", "--offline", "--quiet", "-p", "lwm2m-runtime"])
            .args(["--no-default-features", "--features", features])
            .args([
                "--lib",
                "--",
                "format::",
                "client::download::",
                "client::bootstrap::",
            ])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", root.join("target/runtime-lean"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "features {features:?}: {out}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            out.contains(&format!("{tests} passed")),
            "features {features:?}: {out}"
        );
    }
}

/// QEMU, killed however the test ends.
struct Qemu(std::process::Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The firmware running on QEMU's MPS2 AN386, its UART0 relayed to a UDP server.
struct Emulated {
    qemu: Qemu,
    stop: Arc<AtomicBool>,
    relay: Option<std::thread::JoinHandle<std::io::Result<Relayed>>>,
    log: PathBuf,
}

impl Emulated {
    /// Starts the firmware `elf` with its modem line relayed to `server`.
    fn start(elf: &Path, server: SocketAddr) -> Self {
        let serial = TcpListener::bind("127.0.0.1:0").unwrap();
        let log = std::env::temp_dir().join(format!(
            "lwm2m-qemu-{}-{}.log",
            std::process::id(),
            server.port()
        ));
        let qemu = Qemu(
            Command::new("qemu-system-arm")
                .args([
                    "-machine",
                    "mps2-an386",
                    "-display",
                    "none",
                    "-monitor",
                    "none",
                ])
                .arg("-kernel")
                .arg(elf)
                .args([
                    "-serial",
                    &format!("tcp:{},nodelay=on", serial.local_addr().unwrap()),
                ])
                .args(["-serial", &format!("file:{}", log.display())])
                .spawn()
                .expect("qemu-system-arm starts"),
        );
        // QEMU connects UART0 to the relay's line at start.
        serial.set_nonblocking(true).unwrap();
        let start = Instant::now();
        let line = loop {
            match serial.accept() {
                Ok((line, _)) => break line,
                Err(_) if start.elapsed() < Duration::from_secs(20) => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("QEMU did not connect its UART0 in 20 s: {e}"),
            }
        };
        line.set_nonblocking(false).unwrap();
        line.set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        line.set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let relay = {
            let stop = stop.clone();
            std::thread::spawn(move || lwm2m_fota_server::serial::relay(line, server, &stop))
        };
        Self {
            qemu,
            stop,
            relay: Some(relay),
            log,
        }
    }

    /// Stops the relay: what it carried, and the firmware's log (UART1).
    fn finish(mut self) -> (Relayed, String) {
        self.stop.store(true, Ordering::Relaxed);
        // QEMU goes first: a relay blocked writing to a stopped guest is then released.
        let _ = self.qemu.0.kill();
        let relayed = self.relay.take().map(|r| {
            r.join()
                .expect("the relay thread")
                .expect("the relay ends without an I/O error")
        });
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        (relayed.unwrap_or_default(), log)
    }
}

impl Drop for Emulated {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The firmware's ELF, built; `None` (after saying why) where the target or QEMU is missing.
fn emulated_firmware() -> Option<PathBuf> {
    if !target_installed() || !on_path("qemu-system-arm") {
        println!(
            "skipped the firmware on QEMU: it needs the {TARGET} target and qemu-system-arm \
             (Debian package qemu-system-arm; .ci/run installs both)"
        );
        return None;
    }
    Some(build_firmware(&workspace_root(), &[], "target/firmware").0)
}

#[test]
fn on_an_emulated_cortex_m4_the_firmware_registers_and_answers_over_its_uart() {
    let Some(elf) = emulated_firmware() else {
        return;
    };
    // Object 4's signal strength, from the firmware's modem readings; /5/0/9, Firmware
    // Update Delivery Method: 1, push only (the firmware has no line for a download).
    register_and_read(
        &elf,
        "fw-board",
        &[(["4", "0", "2"], "-75"), (["5", "0", "9"], "1")],
    );
}

#[test]
fn on_an_emulated_cortex_m4_the_client_core_registers_and_serves_object_5() {
    let Some(elf) = emulated_firmware() else {
        return;
    };
    // The core build (no verifier, no bootloader) takes firmware by PUSH only: /5/0/9,
    // Firmware Update Delivery Method, is 1; its Object 3 names the manufacturer.
    let core = elf.with_file_name("lwm2m-firmware-core");
    register_and_read(
        &core,
        "fw-core",
        &[(["5", "0", "9"], "1"), (["3", "0", "0"], "lwm2m-rs")],
    );
}

/// Runs the firmware `elf` against a scripted LwM2M server that accepts its Register (which
/// must name `endpoint`) and reads each path of `reads` as text; checks each value.
fn register_and_read(elf: &Path, endpoint: &str, reads: &[([&str; 3], &str)]) {
    use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let device = Emulated::start(elf, server.local_addr().unwrap());
    let start = Instant::now();
    let mut buf = [0u8; 2048];
    let mut register = None;
    let mut values: Vec<Option<String>> = vec![None; reads.len()];
    while start.elapsed() < Duration::from_secs(60) && values.iter().any(Option::is_none) {
        let Ok((n, from)) = server.recv_from(&mut buf) else {
            continue;
        };
        let p = Packet::from_bytes(&buf[..n]).unwrap();
        if p.header.code == MessageClass::Request(RequestType::Post) && register.is_none() {
            let mut ack = Packet::new();
            ack.header.set_type(MessageType::Acknowledgement);
            ack.header.code = MessageClass::Response(ResponseType::Created);
            ack.header.message_id = p.header.message_id;
            ack.set_token(p.get_token().to_vec());
            ack.add_option(CoapOption::LocationPath, b"rd".to_vec());
            ack.add_option(CoapOption::LocationPath, b"fw".to_vec());
            server.send_to(&ack.to_bytes().unwrap(), from).unwrap();
            for (i, (path, _)) in reads.iter().enumerate() {
                let mut get = Packet::new();
                get.header.set_type(MessageType::Confirmable);
                get.header.code = MessageClass::Request(RequestType::Get);
                get.header.message_id = 0x4200 + i as u16;
                get.set_token(vec![0x42, i as u8]);
                for segment in path {
                    get.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
                }
                get.add_option(CoapOption::Accept, vec![0]);
                server.send_to(&get.to_bytes().unwrap(), from).unwrap();
            }
            register = Some(p);
        } else if let Some(value) = p
            .header
            .message_id
            .checked_sub(0x4200)
            .and_then(|i| values.get_mut(usize::from(i)))
        {
            *value = Some(String::from_utf8(p.payload).unwrap());
        }
    }
    let (relayed, log) = device.finish();
    let register =
        register.unwrap_or_else(|| panic!("no Register from the firmware; its log:\n{log}"));
    let queries: Vec<String> = register
        .get_option(CoapOption::UriQuery)
        .into_iter()
        .flatten()
        .map(|q| String::from_utf8_lossy(q).into_owned())
        .collect();
    assert!(queries.contains(&format!("ep={endpoint}")), "{queries:?}");
    for ((path, want), value) in reads.iter().zip(&values) {
        assert_eq!(
            value.as_deref(),
            Some(*want),
            "the read of /{}; log:\n{log}",
            path.join("/")
        );
    }
    assert!(log.contains("registered with server 1"), "{log}");
    assert!(
        relayed.up >= 2 && relayed.down >= 2 && relayed.dropped == 0,
        "{relayed:?}"
    );
    println!("{log}{relayed:?}, {:.1} s", start.elapsed().as_secs_f64());
}

#[test]
fn on_an_emulated_cortex_m4_an_update_lands_and_a_failing_one_is_rolled_back() {
    use lwm2m_fota::{Version, keys, mcuboot};
    use lwm2m_fota_server::{Event, Expect, Job, Method, Server, Settings, udp};

    let Some(elf) = emulated_firmware() else {
        return;
    };
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let job = |version: Version, passes: bool, expect: Expect| Job {
        name: format!("PUSH {version}"),
        image: mcuboot::sign(
            &lwm2m_board::demo::demo_body(version, passes, 4096),
            version,
            &key,
        )
        .into(),
        version: version.to_string(),
        method: Method::Push { szx: 6 },
        min_rssi: None,
        expect,
        cancel_after: None,
    };
    let jobs = vec![
        job(Version::new(1, 1, 0, 0), true, Expect::Success),
        job(Version::new(1, 2, 0, 0), false, Expect::RolledBack),
    ];
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let device = Emulated::start(&elf, socket.local_addr().unwrap());
    let mut server = Server::new(Settings::default(), jobs, 7);
    let mut events = Vec::new();
    let start = Instant::now();
    let done = udp::serve(&socket, &mut server, Duration::from_secs(240), |e| {
        events.push(e.clone())
    });
    let (relayed, log) = device.finish();
    assert_eq!(done.unwrap(), Some(true), "{events:#?}\n{log}");
    assert!(
        events.contains(&Event::Version("1.1.0".into())),
        "{events:#?}"
    );
    // Three resets (the install of 1.1.0, the install of 1.2.0, its failed self-test) and
    // one factory programming: the simulated flash survived them all, and embassy-boot
    // swapped, then reverted.
    assert_eq!(log.matches("rebooting").count(), 3, "{log}");
    assert_eq!(log.matches("factory image programmed").count(), 1, "{log}");
    for step in [
        "booted image 1.1.0 (bootloader: Swapped)\nlwm2m-firmware: self-test passed: true",
        "booted image 1.2.0 (bootloader: Swapped)\nlwm2m-firmware: self-test passed: false",
        "booted image 1.1.0 (bootloader: Reverted)",
    ] {
        assert!(log.contains(step), "{step:?} in\n{log}");
    }
    // Measured on the chip over each boot: the stack's high-water mark, the heap's peak and
    // the static RAM, the largest of the whole run printed for docs/PERFORMANCE.md.
    let ram: Vec<[usize; 3]> = log
        .lines()
        .filter_map(|l| l.strip_prefix("lwm2m-firmware: RAM: stack high-water "))
        .map(|l| {
            let n: Vec<usize> = l
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            [n[0], n[1], n[2]]
        })
        .collect();
    assert!(ram.len() >= 4, "a RAM line a boot: {log}");
    let most = |i: usize| ram.iter().map(|r| r[i]).max().unwrap_or(0);
    assert!(most(0) > 1024 && most(1) > 0 && most(2) > 0, "{ram:?}");
    println!(
        "{log}{relayed:?}, {:.1} s\nthe whole update on the chip: stack high-water {} B, heap peak {} B, static RAM {} B",
        start.elapsed().as_secs_f64(),
        most(0),
        most(1),
        most(2)
    );
}
