//! The Firmware Update (/5) state machine: State, Update Result and the transitions the LwM2M
//! Core specification's Firmware Update state diagram allows (TS Core 1.1, E.6).
//!
//! ```text
//!            write Package / Package URI            download complete, verified
//!   Idle(0) ─────────────────────────────> Downloading(1) ───────────────────> Downloaded(2)
//!     ^  ^        download failed: Idle + 2,3,4,5,6,7,9  │                        │    │ defer: stays, 11
//!     │  └──────────────────────────────────────────────┘                        │    │
//!     │  cancel (10) or reset (0) from Downloading or Downloaded                  │ Update
//!     │                                                                           v
//!     └──────────────── success: Idle + 1; integrity failure: Idle + 5 ──── Updating(3)
//!                       failure: back to Downloaded + 8 ──────────────────────────┘
//! ```
//!
//! Two sides drive it. The server side ([`FirmwareUpdate::on_update`],
//! [`FirmwareUpdate::on_cancel`], [`FirmwareUpdate::on_reset`], [`FirmwareUpdate::on_download`])
//! answers a CoAP error for operations the current state forbids. The firmware side reports
//! progress through typed handles: [`FirmwareUpdate::firmware`] gives the handle of the
//! current state ([`Idle`], [`Downloading`], [`Downloaded`] or [`Updating`]), and each handle
//! only has the transitions allowed from its state, consuming itself and returning the next.
//! Reporting "downloaded" from Idle, or starting the update before Downloaded, does not
//! compile:
//!
//! ```compile_fail,E0599
//! # use lwm2m_runtime::fota::{FirmwareUpdate, Firmware};
//! let mut fw = FirmwareUpdate::new();
//! if let Firmware::Idle(idle) = fw.firmware() {
//!     idle.downloaded(); // no such transition from Idle
//! }
//! ```
//!
//! The server side goes through the same handles, so no path bypasses the diagram.

use core::fmt;

use crate::error::Error;
use crate::spec::{ObjectInfo, ResourceInfo, Version};

/// `/5/0/3` State.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    /// 0: before a download, or after an update, a cancel or a failure.
    #[default]
    Idle = 0,
    /// 1: the package is arriving.
    Downloading = 1,
    /// 2: the package is complete and verified; Update may be executed.
    Downloaded = 2,
    /// 3: the package is being installed.
    Updating = 3,
}

/// `/5/0/5` Update Result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum UpdateResult {
    /// 0: nothing yet; reset whenever a download or update starts.
    #[default]
    Initial = 0,
    /// 1: the new firmware runs.
    Success = 1,
    /// 2: not enough flash for the package.
    NotEnoughFlash = 2,
    /// 3: out of RAM while downloading.
    OutOfRam = 3,
    /// 4: the connection was lost while downloading.
    ConnectionLost = 4,
    /// 5: the package failed its integrity (or authenticity) check.
    IntegrityCheckFailure = 5,
    /// 6: the package is not of a type the device installs.
    UnsupportedPackageType = 6,
    /// 7: the Package URI is not valid.
    InvalidUri = 7,
    /// 8: installing failed.
    UpdateFailed = 8,
    /// 9: the Package URI names a protocol the device does not support.
    UnsupportedProtocol = 9,
    /// 10: a Cancel succeeded.
    Cancelled = 10,
    /// 11: the update was deferred.
    Deferred = 11,
}

impl State {
    /// The state for its resource value.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0 => Self::Idle,
            1 => Self::Downloading,
            2 => Self::Downloaded,
            3 => Self::Updating,
            _ => return None,
        })
    }
}

impl UpdateResult {
    /// The result for its resource value.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0 => Self::Initial,
            1 => Self::Success,
            2 => Self::NotEnoughFlash,
            3 => Self::OutOfRam,
            4 => Self::ConnectionLost,
            5 => Self::IntegrityCheckFailure,
            6 => Self::UnsupportedPackageType,
            7 => Self::InvalidUri,
            8 => Self::UpdateFailed,
            9 => Self::UnsupportedProtocol,
            10 => Self::Cancelled,
            11 => Self::Deferred,
            _ => return None,
        })
    }
}

