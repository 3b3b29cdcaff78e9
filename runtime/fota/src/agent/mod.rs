//! Object 5 (Firmware Update) served through the generated API: the update agent.
//!
//! [`FirmwareUpdate`] is an [`Object`] a client serves like any other. It implements the
//! generated `firmware_update::Handler` (every read, write and execute of /5 goes through the
//! types generated from `objects/xml/5.xml`), moves State and Update Result only through the
//! generated `firmware_update::machine` handles and table, streams Package writes and PULL
//! downloads into the [`Slot`], persists itself after every change, and reconciles what it
//! finds at boot (see [`FirmwareUpdate::boot`]).
//!
//! A request changes the machine at most once; slow work (verifying a whole image, installing
//! it) runs in [`Object::poll`], after the response has gone out: the last block of a push is
//! answered 2.04 at once whatever the image's size, and the verdict reaches the server through
//! State (Downloading until the image verified, then Downloaded) and Update Result (5 for an
//! image that fails its check, and so on). The check runs in steps of at most
//! [`Settings::verify_step`] bytes, one step per poll and at most one per millisecond of the
//! client's clock, never in the poll that follows the request that completed the package; so
//! no poll blocks for long, the client and the rest of the firmware run between steps, and a
//! runner that sends what a request queued before its next poll sends the answer before any
//! verification. Every change of State and Update Result is reported to the client in turn,
//! so a server observing them hears each.

mod boot;
mod handler;
mod snapshot;
mod work;

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::firmware_update::machine::Machine;
use lwm2m_objects::firmware_update::{
    self as fw, FirmwareUpdateDeliveryMethod as Delivery,
    FirmwareUpdateProtocolSupport as Protocol, Severity, State, UpdateResult,
};
use lwm2m_runtime::client::{Context, DownloadEvent, Instant};
use lwm2m_runtime::{Error, ExecuteArgs, Object, ObjectInfo, ReadSink, Time, Write};

use crate::boot::{BootState, Bootloader};
use crate::error::FotaError;
use crate::image::{ImageError, ImageInfo, Verifier, Version};
use crate::records::SNAPSHOT_MAX;
use crate::slot::Slot;

pub use boot::SelfTest;

/// What this device supports, and its policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `/5/0/9`: how a server may deliver packages.
    pub delivery: Delivery,
    /// `/5/0/8`: the Package URI schemes, in order. CoAP is downloaded by the client itself;
    /// HTTP(S) by the application ([`FirmwareUpdate::external_download`]).
    pub protocols: heapless::Vec<Protocol, 6>,
    /// Ask the application before installing: Update then defers (Update Result 11) until
    /// [`FirmwareUpdate::approve_update`], or until Maximum Defer Period runs out.
    pub require_approval: bool,
    /// `/5/0/6` PkgName of a verified package.
    pub package_name: heapless::String<32>,
    /// Bytes of a package hashed per poll while it is verified (before Downloaded, and again
    /// before the install); the last step checks the signature instead. 4096 by default: a
    /// few milliseconds of SHA-256 on a Cortex-M4, however large the image.
    pub verify_step: u32,
}

/// Whether this build downloads a Package URI (the `pull` feature).
pub(crate) const PULL: bool = cfg!(feature = "pull");

/// [`Settings::verify_step`] by default.
pub const DEFAULT_VERIFY_STEP: u32 = 4096;

impl Default for Settings {
    /// Push and pull over CoAP (push only without the `pull` feature), no approval, packages
    /// named "firmware", 4 KiB hashed a poll.
    fn default() -> Self {
        let mut protocols = heapless::Vec::new();
        if PULL {
            let _ = protocols.push(Protocol::Coap);
        }
        Self {
            delivery: if PULL {
                Delivery::BothPushAndPull
            } else {
                Delivery::PushOnly
            },
            protocols,
            require_approval: false,
            package_name: heapless::String::try_from("firmware").unwrap_or_default(),
            verify_step: DEFAULT_VERIFY_STEP,
        }
    }
}

/// Why the agent wants the device to reboot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Reboot {
    /// A verified package is scheduled: the bootloader swaps it in.
    Install,
    /// The new image failed its self-test: reboot unconfirmed so the bootloader reverts.
    SelfTestFailed,
}

