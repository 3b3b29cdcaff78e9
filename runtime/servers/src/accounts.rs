//! [`Accounts`]: the Security and Server instances of every account, loaded from flash at
//! boot, changed by bootstrap writes and deletes (checked whole before anything changes,
//! persisted an account per record) and by a server's writes to /1, and read into the
//! client's [`Account`] and [`BootstrapAccount`].
//!
//! Objects 0 and 1 ([`Accounts::objects`]) share the instances for the length of one call of
//! the client: a Bootstrap-Write of /0 changes what /1 pairs with. They hold them through a
//! `RefCell`, borrowed for one operation at a time; the client never calls two objects at
//! once, so a borrow that fails (5.00) would be a bug, not a state.

use core::cell::RefCell;

use embedded_storage::nor_flash::NorFlash;
use lwm2m_runtime::Error;
use lwm2m_runtime::client::{Account, BootstrapAccount};
use lwm2m_runtime::format::Item;

use crate::objects::{SecurityObject, ServerObject};
use crate::records::{MAX_ACCOUNTS, RecordError, Records};
use crate::security::SecurityInstance;
use crate::server::ServerInstance;
use crate::slots::{Slots, find};

/// The accounts of a device with the flash they persist in: serve them with
/// [`Accounts::objects`], provision them with [`Accounts::bootstrap_write`], hand the client
/// [`Accounts::account`] and [`Accounts::bootstrap_account`].
pub struct Accounts<F> {
    pub(crate) flash: RefCell<F>,
    pub(crate) records: Records,
    pub(crate) slots: RefCell<Slots>,
}

impl<F: NorFlash> Accounts<F> {
    /// The accounts stored in `records` of `flash` (none on a blank partition). A flash
    /// failure or a record that does not decode gives the flash back with the error.
    pub fn load(mut flash: F, records: Records) -> Result<Self, (F, RecordError<F::Error>)> {
        let mut slots = Slots::default();
        for (slot, (sec, srv)) in slots
            .security
            .iter_mut()
            .zip(slots.servers.iter_mut())
            .enumerate()
        {
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
        // The client hears the stored settings at the first poll.
        let stored: [bool; MAX_ACCOUNTS] =
            core::array::from_fn(|i| slots.servers.get(i).is_some_and(Option::is_some));
        slots.pending.changed = stored;
        Ok(Self {
            flash: RefCell::new(flash),
            records,
            slots: RefCell::new(slots),
        })
    }

    /// Objects 0 and 1, for the client's object list. The Security object answers a
    /// normal server 4.01 whatever it asks and takes a Bootstrap-Server's writes and
    /// deletes; the Server object serves /1 through the generated API, persists what a
    /// server writes and asks the client for what its Executes mean (Update, Disable).
    pub fn objects(&mut self) -> (SecurityObject<'_, F>, ServerObject<'_, F>) {
        let this: &Self = self;
        (SecurityObject::new(this), ServerObject::new(this))
    }

    /// The account of server `short_server_id` as the client takes it: URI and security
    /// from the Security instance with that Short Server ID, settings from the Server
    /// instance with it. `None` when either is missing or the account is a
    /// Bootstrap-Server's.
    pub fn account(&self, short_server_id: u16) -> Option<Account> {
        let slots = self.slots.try_borrow().ok()?;
        slots
            .accounts()
            .find(|a| a.settings.short_server_id == short_server_id)
    }

    /// The account of the lowest Short Server ID. (A client given no account takes every
    /// one the objects hold when it registers; [`Accounts::servers`] lists them.)
    pub fn management_account(&self) -> Option<Account> {
        let slots = self.slots.try_borrow().ok()?;
        slots.accounts().min_by_key(|a| a.settings.short_server_id)
    }

    /// The Bootstrap-Server's account, if the device has one.
    pub fn bootstrap_account(&self) -> Option<BootstrapAccount> {
        self.slots.try_borrow().ok()?.bootstrap_account()
    }

    /// The Short Server IDs of the normal servers with a whole account, in slot order.
    pub fn servers(&self) -> impl Iterator<Item = u16> + use<F> {
        let ids: heapless::Vec<u16, MAX_ACCOUNTS> = match self.slots.try_borrow() {
            Ok(slots) => slots
                .accounts()
                .map(|a| a.settings.short_server_id)
                .collect(),
            Err(_) => heapless::Vec::new(),
        };
        ids.into_iter()
    }

    /// A copy of Security instance `instance`.
    pub fn security(&self, instance: u16) -> Option<SecurityInstance> {
        let slots = self.slots.try_borrow().ok()?;
        find(&slots.security, instance).map(|(_, s)| s.clone())
    }

    /// A copy of Server instance `instance`.
    pub fn server(&self, instance: u16) -> Option<ServerInstance> {
        let slots = self.slots.try_borrow().ok()?;
        find(&slots.servers, instance).map(|(_, s)| s.clone())
    }

    /// A Bootstrap-Server's write (or the factory's): values of `/0/x/r` and `/1/x/r`
    /// (resource instances of resources this crate does not keep are dropped), as a
    /// content-format decoder gives them. Everything is checked before anything changes:
    /// 4.04 for another object or a resource /0 or /1 does not define, 4.00 for a value
    /// outside its definition (a key longer than this device holds included), for a new
    /// Server instance without its Short Server ID or Lifetime, for a Server instance whose
    /// Short Server ID no Security instance of a normal server has, 4.13 when the accounts
    /// are full. Then each account changed is persisted in one record (old or new after a
    /// power cut, never a mix); 5.00 when the flash fails, the values being in force all the
    /// same and written again at the next poll.
    ///
    /// A bootstrap sequence that writes an account's /0 and /1 instances in two requests
    /// should hand both to one call so they land together.
    pub fn bootstrap_write(&mut self, items: &[Item<'_>]) -> Result<(), Error> {
        let (slots, flash) = (self.slots.get_mut(), self.flash.get_mut());
        slots.bootstrap_write(items, flash, &self.records)
    }

    /// A Bootstrap-Server's delete of instance `instance` of object `object` (0 or 1), or
    /// of all its instances (`None`): deleting a Security instance deletes its account (its
    /// Server instance too), the Bootstrap-Server's own account stays (4.00 for a delete
    /// that names it), and each account deleted is persisted. 4.04 for another object.
    pub fn bootstrap_delete(&mut self, object: u16, instance: Option<u16>) -> Result<(), Error> {
        let (slots, flash) = (self.slots.get_mut(), self.flash.get_mut());
        slots.bootstrap_delete(object, instance, flash, &self.records)
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

    /// The flash (tests cut its power).
    pub fn flash_mut(&mut self) -> &mut F {
        self.flash.get_mut()
    }

    /// Gives the flash back: a reboot loads the accounts from it again.
    pub fn into_flash(self) -> F {
        self.flash.into_inner()
    }
}
