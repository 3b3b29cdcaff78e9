//! The board on a host: a flash file, UDP to the LwM2M server, HTTP downloads, and reboots
//! that re-execute the process so that nothing but the flash file survives them.
//!
//! What the board does is told twice: its notices (boot, each /5 change, refusals) on stdout,
//! for a person or the demo to read, and its log on stderr ([`init_logging`]): the client's,
//! the update agent's and its own (datagrams, retransmissions, drops, retries).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::VerifyingKey;
use lwm2m_dtls::Psk;
use lwm2m_fota::sim::NorSim;
use lwm2m_fota::{DeviceReboot, FotaError, Layout, Version, keys, mcuboot, slot};
use lwm2m_runtime::client::{self, Instant, Peer};
use lwm2m_runtime::{Enumeration, Time};

use crate::accounts::Bound;
use crate::board::{Board, BoardConfig, Notice};
use crate::demo;
use crate::file_flash::{FileFlash, FileMemory};
use crate::line::Line;
use crate::logging::init_logging;
use crate::logging::{LOG, Wire};
pub use crate::options::Options;

/// The version of the image a blank flash file is provisioned with.
pub const FACTORY_VERSION: Version = Version::new(1, 0, 0, 0);

fn key(options: &Options) -> Result<VerifyingKey, String> {
    match &options.pubkey {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| format!("--pubkey {}: {e}", path.display()))?;
            keys::public_key_from_pem(&pem).map_err(|e| format!("--pubkey {}: {e}", path.display()))
        }
        None => keys::dev_public_key().ok_or_else(|| "the development key is invalid".to_owned()),
    }
}

/// Opens the flash file, provisioning a factory image when ACTIVE is blank.
fn open_flash(options: &Options, layout: &Layout, key: &VerifyingKey) -> Result<FileFlash, String> {
    let mem = FileMemory::open(&options.flash, layout.size() as usize)
        .map_err(|e| format!("--flash {}: {e}", options.flash.display()))?;
    let blank = mem
        .bytes_at(layout.active.start as usize, 4)
        .is_some_and(|b| b.iter().all(|&x| x == 0xFF));
    let mut flash =
        NorSim::new(mem).map_err(|e| format!("--flash {}: {e}", options.flash.display()))?;
    if blank {
        let factory = match &options.factory_image {
            Some(path) => std::fs::read(path)
                .map_err(|e| format!("--factory-image {}: {e}", path.display()))?,
            None => {
                if options.pubkey.is_some() {
                    return Err(format!(
                        "{} is blank: give --factory-image, signed with your key",
                        options.flash.display()
                    ));
                }
                let signer = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM)?;
                mcuboot::sign(
                    &demo::demo_body(FACTORY_VERSION, true, 64 * 1024),
                    FACTORY_VERSION,
                    &signer,
                )
            }
        };
        mcuboot::verify_bytes(&factory, layout.image_capacity(), key)
            .map_err(|e| format!("the factory image does not verify: {e}"))?;
        slot::provision(&mut flash, layout, &factory)
            .map_err(|e| format!("provisioning {}: {e:?}", options.flash.display()))?;
        say(&format!(
            "provisioned {} with factory image {}",
            options.flash.display(),
            mcuboot::Header::parse(&factory)
                .map(|h| h.version)
                .unwrap_or_default()
        ));
    }
    Ok(flash)
}

fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "board: {line}");
    let _ = out.flush();
}

/// Runs the board; returns only on an error (a reboot replaces the process with the same
/// program and `relaunch` as its arguments).
pub fn run(options: &Options, relaunch: &[String]) -> Result<(), String> {
    let layout = crate::LAYOUT;
    let key = key(options)?;
    let flash = open_flash(options, &layout, &key)?;
    let accounts = crate::accounts::open(options)?;
    let mut net = Network::unbound(false);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let mut client = client::Config::new(&options.endpoint)
        .map_err(|_| "--endpoint: 1 to 64 bytes".to_owned())?;
    client.lifetime = options.lifetime;
    let config = BoardConfig {
        client,
        layout,
        key,
        seed,
        rssi: options.rssi,
        http: true,
        // coaps:// Package URIs are fetched with the management server's PSK: offered when
        // the device has a PSK account (or a Bootstrap-Server that can give one).
        coaps: crate::accounts::has_psk(&accounts),
    };
    let mut board = Board::start(flash, Some(accounts), config, net.now())
        .map_err(|(_, e)| format!("cannot boot: {e}"))?;
    match net.serve(&mut board, &|| false)? {
        Some(reason) => reboot(reason, relaunch),
        None => Ok(()),
    }
}