/// Something the agent did, for a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// It booted this image.
    Booted {
        /// The running version.
        version: Version,
        /// What the bootloader did.
        bootloader: BootState,
    },
    /// The new image ran its self-test.
    SelfTest {
        /// Whether it passed.
        passed: bool,
    },
    /// State or Update Result changed (each change, in order).
    Changed(State, UpdateResult),
    /// A package was refused, and why.
    Refused(ImageError),
    /// A download for the application to run (HTTP): see [`FirmwareUpdate::external_download`].
    Download,
    /// The flash failed while the agent persisted its state (it tries again at every poll)
    /// or erased a dropped package (the next download erases it).
    FlashFailed,
    /// The persisted /5 snapshot was unreadable and was dropped.
    SnapshotDropped,
}

/// What [`Object::poll`] does next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Work {
    #[default]
    Idle,
    /// The package is complete: verify it, a step a poll.
    Verify,
    /// Update was executed (or is due): install, or defer when approval is required.
    Update,
    /// The install was accepted: verify the package again, a step a poll, then schedule it
    /// with the bootloader.
    Install,
    /// A Package URI was written (or a download resumes after a reboot): start it.
    Download,
}

/// A download the client runs (CoAP) or the application runs (HTTP).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Download {
    /// The package's ETag, once the server gave one.
    etag: heapless::Vec<u8, 8>,
    /// Whether the slot was prepared for it.
    begun: bool,
    /// Run by the application rather than the client.
    external: bool,
    /// Stop the client's download at the next poll (cancelled, reset, failed).
    abort: bool,
}

/// The /5 handler: everything the generated `Handler` methods reach.
pub(crate) struct Agent<F, V: Verifier, B> {
    slot: Slot<F, V, B>,
    machine: Machine,
    settings: Settings,
    uri: heapless::String<255>,
    severity: Severity,
    max_defer: u64,
    auto_update: bool,
    last_change: Option<Time>,
    work: Work,
    /// When the next step of a check (Verify, Install) may run; `None` until the first poll
    /// after the check was queued, which only sets it.
    next_step: Option<Instant>,
    download: Option<Download>,
    /// When the update was deferred (11), as the poll that saw it first; Maximum Defer
    /// Period counts from it.
    deferred_since: Option<Instant>,
    /// Changes not reported yet, oldest first, and the one being reported.
    replay: heapless::Deque<(State, UpdateResult), 4>,
    showing: Option<(State, UpdateResult)>,
    persisted: heapless::Vec<u8, SNAPSHOT_MAX>,
    /// The last persist failed: the next poll tries again.
    unsaved: bool,
    reboot: Option<Reboot>,
    notices: heapless::Deque<Notice, 8>,
}