/// Why a download ended without a package: the Update Results the diagram allows when leaving
/// Downloading for Idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DownloadFailure {
    /// 2.
    NotEnoughFlash,
    /// 3.
    OutOfRam,
    /// 4.
    ConnectionLost,
    /// 5.
    IntegrityCheckFailure,
    /// 6.
    UnsupportedPackageType,
    /// 7.
    InvalidUri,
    /// 9.
    UnsupportedProtocol,
}

impl From<DownloadFailure> for UpdateResult {
    fn from(f: DownloadFailure) -> Self {
        match f {
            DownloadFailure::NotEnoughFlash => Self::NotEnoughFlash,
            DownloadFailure::OutOfRam => Self::OutOfRam,
            DownloadFailure::ConnectionLost => Self::ConnectionLost,
            DownloadFailure::IntegrityCheckFailure => Self::IntegrityCheckFailure,
            DownloadFailure::UnsupportedPackageType => Self::UnsupportedPackageType,
            DownloadFailure::InvalidUri => Self::InvalidUri,
            DownloadFailure::UnsupportedProtocol => Self::UnsupportedProtocol,
        }
    }
}

/// The Firmware Update state machine of one /5 instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FirmwareUpdate {
    state: State,
    result: UpdateResult,
    changes: u32,
    /// The states passed through since [`FirmwareUpdate::take_history`] was last called, so
    /// that every change can be notified even when several happen in one request.
    history: heapless::Deque<(State, UpdateResult), 4>,
}

impl FirmwareUpdate {
    /// Idle, Update Result 0.
    pub const fn new() -> Self {
        Self {
            state: State::Idle,
            result: UpdateResult::Initial,
            changes: 0,
            history: heapless::Deque::new(),
        }
    }

    /// `/5/0/3`.
    pub const fn state(&self) -> State {
        self.state
    }

    /// `/5/0/5`.
    pub const fn result(&self) -> UpdateResult {
        self.result
    }

    /// Counts changes of State or Update Result: an observer notifies when it moves (the
    /// specification asks for a notification on every change).
    pub const fn changes(&self) -> u32 {
        self.changes
    }

    fn set(&mut self, state: State, result: UpdateResult) {
        if (state, result) != (self.state, self.result) {
            self.state = state;
            self.result = result;
            self.changes = self.changes.wrapping_add(1);
            if self.history.is_full() {
                let _ = self.history.pop_front();
            }
            let _ = self.history.push_back((state, result));
        }
    }

    /// The (State, Update Result) pairs passed through since the last call, oldest first (at
    /// most four; the last is the current one).
    pub fn take_history(&mut self) -> heapless::Vec<(State, UpdateResult), 4> {
        let mut out = heapless::Vec::new();
        while let Some(entry) = self.history.pop_front() {
            let _ = out.push(entry);
        }
        out
    }

