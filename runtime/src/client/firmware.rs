//! Object 5 served by the client: the state machine, the storage it drives, PUSH through the
//! generic Block1 path, PULL over CoAP Block2 (through the downloader) or handed to the board
//! for other schemes, the snapshot the board persists, and the client's Object 5 API.

use core::fmt::Write as _;

use super::download::Pull;
use super::{Client, Device, Event, Instant, Peer, storage_of};
use crate::error::Error;
use crate::fota::{
    BadSnapshot, DownloadFailure, Firmware, FirmwareStorage, FirmwareUpdate, FotaError,
    OBJECT_INFO, State, UpdateResult,
};
use crate::object::{Object, ReadSink, Value, Write};
use crate::spec::ObjectInfo;
use crate::value::{Chunk, ExecuteArgs, Time};

/// How the server may deliver packages (`/5/0/9`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// 0: only through Package URI.
    Pull = 0,
    /// 1: only by writing Package.
    Push = 1,
    /// 2: both.
    Both = 2,
}

/// Download protocols for Package URI (`/5/0/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// 0: CoAP with block-wise transfer, served by the client itself.
    Coap = 0,
    /// 1: CoAP over DTLS.
    Coaps = 1,
    /// 2: HTTP 1.1, downloaded by the board (see [`super::Event::Download`]).
    Http = 2,
    /// 3: HTTPS 1.1, downloaded by the board.
    Https = 3,
}

/// What this build supports, and its policies.
#[derive(Clone, Debug)]
pub struct FirmwareSettings {
    /// `/5/0/9`.
    pub delivery: Delivery,
    /// `/5/0/8`, in order. The client downloads `Coap` itself; other schemes are handed to the
    /// board through [`super::Event::Download`].
    pub protocols: heapless::Vec<Protocol, 4>,
    /// Ask the board before installing: Update then defers (Update Result 11) until
    /// [`super::Client::approve_update`], or until Maximum Defer Period runs out.
    pub require_approval: bool,
}

impl Default for FirmwareSettings {
    /// Push and pull over CoAP, no approval.
    fn default() -> Self {
        let mut protocols = heapless::Vec::new();
        let _ = protocols.push(Protocol::Coap);
        Self {
            delivery: Delivery::Both,
            protocols,
            require_approval: false,
        }
    }
}

/// The state of Object 5.
#[derive(Clone, Debug)]
pub(crate) struct FirmwareState {
    pub machine: FirmwareUpdate,
    pub settings: FirmwareSettings,
    pub uri: heapless::String<255>,
    pub severity: u8,
    pub max_defer: u64,
    pub auto_update: bool,
    pub last_change: Option<Time>,
    pub pull: Option<Pull>,
    /// Update was executed: install once the response is out.
    pub install_pending: bool,
    /// Update is deferred (11) since then.
    pub deferred_since: Option<Instant>,
    /// An HTTP(S) URI the board should download.
    pub external: Option<heapless::String<255>>,
    /// While notifying the states passed through, reads of State and Update Result give this.
    pub replay: Option<(State, UpdateResult)>,
    /// Whether [`Event::Download`] announced the current external download.
    announced_download: bool,
    /// The CRC-32 of the last snapshot the board was told about ([`Event::FirmwareChanged`]).
    crc: u32,
}

impl FirmwareState {
    pub(crate) fn new(settings: FirmwareSettings) -> Self {
        let mut state = Self {
            machine: FirmwareUpdate::new(),
            settings,
            uri: heapless::String::new(),
            severity: 1,
            max_defer: 0,
            auto_update: false,
            last_change: None,
            pull: None,
            install_pending: false,
            deferred_since: None,
            external: None,
            replay: None,
            announced_download: false,
            crc: 0,
        };
        state.crc = crc32(&state.snapshot());
        state
    }

    /// Whether the snapshot changed since it was last checked (or made, or restored): the
    /// board must persist it again.
    pub(crate) fn snapshot_changed(&mut self) -> bool {
        let crc = crc32(&self.snapshot());
        let changed = crc != self.crc;
        self.crc = crc;
        changed
    }

