//! What a server's requests do to /5: the generated `firmware_update::Handler`, one method per
//! operation the definition allows. Each request changes the machine at most once; what
//! follows (verifying, installing, starting a download) is left to the polls after it, so
//! every answer, the one to the last block of a package included, goes out at once.
//!
//! Every refusal is logged (debug: a server that asks what the state forbids is not an
//! error of the device), with the path and why.

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::firmware_update::machine::Current;
use lwm2m_objects::firmware_update::{
    FirmwareUpdateDeliveryMethod as Delivery, FirmwareUpdateProtocolSupport as Protocol, Handler,
    Severity, State, UpdateResult, resources,
};
use lwm2m_runtime::heapless::String;
use lwm2m_runtime::{Chunk, Enumeration, Error, ExecuteArgs, Instances, Time};

use super::{Agent, Download, Work};
use crate::boot::Bootloader;
use crate::error::FotaError;
use crate::image::Verifier;

/// The one instance of /5.
fn only(instance: u16) -> Result<(), Error> {
    if instance == 0 {
        Ok(())
    } else {
        debug!("/5/{} refused: /5 has only instance 0", instance);
        Err(Error::NotFound)
    }
}

/// Logs a refused request to resource `resource` in State `state`, and gives `error` back.
fn refuse(resource: u16, state: State, why: &str, error: Error) -> Error {
    debug!(
        "/5/0/{} refused with {} in State {} ({}): {}",
        resource,
        code(error),
        state.value(),
        state.label(),
        why
    );
    error
}