    /// The firmware-side handle of the current state.
    pub fn firmware(&mut self) -> Firmware<'_> {
        match self.state {
            State::Idle => Firmware::Idle(Idle(self)),
            State::Downloading => Firmware::Downloading(Downloading(self)),
            State::Downloaded => Firmware::Downloaded(Downloaded(self)),
            State::Updating => Firmware::Updating(Updating(self)),
        }
    }

    /// A server starts a download: writes the first block of Package or a non-empty Package
    /// URI. Allowed in Idle, and in Downloading for a first block that restarts a push (a
    /// server retrying from zero); a new package in Downloaded or Updating answers 4.05 Method
    /// Not Allowed: the state machine must be reset first (TS Core E.6: the write of a new
    /// package is only specified from Idle).
    pub fn on_download(&mut self) -> Result<Downloading<'_>, Error> {
        match self.firmware() {
            Firmware::Idle(idle) => Ok(idle.start_download()),
            Firmware::Downloading(d) => Ok(d),
            Firmware::Downloaded(_) | Firmware::Updating(_) => Err(Error::MethodNotAllowed),
        }
    }

    /// A server resets the machine: an empty Package URI or a Package of one NUL byte. Idle
    /// with Update Result 0 from every state but Updating, where the install cannot be
    /// abandoned and the write answers 4.05 Method Not Allowed.
    pub fn on_reset(&mut self) -> Result<(), Error> {
        match self.firmware() {
            Firmware::Idle(idle) => {
                idle.reset();
                Ok(())
            }
            Firmware::Downloading(d) => {
                d.reset();
                Ok(())
            }
            Firmware::Downloaded(d) => {
                d.reset();
                Ok(())
            }
            Firmware::Updating(_) => Err(Error::MethodNotAllowed),
        }
    }

    /// A server executes Update (`/5/0/2`): only in Downloaded ("This Resource is only
    /// executable when the value of the State Resource is Downloaded", object 5 definition);
    /// elsewhere 4.05 Method Not Allowed.
    pub fn on_update(&mut self) -> Result<Updating<'_>, Error> {
        match self.firmware() {
            Firmware::Downloaded(d) => Ok(d.start_update()),
            _ => Err(Error::MethodNotAllowed),
        }
    }

    /// A server executes Cancel (`/5/0/10`): from Downloading or Downloaded to Idle with
    /// Update Result 10; in Idle there is nothing to cancel and in Updating the install cannot
    /// be abandoned, so both answer 4.05 Method Not Allowed (object 5 v1.1, resource 10).
    pub fn on_cancel(&mut self) -> Result<(), Error> {
        match self.firmware() {
            Firmware::Downloading(d) => {
                d.cancel();
                Ok(())
            }
            Firmware::Downloaded(d) => {
                d.cancel();
                Ok(())
            }
            Firmware::Idle(_) | Firmware::Updating(_) => Err(Error::MethodNotAllowed),
        }
    }

    /// The state in [`Snapshot::LEN`] bytes, for the device to persist in flash.
    pub fn snapshot(&self) -> Snapshot {
        let body = [Snapshot::FORMAT, self.state as u8, self.result as u8];
        let [a, b, c] = body;
        Snapshot([a, b, c, crc8(&body)])
    }

    /// The machine a snapshot describes. Bytes from flash are untrusted: a torn or foreign
    /// record is refused, and the caller starts from [`FirmwareUpdate::new`].
    pub fn restore(snapshot: &[u8]) -> Result<Self, BadSnapshot> {
        let [format, state, result, check] = *snapshot else {
            return Err(BadSnapshot);
        };
        if format != Snapshot::FORMAT || crc8(&[format, state, result]) != check {
            return Err(BadSnapshot);
        }
        Ok(Self {
            state: State::from_u8(state).ok_or(BadSnapshot)?,
            result: UpdateResult::from_u8(result).ok_or(BadSnapshot)?,
            changes: 0,
            history: heapless::Deque::new(),
        })
    }
}

/// The state of a [`FirmwareUpdate`] as bytes: a format byte, State, Update Result and a CRC-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot(pub [u8; Snapshot::LEN]);

impl Snapshot {
    /// Bytes in a snapshot.
    pub const LEN: usize = 4;
    /// The format this version writes.
    const FORMAT: u8 = 1;
}

/// A snapshot that is torn, corrupted or of an unknown format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadSnapshot;

impl fmt::Display for BadSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the firmware update snapshot is corrupted or of an unknown format")
    }
}

impl core::error::Error for BadSnapshot {}

/// CRC-8 (polynomial 0x07), enough to tell a torn 3-byte record.
fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |mut crc, &b| {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
        crc
    })
}

/// The firmware-side handle of the current state.
#[derive(Debug)]
pub enum Firmware<'a> {
    /// State 0.
    Idle(Idle<'a>),
    /// State 1.
    Downloading(Downloading<'a>),
    /// State 2.
    Downloaded(Downloaded<'a>),
    /// State 3.
    Updating(Updating<'a>),
}

/// The machine in Idle. A download may start.
#[derive(Debug)]
pub struct Idle<'a>(&'a mut FirmwareUpdate);

/// The machine in Downloading. The download completes, fails, is cancelled or reset.
#[derive(Debug)]
pub struct Downloading<'a>(&'a mut FirmwareUpdate);

/// The machine in Downloaded. The update may start, be deferred, or the package dropped.
#[derive(Debug)]
pub struct Downloaded<'a>(&'a mut FirmwareUpdate);

/// The machine in Updating. The install succeeds or fails.
#[derive(Debug)]
pub struct Updating<'a>(&'a mut FirmwareUpdate);