    /// When Maximum Defer Period ends for a deferred update.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let since = self.deferred_since?;
        (self.max_defer > 0).then(|| since.after(self.max_defer.saturating_mul(1000)))
    }

    /// Ends a download with a failure (from Downloading only).
    pub(crate) fn fail_download(&mut self, why: DownloadFailure) {
        self.pull = None;
        self.external = None;
        if let Firmware::Downloading(d) = self.machine.firmware() {
            d.failed(why);
        }
    }

    /// The snapshot the board persists: the machine, the URI and the settings a server wrote,
    /// and the download's ETag, with a CRC-32.
    pub(crate) fn snapshot(&self) -> heapless::Vec<u8, SNAPSHOT_MAX> {
        let mut v: heapless::Vec<u8, SNAPSHOT_MAX> = heapless::Vec::new();
        let _ = v.push(SNAPSHOT_FORMAT);
        let _ = v.extend_from_slice(&self.machine.snapshot().0);
        let _ = v.push(self.severity);
        let _ = v.push(u8::from(self.auto_update));
        let _ = v.extend_from_slice(&self.max_defer.to_be_bytes());
        let _ = v.push(self.uri.len() as u8);
        let _ = v.extend_from_slice(self.uri.as_bytes());
        let etag = self.pull.as_ref().map(|p| p.etag.as_slice()).unwrap_or(&[]);
        let _ = v.push(etag.len() as u8);
        let _ = v.extend_from_slice(etag);
        let crc = crc32(&v);
        let _ = v.extend_from_slice(&crc.to_be_bytes());
        v
    }

    /// Restores a snapshot. A PULL that was downloading resumes from what the storage holds.
    pub(crate) fn restore(&mut self, bytes: &[u8]) -> Result<(), BadSnapshot> {
        let (body, crc) = bytes
            .split_at_checked(bytes.len().checked_sub(4).ok_or(BadSnapshot)?)
            .ok_or(BadSnapshot)?;
        if crc32(body).to_be_bytes() != crc {
            return Err(BadSnapshot);
        }
        let mut r = Reader(body);
        if r.byte()? != SNAPSHOT_FORMAT {
            return Err(BadSnapshot);
        }
        let machine = FirmwareUpdate::restore(r.take(4)?)?;
        let severity = r.byte()?;
        let auto_update = r.byte()? != 0;
        let max_defer = u64::from_be_bytes(r.take(8)?.try_into().map_err(|_| BadSnapshot)?);
        let uri_len = usize::from(r.byte()?);
        let uri = core::str::from_utf8(r.take(uri_len)?).map_err(|_| BadSnapshot)?;
        let etag_len = usize::from(r.byte()?);
        let etag = r.take(etag_len)?;
        if !r.0.is_empty() || severity > 2 {
            return Err(BadSnapshot);
        }
        self.machine = machine;
        self.severity = severity;
        self.auto_update = auto_update;
        self.max_defer = max_defer;
        self.uri = heapless::String::try_from(uri).map_err(|_| BadSnapshot)?;
        self.pull = None;
        if self.machine.state() == State::Downloading {
            if let Ok(Target::Coap(mut pull)) = parse_uri(&self.uri) {
                pull.etag = heapless::Vec::from_slice(etag).map_err(|_| BadSnapshot)?;
                pull.begun = true;
                self.pull = Some(pull);
            } else if !self.uri.is_empty() {
                self.external = Some(self.uri.clone());
            } else if let Firmware::Downloading(push) = self.machine.firmware() {
                // A push cannot resume across a reboot: the server's block-wise transfer went
                // with the connection. Report it lost (4) so the server starts over from Idle.
                push.failed(DownloadFailure::ConnectionLost);
            }
        }
        self.announced_download = false;
        self.crc = crc32(&self.snapshot());
        Ok(())
    }
}

/// The largest snapshot: format, machine, severity, auto, defer, URI, ETag, CRC.
pub const SNAPSHOT_MAX: usize = 1 + 4 + 1 + 1 + 8 + 1 + 255 + 1 + 8 + 4;
const SNAPSHOT_FORMAT: u8 = 1;

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadSnapshot> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(BadSnapshot)?;
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, BadSnapshot> {
        self.take(1)?.first().copied().ok_or(BadSnapshot)
    }
}

/// CRC-32 (IEEE), bit by bit: a snapshot is a few hundred bytes.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |mut crc, &b| {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
        crc
    })
}

/// Where a Package URI points.
#[derive(Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a parse result that lives for one call"
)]
pub(crate) enum Target {
    Coap(Pull),
    Scheme(Protocol),
}

