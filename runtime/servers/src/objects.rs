//! Objects 0 and 1 as the client serves them, borrowed from [`Accounts`](crate::Accounts)
//! for one call of the client.
//!
//! * [`SecurityObject`]: /0 through the generated `lwm2m_security::Served`. Its resources
//!   list no operation, so the client refuses every request of a normal server on it with
//!   4.01 Unauthorized (Read, Discover, Observe, Write, Execute, even on an instance that
//!   does not exist, which tells nothing about what does) and leaves it out of Register.
//!   Only [`Accounts::bootstrap_write`](crate::Accounts::bootstrap_write) changes it.
//! * [`ServerObject`]: /1 through the generated `lwm2m_server::Handler`. A server's write is
//!   checked value by value before any changes ([`Object::validate`]), then persisted and
//!   handed to the client as new settings at the poll that follows the request;
//!   Registration Update Trigger and Disable become asks of the client at that poll too,
//!   after the answer to the Execute is queued.

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::lwm2m_security;
use lwm2m_objects::lwm2m_server::{self, resources as r};
use lwm2m_runtime::client::{Context, ServerSettings};
use lwm2m_runtime::heapless::String;
use lwm2m_runtime::{Error, ExecuteArgs, Object, ObjectInfo, ReadSink, Value, ValueType, Write};

use crate::accounts::{Pending, SecuritySlots, ServerSlots, persist};
use crate::records::{MAX_ACCOUNTS, Records};
use crate::server::ServerInstance;

/// The IDs of the instances in `slots`, in increasing order.
fn instance_ids<T>(slots: &[Option<(u16, T)>], f: &mut dyn FnMut(u16)) {
    let mut ids: heapless::Vec<u16, MAX_ACCOUNTS> =
        slots.iter().flatten().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.into_iter().for_each(f);
}

/// The instances of /0, for the generated `Served`.
pub struct SecurityHandler<'a> {
    security: &'a SecuritySlots,
}

impl lwm2m_security::Handler for SecurityHandler<'_> {
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        instance_ids(self.security, f);
    }
}

/// Object 0 (LwM2M Security), for one call of the client.
pub struct SecurityObject<'a> {
    served: lwm2m_security::Served<SecurityHandler<'a>>,
}

impl<'a> SecurityObject<'a> {
    pub(crate) fn new(security: &'a SecuritySlots) -> Self {
        Self {
            served: lwm2m_security::Served(SecurityHandler { security }),
        }
    }
}

impl Object for SecurityObject<'_> {
    fn info(&self) -> &'static ObjectInfo {
        self.served.info()
    }

    fn instances(&self, f: &mut dyn FnMut(u16)) {
        self.served.instances(f);
    }

    fn read(&mut self, instance: u16, resource: u16, out: &mut dyn ReadSink) -> Result<(), Error> {
        self.served.read(instance, resource, out)
    }

    fn write(&mut self, instance: u16, resource: u16, write: Write<'_, '_>) -> Result<(), Error> {
        self.served.write(instance, resource, write)
    }

    fn execute(
        &mut self,
        instance: u16,
        resource: u16,
        args: ExecuteArgs<'_>,
    ) -> Result<(), Error> {
        self.served.execute(instance, resource, args)
    }
}

/// The instances of /1, for the generated `Handler`.
pub struct ServerHandler<'a> {
    pub(crate) servers: &'a mut ServerSlots,
    pub(crate) pending: &'a mut Pending,
}

impl ServerHandler<'_> {
    fn get(&self, instance: u16) -> Result<&ServerInstance, Error> {
        crate::accounts::find(self.servers, instance)
            .map(|(_, s)| s)
            .ok_or(Error::NotFound)
    }

    /// Sets a resource of an instance through its checks, and marks it to be persisted
    /// and told to the client.
    fn set(&mut self, instance: u16, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let slot = self
            .servers
            .iter()
            .position(|s| s.as_ref().is_some_and(|(id, _)| *id == instance))
            .ok_or(Error::NotFound)?;
        let (_, server) = self
            .servers
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(Error::NotFound)?;
        let mut next = server.clone();
        next.set(resource, value)?;
        if next != *server {
            *server = next;
            if let Some(changed) = self.pending.changed.get_mut(slot) {
                *changed = true;
            }
            if let Some(unsaved) = self.pending.unsaved.get_mut(slot) {
                *unsaved = true;
            }
        }
        Ok(())
    }

    fn settings(&self, instance: u16) -> Result<ServerSettings, Error> {
        self.get(instance).map(ServerInstance::settings)
    }
}

