//! What the agent does between requests, when the client polls it: report each change of
//! State and Update Result in turn, then one piece of work (verify, install, start a
//! download), and the data of the downloads the client runs for it.

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::firmware_update::machine::Current;
use lwm2m_objects::firmware_update::{
    FirmwareUpdateProtocolSupport as Protocol, State, UpdateResult, resources,
};
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
            self.notice(Notice::Changed(next.0, next.1));
            cx.wake_at(cx.now());
            return;
        }
        self.showing = None;
        let before = self.machine.changes();
        match core::mem::take(&mut self.work) {
            Work::Idle => {}
            Work::Verify => {
                let _reported_by_update_result = self.verify();
            }
            Work::Update => {
                let _not_downloaded_any_more = self.update(false);
            }
            Work::Install => self.install(),
            Work::Download => self.start_download(cx),
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
        if self.work != Work::Idle || self.machine.changes() != before {
            cx.wake_at(cx.now());
        }
    }

    /// When a deferred update starts by itself (Maximum Defer Period), if it does.
    fn defer_deadline(&self) -> Option<lwm2m_runtime::client::Instant> {
        let since = self.deferred_since?;
        (self.machine.result() == UpdateResult::Deferred && self.max_defer > 0)
            .then(|| since.after(self.max_defer.saturating_mul(1000)))
    }

    /// The package is complete: verify it; start the update when a server asked for
    /// Automatic Upgrade at Download.
    pub(super) fn verify(&mut self) -> Result<(), FotaError> {
        if self.machine.state() != State::Downloading {
            return Ok(());
        }
        match self.slot.finish() {
            Ok(_) => {
                if let Current::Downloading(d) = self.machine.current() {
                    d.downloaded();
                }
                if self.auto_update {
                    self.work = Work::Update;
                }
                self.persist();
                Ok(())
            }
            Err(e) => {
                self.refused();
                self.fail_download(e);
                Err(e)
            }
        }
    }

    /// Schedules the verified package with the bootloader; the device then reboots.
    fn install(&mut self) {
        if self.machine.state() != State::Updating {
            return;
        }
        match self.slot.install() {
            Ok(()) => self.reboot = Some(Reboot::Install),
            Err(e) => {
                self.refused();
                if let Current::Updating(u) = self.machine.current() {
                    if e == FotaError::Integrity {
                        u.integrity_failed();
                    } else {
                        u.failed();
                    }
                }
            }
        }
    }

    /// Starts (or resumes) the download of the Package URI: over CoAP through the client,
    /// over HTTP(S) by the application.
    fn start_download(&mut self, cx: &mut Context<'_>) {
        if self.machine.state() != State::Downloading {
            return;
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
                self.download = None;
                self.work = Work::Verify;
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
