//! The Security and Server instances of every account, slot by slot, and the changes a
//! Bootstrap-Server (or the factory) makes to them: writes checked whole before anything
//! changes, deletes that spare the Bootstrap-Server's own account, each changed account
//! persisted in one record.

extern crate alloc;

use alloc::boxed::Box;

use embedded_storage::nor_flash::NorFlash;
use lwm2m_objects::{lwm2m_security, lwm2m_server};
use lwm2m_runtime::Error;
use lwm2m_runtime::client::{Account, BootstrapAccount};
use lwm2m_runtime::format::Item;
use lwm2m_runtime::path::Path;

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

/// Every account's instances, and what waits for the next poll.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    pub security: SecuritySlots,
    pub servers: ServerSlots,
    pub pending: Pending,
}

impl Slots {
    /// The account of the normal server in `slot`: URI and security from its Security
    /// instance, settings from its Server instance.
    pub fn account_in(&self, slot: usize) -> Option<Account> {
        let (_, security) = self.security.get(slot)?.as_ref()?;
        let (_, server) = self.servers.get(slot)?.as_ref()?;
        if security.bootstrap_server || security.short_server_id != Some(server.short_server_id) {
            return None;
        }
        Some(Account {
            server_uri: heapless::String::try_from(security.server_uri.as_str()).ok()?,
            security: security.security(),
            settings: server.settings(),
        })
    }

    /// Every whole management-server account, in slot order.
    pub fn accounts(&self) -> impl Iterator<Item = Account> + '_ {
        (0..MAX_ACCOUNTS).filter_map(|slot| self.account_in(slot))
    }

    /// The Bootstrap-Server's account (the first Security instance that is one).
    pub fn bootstrap_account(&self) -> Option<BootstrapAccount> {
        let (_, s) = self
            .security
            .iter()
            .flatten()
            .find(|(_, s)| s.bootstrap_server)?;
        Some(BootstrapAccount {
            server_uri: heapless::String::try_from(s.server_uri.as_str()).ok()?,
            security: s.security(),
            hold_off_s: s
                .client_hold_off_time
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(0),
        })
    }

    /// A Bootstrap-Server's write (or the factory's), as
    /// [`Accounts::bootstrap_write`](crate::Accounts::bootstrap_write) describes it.
    pub fn bootstrap_write<F: NorFlash>(
        &mut self,
        items: &[Item<'_>],
        flash: &mut F,
        records: &Records,
    ) -> Result<(), Error> {
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
        check_bootstrap_kept(&self.security, &security)?;
        self.replace(*security, *servers, flash, records)
    }

    /// A Bootstrap-Server's delete of instance `instance` of `object` (0 or 1), or of all
    /// its instances (`None`). Deleting a Security instance deletes its account (the Server
    /// instance beside it too); the Bootstrap-Server's own account stays, and a delete that
    /// names it is refused with 4.00. An instance that does not exist is deleted already.
    pub fn bootstrap_delete<F: NorFlash>(
        &mut self,
        object: u16,
        instance: Option<u16>,
        flash: &mut F,
        records: &Records,
    ) -> Result<(), Error> {
        let named = |id: u16| instance.is_none_or(|i| i == id);
        let mut security = Box::new(self.security.clone());
        let mut servers = Box::new(self.servers.clone());
        match object {
            lwm2m_security::ID => {
                for (sec, srv) in security.iter_mut().zip(servers.iter_mut()) {
                    let Some((id, s)) = sec.as_ref() else {
                        continue;
                    };
                    if !named(*id) {
                        continue;
                    }
                    if s.bootstrap_server {
                        if instance.is_some() {
                            return Err(Error::BadRequest);
                        }
                        continue;
                    }
                    *sec = None;
                    *srv = None;
                }
            }
            lwm2m_server::ID => {
                for srv in servers.iter_mut() {
                    if srv.as_ref().is_some_and(|(id, _)| named(*id)) {
                        *srv = None;
                    }
                }
            }
            _ => return Err(Error::NotFound),
        }
        self.replace(*security, *servers, flash, records)
    }

    /// Puts checked instances in force, then writes every account that changed, one record
    /// each (old or new after a power cut, never a mix). 5.00 when the flash fails, the
    /// values being in force all the same and written again at the next poll.
    fn replace<F: NorFlash>(
        &mut self,
        mut security: SecuritySlots,
        mut servers: ServerSlots,
        flash: &mut F,
        records: &Records,
    ) -> Result<(), Error> {
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
                *changed |= srv_changed && self.servers.get(slot).is_some_and(Option::is_some);
            }
            if self.persist(flash, records, slot).is_err() {
                result = Err(Error::Internal);
            }
        }
        result
    }

    /// Writes the record of `slot`; on failure marks it to be written again.
    pub fn persist<F: NorFlash>(
        &mut self,
        flash: &mut F,
        records: &Records,
        slot: usize,
    ) -> Result<(), RecordError<F::Error>> {
        let record = self
            .security
            .get(slot)
            .and_then(Option::as_ref)
            .map(|(id, s)| Record {
                security_id: *id,
                security: s.clone(),
                server: self.servers.get(slot).cloned().flatten(),
            });
        let key = u8::try_from(slot).map_err(|_| RecordError::Storage)?;
        let result = records.store(flash, key, record.as_ref());
        if let Some(unsaved) = self.pending.unsaved.get_mut(slot) {
            *unsaved = result.is_err();
        }
        result
    }
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
/// The Bootstrap-Server's own account stays its: a write may change its URI or keys, not
/// turn it into a management account, and no second one appears (4.00 otherwise).
fn check_bootstrap_kept(before: &SecuritySlots, after: &SecuritySlots) -> Result<(), Error> {
    let bootstrap = |slots: &SecuritySlots| -> heapless::Vec<u16, MAX_ACCOUNTS> {
        slots
            .iter()
            .flatten()
            .filter(|(_, s)| s.bootstrap_server)
            .map(|(id, _)| *id)
            .collect()
    };
    let (was, is) = (bootstrap(before), bootstrap(after));
    if is.len() > 1 || was.iter().any(|id| !is.contains(id)) {
        return Err(Error::BadRequest);
    }
    Ok(())
}

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