impl<'a> Idle<'a> {
    /// A download starts: Downloading, and Update Result back to 0 ("Once the updating
    /// process is initiated (Download /Update), this Resource MUST be reset to Initial value").
    pub fn start_download(self) -> Downloading<'a> {
        self.0.set(State::Downloading, UpdateResult::Initial);
        Downloading(self.0)
    }

    /// Clears the last result (a reset while Idle).
    pub fn reset(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::Initial);
        self
    }
}

impl<'a> Downloading<'a> {
    /// The package is complete and verified: Downloaded.
    pub fn downloaded(self) -> Downloaded<'a> {
        self.0.set(State::Downloaded, UpdateResult::Initial);
        Downloaded(self.0)
    }

    /// The download failed: Idle with the reason as Update Result.
    pub fn failed(self, why: DownloadFailure) -> Idle<'a> {
        self.0.set(State::Idle, why.into());
        Idle(self.0)
    }

    /// Cancelled (`/5/0/10`): Idle, Update Result 10.
    pub fn cancel(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::Cancelled);
        Idle(self.0)
    }

    /// Reset by the server: Idle, Update Result 0.
    pub fn reset(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::Initial);
        Idle(self.0)
    }
}

impl<'a> Downloaded<'a> {
    /// Update executed: Updating, Update Result 0.
    pub fn start_update(self) -> Updating<'a> {
        self.0.set(State::Updating, UpdateResult::Initial);
        Updating(self.0)
    }

    /// The user (or policy) defers the update: stays Downloaded, Update Result 11.
    pub fn defer(self) -> Downloaded<'a> {
        self.0.set(State::Downloaded, UpdateResult::Deferred);
        self
    }

    /// Cancelled (`/5/0/10`): Idle, Update Result 10.
    pub fn cancel(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::Cancelled);
        Idle(self.0)
    }

    /// Reset by the server: Idle, Update Result 0.
    pub fn reset(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::Initial);
        Idle(self.0)
    }
}

impl<'a> Updating<'a> {
    /// The new firmware runs: Idle, Update Result 1.
    pub fn succeeded(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::Success);
        Idle(self.0)
    }

    /// Installing failed and the package is still there: back to Downloaded, Update Result 8
    /// (the server may execute Update again).
    pub fn failed(self) -> Downloaded<'a> {
        self.0.set(State::Downloaded, UpdateResult::UpdateFailed);
        Downloaded(self.0)
    }

    /// The package failed its check while installing: Idle, Update Result 5 (the diagram
    /// sends integrity failures to Idle).
    pub fn integrity_failed(self) -> Idle<'a> {
        self.0.set(State::Idle, UpdateResult::IntegrityCheckFailure);
        Idle(self.0)
    }
}

/// Why a firmware download, verification or install failed: one error type for the storage,
/// the download and the install, mapped to Update Results and CoAP codes in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FotaError {
    /// The package does not fit the download slot (Update Result 2).
    NoSpace,
    /// Out of RAM while downloading (3).
    NoRam,
    /// The connection was lost while downloading (4).
    ConnectionLost,
    /// The package failed its integrity or authenticity check (5).
    Integrity,
    /// The package is not of a type this device installs (6).
    UnsupportedPackage,
    /// The Package URI is not valid (7).
    InvalidUri,
    /// Installing failed (8).
    UpdateFailed,
    /// The Package URI names a protocol this device does not support (9).
    UnsupportedProtocol,
}

impl FotaError {
    /// The Update Result that reports this error.
    pub const fn update_result(self) -> UpdateResult {
        match self {
            Self::NoSpace => UpdateResult::NotEnoughFlash,
            Self::NoRam => UpdateResult::OutOfRam,
            Self::ConnectionLost => UpdateResult::ConnectionLost,
            Self::Integrity => UpdateResult::IntegrityCheckFailure,
            Self::UnsupportedPackage => UpdateResult::UnsupportedPackageType,
            Self::InvalidUri => UpdateResult::InvalidUri,
            Self::UpdateFailed => UpdateResult::UpdateFailed,
            Self::UnsupportedProtocol => UpdateResult::UnsupportedProtocol,
        }
    }

