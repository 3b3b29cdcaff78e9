//! What the agent does at boot: it reconciles three witnesses that a power cut can leave out
//! of step: the bootloader's state, the install record and the persisted /5 snapshot.
//!
//! | install record | running image | bootloader | the agent |
//! |---|---|---|---|
//! | present | the new one | swapped (on trial) | self-test; pass: confirm, Update Result 1; fail: reboot unconfirmed, so the bootloader reverts |
//! | present | the new one | booted | it was confirmed before the cut: Update Result 1 |
//! | present | the old one | any | the install failed or never ran: Update Result 8 |
//! | none, /5 in Updating | the old one | any | power went before the install began: Update Result 8 |
//! | none | any | swapped | no record survived: trust the self-test, confirm |
//! | none | any | reverted | a stale revert: confirm the running image |
//!
//! Each step is idempotent, in this order: report (confirm), persist the snapshot, clear the
//! record; so a cut between two of them repeats the step at the next boot with the same
//! result.

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::firmware_update::machine::{Current, Machine};
use lwm2m_objects::firmware_update::{FirmwareUpdateDeliveryMethod, Severity, State};

use super::{Agent, Download, FirmwareUpdate, Notice, Reboot, Settings, Work};
use crate::boot::{BootError, BootState, Bootloader};
use crate::image::Verifier;
use crate::layout::Layout;
use crate::slot::{Boot, Slot};

/// The self-test a freshly swapped image runs before it is confirmed: it gets the first bytes
/// of the running image's body (up to 64) and says whether the image may stay.
pub trait SelfTest {
    /// Whether the new image works.
    fn passes(self, body_start: &[u8]) -> bool;
}