/// The board's network on a host: a UDP socket to the LwM2M server, another for a CoAP
/// download, and a thread for an HTTP one.
pub struct Network {
    /// The line to the server the client talks to (none before one is known).
    line: Option<Line>,
    /// What the line was opened for (the default, an empty URI, before any); the client of
    /// a line fixed by [`Network::connect`] has an unprovisioned account (an empty URI), so
    /// it is never opened again.
    bound: Bound,
    /// A target no line could be opened to, and when to try it again (a DNS name may come
    /// to resolve; a key the DTLS layer cannot take will not, until the account changes).
    unreachable: Option<(Bound, Instant)>,
    /// The line to the Bootstrap-Server, while the client bootstraps (and after, for its
    /// retransmissions), and what it was opened for.
    bootstrap: Option<(Line, Bound)>,
    download: Option<(Line, String)>,
    /// The server's PSK, which a `coaps://` download uses too.
    psk: Option<(Vec<u8>, Vec<u8>)>,
    http: Option<mpsc::Receiver<HttpChunk>>,
    http_tries: u32,
    start: std::time::Instant,
    quiet: bool,
    /// What the log says of the datagrams.
    wire: Wire,
}

impl Network {
    /// A socket connected to `server`, with DTLS when `psk` is given; `quiet` keeps the
    /// board's notices off stdout.
    pub fn connect(server: SocketAddr, psk: Option<Psk<'_>>, quiet: bool) -> Result<Self, String> {
        let mut net = Self::unbound(quiet);
        net.line = Some(Line::open(server, psk, "server")?);
        net.psk = psk.map(|p| (p.identity.to_vec(), p.key.to_vec()));
        Ok(net)
    }

    /// A network that opens its line to wherever the board's client is to talk (its
    /// management server, or its Bootstrap-Server), from the account, and again when that
    /// changes.
    pub fn unbound(quiet: bool) -> Self {
        Self {
            line: None,
            bound: Bound::default(),
            unreachable: None,
            bootstrap: None,
            download: None,
            psk: None,
            http: None,
            http_tries: 0,
            start: std::time::Instant::now(),
            quiet,
            wire: Wire::default(),
        }
    }

    /// Opens the lines to the management server and the Bootstrap-Server the client's
    /// accounts name, when they changed. A target that cannot be reached closes the old line
    /// (nothing meant for the new server may reach the old one), is said once, and is tried
    /// again a minute later.
    fn follow<F: embedded_storage::nor_flash::NorFlash>(&mut self, board: &Board<F>) {
        let client = board.client();
        let now = self.now();
        // The line stays as long as the target does (checked without copying it).
        if let Some(target) = client.server_target().filter(|t| !self.bound.is(t)) {
            match Bound::of(&target) {
                Ok(wanted) if self.held_back(&wanted, now) => {}
                Ok(wanted) => match wanted.open("server") {
                    Ok(line) => {
                        self.say(&format!("talking to the server at {}", wanted.uri));
                        self.line = Some(line);
                        self.psk = wanted.psk.clone();
                        self.bound = wanted;
                    }
                    Err(e) => self.unreachable(wanted, now, "server", &e),
                },
                Err(e) => {
                    let wanted = Bound {
                        uri: target.uri.to_owned(),
                        psk: None,
                    };
                    if !self.held_back(&wanted, now) && wanted != self.bound {
                        self.unreachable(wanted, now, "server", &e);
                    }
                }
            }
        }
        if client.is_bootstrapping()
            && let Some(target) = client.bootstrap_target()
            && self.bootstrap.as_ref().is_none_or(|(_, b)| !b.is(&target))
            && let Ok(wanted) = Bound::of(&target)
            && !self.held_back(&wanted, now)
        {
            match wanted.open("Bootstrap-Server") {
                Ok(line) => {
                    self.say(&format!(
                        "talking to the Bootstrap-Server at {}",
                        wanted.uri
                    ));
                    self.bootstrap = Some((line, wanted));
                }
                Err(e) => {
                    self.bootstrap = None;
                    self.unreachable(wanted, now, "Bootstrap-Server", &e);
                }
            }
        }
    }

