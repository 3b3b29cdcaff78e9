//! The board on a host: a flash file, UDP to the LwM2M server, HTTP downloads, and reboots
//! that re-execute the process so that nothing but the flash file survives them.
//!
//! What the board does is told twice: its notices (boot, each /5 change, refusals) on stdout,
//! for a person or the demo to read, and its log on stderr ([`init_logging`]): the client's,
//! the update agent's and its own (datagrams, retransmissions, drops, retries).

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
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
use crate::http::{HttpChunk, start_http};
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

/// The board's network on a host: a UDP socket to each LwM2M server, another for a CoAP
/// download, and a thread for an HTTP one.
pub struct Network {
    /// The lines to the management servers the client talks to, by Short Server ID (none
    /// before one is known).
    servers: Vec<ServerLine>,
    /// The targets no line could be opened to, and when to try each again (a DNS name may
    /// come to resolve); a key the DTLS layer cannot take is not tried again until the
    /// account changes.
    unreachable: Vec<(Bound, Instant)>,
    /// The line to the Bootstrap-Server, while the client bootstraps (and after, for its
    /// retransmissions), and what it was opened for.
    bootstrap: Option<(Line, Bound)>,
    download: Option<(Line, String)>,
    /// The PSK of a line fixed by [`Network::connect`], which a `coaps://` download uses
    /// (else the first server's).
    psk: Option<(Vec<u8>, Vec<u8>)>,
    http: Option<mpsc::Receiver<HttpChunk>>,
    http_tries: u32,
    start: std::time::Instant,
    quiet: bool,
    /// What the log says of the datagrams.
    wire: Wire,
}

/// The line to one management server.
struct ServerLine {
    /// The server's Short Server ID.
    id: u16,
    /// The line (none when it could not be opened).
    line: Option<Line>,
    /// What the line was opened for; the client of a line fixed by [`Network::connect`] has
    /// an unprovisioned account (an empty URI), so it is never opened again.
    bound: Bound,
}

impl Network {
    /// A socket connected to `server` (the client's server 1, the one of an unprovisioned
    /// account), with DTLS when `psk` is given; `quiet` keeps the board's notices off
    /// stdout.
    pub fn connect(server: SocketAddr, psk: Option<Psk<'_>>, quiet: bool) -> Result<Self, String> {
        let mut net = Self::unbound(quiet);
        net.servers.push(ServerLine {
            id: 1,
            line: Some(Line::open(server, psk, "server")?),
            bound: Bound::default(),
        });
        net.psk = psk.map(|p| (p.identity.to_vec(), p.key.to_vec()));
        Ok(net)
    }