/// Reads a Package URI: `coap://host[:port]/path...`. 7 (invalid URI) for anything that is
/// not a URI with a host; 9 (unsupported protocol) for a scheme this client does not know.
pub(crate) fn parse_uri(uri: &str) -> Result<Target, FotaError> {
    let (scheme, rest) = uri.split_once("://").ok_or(FotaError::InvalidUri)?;
    let protocol = match scheme.to_ascii_lowercase_fixed().as_str() {
        "coap" => Protocol::Coap,
        "coaps" => Protocol::Coaps,
        "http" => Protocol::Http,
        "https" => Protocol::Https,
        _ => return Err(FotaError::UnsupportedProtocol),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 1..).unwrap_or("")),
        None => (rest, ""),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(FotaError::InvalidUri)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| FotaError::InvalidUri)?),
            None if after.is_empty() => None,
            None => return Err(FotaError::InvalidUri),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                Some(p.parse::<u16>().map_err(|_| FotaError::InvalidUri)?),
            ),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if !valid_host {
        return Err(FotaError::InvalidUri);
    }
    if protocol != Protocol::Coap {
        return Ok(Target::Scheme(protocol));
    }
    let mut pull = Pull::new(
        heapless::String::try_from(host).map_err(|_| FotaError::InvalidUri)?,
        port.unwrap_or(5683),
    );
    let path = path.split(['?', '#']).next().unwrap_or("");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let mut s = heapless::String::new();
        s.push_str(segment).map_err(|_| FotaError::InvalidUri)?;
        pull.path.push(s).map_err(|_| FotaError::InvalidUri)?;
    }
    Ok(Target::Coap(pull))
}

/// Lower-case ASCII of a short scheme without allocating.
trait Lower {
    fn to_ascii_lowercase_fixed(&self) -> heapless::String<8>;
}

impl Lower for str {
    fn to_ascii_lowercase_fixed(&self) -> heapless::String<8> {
        let mut s = heapless::String::new();
        for c in self.chars() {
            if s.push(c.to_ascii_lowercase()).is_err() {
                break;
            }
        }
        s
    }
}

/// Object 5 as the generic request handling sees it: the state and the board's storage.
pub(crate) struct FirmwareView<'a> {
    pub state: &'a mut FirmwareState,
    pub storage: &'a mut dyn FirmwareStorage,
    pub clock: Option<Time>,
    pub now: Instant,
}