    /// Whether `target` failed to open less than a minute ago.
    fn held_back(&self, target: &Bound, now: Instant) -> bool {
        self.unreachable
            .as_ref()
            .is_some_and(|(t, until)| t == target && now < *until)
    }

    /// No line to `target`: the server's line closes, and the reason is said.
    fn unreachable(&mut self, target: Bound, now: Instant, who: &str, why: &str) {
        log::error!(target: LOG, "cannot talk to the {} at {}: {}", who, target.uri, why);
        if who == "server" {
            self.line = None;
            self.psk = None;
            self.bound = target.clone();
        }
        self.unreachable = Some((target, now.after(60_000)));
    }

    /// Milliseconds since the network came up: the board's clock.
    pub fn now(&self) -> Instant {
        Instant(self.start.elapsed().as_millis() as u64)
    }

    /// Registers `board` and serves it until it asks to reboot (`Some(why)`, once what it
    /// queued is sent) or `stop` says so (`None`).
    pub fn serve<F: embedded_storage::nor_flash::NorFlash>(
        &mut self,
        board: &mut Board<F>,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<DeviceReboot>, String> {
        self.print_notices(board);
        if let Some(reason) = board.reboot_requested() {
            return Ok(Some(reason));
        }
        let mut buf = [0u8; 2048];
        board.register(self.now());
        while !stop() {
            self.follow(board);
            board.set_clock(Time(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            ));
            self.send(board);
            for notice in self.print_notices(board) {
                if notice == Notice::Firmware(lwm2m_fota::Notice::Download) {
                    self.http_tries = 0;
                    self.http = start_http(board);
                }
            }
            if let Some(reason) = board.reboot_requested() {
                return Ok(Some(reason));
            }
            self.http_step(board);
            self.receive(board, &mut buf)?;
            let now = self.now().0;
            if let Some(line) = self.line.as_mut() {
                line.tick(now);
            }
            if let Some((line, _)) = self.bootstrap.as_mut() {
                line.tick(now);
            }
            if let Some((line, _)) = self.download.as_mut() {
                line.tick(now);
            }
        }
        Ok(None)
    }

    fn send<F: embedded_storage::nor_flash::NorFlash>(&mut self, board: &mut Board<F>) {
        while let Some(t) = board.poll(self.now()) {
            self.wire.sent(t.to, &t.data);
            let now = self.now().0;
            let sent = match t.to {
                Peer::Server => match self.line.as_mut() {
                    Some(line) => line.send(now, &t.data),
                    None => Err(io::Error::other("no server account yet")),
                },
                Peer::Bootstrap => match self.bootstrap.as_mut() {
                    Some((line, _)) => line.send(now, &t.data),
                    None => Err(io::Error::other("no Bootstrap-Server account")),
                },
                Peer::Download => {
                    if let Some((host, port)) = board.client().download_peer() {
                        let key = format!("{host}:{port}");
                        if self.download.as_ref().is_none_or(|(_, k)| *k != key) {
                            let secure = board.client().download_is_secure();
                            let opened = self.open_download(&key, secure);
                            if let Err(e) = &opened {
                                log::warn!(target: LOG, "cannot reach the download server {}: {}", key, e);
                            }
                            self.download = opened.ok().map(|line| (line, key));
                        }
                    }
                    match &mut self.download {
                        Some((line, _)) => line.send(now, &t.data),
                        None => Err(io::Error::other("no download socket")),
                    }
                }
            };
            if let Err(e) = sent {
                log::warn!(
                    target: LOG,
                    "dropped a datagram to the {:?} ({} bytes): {}; the client retransmits",
                    t.to,
                    t.data.len(),
                    e
                );
            }
        }
    }

    /// Hands a datagram received from `from` (DTLS records when secure) to the board; one
    /// that is not CoAP is dropped here, and said so.
    fn deliver<F: embedded_storage::nor_flash::NorFlash>(
        &mut self,
        board: &mut Board<F>,
        from: Peer,
        data: &[u8],
    ) {
        let now = self.now();
        let wire = &self.wire;
        let mut give = |plain: &[u8]| {
            if wire.received(from, plain) {
                board.handle(now, from, plain);
            }
        };
        match from {
            Peer::Server => {
                if let Some(line) = self.line.as_mut() {
                    line.received(now.0, data, &mut give);
                }
            }
            Peer::Bootstrap => {
                if let Some((line, _)) = self.bootstrap.as_mut() {
                    line.received(now.0, data, &mut give);
                }
            }
            Peer::Download => match self.download.as_mut() {
                Some((line, _)) => line.received(now.0, data, &mut give),
                None => give(data),
            },
        }
    }

    /// A socket to the download server `key` (`host:port`), with DTLS under the server's
    /// PSK when `secure`.
    fn open_download(&self, key: &str, secure: bool) -> Result<Line, String> {
        let socket = open_download(key).ok_or("no address or socket")?;
        if !secure {
            return Ok(Line::plain(socket, "download server"));
        }
        let (identity, psk_key) = self
            .psk
            .as_ref()
            .ok_or("a coaps:// download needs the server's PSK (--psk-key)")?;
        let psk = Psk {
            identity,
            key: psk_key,
        };
        Line::secure(socket, psk, "download server")
    }

    /// Feeds what the HTTP thread downloaded to the board.
    fn http_step<F: embedded_storage::nor_flash::NorFlash>(&mut self, board: &mut Board<F>) {
        let Some(rx) = &self.http else { return };
        let now = self.now();
        match rx.try_recv() {
            Ok(HttpChunk::Data(offset, bytes)) => {
                if board.download_chunk(now, offset, &bytes).is_err() {
                    self.http = None;
                }
            }
            Ok(HttpChunk::Done) => {
                let _ = board.download_finished(now);
                self.http = None;
            }
            Ok(HttpChunk::Failed(e, retry)) => {
                self.http_tries += 1;
                if retry && self.http_tries < 5 {
                    log::warn!(
                        target: LOG,
                        "HTTP download interrupted ({}); retry {} of 4 in 1 s",
                        e,
                        self.http_tries
                    );
                    self.say(&format!(
                        "HTTP download interrupted ({e}); resuming at byte {}",
                        board.external_download().map_or(0, |(_, at)| at)
                    ));
                    std::thread::sleep(Duration::from_secs(1));
                    self.http = start_http(board);
                } else {
                    log::warn!(target: LOG, "HTTP download failed: {}", e);
                    self.say(&format!("HTTP download failed: {e}"));
                    board.download_failed(
                        now,
                        if retry {
                            FotaError::ConnectionLost
                        } else {
                            FotaError::InvalidUri
                        },
                    );
                    self.http = None;
                }
            }
            Err(mpsc::TryRecvError::Empty) => {}
            Err(mpsc::TryRecvError::Disconnected) => self.http = None,
        }
    }

    /// Waits for datagrams: on the download socket while a CoAP pull runs (the hot path),
    /// on the server's otherwise, and drains the other without waiting.
    fn receive<F: embedded_storage::nor_flash::NorFlash>(
        &mut self,
        board: &mut Board<F>,
        buf: &mut [u8],
    ) -> Result<(), String> {
        let pulling = board.client().download_peer().is_some() && self.download.is_some();
        let dtls = [
            self.line.as_ref().and_then(Line::timeout),
            self.bootstrap.as_ref().and_then(|(l, _)| l.timeout()),
            self.download.as_ref().and_then(|(l, _)| l.timeout()),
        ];
        let wait = [board.timeout().map(|t| t.0)]
            .into_iter()
            .chain(dtls)
            .flatten()
            .min()
            .map_or(50, |t| t.saturating_sub(self.now().0))
            .clamp(1, if self.http.is_some() { 5 } else { 50 });
        let timeout = Some(Duration::from_millis(wait));
        // A socket's timeout is rounded up to the kernel's tick (4 to 10 ms): a deadline
        // closer than that (the update agent verifies a step a millisecond) is met by
        // sleeping, then looking without waiting.
        let near = wait <= 2;
        if near {
            std::thread::sleep(Duration::from_millis(wait));
        }
        if pulling {
            if let Some((line, _)) = &self.download {
                let s = line.socket();
                let _ = s.set_nonblocking(near);
                let _ = s.set_read_timeout(timeout);
                if let Ok(n) = s.recv(buf) {
                    self.deliver(board, Peer::Download, buf.get(..n).unwrap_or_default());
                }
            }
            if let Some(line) = &self.line {
                let _ = line.socket().set_nonblocking(true);
            }
        } else if let Some(line) = &self.line {
            let _ = line.socket().set_nonblocking(near);
            let _ = line.socket().set_read_timeout(timeout);
        } else {
            // No server yet: nothing to hear from.
            std::thread::sleep(Duration::from_millis(wait));
        }
        while let Some(line) = &self.line {
            match line.socket().recv(buf) {
                Ok(n) => self.deliver(board, Peer::Server, buf.get(..n).unwrap_or_default()),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    // Nobody listens yet (ICMP port unreachable): the client retries.
                    log::warn!(
                        target: LOG,
                        "the server's port is closed (ICMP port unreachable): the client retries"
                    );
                    break;
                }
                Err(e) => return Err(format!("UDP: {e}")),
            }
            if !pulling {
                break;
            }
        }
        while let Some(n) = self.download.as_ref().and_then(|(line, _)| {
            let _ = line.socket().set_nonblocking(true);
            line.socket().recv(buf).ok()
        }) {
            self.deliver(board, Peer::Download, buf.get(..n).unwrap_or_default());
        }
        while let Some(n) = self.bootstrap.as_ref().and_then(|(line, _)| {
            let _ = line.socket().set_nonblocking(true);
            line.socket().recv(buf).ok()
        }) {
            self.deliver(board, Peer::Bootstrap, buf.get(..n).unwrap_or_default());
        }
        Ok(())
    }