impl<T: FnOnce(&[u8]) -> bool> SelfTest for T {
    fn passes(self, body_start: &[u8]) -> bool {
        self(body_start)
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> FirmwareUpdate<F, V, B> {
    /// Boots the agent from `flash` laid out as `layout`: asks the bootloader what it did,
    /// verifies the running image, restores /5 from its records and reconciles them (see the
    /// module documentation). When a new image is on trial, `self_test` decides whether it
    /// stays. Hands the flash back with the error when nothing can run.
    pub fn boot(
        flash: F,
        layout: Layout,
        verifier: V,
        bootloader: B,
        settings: Settings,
        self_test: impl SelfTest,
    ) -> Result<Self, (F, BootError)> {
        let (slot, boot) = Slot::open(flash, layout, verifier, bootloader)?;
        let mut settings = settings;
        if !super::PULL {
            // A build that cannot download says so, whatever the application asked for.
            settings.delivery = FirmwareUpdateDeliveryMethod::PushOnly;
            settings.protocols.clear();
        }
        let mut agent = Agent {
            slot,
            machine: Machine::new(),
            settings,
            uri: heapless::String::new(),
            severity: Severity::Mandatory,
            max_defer: 0,
            auto_update: false,
            last_change: None,
            work: Work::Idle,
            next_step: None,
            download: None,
            deferred_since: None,
            replay: heapless::Deque::new(),
            showing: None,
            persisted: heapless::Vec::new(),
            unsaved: false,
            reboot: None,
            notices: heapless::Deque::new(),
        };
        info!(
            "booted image {} (bootloader: {:?}, install record: {})",
            agent.slot.running().version,
            boot.state,
            if boot.install.is_some() {
                "present"
            } else {
                "none"
            }
        );
        agent.notice(Notice::Booted {
            version: agent.slot.running().version,
            bootloader: boot.state,
        });
        match agent.reconcile(boot, self_test) {
            Ok(()) => Ok(Self {
                served: lwm2m_objects::firmware_update::Served(agent),
            }),
            Err(e) => {
                error!("boot: {}", e);
                Err((agent.slot.into_flash(), e))
            }
        }
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Agent<F, V, B> {
    fn reconcile(&mut self, boot: Boot, self_test: impl SelfTest) -> Result<(), BootError> {
        let records = self.slot.records().clone();
        let snapshot = records
            .snapshot(self.slot.flash_mut())
            .map_err(|_| BootError::Records)?;
        if let Some(snapshot) = snapshot {
            if self.restore(&snapshot).is_ok() {
                self.persisted = snapshot;
            } else {
                warn!("the persisted /5 snapshot is unreadable: starting from Idle");
                self.notice(Notice::SnapshotDropped);
            }
        }
        let running = self.slot.running().digest;
        let outcome = match (boot.install, boot.state) {
            (Some(install), BootState::Swapped) if install.new == running => {
                if !self.self_test(self_test) {
                    return Ok(());
                }
                Some(true)
            }
            (Some(install), _) if install.new == running => Some(true),
            (Some(_), _) => Some(false),
            (None, BootState::Swapped) => {
                if !self.self_test(self_test) {
                    return Ok(());
                }
                self.slot.confirm()?;
                None
            }
            // Updating persisted, but power went before the install was recorded: the old
            // image runs and the package waits in the slot. The update failed (8); the server
            // may execute it again.
            (None, _) if self.machine.state() == State::Updating => Some(false),
            (None, BootState::Reverted) => {
                self.slot.confirm()?;
                None
            }
            (None, BootState::Boot) => None,
        };
        match outcome {
            Some(true) => info!("boot: the new image runs: the update succeeded"),
            Some(false) => warn!("boot: the old image runs: the update failed"),
            None if boot.state == BootState::Swapped => {
                info!("boot: a swapped image with no install record: confirmed");
            }
            None if boot.state == BootState::Reverted => {
                info!("boot: the bootloader reverted: the running image is confirmed");
            }
            None => debug!("boot: no update under way"),
        }
        if let Some(success) = outcome {
            self.booted(success)?;
            self.persist();
            if boot.state == BootState::Reverted {
                self.slot.confirm()?;
            }
            self.slot.clear_install()?;
        }
        Ok(())
    }

    /// Runs the self-test on the running image; on failure asks for a reboot without
    /// confirming, so the bootloader reverts, and leaves everything else as it is.
    fn self_test(&mut self, test: impl SelfTest) -> bool {
        let mut head = [0u8; 64];
        let passed = self.slot.read_running_body(0, &mut head).is_ok() && test.passes(&head);
        self.notice(Notice::SelfTest { passed });
        if passed {
            info!("boot: the new image passed its self-test");
        } else {
            warn!("boot: the new image FAILED its self-test: rebooting unconfirmed to revert");
            self.reboot = Some(Reboot::SelfTestFailed);
        }
        passed
    }

    /// Reports how an install ended: in Updating, or still in Downloaded when power was lost
    /// between scheduling the install and persisting Updating.
    fn booted(&mut self, success: bool) -> Result<(), BootError> {
        let updating = match self.machine.current() {
            Current::Updating(h) => h,
            Current::Downloaded(h) => h.start_update(),
            _ => return Ok(()),
        };
        if !success {
            updating.failed();
            return Ok(());
        }
        // Confirm before reporting success: if the cut comes between, the next boot finds the
        // image confirmed and reports success then.
        match self.slot.confirm() {
            Ok(()) => {
                updating.succeeded();
                Ok(())
            }
            Err(e) => {
                error!("boot: the new image could not be confirmed: {}", e);
                updating.failed();
                Err(e)
            }
        }
    }

    /// Restores the machine, the URI and the settings from a snapshot. A download that was
    /// running resumes: a pull from what the slot holds; a push cannot (the server's
    /// block-wise transfer went with the connection), so it ends with Connection lost (4) and
    /// the server starts over from Idle.
    fn restore(&mut self, bytes: &[u8]) -> Result<(), super::snapshot::BadSnapshot> {
        let s = super::snapshot::Snapshot::decode(bytes)?;
        self.machine = s.machine;
        self.severity = s.severity;
        self.auto_update = s.auto_update;
        self.max_defer = s.max_defer;
        self.uri = s.uri;
        if self.machine.state() == State::Downloading {
            if self.uri.is_empty() {
                info!("boot: a push was under way: it ends with Connection lost (4)");
                if let Current::Downloading(push) = self.machine.current() {
                    push.failed(crate::error::FotaError::ConnectionLost.download_failure());
                }
            } else {
                info!(
                    "boot: resuming the pull of {} from byte {}",
                    self.uri.as_str(),
                    self.slot.written()
                );
                self.download = Some(Download {
                    etag: s.etag,
                    begun: true,
                    ..Download::default()
                });
                self.work = Work::Download;
            }
        }
        Ok(())
    }
}
