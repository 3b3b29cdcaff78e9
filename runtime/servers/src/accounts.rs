//! [`Accounts`]: the Security and Server instances of every account, loaded from flash at
//! boot, changed by bootstrap writes (checked whole before anything changes, persisted an
//! account per record) and by a server's writes to /1, and read into the client's
//! [`Account`].

extern crate alloc;

use alloc::boxed::Box;

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::{lwm2m_security, lwm2m_server};
use lwm2m_runtime::Error;
use lwm2m_runtime::client::Account;
use lwm2m_runtime::format::Item;
use lwm2m_runtime::path::Path;

use crate::objects::{SecurityObject, ServerHandler, ServerObject};
use crate::records::{MAX_ACCOUNTS, Record, RecordError, Records};
use crate::security::SecurityInstance;
use crate::server::ServerInstance;

/// The Security instance of each slot, with its instance ID.
pub(crate) type SecuritySlots = [Option<(u16, SecurityInstance)>; MAX_ACCOUNTS];
/// The Server instance of each slot (the account of the Security instance in the same
/// slot), with its instance ID.
pub(crate) type ServerSlots = [Option<(u16, ServerInstance)>; MAX_ACCOUNTS];

/// What the Server object has to tell the client or the flash at its next poll.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Slots whose record must be written again.
    pub unsaved: [bool; MAX_ACCOUNTS],
    /// Slots whose settings changed since the client last heard them.
    pub changed: [bool; MAX_ACCOUNTS],
    /// Registration Update Trigger, by Short Server ID.
    pub updates: heapless::Vec<u16, MAX_ACCOUNTS>,
    /// Disable, by Short Server ID, with the Disable Timeout.
    pub disables: heapless::Vec<(u16, u32), MAX_ACCOUNTS>,
}

/// The accounts of a device with the flash they persist in: serve them with
/// [`Accounts::objects`], provision them with [`Accounts::bootstrap_write`], hand the client
/// [`Accounts::account`].
pub struct Accounts<F> {
    flash: F,
    records: Records,
    security: SecuritySlots,
    servers: ServerSlots,
    pending: Pending,
}

impl<F: NorFlash> Accounts<F> {
    /// The accounts stored in `records` of `flash` (none on a blank partition). A flash
    /// failure or a record that does not decode gives the flash back with the error.
    pub fn load(mut flash: F, records: Records) -> Result<Self, (F, RecordError<F::Error>)> {
        let mut security = SecuritySlots::default();
        let mut servers = ServerSlots::default();
        for (slot, (sec, srv)) in security.iter_mut().zip(servers.iter_mut()).enumerate() {
            let key = u8::try_from(slot).unwrap_or(u8::MAX);
            match records.load(&mut flash, key) {
                Ok(Some(record)) => {
                    *sec = Some((record.security_id, record.security));
                    *srv = record.server;
                }
                Ok(None) => {}
                Err(e) => return Err((flash, e)),
            }
        }
        let mut accounts = Self {
            flash,
            records,
            security,
            servers,
            pending: Pending::default(),
        };
        // The client hears the stored settings at the first poll.
        accounts.pending.changed =
            core::array::from_fn(|i| accounts.servers.get(i).is_some_and(Option::is_some));
        Ok(accounts)
    }

    /// Objects 0 and 1, for the client's object list. The Security object answers a
    /// normal server 4.01 whatever it asks; the Server object serves /1 through the
    /// generated API, persists what a server writes and asks the client for what its
    /// Executes mean (Update, Disable).
    pub fn objects(&mut self) -> (SecurityObject<'_>, ServerObject<'_, F>) {
        let handler = ServerHandler {
            servers: &mut self.servers,
            pending: &mut self.pending,
        };
        (
            SecurityObject::new(&self.security),
            ServerObject::new(handler, &self.security, &mut self.flash, &self.records),
        )
    }

    /// The account of server `short_server_id` as the client takes it: URI and security
    /// from the Security instance with that Short Server ID, settings from the Server
    /// instance with it. `None` when either is missing or the account is a
    /// Bootstrap-Server's.
    pub fn account(&self, short_server_id: u16) -> Option<Account> {
        let slot = self.servers.iter().position(|s| {
            s.as_ref()
                .is_some_and(|(_, s)| s.short_server_id == short_server_id)
        })?;
        let (_, security) = self.security.get(slot)?.as_ref()?;
        let (_, server) = self.servers.get(slot)?.as_ref()?;
        if security.bootstrap_server {
            return None;
        }
        Some(Account {
            server_uri: heapless::String::try_from(security.server_uri.as_str()).ok()?,
            security: security.security(),
            settings: server.settings(),
        })
    }