    fn say(&self, line: &str) {
        if !self.quiet {
            say(line);
        }
    }

    fn print_notices<F: embedded_storage::nor_flash::NorFlash>(
        &self,
        board: &mut Board<F>,
    ) -> Vec<Notice> {
        let mut all = Vec::new();
        while let Some(n) = board.take_notice() {
            self.say(&notice_text(&n));
            all.push(n);
        }
        all
    }
}

fn open_download(key: &str) -> Option<UdpSocket> {
    let addr = key.to_socket_addrs().ok()?.next()?;
    let local: SocketAddr = if addr.is_ipv6() {
        "[::]:0".parse().ok()?
    } else {
        "0.0.0.0:0".parse().ok()?
    };
    let s = UdpSocket::bind(local).ok()?;
    s.connect(addr).ok()?;
    s.set_nonblocking(true).ok()?;
    Some(s)
}

/// A notice as a line of the board's log.
fn notice_text(n: &Notice) -> String {
    use lwm2m_fota::Notice as Agent;
    match n {
        Notice::Registered => "registered".to_owned(),
        Notice::Bootstrapping => "asking the Bootstrap-Server for an account".to_owned(),
        Notice::Bootstrapped => "bootstrapped: registering with the provisioned server".to_owned(),
        Notice::BootstrapFailed => "bootstrap failed: trying again".to_owned(),
        Notice::Firmware(Agent::Booted {
            version,
            bootloader,
        }) => format!("booted image {version} (bootloader: {bootloader:?})"),
        Notice::Firmware(Agent::SelfTest { passed }) => format!(
            "self-test of the new image {}",
            if *passed {
                "passed: confirming it"
            } else {
                "FAILED: rebooting without confirming, the bootloader will revert"
            }
        ),
        Notice::Firmware(Agent::Changed(s, r)) => format!(
            "/5 State {} ({}), Update Result {} ({})",
            s.value(),
            s.label(),
            r.value(),
            r.label()
        ),
        Notice::Firmware(Agent::Refused(e)) => format!("package refused: {e}"),
        Notice::Firmware(Agent::Download) => "downloading over HTTP".to_owned(),
        Notice::Firmware(Agent::FlashFailed) => {
            "the flash failed while persisting /5 or erasing a package".to_owned()
        }
        Notice::Firmware(Agent::SnapshotDropped) => {
            "the persisted /5 state was unreadable; starting from Idle".to_owned()
        }
    }
}

