//! Objects 0 and 1 as the client serves them, borrowed from [`Accounts`](crate::Accounts)
//! for one call of the client.
//!
//! * [`SecurityObject`]: /0 through the generated `lwm2m_security::Served`. Its resources
//!   list no operation, so the client refuses every request of a normal server on it with
//!   4.01 Unauthorized (Read, Discover, Observe, Write, Execute, even on an instance that
//!   does not exist, which tells nothing about what does) and leaves it out of Register.
//!   Only a Bootstrap-Server's writes and deletes change it (the client's
//!   [`Object::bootstrap_write`] and [`Object::bootstrap_delete`], which are
//!   [`Accounts::bootstrap_write`](crate::Accounts::bootstrap_write) and
//!   [`Accounts::bootstrap_delete`](crate::Accounts::bootstrap_delete)); Bootstrap-Discover
//!   shows each instance's `ssid` and `uri`.
//! * [`ServerObject`]: /1 through the generated `lwm2m_server::Handler`. A server's write is
//!   checked value by value before any changes ([`Object::validate`]), then persisted and
//!   handed to the client as new settings at the poll that follows the request;
//!   Registration Update Trigger and Disable become asks of the client at that poll too,
//!   after the answer to the Execute is queued. It lists the whole management accounts
//!   ([`Object::accounts`]) the client takes after Bootstrap-Finish, and a Bootstrap-Server
//!   may read it.

use core::cell::{RefCell, RefMut};

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::lwm2m_security;
use lwm2m_objects::lwm2m_server::{self, resources as r};
use lwm2m_runtime::client::{Account, Context, ServerSettings};
use lwm2m_runtime::format::Item;
use lwm2m_runtime::heapless::String;
use lwm2m_runtime::{
    BootstrapLink, Error, ExecuteArgs, Object, ObjectInfo, ReadSink, Value, ValueType, Write,
};

use crate::accounts::Accounts;
use crate::records::MAX_ACCOUNTS;
use crate::server::ServerInstance;
use crate::slots::{Slots, find};

/// The IDs of the instances in `slots`, in increasing order.
fn instance_ids<T>(slots: &[Option<(u16, T)>], f: &mut dyn FnMut(u16)) {
    let mut ids: heapless::Vec<u16, MAX_ACCOUNTS> =
        slots.iter().flatten().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.into_iter().for_each(f);
}

/// The instances for one operation (5.00 if they are in use, which the client never does).
fn borrow(slots: &RefCell<Slots>) -> Result<RefMut<'_, Slots>, Error> {
    slots.try_borrow_mut().map_err(|_| Error::Internal)
}

/// A Bootstrap-Server's write or delete of either object, persisted.
fn provision<F: NorFlash>(
    accounts: &Accounts<F>,
    change: impl FnOnce(&mut Slots, &mut F) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut slots = borrow(&accounts.slots)?;
    let mut flash = accounts
        .flash
        .try_borrow_mut()
        .map_err(|_| Error::Internal)?;
    change(&mut slots, &mut flash)
}

/// The instances of /0, for the generated `Served`.
pub struct SecurityHandler<'a> {
    slots: &'a RefCell<Slots>,
}

impl lwm2m_security::Handler for SecurityHandler<'_> {
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        if let Ok(slots) = self.slots.try_borrow() {
            instance_ids(&slots.security, f);
        }
    }
}

/// Object 0 (LwM2M Security), for one call of the client.
pub struct SecurityObject<'a, F> {
    served: lwm2m_security::Served<SecurityHandler<'a>>,
    accounts: &'a Accounts<F>,
}