impl FirmwareView<'_> {
    fn stamp(&mut self, before: u32) {
        if self.state.machine.changes() != before {
            self.state.last_change = self.clock;
        }
    }

    /// A chunk of a pushed package.
    fn push(&mut self, chunk: Chunk<'_>) -> Result<(), Error> {
        let fw = &mut *self.state;
        if chunk.offset == 0 {
            // A Package of one NUL byte resets the state machine (object 5, resource 3).
            if chunk.last && chunk.bytes == [0] {
                fw.machine.on_reset()?;
                fw.pull = None;
                fw.uri.clear();
                let _ = self.storage.cancel();
                return Ok(());
            }
            if fw.settings.delivery == Delivery::Pull {
                return Err(Error::MethodNotAllowed);
            }
            if fw.pull.is_some() || fw.external.is_some() {
                // A pull is downloading: a push would mix two packages.
                return Err(Error::MethodNotAllowed);
            }
            let downloading = fw.machine.on_download()?;
            if chunk.total.is_some_and(|t| t > self.storage.capacity()) {
                downloading.failed(DownloadFailure::NotEnoughFlash);
                return Err(Error::TooLarge);
            }
            if let Err(e) = self.storage.begin(chunk.total) {
                downloading.failed(e.download_failure());
                return Err(e.coap_error());
            }
        }
        if fw.machine.state() != State::Downloading {
            return Err(Error::Incomplete);
        }
        if let Err(e) = self.storage.write(chunk.offset, chunk.bytes) {
            fw.fail_download(e.download_failure());
            return Err(e.coap_error());
        }
        if chunk.last {
            self.finish_download()?;
        }
        Ok(())
    }

    /// The package is complete: verify it, and start the update when the server asked for
    /// Automatic Upgrade at Download.
    pub(crate) fn finish_download(&mut self) -> Result<(), Error> {
        let fw = &mut *self.state;
        fw.pull = None;
        fw.external = None;
        match self.storage.finish() {
            Ok(()) => {
                if let Firmware::Downloading(d) = fw.machine.firmware() {
                    d.downloaded();
                }
                if fw.auto_update {
                    self.update()?;
                }
                Ok(())
            }
            Err(e) => {
                fw.fail_download(e.download_failure());
                Err(e.coap_error())
            }
        }
    }

    /// Execute Update: install now, or defer when the board must approve.
    fn update(&mut self) -> Result<(), Error> {
        let fw = &mut *self.state;
        if fw.settings.require_approval && fw.machine.state() == State::Downloaded {
            if let Firmware::Downloaded(d) = fw.machine.firmware() {
                d.defer();
            }
            fw.deferred_since.get_or_insert(self.now);
            return Ok(());
        }
        fw.machine.on_update()?;
        fw.deferred_since = None;
        fw.install_pending = true;
        Ok(())
    }

    fn write_uri(&mut self, uri: &str) -> Result<(), Error> {
        let fw = &mut *self.state;
        if uri.is_empty() {
            // An empty Package URI resets the state machine (object 5, resource 3).
            fw.machine.on_reset()?;
            fw.pull = None;
            fw.external = None;
            fw.uri.clear();
            let _ = self.storage.cancel();
            return Ok(());
        }
        if fw.settings.delivery == Delivery::Push {
            return Err(Error::MethodNotAllowed);
        }
        if fw.machine.state() != State::Idle {
            // A new package is only taken from Idle: reset first (TS Core E.6).
            return Err(Error::MethodNotAllowed);
        }
        fw.uri = heapless::String::try_from(uri).map_err(|_| Error::TooLarge)?;
        let downloading = fw.machine.on_download()?;
        match parse_uri(uri) {
            Err(e) => {
                downloading.failed(e.download_failure());
            }
            Ok(Target::Coap(pull)) if fw.settings.protocols.contains(&Protocol::Coap) => {
                fw.pull = Some(pull);
            }
            Ok(Target::Scheme(p)) if p != Protocol::Coaps && fw.settings.protocols.contains(&p) => {
                fw.external = Some(fw.uri.clone());
                if let Err(e) = self.storage.begin(None) {
                    fw.fail_download(e.download_failure());
                }
            }
            Ok(_) => {
                downloading.failed(DownloadFailure::UnsupportedProtocol);
            }
        }
        Ok(())
    }
}

impl Object for FirmwareView<'_> {
    fn info(&self) -> &'static ObjectInfo {
        &OBJECT_INFO
    }

    fn instances(&self, f: &mut dyn FnMut(u16)) {
        f(0)
    }

    fn read(&mut self, instance: u16, resource: u16, out: &mut dyn ReadSink) -> Result<(), Error> {
        if instance != 0 {
            return Err(Error::NotFound);
        }
        let fw = &*self.state;
        let mut text: heapless::String<32> = heapless::String::new();
        match resource {
            1 => out.value(None, Value::String(&fw.uri)),
            3 => out.value(
                None,
                Value::Integer(fw.replay.map_or(fw.machine.state(), |r| r.0) as i64),
            ),
            5 => out.value(
                None,
                Value::Integer(fw.replay.map_or(fw.machine.result(), |r| r.1) as i64),
            ),
            6 | 7 => {
                let package = match fw.machine.state() {
                    State::Downloaded | State::Updating => self.storage.package(),
                    _ => None,
                }
                .ok_or(Error::NotFound)?;
                let value = if resource == 6 {
                    package.name
                } else {
                    package.version
                };
                let _ = write!(text, "{value}");
                out.value(None, Value::String(&text))
            }
            8 => fw
                .settings
                .protocols
                .iter()
                .enumerate()
                .try_for_each(|(i, p)| out.value(Some(i as u16), Value::Integer(*p as i64))),
            9 => out.value(None, Value::Integer(fw.settings.delivery as i64)),
            11 => out.value(None, Value::Integer(i64::from(fw.severity))),
            12 => out.value(None, Value::Time(fw.last_change.ok_or(Error::NotFound)?.0)),
            13 => out.value(None, Value::Unsigned(fw.max_defer)),
            14 => out.value(None, Value::Boolean(fw.auto_update)),
            _ => Err(OBJECT_INFO.refusal(resource)),
        }
    }

    fn accepts_chunks(&self, resource: u16) -> bool {
        resource == 0
    }

    fn chunk_capacity(&self, resource: u16) -> Option<u32> {
        (resource == 0).then(|| self.storage.capacity())
    }

    fn write(&mut self, instance: u16, resource: u16, write: Write<'_, '_>) -> Result<(), Error> {
        if instance != 0 {
            return Err(Error::NotFound);
        }
        let before = self.state.machine.changes();
        let result = match (resource, write) {
            (0, Write::Chunk(chunk)) => self.push(chunk),
            (1, Write::Value(Value::String(uri))) => self.write_uri(uri),
            (11, Write::Value(v)) => {
                self.state.severity = v
                    .as_i64()
                    .and_then(|s| u8::try_from(s).ok())
                    .filter(|&s| s <= 2)
                    .ok_or(Error::BadRequest)?;
                Ok(())
            }
            (13, Write::Value(v)) => {
                self.state.max_defer = v.as_u64().ok_or(Error::BadRequest)?;
                Ok(())
            }
            (14, Write::Value(Value::Boolean(b))) => {
                self.state.auto_update = b;
                Ok(())
            }
            (0 | 1 | 11 | 13 | 14, _) => Err(Error::BadRequest),
            _ => Err(OBJECT_INFO.refusal(resource)),
        };
        self.stamp(before);
        result
    }

    fn execute(
        &mut self,
        instance: u16,
        resource: u16,
        args: ExecuteArgs<'_>,
    ) -> Result<(), Error> {
        if instance != 0 {
            return Err(Error::NotFound);
        }
        let _ = args;
        let before = self.state.machine.changes();
        let result = match resource {
            2 => self.update(),
            10 => {
                let r = self.state.machine.on_cancel();
                if r.is_ok() {
                    self.state.pull = None;
                    self.state.external = None;
                    self.state.deferred_since = None;
                    let _ = self.storage.cancel();
                }
                r
            }
            _ => Err(OBJECT_INFO.refusal(resource)),
        };
        self.stamp(before);
        result
    }
}