/// Replaces the process with a fresh copy of itself: only the flash file survives.
fn reboot(reason: DeviceReboot, args: &[String]) -> Result<(), String> {
    log::info!(target: LOG, "rebooting ({:?})", reason);
    say(&format!("rebooting ({reason:?})"));
    let exe = std::env::current_exe().map_err(|e| format!("reboot: {e}"))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = cmd.exec();
        Err(format!("reboot: {e}"))
    }
    #[cfg(not(unix))]
    {
        cmd.spawn().map_err(|e| format!("reboot: {e}"))?;
        std::process::exit(0);
    }
}

enum HttpChunk {
    Data(u32, Vec<u8>),
    Done,
    /// What went wrong, and whether resuming may help.
    Failed(String, bool),
}

fn start_http<F: embedded_storage::nor_flash::NorFlash>(
    board: &mut Board<F>,
) -> Option<mpsc::Receiver<HttpChunk>> {
    let (uri, offset) = board.external_download()?;
    let (tx, rx) = mpsc::sync_channel(8);
    std::thread::spawn(move || {
        let result = http_get(&uri, offset, &tx);
        let _ = tx.send(match result {
            Ok(()) => HttpChunk::Done,
            Err((e, retry)) => HttpChunk::Failed(e, retry),
        });
    });
    Some(rx)
}