    /// The CoAP error a server's write answers when it meets this error during a push: 4.13
    /// when the package is too big, 5.00 when the device ran out of RAM or failed to store it,
    /// 4.00 for a package that is corrupt, foreign or not an image.
    pub const fn coap_error(self) -> Error {
        match self {
            Self::NoSpace => Error::TooLarge,
            Self::NoRam | Self::UpdateFailed | Self::ConnectionLost => Error::Internal,
            Self::Integrity
            | Self::UnsupportedPackage
            | Self::InvalidUri
            | Self::UnsupportedProtocol => Error::BadRequest,
        }
    }

    /// The download failure this error reports when it ends a download. A failure to write
    /// the slot (`UpdateFailed`) is reported as Not enough flash: the flash could not take
    /// the package, and the diagram allows no other result while downloading.
    pub const fn download_failure(self) -> DownloadFailure {
        match self {
            Self::NoSpace | Self::UpdateFailed => DownloadFailure::NotEnoughFlash,
            Self::NoRam => DownloadFailure::OutOfRam,
            Self::ConnectionLost => DownloadFailure::ConnectionLost,
            Self::Integrity => DownloadFailure::IntegrityCheckFailure,
            Self::UnsupportedPackage => DownloadFailure::UnsupportedPackageType,
            Self::InvalidUri => DownloadFailure::InvalidUri,
            Self::UnsupportedProtocol => DownloadFailure::UnsupportedProtocol,
        }
    }
}

impl fmt::Display for FotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.update_result();
        write!(
            f,
            "firmware update error (Update Result {}: {r:?})",
            r as u8
        )
    }
}

impl core::error::Error for FotaError {}

/// Name and version of a verified package, for `/5/0/6` and `/5/0/7`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageInfo {
    /// `/5/0/6` PkgName.
    pub name: heapless::String<32>,
    /// `/5/0/7` PkgVersion.
    pub version: heapless::String<32>,
}

/// Where a firmware package goes: the download slot, its verification, the install and the
/// confirmation after boot. The /5 state machine drives it; the board implements it over its
/// flash and bootloader.
pub trait FirmwareStorage {
    /// Bytes the download slot holds.
    fn capacity(&self) -> u32;

    /// Prepares the slot for a new package of `size` bytes when known (erases it).
    fn begin(&mut self, size: Option<u32>) -> Result<(), FotaError>;

    /// Stores `data` at `offset`. Offsets arrive in order without gaps.
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FotaError>;

    /// Bytes stored so far and known to be intact (a download resumes from here).
    fn written(&self) -> u32;

    /// The package is complete: verify it (integrity, signature, version).
    fn finish(&mut self) -> Result<(), FotaError>;

    /// Schedule the verified package for installation (e.g. mark the bootloader to swap);
    /// the device reboots afterwards.
    fn install(&mut self) -> Result<(), FotaError>;

    /// Abandon the package (erase or invalidate the slot).
    fn cancel(&mut self) -> Result<(), FotaError>;

    /// The new firmware booted and passed its self-test: make it permanent.
    fn confirm(&mut self) -> Result<(), FotaError>;

    /// Name and version of the verified package, if known.
    fn package(&self) -> Option<PackageInfo> {
        None
    }
}