/// Object 5 (Firmware Update) over flash `F`, images checked by `V`, swapped by `B`.
pub struct FirmwareUpdate<F, V: Verifier, B> {
    served: fw::Served<Agent<F, V, B>>,
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> FirmwareUpdate<F, V, B> {
    /// /5 State and Update Result.
    pub fn state(&self) -> (State, UpdateResult) {
        let m = &self.served.0.machine;
        (m.state(), m.result())
    }

    /// The running image.
    pub fn running(&self) -> &ImageInfo {
        self.served.0.slot.running()
    }

    /// Whether (and why) the device must reboot, once the datagrams queued now are sent.
    pub fn reboot_requested(&self) -> Option<Reboot> {
        self.served.0.reboot
    }

    /// The next notice for a log.
    pub fn take_notice(&mut self) -> Option<Notice> {
        self.served.0.notices.pop_front()
    }

    /// The application approves a deferred update: it starts at the next poll.
    pub fn approve_update(&mut self) -> Result<(), Error> {
        let agent = &mut self.served.0;
        if agent.machine.result() != UpdateResult::Deferred {
            return Err(Error::MethodNotAllowed);
        }
        agent.update(true)
    }

    /// A download the application runs (HTTP), when one is due: the Package URI and the byte
    /// to resume from. Feed it with [`FirmwareUpdate::download_chunk`], then
    /// [`FirmwareUpdate::download_finished`] or [`FirmwareUpdate::download_failed`].
    pub fn external_download(&self) -> Option<(&str, u32)> {
        let agent = &self.served.0;
        agent
            .external_download()
            .map(|()| (agent.uri.as_str(), agent.slot.written()))
    }

    /// Bytes of the application's download at `offset`.
    pub fn download_chunk(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FotaError> {
        let agent = &mut self.served.0;
        if agent.external_download().is_none() {
            return Err(FotaError::UpdateFailed);
        }
        agent.store(offset, bytes)
    }

    /// The application's download is complete: it is verified at the next poll.
    pub fn download_finished(&mut self) -> Result<(), Error> {
        let agent = &mut self.served.0;
        agent.external_download().ok_or(Error::MethodNotAllowed)?;
        agent.download = None;
        agent.queue(Work::Verify);
        Ok(())
    }

    /// The application's download failed.
    pub fn download_failed(&mut self, error: FotaError) {
        let agent = &mut self.served.0;
        if agent.external_download().is_some() {
            agent.fail_download(error);
        }
    }

    /// The flash (tests look at its simulated power).
    pub fn flash_mut(&mut self) -> &mut F {
        self.served.0.slot.flash_mut()
    }

    /// Gives the flash back: a reboot starts over from it.
    pub fn into_flash(self) -> F {
        self.served.0.slot.into_flash()
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Agent<F, V, B> {
    fn external_download(&self) -> Option<()> {
        let d = self.download.as_ref()?;
        (d.external && self.machine.state() == State::Downloading).then_some(())
    }

    /// Sets the work for the next polls; a check starts over with its pace.
    fn queue(&mut self, work: Work) {
        self.work = work;
        self.next_step = None;
    }

    fn notice(&mut self, n: Notice) {
        if self.notices.is_full() {
            let _ = self.notices.pop_front();
        }
        let _ = self.notices.push_back(n);
    }

    /// Stores package bytes; a failure ends the download with its result.
    fn store(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FotaError> {
        let r = self.slot.write(offset, bytes);
        if let Err(e) = r {
            self.refused();
            self.fail_download(e);
        }
        r
    }

    /// Reports the image problem the slot met, if any.
    fn refused(&mut self) {
        if let Some(e) = self.slot.take_last_error() {
            warn!("package refused: {}", e);
            self.notice(Notice::Refused(e));
        }
    }

    /// Ends a download with `error`'s result (from Downloading only).
    fn fail_download(&mut self, error: FotaError) {
        warn!("the download ends: {}", error);
        if let Some(d) = self.download.as_mut() {
            d.abort = true;
            d.external = false;
        }
        if let lwm2m_objects::firmware_update::machine::Current::Downloading(d) =
            self.machine.current()
        {
            d.failed(error.download_failure());
        }
        self.queue(Work::Idle);
        self.persist();
    }

    /// Update executed or due: install now, or defer until `approved` when the settings
    /// require approval.
    fn update(&mut self, approved: bool) -> Result<(), Error> {
        use lwm2m_objects::firmware_update::machine::Current;
        let Current::Downloaded(downloaded) = self.machine.current() else {
            return Err(Error::MethodNotAllowed);
        };
        if self.settings.require_approval && !approved {
            // Maximum Defer Period counts from the poll that reports the deferral.
            downloaded.defer();
            info!("update deferred until the application approves it");
        } else {
            downloaded.start_update();
            self.queue(Work::Install);
        }
        self.persist();
        Ok(())
    }

    /// Persists the snapshot if it changed since the last time.
    fn persist(&mut self) {
        let snapshot = self.snapshot();
        if snapshot == self.persisted {
            return;
        }
        let records = self.slot.records().clone();
        match records.set_snapshot(self.slot.flash_mut(), &snapshot) {
            Ok(()) => {
                if self.unsaved {
                    info!("the /5 snapshot is written again");
                }
                self.persisted = snapshot;
                self.unsaved = false;
            }
            Err(_) => {
                if !self.unsaved {
                    error!("the /5 snapshot could not be written; trying again at every poll");
                }
                self.unsaved = true;
                self.notice(Notice::FlashFailed);
            }
        }
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Object for FirmwareUpdate<F, V, B> {
    fn info(&self) -> &'static ObjectInfo {
        self.served.info()
    }

    fn instances(&self, f: &mut dyn FnMut(u16)) {
        self.served.instances(f)
    }

    fn read(&mut self, instance: u16, resource: u16, out: &mut dyn ReadSink) -> Result<(), Error> {
        self.served.read(instance, resource, out)
    }

    fn write(&mut self, instance: u16, resource: u16, write: Write<'_, '_>) -> Result<(), Error> {
        self.served.write(instance, resource, write)
    }

    fn accepts_chunks(&self, resource: u16) -> bool {
        self.served.accepts_chunks(resource)
    }

    fn chunk_capacity(&self, resource: u16) -> Option<u32> {
        (resource == fw::resources::PACKAGE).then(|| self.served.0.slot.capacity())
    }

    fn execute(
        &mut self,
        instance: u16,
        resource: u16,
        args: ExecuteArgs<'_>,
    ) -> Result<(), Error> {
        self.served.execute(instance, resource, args)
    }

    fn poll(&mut self, cx: &mut Context<'_>) {
        self.served.0.poll(cx);
    }

    fn download(&mut self, cx: &mut Context<'_>, event: DownloadEvent<'_>) {
        self.served.0.on_download(cx, event);
    }
}
