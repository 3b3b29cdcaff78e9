//! What the agent does between requests, when the client polls it: report each change of
//! State and Update Result in turn, then one piece of work (a step of a verification or of
//! an install, an update, the start of a download), and the data of the downloads the client
//! runs for it.

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::firmware_update::machine::Current;
use lwm2m_objects::firmware_update::{
    FirmwareUpdateProtocolSupport as Protocol, State, UpdateResult, resources,
};
use lwm2m_runtime::Enumeration;
use lwm2m_runtime::client::{
    Context, DownloadError, DownloadEvent, DownloadRequest, DownloadUri, Scheme,
};

use super::{Agent, Notice, Reboot, Work};
use crate::boot::Bootloader;
use crate::error::FotaError;
use crate::image::Verifier;

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Agent<F, V, B> {
    /// One poll: at most one report or one step of work, asking to be polled again at once
    /// while more remains.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) {
        if self.machine.result() != UpdateResult::Deferred {
            self.deferred_since = None;
        } else if self.deferred_since.is_none() {
            self.deferred_since = Some(cx.now());
        }
        if self.download.as_ref().is_some_and(|d| d.abort) {
            cx.cancel_download();
            self.download = None;
        }
        for passed in self.machine.take_passed() {
            if self.replay.is_full() {
                let _ = self.replay.pop_front();
            }
            let _ = self.replay.push_back(passed);
        }
        if let Some(next) = self.replay.pop_front() {
            // While older changes are told, reads show them; the last one is the current.
            self.showing = (!self.replay.is_empty()).then_some(next);
            if let Some(clock) = cx.clock() {
                self.last_change = Some(clock);
                cx.changed(0, resources::LAST_STATE_CHANGE_TIME);
            }
            cx.changed(0, resources::STATE);
            cx.changed(0, resources::UPDATE_RESULT);
            info!(
                "State {} ({}), Update Result {} ({})",
                next.0.value(),
                next.0.label(),
                next.1.value(),
                next.1.label()
            );
            self.notice(Notice::Changed(next.0, next.1));
            cx.wake_at(cx.now());
            return;
        }
        self.showing = None;
        let before = self.machine.changes();
        match self.work {
            Work::Idle => {}
            Work::Verify | Work::Install => self.check_step(cx),
            Work::Update => {
                self.work = Work::Idle;
                let _not_downloaded_any_more = self.update(false);
            }
            Work::Download => {
                self.work = Work::Idle;
                self.start_download(cx);
            }
        }
        if let Some(due) = self.defer_deadline() {
            if due <= cx.now() {
                let _not_deferred_any_more = self.update(true);
            } else {
                cx.wake_at(due);
            }
        }
        if self.machine.changes() != before || self.unsaved {
            // What a request changed was persisted by its handler; what the work changed, or
            // a persist that failed, is persisted here (most polls write nothing).
            self.persist();
        }
        if matches!(self.work, Work::Update | Work::Download) || self.machine.changes() != before {
            cx.wake_at(cx.now());
        }
    }

    /// One step of the check under way (Verify, Install), at its pace: none in the poll that
    /// finds it queued (the one right after the request that queued it, whose answer is still
    /// to be sent), then at most one a millisecond, each asking for the next.
    fn check_step(&mut self, cx: &mut Context<'_>) {
        let now = cx.now();
        let due = *self.next_step.get_or_insert(now.after(1));
        if now < due {
            cx.wake_at(due);
            return;
        }
        match self.work {
            Work::Verify => self.verify_step(),
            Work::Install => self.install_step(),
            Work::Idle | Work::Update | Work::Download => {}
        }
        if matches!(self.work, Work::Verify | Work::Install) {
            self.next_step = Some(now.after(1));
            cx.wake_at(now.after(1));
        } else {
            self.next_step = None;
        }
    }

    /// When a deferred update starts by itself (Maximum Defer Period), if it does.
    fn defer_deadline(&self) -> Option<lwm2m_runtime::client::Instant> {
        let since = self.deferred_since?;
        (self.machine.result() == UpdateResult::Deferred && self.max_defer > 0)
            .then(|| since.after(self.max_defer.saturating_mul(1000)))
    }

    /// A step of verifying the complete package: the first flushes it and begins the check;
    /// each hashes at most [`super::Settings::verify_step`] bytes; the last checks the signature
    /// and moves to Downloaded (and starts the update when a server asked for Automatic
    /// Upgrade at Download), or to Idle with the Update Result of what failed.
    fn verify_step(&mut self) {
        if self.machine.state() != State::Downloading {
            self.work = Work::Idle;
            return;
        }
        if !self.slot.checking()
            && let Err(e) = self.slot.finish()
        {
            return self.verify_failed(e);
        }
        match self.slot.step(self.settings.verify_step) {
            Ok(None) => {}
            Ok(Some(info)) => {
                info!("package {} verified ({} bytes)", info.version, info.len);
                self.work = Work::Idle;
                if let Current::Downloading(d) = self.machine.current() {
                    d.downloaded();
                }
                if self.auto_update {
                    self.queue(Work::Update);
                }
                self.persist();
            }
            Err(e) => self.verify_failed(e),
        }
    }

    fn verify_failed(&mut self, e: FotaError) {
        self.refused();
        self.fail_download(e);
    }

    /// A step of the install: the first begins checking the package again, each hashes at
    /// most [`super::Settings::verify_step`] bytes, the last records the install and schedules
    /// it with the bootloader; the device then reboots.
    fn install_step(&mut self) {
        if self.machine.state() != State::Updating {
            self.work = Work::Idle;
            return;
        }
        if !self.slot.checking()
            && let Err(e) = self.slot.begin_install()
        {
            return self.install_failed(e);
        }
        match self.slot.step(self.settings.verify_step) {
            Ok(None) => {}
            Ok(Some(info)) => {
                info!(
                    "package {} scheduled with the bootloader: rebooting to install it",
                    info.version
                );
                self.work = Work::Idle;
                self.reboot = Some(Reboot::Install);
            }
            Err(e) => self.install_failed(e),
        }
    }

    fn install_failed(&mut self, e: FotaError) {
        warn!("the install failed: {}", e);
        self.work = Work::Idle;
        self.refused();
        if let Current::Updating(u) = self.machine.current() {
            if e == FotaError::Integrity {
                u.integrity_failed();
            } else {
                u.failed();
            }
        }
    }

    /// Starts (or resumes) the download of the Package URI: over CoAP through the client,
    /// over HTTP(S) by the application.
    fn start_download(&mut self, cx: &mut Context<'_>) {
        if self.machine.state() != State::Downloading {
            return;
        }
        if !super::PULL {
            // A pull recorded by a build that had them: this one cannot go on with it.
            return self.fail_download(FotaError::UnsupportedProtocol);
        }
        let uri = match DownloadUri::parse(&self.uri) {
            Ok(uri) => uri,
            Err(e) => return self.fail_download(failure(e)),
        };
        let protocol = match uri.scheme {
            Scheme::Coap => Protocol::Coap,
            Scheme::Coaps => Protocol::Coaps,
            Scheme::Http => Protocol::Http11,
            Scheme::Https => Protocol::Https11,
        };
        if !self.settings.protocols.contains(&protocol) {
            return self.fail_download(FotaError::UnsupportedProtocol);
        }
        let written = self.slot.written();
        let Some(d) = self.download.as_mut() else {
            return;
        };
        if matches!(uri.scheme, Scheme::Http | Scheme::Https) {
            if !d.begun {
                d.begun = true;
                if let Err(e) = self.slot.begin(None) {
                    self.refused();
                    return self.fail_download(e);
                }
            }
            if let Some(d) = self.download.as_mut() {
                d.external = true;
            }
            self.notice(Notice::Download);
            return;
        }
        let from = if d.begun { written } else { 0 };
        let request = DownloadRequest {
            uri: &self.uri,
            from,
            etag: &d.etag,
            // Not kept across reboots: a resume is checked by its ETag, when the server has one.
            size: None,
        };
        if let Err(e) = cx.download(request) {
            self.fail_download(failure(e));
        }
    }

    /// What the client's download of the Package URI delivered.
    pub(super) fn on_download(&mut self, cx: &mut Context<'_>, event: DownloadEvent<'_>) {
        let Some(d) = self.download.as_mut().filter(|d| !d.abort && !d.external) else {
            cx.cancel_download();
            return;
        };
        match event {
            DownloadEvent::Started { total, etag } => {
                if d.etag.is_empty() {
                    d.etag =
                        heapless::Vec::from_slice(etag.get(..etag.len().min(8)).unwrap_or(&[]))
                            .unwrap_or_default();
                }
                if !d.begun {
                    d.begun = true;
                    if let Err(e) = self.slot.begin(total) {
                        self.refused();
                        self.fail_download(e);
                        cx.cancel_download();
                        return;
                    }
                }
                self.persist();
            }
            DownloadEvent::Data { offset, bytes } => {
                if self.store(offset, bytes).is_err() {
                    cx.cancel_download();
                }
            }
            DownloadEvent::Finished => {
                // Verified by the polls that follow, a step each, as a push is.
                info!(
                    "download complete ({} bytes): verifying it",
                    self.slot.written()
                );
                self.download = None;
                self.queue(Work::Verify);
                cx.wake_at(cx.now());
            }
            DownloadEvent::Failed(e) => {
                self.fail_download(failure(e));
                self.download = None;
            }
        }
    }
}

/// The failure a download problem reports.
fn failure(e: DownloadError) -> FotaError {
    match e {
        DownloadError::InvalidUri | DownloadError::NotFound => FotaError::InvalidUri,
        DownloadError::UnsupportedScheme => FotaError::UnsupportedProtocol,
        DownloadError::Unreachable | DownloadError::Busy => FotaError::ConnectionLost,
        DownloadError::Changed => FotaError::Integrity,
        DownloadError::BadResponse => FotaError::UnsupportedPackage,
        DownloadError::TooLarge => FotaError::NoSpace,
    }
}