/// Checks that the deferral of an update (Update Result 11) has not outlived Maximum Defer
/// Period; when it has, the update starts.
pub(crate) fn defer_expired(fw: &FirmwareState, now: Instant) -> bool {
    fw.machine.result() == UpdateResult::Deferred
        && fw.max_defer > 0
        && fw
            .deferred_since
            .is_some_and(|since| now.since(since) >= fw.max_defer.saturating_mul(1000))
}

impl Client {
    /// Serves Object 5 with these settings (the board passes its storage in [`Device`]).
    pub fn with_firmware(mut self, settings: FirmwareSettings) -> Self {
        self.firmware = Some(FirmwareState::new(settings));
        self
    }

    /// Restores Object 5 from a snapshot the board persisted. After a reboot in Updating,
    /// report the outcome with [`Client::firmware_booted`].
    pub fn restore_firmware(&mut self, snapshot: &[u8]) -> Result<(), BadSnapshot> {
        self.firmware.as_mut().ok_or(BadSnapshot)?.restore(snapshot)
    }

    /// What the board persists for Object 5 (at most [`SNAPSHOT_MAX`] bytes).
    pub fn firmware_snapshot(&self) -> Option<heapless::Vec<u8, SNAPSHOT_MAX>> {
        self.firmware.as_ref().map(FirmwareState::snapshot)
    }

    /// `/5/0/3` and `/5/0/5`.
    pub fn firmware_state(&self) -> Option<(State, UpdateResult)> {
        self.firmware
            .as_ref()
            .map(|fw| (fw.machine.state(), fw.machine.result()))
    }

    /// The Package URI the board should download after [`Event::Download`].
    pub fn download_uri(&self) -> Option<&str> {
        self.firmware.as_ref()?.external.as_deref()
    }

    /// The board approves a deferred update: it starts now.
    pub fn approve_update(&mut self, now: Instant) -> Result<(), Error> {
        let fw = self.firmware.as_mut().ok_or(Error::NotFound)?;
        if fw.machine.result() != UpdateResult::Deferred {
            return Err(Error::MethodNotAllowed);
        }
        fw.machine.on_update()?;
        fw.deferred_since = None;
        fw.install_pending = true;
        self.observer.check_at(now);
        Ok(())
    }