/// A present optional resource, or 4.04.
fn present<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or(Error::NotFound)
}

impl lwm2m_server::Handler for ServerHandler<'_> {
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        instance_ids(self.servers, f);
    }

    fn read_short_server_id(&mut self, instance: u16) -> Result<u16, Error> {
        Ok(self.get(instance)?.short_server_id)
    }

    fn read_lifetime(&mut self, instance: u16) -> Result<i64, Error> {
        Ok(self.get(instance)?.lifetime)
    }

    fn write_lifetime(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::LIFETIME, &value.to_value())
    }

    fn read_default_minimum_period(&mut self, instance: u16) -> Result<i64, Error> {
        present(self.get(instance)?.default_minimum_period)
    }

    fn write_default_minimum_period(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::DEFAULT_MINIMUM_PERIOD, &value.to_value())
    }

    fn read_default_maximum_period(&mut self, instance: u16) -> Result<i64, Error> {
        present(self.get(instance)?.default_maximum_period)
    }

    fn write_default_maximum_period(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::DEFAULT_MAXIMUM_PERIOD, &value.to_value())
    }

    fn execute_disable(&mut self, instance: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        let s = self.settings(instance)?;
        // One Disable per server waits; a repeat before the poll changes nothing.
        if !self
            .pending
            .disables
            .iter()
            .any(|(id, _)| *id == s.short_server_id)
        {
            self.pending
                .disables
                .push((s.short_server_id, s.disable_timeout))
                .map_err(|_| Error::Internal)?;
        }
        Ok(())
    }

    fn read_disable_timeout(&mut self, instance: u16) -> Result<i64, Error> {
        Ok(self
            .get(instance)?
            .disable_timeout
            .unwrap_or(i64::from(ServerSettings::DEFAULT_DISABLE_TIMEOUT)))
    }

    fn write_disable_timeout(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::DISABLE_TIMEOUT, &value.to_value())
    }

    fn read_notification_storing_when_disabled_or_offline(
        &mut self,
        instance: u16,
    ) -> Result<bool, Error> {
        Ok(self.get(instance)?.notification_storing)
    }

    fn write_notification_storing_when_disabled_or_offline(
        &mut self,
        instance: u16,
        value: bool,
    ) -> Result<(), Error> {
        let resource = r::NOTIFICATION_STORING_WHEN_DISABLED_OR_OFFLINE;
        self.set(instance, resource, &value.to_value())
    }

    fn read_binding(&mut self, instance: u16) -> Result<String<64>, Error> {
        Ok(self.get(instance)?.binding.clone())
    }

    fn write_binding(&mut self, instance: u16, value: String<64>) -> Result<(), Error> {
        self.set(instance, r::BINDING, &value.to_value())
    }

    fn execute_registration_update_trigger(
        &mut self,
        instance: u16,
        _: ExecuteArgs<'_>,
    ) -> Result<(), Error> {
        let id = self.get(instance)?.short_server_id;
        if !self.pending.updates.contains(&id) {
            self.pending.updates.push(id).map_err(|_| Error::Internal)?;
        }
        Ok(())
    }

    fn read_communication_retry_count(&mut self, instance: u16) -> Result<u64, Error> {
        Ok(u64::from(self.get(instance)?.retry().count))
    }

    fn write_communication_retry_count(&mut self, instance: u16, value: u64) -> Result<(), Error> {
        self.set(instance, r::COMMUNICATION_RETRY_COUNT, &value.to_value())
    }

    fn read_communication_retry_timer(&mut self, instance: u16) -> Result<u64, Error> {
        Ok(u64::from(self.get(instance)?.retry().timer_s))
    }

    fn write_communication_retry_timer(&mut self, instance: u16, value: u64) -> Result<(), Error> {
        self.set(instance, r::COMMUNICATION_RETRY_TIMER, &value.to_value())
    }

    fn read_communication_sequence_delay_timer(&mut self, instance: u16) -> Result<u64, Error> {
        Ok(u64::from(self.get(instance)?.retry().sequence_delay_s))
    }

    fn write_communication_sequence_delay_timer(
        &mut self,
        instance: u16,
        value: u64,
    ) -> Result<(), Error> {
        let resource = r::COMMUNICATION_SEQUENCE_DELAY_TIMER;
        self.set(instance, resource, &value.to_value())
    }

    fn read_communication_sequence_retry_count(&mut self, instance: u16) -> Result<u64, Error> {
        Ok(u64::from(self.get(instance)?.retry().sequence_count))
    }

    fn write_communication_sequence_retry_count(
        &mut self,
        instance: u16,
        value: u64,
    ) -> Result<(), Error> {
        let resource = r::COMMUNICATION_SEQUENCE_RETRY_COUNT;
        self.set(instance, resource, &value.to_value())
    }
}