/// The facts of Object 5 (Firmware Update) v1.2 that the client serves; equal to what the
/// generator makes from `objects/xml/5.xml` (a test in lwm2m-objects keeps them equal).
pub const OBJECT_INFO: ObjectInfo = {
    use crate::spec::{
        Constraint as C, Multiplicity as M, Operations as O, Requirement as Q, ResourceType as T,
    };
    macro_rules! r {
        ($id:expr, $name:expr, $ops:expr, $kind:expr, $mult:expr, $req:expr, $constraint:expr, $units:expr) => {
            ResourceInfo {
                id: $id,
                name: $name,
                operations: $ops,
                kind: $kind,
                multiplicity: $mult,
                requirement: $req,
                constraint: $constraint,
                units: $units,
            }
        };
    }
    ObjectInfo {
        id: 5,
        name: "Firmware Update",
        urn: "urn:oma:lwm2m:oma:5:1.2",
        object_version: Version::new(1, 2),
        lwm2m_version: Version::new(1, 1),
        multiplicity: M::Single,
        requirement: Q::Optional,
        resources: &[
            r!(
                0,
                "Package",
                O::Write,
                T::Opaque,
                M::Single,
                Q::Mandatory,
                C::None,
                ""
            ),
            r!(
                1,
                "Package URI",
                O::ReadWrite,
                T::String,
                M::Single,
                Q::Mandatory,
                C::Length(&[(0, 255)]),
                ""
            ),
            r!(
                2,
                "Update",
                O::Execute,
                T::None,
                M::Single,
                Q::Mandatory,
                C::None,
                ""
            ),
            r!(
                3,
                "State",
                O::Read,
                T::Integer,
                M::Single,
                Q::Mandatory,
                C::Signed(&[(0, 3)]),
                ""
            ),
            r!(
                5,
                "Update Result",
                O::Read,
                T::Integer,
                M::Single,
                Q::Mandatory,
                C::Signed(&[(0, 11)]),
                ""
            ),
            r!(
                6,
                "PkgName",
                O::Read,
                T::String,
                M::Single,
                Q::Optional,
                C::Length(&[(0, 255)]),
                ""
            ),
            r!(
                7,
                "PkgVersion",
                O::Read,
                T::String,
                M::Single,
                Q::Optional,
                C::Length(&[(0, 255)]),
                ""
            ),
            r!(
                8,
                "Firmware Update Protocol Support",
                O::Read,
                T::Integer,
                M::Multiple,
                Q::Optional,
                C::Signed(&[(0, 5)]),
                ""
            ),
            r!(
                9,
                "Firmware Update Delivery Method",
                O::Read,
                T::Integer,
                M::Single,
                Q::Mandatory,
                C::Signed(&[(0, 2)]),
                ""
            ),
            r!(
                10,
                "Cancel",
                O::Execute,
                T::None,
                M::Single,
                Q::Optional,
                C::None,
                ""
            ),
            r!(
                11,
                "Severity",
                O::ReadWrite,
                T::Integer,
                M::Single,
                Q::Optional,
                C::Signed(&[(0, 2)]),
                ""
            ),
            r!(
                12,
                "Last State Change Time",
                O::Read,
                T::Time,
                M::Single,
                Q::Optional,
                C::None,
                ""
            ),
            r!(
                13,
                "Maximum Defer Period",
                O::ReadWrite,
                T::UnsignedInteger,
                M::Single,
                Q::Optional,
                C::None,
                "s"
            ),
            r!(
                14,
                "Automatic Upgrade at Download",
                O::ReadWrite,
                T::Boolean,
                M::Single,
                Q::Optional,
                C::None,
                ""
            ),
        ],
    }
};

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    fn at(fw: &FirmwareUpdate) -> (State, UpdateResult) {
        (fw.state(), fw.result())
    }

    #[test]
    fn a_push_update_walks_the_diagram() {
        let mut fw = FirmwareUpdate::new();
        fw.on_download().unwrap().downloaded();
        assert_eq!(at(&fw), (State::Downloaded, UpdateResult::Initial));
        fw.on_update().unwrap();
        assert_eq!(at(&fw), (State::Updating, UpdateResult::Initial));
        let Firmware::Updating(u) = fw.firmware() else {
            panic!()
        };
        u.succeeded();
        assert_eq!(at(&fw), (State::Idle, UpdateResult::Success));
        assert_eq!(fw.changes(), 4);
    }

    #[test]
    fn every_download_failure_returns_to_idle_with_its_result() {
        for (why, code) in [
            (DownloadFailure::NotEnoughFlash, 2),
            (DownloadFailure::OutOfRam, 3),
            (DownloadFailure::ConnectionLost, 4),
            (DownloadFailure::IntegrityCheckFailure, 5),
            (DownloadFailure::UnsupportedPackageType, 6),
            (DownloadFailure::InvalidUri, 7),
            (DownloadFailure::UnsupportedProtocol, 9),
        ] {
            let mut fw = FirmwareUpdate::new();
            fw.on_download().unwrap().failed(why);
            assert_eq!((fw.state(), fw.result() as u8), (State::Idle, code));
            // A new download clears the result.
            fw.on_download().unwrap();
            assert_eq!(at(&fw), (State::Downloading, UpdateResult::Initial));
        }
    }

    #[test]
    fn forbidden_operations_answer_method_not_allowed() {
        let mut fw = FirmwareUpdate::new();
        assert_eq!(
            fw.on_update().err(),
            Some(Error::MethodNotAllowed),
            "Update in Idle"
        );
        assert_eq!(
            fw.on_cancel(),
            Err(Error::MethodNotAllowed),
            "Cancel in Idle"
        );
        fw.on_download().unwrap();
        assert_eq!(
            fw.on_update().err(),
            Some(Error::MethodNotAllowed),
            "Update in Downloading"
        );
        fw.on_download().unwrap().downloaded();
        assert_eq!(
            fw.on_download().err(),
            Some(Error::MethodNotAllowed),
            "new package in Downloaded"
        );
        fw.on_update().unwrap();
        assert_eq!(
            fw.on_cancel(),
            Err(Error::MethodNotAllowed),
            "Cancel in Updating"
        );
        assert_eq!(
            fw.on_reset(),
            Err(Error::MethodNotAllowed),
            "reset in Updating"
        );
        assert_eq!(
            fw.on_download().err(),
            Some(Error::MethodNotAllowed),
            "new package in Updating"
        );
        assert_eq!(fw.state(), State::Updating, "refusals change nothing");
    }

    #[test]
    fn cancel_defer_reset_and_failures() {
        let mut fw = FirmwareUpdate::new();
        fw.on_download().unwrap();
        fw.on_cancel().unwrap();
        assert_eq!(at(&fw), (State::Idle, UpdateResult::Cancelled));
        fw.on_download().unwrap().downloaded().defer();
        assert_eq!(at(&fw), (State::Downloaded, UpdateResult::Deferred));
        fw.on_update().unwrap().failed();
        assert_eq!(at(&fw), (State::Downloaded, UpdateResult::UpdateFailed));
        fw.on_update().unwrap().integrity_failed();
        assert_eq!(at(&fw), (State::Idle, UpdateResult::IntegrityCheckFailure));
        fw.on_reset().unwrap();
        assert_eq!(at(&fw), (State::Idle, UpdateResult::Initial));
        fw.on_download().unwrap().downloaded();
        fw.on_reset().unwrap();
        assert_eq!(at(&fw), (State::Idle, UpdateResult::Initial));
    }

    #[test]
    fn snapshots_round_trip_and_refuse_damage() {
        let mut fw = FirmwareUpdate::new();
        fw.on_download().unwrap().downloaded();
        fw.on_update().unwrap();
        let snap = fw.snapshot();
        let mut restored = FirmwareUpdate::restore(&snap.0).unwrap();
        assert_eq!(at(&restored), (State::Updating, UpdateResult::Initial));
        // After a reboot in Updating, the restored machine reports the outcome.
        let Firmware::Updating(u) = restored.firmware() else {
            panic!()
        };
        u.failed();
        assert_eq!(
            at(&restored),
            (State::Downloaded, UpdateResult::UpdateFailed)
        );
        for i in 0..Snapshot::LEN {
            for bit in 0..8 {
                let mut bytes = snap.0;
                bytes[i] ^= 1 << bit;
                assert_eq!(
                    FirmwareUpdate::restore(&bytes),
                    Err(BadSnapshot),
                    "byte {i} bit {bit}"
                );
            }
        }
        assert_eq!(
            FirmwareUpdate::restore(&[0xff; 4]),
            Err(BadSnapshot),
            "erased flash"
        );
        assert_eq!(
            FirmwareUpdate::restore(&snap.0[..3]),
            Err(BadSnapshot),
            "torn"
        );
    }

    #[test]
    fn history_keeps_the_states_passed_through() {
        let mut fw = FirmwareUpdate::new();
        fw.on_download()
            .unwrap()
            .downloaded()
            .start_update()
            .succeeded();
        let seen: std::vec::Vec<u8> = fw.take_history().iter().map(|(s, _)| *s as u8).collect();
        assert_eq!(seen, [1, 2, 3, 0]);
        assert!(fw.take_history().is_empty());
    }

    #[test]
    fn values_are_the_resource_values() {
        for v in 0..=11u8 {
            assert_eq!(UpdateResult::from_u8(v).map(|r| r as u8), Some(v));
        }
        assert_eq!(UpdateResult::from_u8(12), None);
        assert_eq!(State::from_u8(4), None);
    }
}