/// The `Object` methods both objects take from their generated `Served` handler, and the
/// Bootstrap-Write and Bootstrap-Delete of object `$id`, which go to the accounts' records.
macro_rules! served_object {
    ($id:expr) => {
        fn info(&self) -> &'static ObjectInfo {
            self.served.info()
        }

        fn instances(&self, f: &mut dyn FnMut(u16)) {
            self.served.instances(f);
        }

        fn read(
            &mut self,
            instance: u16,
            resource: u16,
            out: &mut dyn ReadSink,
        ) -> Result<(), Error> {
            self.served.read(instance, resource, out)
        }

        fn write(
            &mut self,
            instance: u16,
            resource: u16,
            write: Write<'_, '_>,
        ) -> Result<(), Error> {
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

        fn bootstrap_write(&mut self, items: &[Item<'_>]) -> Result<(), Error> {
            let records = &self.accounts.records;
            provision(self.accounts, |slots, flash| {
                slots.bootstrap_write(items, flash, records)
            })
        }

        fn bootstrap_delete(&mut self, instance: Option<u16>) -> Result<(), Error> {
            let records = &self.accounts.records;
            provision(self.accounts, |slots, flash| {
                slots.bootstrap_delete($id, instance, flash, records)
            })
        }
    };
}

impl<'a, F: NorFlash> SecurityObject<'a, F> {
    pub(crate) fn new(accounts: &'a Accounts<F>) -> Self {
        Self {
            served: lwm2m_security::Served(SecurityHandler {
                slots: &accounts.slots,
            }),
            accounts,
        }
    }
}

impl<F: NorFlash> Object for SecurityObject<'_, F> {
    served_object!(lwm2m_security::ID);

    fn bootstrap_link(&self, instance: u16, f: &mut dyn FnMut(BootstrapLink<'_>)) {
        let Ok(slots) = self.accounts.slots.try_borrow() else {
            return;
        };
        if let Some((_, s)) = find(&slots.security, instance) {
            f(BootstrapLink {
                ssid: s.short_server_id.filter(|_| !s.bootstrap_server),
                uri: Some(s.server_uri.as_str()),
            });
        }
    }
}

/// The instances of /1, for the generated `Handler`.
pub struct ServerHandler<'a> {
    slots: &'a RefCell<Slots>,
}

impl ServerHandler<'_> {
    /// A value of instance `instance`.
    fn get<T>(&self, instance: u16, f: impl FnOnce(&ServerInstance) -> T) -> Result<T, Error> {
        let slots = self.slots.try_borrow().map_err(|_| Error::Internal)?;
        find(&slots.servers, instance)
            .map(|(_, s)| f(s))
            .ok_or(Error::NotFound)
    }

    /// Sets a resource of an instance through its checks, and marks it to be persisted
    /// and told to the client.
    fn set(&mut self, instance: u16, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let mut slots = borrow(self.slots)?;
        let slots = &mut *slots;
        let slot = slots
            .servers
            .iter()
            .position(|s| s.as_ref().is_some_and(|(id, _)| *id == instance))
            .ok_or(Error::NotFound)?;
        let (_, server) = slots
            .servers
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(Error::NotFound)?;
        let mut next = server.clone();
        next.set(resource, value)?;
        if next != *server {
            *server = next;
            if let Some(changed) = slots.pending.changed.get_mut(slot) {
                *changed = true;
            }
            if let Some(unsaved) = slots.pending.unsaved.get_mut(slot) {
                *unsaved = true;
            }
        }
        Ok(())
    }

    fn settings(&self, instance: u16) -> Result<ServerSettings, Error> {
        self.get(instance, ServerInstance::settings)
    }
}

/// A present optional resource, or 4.04.
fn present<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or(Error::NotFound)
}