/// Object 1 (LwM2M Server), for one call of the client.
pub struct ServerObject<'a, F> {
    served: lwm2m_server::Served<ServerHandler<'a>>,
    security: &'a SecuritySlots,
    flash: &'a mut F,
    records: &'a Records,
}

impl<'a, F: NorFlash> ServerObject<'a, F> {
    pub(crate) fn new(
        handler: ServerHandler<'a>,
        security: &'a SecuritySlots,
        flash: &'a mut F,
        records: &'a Records,
    ) -> Self {
        Self {
            served: lwm2m_server::Served(handler),
            security,
            flash,
            records,
        }
    }
}

impl<F: NorFlash> Object for ServerObject<'_, F> {
    fn info(&self) -> &'static ObjectInfo {
        self.served.info()
    }

    fn instances(&self, f: &mut dyn FnMut(u16)) {
        self.served.instances(f);
    }

    fn read(&mut self, instance: u16, resource: u16, out: &mut dyn ReadSink) -> Result<(), Error> {
        self.served.read(instance, resource, out)
    }

    fn write(&mut self, instance: u16, resource: u16, write: Write<'_, '_>) -> Result<(), Error> {
        self.served.write(instance, resource, write)
    }

    fn validate(&self, instance: u16, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let _ = instance;
        ServerInstance::validate(resource, value)
    }

    fn implements(&self, resource: u16) -> bool {
        matches!(
            resource,
            r::SHORT_SERVER_ID
                | r::LIFETIME
                | r::DEFAULT_MINIMUM_PERIOD
                | r::DEFAULT_MAXIMUM_PERIOD
                | r::DISABLE
                | r::DISABLE_TIMEOUT
                | r::NOTIFICATION_STORING_WHEN_DISABLED_OR_OFFLINE
                | r::BINDING
                | r::REGISTRATION_UPDATE_TRIGGER
                | r::COMMUNICATION_RETRY_COUNT
                | r::COMMUNICATION_RETRY_TIMER
                | r::COMMUNICATION_SEQUENCE_DELAY_TIMER
                | r::COMMUNICATION_SEQUENCE_RETRY_COUNT
        )
    }

    fn execute(
        &mut self,
        instance: u16,
        resource: u16,
        args: ExecuteArgs<'_>,
    ) -> Result<(), Error> {
        self.served.execute(instance, resource, args)
    }

    /// Persists what changed, tells the client the new settings, and asks for the Updates
    /// and Disables the server executed.
    fn poll(&mut self, cx: &mut Context<'_>) {
        let ServerHandler { servers, pending } = &mut self.served.0;
        for slot in 0..MAX_ACCOUNTS {
            if pending.unsaved.get(slot) == Some(&true) {
                // A failure leaves it marked: the next poll writes it again.
                let _ = persist(
                    self.flash,
                    self.records,
                    self.security,
                    servers,
                    pending,
                    slot,
                );
            }
            if pending.changed.get(slot) == Some(&true) {
                if let Some(Some((_, s))) = servers.get(slot) {
                    cx.server_settings(s.settings());
                }
                if let Some(changed) = pending.changed.get_mut(slot) {
                    *changed = false;
                }
            }
        }
        for id in pending.updates.drain(..) {
            cx.registration_update(id);
        }
        for (id, seconds) in pending.disables.drain(..) {
            cx.disable_server(id, seconds);
        }
    }
}