/// GETs `uri` from byte `offset` on (a Range request), streaming chunks into `tx`.
fn http_get(
    uri: &str,
    offset: u32,
    tx: &mpsc::SyncSender<HttpChunk>,
) -> Result<(), (String, bool)> {
    let rest = uri
        .strip_prefix("http://")
        .ok_or_else(|| (format!("{uri}: only http:// is downloaded here"), false))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| (format!("{authority}: no address"), false))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| (format!("{authority}: {e}"), true))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nRange: bytes={offset}-\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| (format!("{authority}: {e}"), true))?;
    // The head, at most 8 KiB.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 {
            return Err(("the HTTP response head is too long".into(), false));
        }
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) => return Err(("the connection closed in the response head".into(), true)),
            Err(e) => return Err((format!("reading the response: {e}"), true)),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ("not an HTTP response".to_owned(), false))?;
    let mut skip = match status {
        206 => 0,
        200 => offset, // the server ignored the Range: skip what we have
        404 => return Err((format!("{uri}: 404 Not Found"), false)),
        s => return Err((format!("{uri}: HTTP {s}"), false)),
    };
    let length: Option<u64> = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    let mut at = offset;
    let mut received = 0u64;
    let mut chunk = vec![0u8; 4096];
    loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|e| (format!("reading the body: {e}"), true))?;
        if n == 0 {
            break;
        }
        received += n as u64;
        let mut data = chunk.get(..n).unwrap_or_default();
        if skip > 0 {
            let s = (skip as usize).min(data.len());
            data = data.get(s..).unwrap_or_default();
            skip -= s as u32;
        }
        if !data.is_empty() {
            tx.send(HttpChunk::Data(at, data.to_vec()))
                .map_err(|_| ("the board stopped listening".to_owned(), false))?;
            at += data.len() as u32;
        }
    }
    if length.is_some_and(|l| received < l) {
        return Err((
            format!(
                "the connection closed after {received} of {} bytes",
                length.unwrap_or(0)
            ),
            true,
        ));
    }
    Ok(())
}

/// The `lwm2m-board` program: parses `args` (the board's options) and runs. A reboot runs
/// the same program again with `relaunch` as its arguments.
pub fn main_with(args: &[String], relaunch: &[String]) -> std::process::ExitCode {
    init_logging();
    match Options::parse(args) {
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
        Ok(options) => match run(&options, relaunch) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("board: {e}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}