    /// Reports how the update ended after the reboot: `true` when the new image runs and
    /// passed its self-test (the client confirms it with the storage, Update Result 1),
    /// `false` when the device is back on the old image (Update Result 8).
    ///
    /// Call it only when the board knows an install began (its bootloader swapped or its own
    /// install record says so). The machine is then in Updating, or still in Downloaded when
    /// power was lost between scheduling the install and persisting the Updating state; both
    /// report the outcome. In any other state this does nothing.
    pub fn firmware_booted(
        &mut self,
        now: Instant,
        device: &mut Device<'_, '_>,
        success: bool,
    ) -> Result<(), FotaError> {
        let Some(fw) = self.firmware.as_mut() else {
            return Ok(());
        };
        let updating = match fw.machine.firmware() {
            Firmware::Updating(updating) => updating,
            Firmware::Downloaded(downloaded) => downloaded.start_update(),
            _ => return Ok(()),
        };
        if success {
            let storage = storage_of(&mut device.firmware).ok_or(FotaError::UpdateFailed)?;
            match storage.confirm() {
                Ok(()) => {
                    updating.succeeded();
                }
                Err(e) => {
                    updating.failed();
                    fw.last_change = device.clock;
                    return Err(e);
                }
            }
        } else {
            updating.failed();
        }
        fw.last_change = device.clock;
        self.observer.check_at(now);
        Ok(())
    }

    /// Bytes of a download the board performs (see [`Event::Download`]), at `offset`.
    pub fn download_chunk(
        &mut self,
        device: &mut Device<'_, '_>,
        offset: u32,
        bytes: &[u8],
    ) -> Result<(), FotaError> {
        let (Some(fw), Some(storage)) = (self.firmware.as_mut(), storage_of(&mut device.firmware))
        else {
            return Err(FotaError::UpdateFailed);
        };
        if fw.machine.state() != State::Downloading || fw.external.is_none() {
            return Err(FotaError::UpdateFailed);
        }
        storage
            .write(offset, bytes)
            .inspect_err(|e| fw.fail_download(e.download_failure()))
    }

    /// The board's download is complete: verify it.
    pub fn download_finished(
        &mut self,
        now: Instant,
        device: &mut Device<'_, '_>,
    ) -> Result<(), Error> {
        let (Some(fw), Some(storage)) = (self.firmware.as_mut(), storage_of(&mut device.firmware))
        else {
            return Err(Error::NotFound);
        };
        if fw.machine.state() != State::Downloading {
            return Err(Error::MethodNotAllowed);
        }
        let mut view = FirmwareView {
            state: fw,
            storage,
            clock: device.clock,
            now,
        };
        let before = view.state.machine.changes();
        let r = view.finish_download();
        if view.state.machine.changes() != before {
            view.state.last_change = device.clock;
        }
        self.observer.check_at(now);
        r
    }

    /// The board's download failed.
    pub fn download_failed(&mut self, now: Instant, device: &Device<'_, '_>, error: FotaError) {
        if let Some(fw) = self.firmware.as_mut() {
            fw.fail_download(error.download_failure());
            fw.last_change = device.clock;
        }
        self.observer.check_at(now);
    }

    /// Runs what Object 5 has due: a deferred update whose time ran out, an install, a
    /// download for the board to perform, then the PULL over CoAP.
    pub(super) fn tick_firmware(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        let Some(fw) = self.firmware.as_mut() else {
            return;
        };
        if fw.pull.is_none() {
            // A download that ended (failed, cancelled, reset) stops retransmitting.
            self.transport.abandon(Peer::Download);
        }
        let Some(storage) = storage_of(&mut device.firmware) else {
            return;
        };
        if defer_expired(fw, now) {
            // Maximum Defer Period is over: the update starts.
            if fw.machine.on_update().is_ok() {
                fw.deferred_since = None;
                fw.install_pending = true;
                fw.last_change = device.clock;
            }
        }
        if fw.install_pending {
            fw.install_pending = false;
            match storage.install() {
                Ok(()) => self.push_event(Event::Install),
                Err(e) => {
                    if let Firmware::Updating(u) = fw.machine.firmware() {
                        if e == FotaError::Integrity {
                            u.integrity_failed();
                        } else {
                            u.failed();
                        }
                    }
                    fw.last_change = device.clock;
                }
            }
            return;
        }
        match (&fw.external, fw.announced_download) {
            (Some(_), false) => {
                fw.announced_download = true;
                self.push_event(Event::Download);
                return;
            }
            (None, true) => fw.announced_download = false,
            _ => {}
        }
        self.tick_download(now, device);
    }
}