    /// The Short Server IDs of the normal servers with a whole account, in slot order.
    pub fn servers(&self) -> impl Iterator<Item = u16> + '_ {
        self.servers
            .iter()
            .flatten()
            .map(|(_, s)| s.short_server_id)
            .filter(|&id| self.account(id).is_some())
    }

    /// The Security instance `instance`, for the bootstrap side.
    pub fn security(&self, instance: u16) -> Option<&SecurityInstance> {
        find(&self.security, instance).map(|(_, s)| s)
    }

    /// The Server instance `instance`.
    pub fn server(&self, instance: u16) -> Option<&ServerInstance> {
        find(&self.servers, instance).map(|(_, s)| s)
    }

    /// A Bootstrap-Server's write (or the factory's): values of `/0/x/r` and `/1/x/r`
    /// (resource instances of resources this crate does not keep are dropped), as a
    /// content-format decoder gives them. Everything is checked before anything changes:
    /// 4.04 for another object or a resource /0 or /1 does not define, 4.00 for a value
    /// outside its definition, for a new Server instance without its Short Server ID or
    /// Lifetime, for a Server instance whose Short Server ID no Security instance of a normal
    /// server has, 4.13 when the accounts are full. Then each account changed is persisted
    /// in one record (old or new after a power cut, never a mix); 5.00 when the flash fails,
    /// the values being in force all the same and written again at the next poll.
    ///
    /// A bootstrap sequence that writes an account's /0 and /1 instances in two requests
    /// should hand both to one call so they land together.
    pub fn bootstrap_write(&mut self, items: &[Item<'_>]) -> Result<(), Error> {
        let mut security = Box::new(self.security.clone());
        let mut servers = Box::new(self.servers.clone());
        for item in items {
            let (object, instance, resource) = ids(&item.path)?;
            match object {
                lwm2m_security::ID => {
                    let slot = match position(security.as_slice(), instance) {
                        Some(slot) => slot,
                        None => {
                            let slot = security
                                .iter()
                                .position(Option::is_none)
                                .ok_or(Error::TooLarge)?;
                            let fresh = (instance, SecurityInstance::default());
                            *security.get_mut(slot).ok_or(Error::Internal)? = Some(fresh);
                            slot
                        }
                    };
                    let (_, s) = slot_mut(security.as_mut_slice(), slot)?;
                    s.set(resource, &item.value)?;
                }
                lwm2m_server::ID => {}
                _ => return Err(Error::NotFound),
            }
        }
        // Server instances after every Security instance: a new one joins the account of
        // its Short Server ID.
        for item in items
            .iter()
            .filter(|i| i.path.object() == Some(lwm2m_server::ID))
        {
            let (_, instance, resource) = ids(&item.path)?;
            let slot = match position(servers.as_slice(), instance) {
                Some(slot) => slot,
                None => {
                    let slot = new_server(&security, &servers, items, instance)?;
                    let ssid =
                        server_value(items, instance, lwm2m_server::resources::SHORT_SERVER_ID)
                            .and_then(|v| v.as_u64())
                            .and_then(|v| u16::try_from(v).ok())
                            .ok_or(Error::BadRequest)?;
                    let fresh = (instance, ServerInstance::new(ssid, 0));
                    *servers.get_mut(slot).ok_or(Error::Internal)? = Some(fresh);
                    slot
                }
            };
            let (_, s) = slot_mut(servers.as_mut_slice(), slot)?;
            s.set(resource, &item.value)?;
        }
        check_pairs(&security, &servers)?;
        // Everything holds: it takes effect, then goes to flash an account at a time.
        let mut result = Ok(());
        for slot in 0..MAX_ACCOUNTS {
            let sec_changed = security.get(slot) != self.security.get(slot);
            let srv_changed = servers.get(slot) != self.servers.get(slot);
            if !sec_changed && !srv_changed {
                continue;
            }
            if let (Some(new), Some(old)) = (security.get_mut(slot), self.security.get_mut(slot)) {
                core::mem::swap(new, old);
            }
            if let (Some(new), Some(old)) = (servers.get_mut(slot), self.servers.get_mut(slot)) {
                core::mem::swap(new, old);
            }
            if let Some(changed) = self.pending.changed.get_mut(slot) {
                *changed |= srv_changed;
            }
            if self.persist(slot).is_err() {
                result = Err(Error::Internal);
            }
        }
        result
    }

    /// [`Accounts::bootstrap_write`] of a whole account, from typed instances (what the
    /// factory provisions): Security instance `security_id` and, for a normal server, its
    /// Server instance. Values the instances leave out (`None`) keep what they had.
    pub fn provision(
        &mut self,
        security_id: u16,
        security: &SecurityInstance,
        server: Option<(u16, &ServerInstance)>,
    ) -> Result<(), Error> {
        let mut items = security.items(security_id)?;
        if let Some((id, server)) = server {
            items.extend(server.items(id)?);
        }
        self.bootstrap_write(&items)
    }

    /// Writes the record of `slot`; on failure it is marked to be written again.
    fn persist(&mut self, slot: usize) -> Result<(), RecordError<F::Error>> {
        persist(
            &mut self.flash,
            &self.records,
            &self.security,
            &self.servers,
            &mut self.pending,
            slot,
        )
    }

    /// The flash (tests cut its power).
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Gives the flash back: a reboot loads the accounts from it again.
    pub fn into_flash(self) -> F {
        self.flash
    }
}