/// The CoAP code `error` answers with, for a log.
fn code(error: Error) -> &'static str {
    match error.coap_code() {
        (4, 0) => "4.00",
        (4, 4) => "4.04",
        (4, 5) => "4.05",
        (4, 8) => "4.08",
        (4, 13) => "4.13",
        (5, 0) => "5.00",
        _ => "an error",
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Agent<F, V, B> {
    /// State and Update Result as observers are being told them: a change not reported yet
    /// reads as itself while it is reported.
    fn shown(&self) -> (State, UpdateResult) {
        self.showing
            .unwrap_or((self.machine.state(), self.machine.result()))
    }

    /// Back to Idle with Update Result 0, the package deleted: an empty Package URI or a
    /// Package of one NUL byte. Refused while Updating.
    fn reset(&mut self, resource: u16) -> Result<(), Error> {
        match self.machine.current() {
            Current::Idle(h) => {
                h.reset();
            }
            Current::Downloading(h) => {
                h.reset();
            }
            Current::Downloaded(h) => {
                h.reset();
            }
            Current::Updating(_) => {
                return Err(refuse(
                    resource,
                    State::Updating,
                    "a reset while the package is installed",
                    Error::MethodNotAllowed,
                ));
            }
        }
        info!("reset: back to Idle, the package dropped");
        self.abandon();
        Ok(())
    }

    /// Drops the package and any download, after a reset or a cancel.
    fn abandon(&mut self) {
        if let Some(d) = self.download.as_mut() {
            d.abort = true;
            d.external = false;
        }
        self.uri.clear();
        self.queue(Work::Idle);
        if let Err(e) = self.slot.cancel() {
            // The package stays in the slot but is no longer trusted: the next download
            // begins by erasing it.
            error!("the dropped package could not be erased: {:?}", e);
            self.notice(super::Notice::FlashFailed);
        }
        self.persist();
    }

    /// The first block of a pushed package: Downloading, the slot prepared.
    fn begin_push(&mut self, total: Option<u32>) -> Result<(), Error> {
        let state = self.machine.state();
        let refused = |why| {
            Err(refuse(
                resources::PACKAGE,
                state,
                why,
                Error::MethodNotAllowed,
            ))
        };
        if self.settings.delivery == Delivery::PullOnly {
            return refused("this device takes pulls only");
        }
        if self.download.as_ref().is_some_and(|d| !d.abort) {
            return refused("a pull is under way: a push would mix two packages");
        }
        match self.machine.current() {
            Current::Idle(h) => {
                h.start_download();
                // A push has no Package URI: one left by an earlier pull would make a reboot
                // resume that pull instead of ending the push.
                self.uri.clear();
            }
            // A server restarting its push from the first block.
            Current::Downloading(_) => {}
            Current::Downloaded(_) | Current::Updating(_) => {
                return refused("a package is already here (reset first)");
            }
        }
        self.queue(Work::Idle);
        if let Err(e) = self.slot.begin(total) {
            self.refused();
            self.fail_download(e);
            return Err(e.coap_error());
        }
        info!("push begins ({:?} bytes announced)", total);
        self.persist();
        Ok(())
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Handler for Agent<F, V, B> {
    fn write_package(&mut self, instance: u16, chunk: Chunk<'_>) -> Result<(), Error> {
        only(instance)?;
        if chunk.offset == 0 {
            if chunk.last && chunk.bytes == [0] {
                return self.reset(resources::PACKAGE);
            }
            self.begin_push(chunk.total)?;
        } else if self.work == Work::Verify {
            return Err(refuse(
                resources::PACKAGE,
                State::Downloading,
                "a block after the last one, while the package is verified",
                Error::Incomplete,
            ));
        }
        if self.machine.state() != State::Downloading
            || self.download.as_ref().is_some_and(|d| !d.abort)
        {
            return Err(refuse(
                resources::PACKAGE,
                self.machine.state(),
                "a block of a push that was reset, cancelled or failed",
                Error::Incomplete,
            ));
        }
        self.store(chunk.offset, chunk.bytes)
            .map_err(FotaError::coap_error)?;
        if chunk.last {
            // Answered 2.04 at once: the polls that follow verify the package, a step each,
            // and State and Update Result tell the server how it went.
            let len = chunk.offset.saturating_add(chunk.bytes.len() as u32);
            info!("push complete ({} bytes): verifying it", len);
            self.queue(Work::Verify);
        }
        Ok(())
    }

    fn read_package_uri(&mut self, instance: u16) -> Result<String<255>, Error> {
        only(instance)?;
        Ok(self.uri.clone())
    }

    fn write_package_uri(&mut self, instance: u16, value: String<255>) -> Result<(), Error> {
        only(instance)?;
        if value.is_empty() {
            return self.reset(resources::PACKAGE_URI);
        }
        let state = self.machine.state();
        let refused = |why| {
            Err(refuse(
                resources::PACKAGE_URI,
                state,
                why,
                Error::MethodNotAllowed,
            ))
        };
        if !super::PULL || self.settings.delivery == Delivery::PushOnly {
            return refused("this device takes pushes only");
        }
        // A new package is taken only from Idle (reset first).
        let Current::Idle(idle) = self.machine.current() else {
            return refused("a package is taken only in Idle (reset first)");
        };
        idle.start_download();
        info!("Package URI written: pulling {}", value.as_str());
        self.uri = value;
        self.download = Some(Download::default());
        self.queue(Work::Download);
        self.persist();
        Ok(())
    }

    fn execute_update(&mut self, instance: u16, args: ExecuteArgs<'_>) -> Result<(), Error> {
        only(instance)?;
        let _ = args;
        let state = self.machine.state();
        self.update(false)
            .map_err(|e| refuse(resources::UPDATE, state, "Update needs a package", e))
    }

    fn read_state(&mut self, instance: u16) -> Result<State, Error> {
        only(instance)?;
        Ok(self.shown().0)
    }

    fn read_update_result(&mut self, instance: u16) -> Result<UpdateResult, Error> {
        only(instance)?;
        Ok(self.shown().1)
    }

    fn read_pkg_name(&mut self, instance: u16) -> Result<String<255>, Error> {
        only(instance)?;
        self.package()?;
        String::try_from(self.settings.package_name.as_str()).map_err(|_| Error::Internal)
    }

    fn read_pkg_version(&mut self, instance: u16) -> Result<String<255>, Error> {
        only(instance)?;
        let version = self.package()?;
        String::try_from(version.text().as_str()).map_err(|_| Error::Internal)
    }

    fn read_firmware_update_protocol_support(
        &mut self,
        instance: u16,
    ) -> Result<Instances<Protocol, 8>, Error> {
        only(instance)?;
        let mut out = Instances::new();
        for (i, p) in self.settings.protocols.iter().enumerate() {
            out.insert(i as u16, *p).map_err(|_| Error::Internal)?;
        }
        Ok(out)
    }

    fn read_firmware_update_delivery_method(&mut self, instance: u16) -> Result<Delivery, Error> {
        only(instance)?;
        Ok(self.settings.delivery)
    }

    fn execute_cancel(&mut self, instance: u16, args: ExecuteArgs<'_>) -> Result<(), Error> {
        only(instance)?;
        let _ = args;
        match self.machine.current() {
            Current::Downloading(h) => {
                h.cancel();
            }
            Current::Downloaded(h) => {
                h.cancel();
            }
            Current::Idle(_) | Current::Updating(_) => {
                return Err(refuse(
                    resources::CANCEL,
                    self.machine.state(),
                    "nothing to cancel",
                    Error::MethodNotAllowed,
                ));
            }
        }
        info!("cancelled: the package is dropped");
        self.abandon();
        Ok(())
    }

    fn read_severity(&mut self, instance: u16) -> Result<Severity, Error> {
        only(instance)?;
        Ok(self.severity)
    }

    fn write_severity(&mut self, instance: u16, value: Severity) -> Result<(), Error> {
        only(instance)?;
        self.severity = value;
        self.persist();
        Ok(())
    }

    fn read_last_state_change_time(&mut self, instance: u16) -> Result<Time, Error> {
        only(instance)?;
        self.last_change.ok_or(Error::NotFound)
    }

    fn read_maximum_defer_period(&mut self, instance: u16) -> Result<u64, Error> {
        only(instance)?;
        Ok(self.max_defer)
    }

    fn write_maximum_defer_period(&mut self, instance: u16, value: u64) -> Result<(), Error> {
        only(instance)?;
        self.max_defer = value;
        self.persist();
        Ok(())
    }

    fn read_automatic_upgrade_at_download(&mut self, instance: u16) -> Result<bool, Error> {
        only(instance)?;
        Ok(self.auto_update)
    }

    fn write_automatic_upgrade_at_download(
        &mut self,
        instance: u16,
        value: bool,
    ) -> Result<(), Error> {
        only(instance)?;
        self.auto_update = value;
        self.persist();
        Ok(())
    }
}

impl<F: NorFlash, V: Verifier, B: Bootloader<F>> Agent<F, V, B> {
    /// The version of the verified package, while there is one (Downloaded, Updating).
    fn package(&self) -> Result<crate::image::Version, Error> {
        match self.machine.state() {
            State::Downloaded | State::Updating => self
                .slot
                .verified()
                .map(|v| v.version)
                .ok_or(Error::NotFound),
            _ => Err(Error::NotFound),
        }
    }
}