impl lwm2m_server::Handler for ServerHandler<'_> {
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        if let Ok(slots) = self.slots.try_borrow() {
            instance_ids(&slots.servers, f);
        }
    }

    fn read_short_server_id(&mut self, instance: u16) -> Result<u16, Error> {
        self.get(instance, |s| s.short_server_id)
    }

    fn read_lifetime(&mut self, instance: u16) -> Result<i64, Error> {
        self.get(instance, |s| s.lifetime)
    }

    fn write_lifetime(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::LIFETIME, &value.to_value())
    }

    fn read_default_minimum_period(&mut self, instance: u16) -> Result<i64, Error> {
        present(self.get(instance, |s| s.default_minimum_period)?)
    }

    fn write_default_minimum_period(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::DEFAULT_MINIMUM_PERIOD, &value.to_value())
    }

    fn read_default_maximum_period(&mut self, instance: u16) -> Result<i64, Error> {
        present(self.get(instance, |s| s.default_maximum_period)?)
    }

    fn write_default_maximum_period(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::DEFAULT_MAXIMUM_PERIOD, &value.to_value())
    }

    fn execute_disable(&mut self, instance: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        let s = self.settings(instance)?;
        let mut slots = borrow(self.slots)?;
        // One Disable per server waits; a repeat before the poll changes nothing.
        if !slots
            .pending
            .disables
            .iter()
            .any(|(id, _)| *id == s.short_server_id)
        {
            slots
                .pending
                .disables
                .push((s.short_server_id, s.disable_timeout))
                .map_err(|_| Error::Internal)?;
        }
        Ok(())
    }

    fn read_disable_timeout(&mut self, instance: u16) -> Result<i64, Error> {
        self.get(instance, |s| {
            s.disable_timeout
                .unwrap_or(i64::from(ServerSettings::DEFAULT_DISABLE_TIMEOUT))
        })
    }

    fn write_disable_timeout(&mut self, instance: u16, value: i64) -> Result<(), Error> {
        self.set(instance, r::DISABLE_TIMEOUT, &value.to_value())
    }

    fn read_notification_storing_when_disabled_or_offline(
        &mut self,
        instance: u16,
    ) -> Result<bool, Error> {
        self.get(instance, |s| s.notification_storing)
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
        self.get(instance, |s| s.binding.clone())
    }

    fn write_binding(&mut self, instance: u16, value: String<64>) -> Result<(), Error> {
        self.set(instance, r::BINDING, &value.to_value())
    }

    fn execute_registration_update_trigger(
        &mut self,
        instance: u16,
        _: ExecuteArgs<'_>,
    ) -> Result<(), Error> {
        let id = self.get(instance, |s| s.short_server_id)?;
        let mut slots = borrow(self.slots)?;
        if !slots.pending.updates.contains(&id) {
            slots
                .pending
                .updates
                .push(id)
                .map_err(|_| Error::Internal)?;
        }
        Ok(())
    }

    fn read_communication_retry_count(&mut self, instance: u16) -> Result<u64, Error> {
        self.get(instance, |s| u64::from(s.retry().count))
    }

    fn write_communication_retry_count(&mut self, instance: u16, value: u64) -> Result<(), Error> {
        self.set(instance, r::COMMUNICATION_RETRY_COUNT, &value.to_value())
    }

    fn read_communication_retry_timer(&mut self, instance: u16) -> Result<u64, Error> {
        self.get(instance, |s| u64::from(s.retry().timer_s))
    }

    fn write_communication_retry_timer(&mut self, instance: u16, value: u64) -> Result<(), Error> {
        self.set(instance, r::COMMUNICATION_RETRY_TIMER, &value.to_value())
    }

    fn read_communication_sequence_delay_timer(&mut self, instance: u16) -> Result<u64, Error> {
        self.get(instance, |s| u64::from(s.retry().sequence_delay_s))
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
        self.get(instance, |s| u64::from(s.retry().sequence_count))
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
    accounts: &'a Accounts<F>,
}

impl<'a, F: NorFlash> ServerObject<'a, F> {
    pub(crate) fn new(accounts: &'a Accounts<F>) -> Self {
        Self {
            served: lwm2m_server::Served(ServerHandler {
                slots: &accounts.slots,
            }),
            accounts,
        }
    }
}

impl<F: NorFlash> Object for ServerObject<'_, F> {
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

    served_object!(lwm2m_server::ID);

    fn bootstrap_readable(&self) -> bool {
        true
    }

    fn bootstrap_link(&self, instance: u16, f: &mut dyn FnMut(BootstrapLink<'_>)) {
        if let Ok(ssid) = self.served.0.get(instance, |s| s.short_server_id) {
            f(BootstrapLink {
                ssid: Some(ssid),
                uri: None,
            });
        }
    }

    fn accounts(&self, f: &mut dyn FnMut(Account)) {
        if let Ok(slots) = self.accounts.slots.try_borrow() {
            slots.accounts().for_each(f);
        }
    }

    /// Persists what changed, tells the client the new settings, and asks for the Updates
    /// and Disables the server executed.
    fn poll(&mut self, cx: &mut Context<'_>) {
        let Ok(mut slots) = borrow(&self.accounts.slots) else {
            return;
        };
        let Ok(mut flash) = self.accounts.flash.try_borrow_mut() else {
            return;
        };
        let slots = &mut *slots;
        for slot in 0..MAX_ACCOUNTS {
            if slots.pending.unsaved.get(slot) == Some(&true) {
                // A failure leaves it marked: the next poll writes it again.
                let _ = slots.persist(&mut *flash, &self.accounts.records, slot);
            }
            if slots.pending.changed.get(slot) == Some(&true) {
                if let Some(Some((_, s))) = slots.servers.get(slot) {
                    cx.server_settings(s.settings());
                }
                if let Some(changed) = slots.pending.changed.get_mut(slot) {
                    *changed = false;
                }
            }
        }
        for id in slots.pending.updates.drain(..) {
            cx.registration_update(id);
        }
        for (id, seconds) in slots.pending.disables.drain(..) {
            cx.disable_server(id, seconds);
        }
    }
}