/// Writes the record of `slot` from the slots; on failure marks it to be written again.
pub(crate) fn persist<F: NorFlash>(
    flash: &mut F,
    records: &Records,
    security: &SecuritySlots,
    servers: &ServerSlots,
    pending: &mut Pending,
    slot: usize,
) -> Result<(), RecordError<F::Error>> {
    let record = security
        .get(slot)
        .and_then(Option::as_ref)
        .map(|(id, s)| Record {
            security_id: *id,
            security: s.clone(),
            server: servers.get(slot).cloned().flatten(),
        });
    let key = u8::try_from(slot).map_err(|_| RecordError::Storage)?;
    let result = records.store(flash, key, record.as_ref());
    if let Some(unsaved) = pending.unsaved.get_mut(slot) {
        *unsaved = result.is_err();
    }
    result
}

/// Object, instance and resource of a value's path (`/o/i/r` or `/o/i/r/ri`).
fn ids(path: &Path) -> Result<(u16, u16, u16), Error> {
    match (path.object(), path.instance(), path.resource()) {
        (Some(o), Some(i), Some(r)) => Ok((o, i, r)),
        _ => Err(Error::BadRequest),
    }
}

/// The slot of instance `instance`.
fn position<T>(slots: &[Option<(u16, T)>], instance: u16) -> Option<usize> {
    slots
        .iter()
        .position(|s| s.as_ref().is_some_and(|(id, _)| *id == instance))
}

/// Instance `instance` with its ID.
pub(crate) fn find<T>(slots: &[Option<(u16, T)>], instance: u16) -> Option<&(u16, T)> {
    slots.iter().flatten().find(|(id, _)| *id == instance)
}

fn slot_mut<T>(slots: &mut [Option<(u16, T)>], slot: usize) -> Result<&mut (u16, T), Error> {
    slots
        .get_mut(slot)
        .and_then(Option::as_mut)
        .ok_or(Error::Internal)
}

/// The value the items give resource `resource` of Server instance `instance`.
fn server_value<'i>(
    items: &'i [Item<'_>],
    instance: u16,
    resource: u16,
) -> Option<lwm2m_runtime::Value<'i>> {
    items
        .iter()
        .find(|i| i.path.ids() == [lwm2m_server::ID, instance, resource])
        .map(|i| i.value)
}

/// The slot a new Server instance joins: that of the normal server's Security instance with
/// its Short Server ID, which must have no Server instance yet; its Lifetime must be given.
fn new_server(
    security: &SecuritySlots,
    servers: &ServerSlots,
    items: &[Item<'_>],
    instance: u16,
) -> Result<usize, Error> {
    let ssid = server_value(items, instance, lwm2m_server::resources::SHORT_SERVER_ID)
        .and_then(|v| v.as_u64())
        .ok_or(Error::BadRequest)?;
    server_value(items, instance, lwm2m_server::resources::LIFETIME).ok_or(Error::BadRequest)?;
    let slot = security
        .iter()
        .position(|s| {
            s.as_ref().is_some_and(|(_, s)| {
                !s.bootstrap_server && s.short_server_id.map(u64::from) == Some(ssid)
            })
        })
        .ok_or(Error::BadRequest)?;
    match servers.get(slot) {
        Some(None) => Ok(slot),
        _ => Err(Error::BadRequest),
    }
}

/// Every Server instance sits beside the normal server's Security instance with its Short
/// Server ID, and no two normal servers share one.
fn check_pairs(security: &SecuritySlots, servers: &ServerSlots) -> Result<(), Error> {
    for (sec, srv) in security.iter().zip(servers.iter()) {
        if let Some((_, srv)) = srv {
            let paired = sec.as_ref().is_some_and(|(_, s)| {
                !s.bootstrap_server && s.short_server_id == Some(srv.short_server_id)
            });
            if !paired {
                return Err(Error::BadRequest);
            }
        }
    }
    let ids = || {
        security
            .iter()
            .flatten()
            .filter(|(_, s)| !s.bootstrap_server)
            .filter_map(|(_, s)| s.short_server_id)
    };
    for (i, id) in ids().enumerate() {
        if ids().skip(i + 1).any(|other| other == id) {
            return Err(Error::BadRequest);
        }
    }
    Ok(())
}