    /// A network that opens its line to wherever the board's client is to talk (its
    /// management server, or its Bootstrap-Server), from the account, and again when that
    /// changes.
    pub fn unbound(quiet: bool) -> Self {
        Self {
            servers: Vec::new(),
            unreachable: Vec::new(),
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

    /// Opens the lines to the management servers and the Bootstrap-Server the client's
    /// accounts name, when they changed, and closes those of servers the client no longer
    /// has. A target that cannot be reached closes the old line (nothing meant for the new
    /// server may reach the old one), is said once, and is tried again a minute later.
    fn follow<F: embedded_storage::nor_flash::NorFlash>(&mut self, board: &Board<F>) {
        let client = board.client();
        let now = self.now();
        self.servers
            .retain(|s| client.server_target(s.id).is_some());
        for target in client.server_targets() {
            let Peer::Server(id) = target.peer else {
                continue;
            };
            // An open line stays as long as the target does (checked without copying it).
            let current = self.servers.iter().find(|s| s.id == id);
            if current.is_some_and(|s| s.line.is_some() && s.bound.is(&target)) {
                continue;
            }
            let bound = current.map(|s| &s.bound);
            match Bound::of(&target) {
                Ok(wanted) if self.held_back(&wanted, now) => {}
                Ok(wanted) => match wanted.open("server") {
                    Ok(line) => {
                        self.say(&format!("talking to server {id} at {}", wanted.uri));
                        self.set_line(id, Some(line), wanted);
                    }
                    Err(e) => self.unreachable(wanted, now, Some(id), &e),
                },
                Err(e) => {
                    let wanted = Bound {
                        uri: target.uri.to_owned(),
                        psk: None,
                    };
                    if !self.held_back(&wanted, now) && bound != Some(&wanted) {
                        self.unreachable(wanted, now, Some(id), &e);
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
                    self.unreachable(wanted, now, None, &e);
                }
            }
        }
    }

    /// Whether `target` failed to open less than a minute ago.
    fn held_back(&self, target: &Bound, now: Instant) -> bool {
        self.unreachable
            .iter()
            .any(|(t, until)| t == target && now < *until)
    }

    /// The line to server `id` becomes `line`, opened for `bound`.
    fn set_line(&mut self, id: u16, line: Option<Line>, bound: Bound) {
        match self.servers.iter_mut().find(|s| s.id == id) {
            Some(s) => (s.line, s.bound) = (line, bound),
            None => self.servers.push(ServerLine { id, line, bound }),
        }
    }

    /// No line to `target` (of management server `server`, else of the Bootstrap-Server):
    /// the server's line closes, and the reason is said.
    fn unreachable(&mut self, target: Bound, now: Instant, server: Option<u16>, why: &str) {
        match server {
            Some(id) => {
                log::error!(target: LOG, "cannot talk to server {} at {}: {}", id, target.uri, why);
                self.set_line(id, None, target.clone());
            }
            None => {
                log::error!(target: LOG, "cannot talk to the Bootstrap-Server at {}: {}", target.uri, why);
            }
        }
        self.unreachable
            .retain(|(t, until)| *t != target && now < *until);
        self.unreachable.push((target, now.after(60_000)));
    }

    /// The line to server `id`, if it is open.
    fn line(&mut self, id: u16) -> Option<&mut Line> {
        self.servers
            .iter_mut()
            .find(|s| s.id == id)
            .and_then(|s| s.line.as_mut())
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
            for line in self.servers.iter_mut().filter_map(|s| s.line.as_mut()) {
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
                Peer::Server(id) => match self.line(id) {
                    Some(line) => line.send(now, &t.data),
                    None => Err(io::Error::other("no line to the server")),
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
            Peer::Server(id) => {
                if let Some(line) = self
                    .servers
                    .iter_mut()
                    .find(|s| s.id == id)
                    .and_then(|s| s.line.as_mut())
                {
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
        // The key of the server at the download's host (the one that asked, as a rule),
        // else of the line fixed at start, else of the first server with a key.
        let host = |authority: &str| {
            let h = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
            h.trim_matches(['[', ']']).to_owned()
        };
        let same_host = |s: &&ServerLine| {
            s.bound
                .uri
                .split_once("://")
                .is_some_and(|(_, rest)| host(rest.split('/').next().unwrap_or("")) == host(key))
        };
        let keyed = self.servers.iter().filter(|s| s.bound.psk.is_some());
        let (identity, psk_key) = keyed
            .clone()
            .find(same_host)
            .and_then(|s| s.bound.psk.as_ref())
            .or(self.psk.as_ref())
            .or_else(|| keyed.clone().find_map(|s| s.bound.psk.as_ref()))
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
                // Bytes came: the retries count again from here, so a download that keeps
                // moving keeps resuming however often its connection drops.
                self.http_tries = 0;
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
    /// on the first server's otherwise, and drains the others without waiting.
    fn receive<F: embedded_storage::nor_flash::NorFlash>(
        &mut self,
        board: &mut Board<F>,
        buf: &mut [u8],
    ) -> Result<(), String> {
        let pulling = board.client().download_peer().is_some() && self.download.is_some();
        let dtls = [
            self.bootstrap.as_ref().and_then(|(l, _)| l.timeout()),
            self.download.as_ref().and_then(|(l, _)| l.timeout()),
        ];
        let servers = self
            .servers
            .iter()
            .map(|s| s.line.as_ref().and_then(Line::timeout));
        let wait = [board.timeout().map(|t| t.0)]
            .into_iter()
            .chain(dtls)
            .chain(servers)
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
        if pulling && let Some((line, _)) = &self.download {
            let s = line.socket();
            let _ = s.set_nonblocking(near);
            let _ = s.set_read_timeout(timeout);
            if let Ok(n) = s.recv(buf) {
                self.deliver(board, Peer::Download, buf.get(..n).unwrap_or_default());
            }
        }
        // The first server's line waits (unless a pull does); the others are drained.
        let mut open = self
            .servers
            .iter()
            .filter_map(|s| s.line.as_ref().map(|line| (s.id, line.socket())));
        match open.next() {
            Some((_, first)) if !pulling => {
                let _ = first.set_nonblocking(near);
                let _ = first.set_read_timeout(timeout);
            }
            Some((_, first)) => {
                let _ = first.set_nonblocking(true);
            }
            // No server yet: nothing to hear from.
            None if !pulling => std::thread::sleep(Duration::from_millis(wait)),
            None => {}
        }
        for (_, other) in open {
            let _ = other.set_nonblocking(true);
        }
        let ids: Vec<u16> = self
            .servers
            .iter()
            .filter(|s| s.line.is_some())
            .map(|s| s.id)
            .collect();
        for (i, id) in ids.into_iter().enumerate() {
            self.receive_from(board, id, buf, pulling || i > 0)?;
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

    /// Receives on the line to server `id`: one datagram, or every one waiting when `drain`.
    fn receive_from<F: embedded_storage::nor_flash::NorFlash>(
        &mut self,
        board: &mut Board<F>,
        id: u16,
        buf: &mut [u8],
        drain: bool,
    ) -> Result<(), String> {
        loop {
            let Some(line) = self.line(id) else {
                return Ok(());
            };
            match line.socket().recv(buf) {
                Ok(n) => self.deliver(board, Peer::Server(id), buf.get(..n).unwrap_or_default()),
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
            if !drain {
                return Ok(());
            }
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

/// The `lwm2m-board` program: parses `args` (the board's options) and runs. A reboot runs
/// the same program again with `relaunch` as its arguments.
pub fn main_with(args: &[String], relaunch: &[String]) -> std::process::ExitCode {
    init_logging();
    match Options::parse(args) {
        // Help and version are printed to stdout with status 0, usage errors to stderr
        // with 2.
        Err(e) => {
            let _ = e.print();
            std::process::ExitCode::from(e.exit_code() as u8)
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
