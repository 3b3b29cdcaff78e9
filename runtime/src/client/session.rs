//! The management servers the client registers with, each a [`Session`] of its own: the
//! account, the registration and the observations that server made. What the objects report
//! is fanned out to every session's observations; the downloads and the Bootstrap-Server are
//! the client's, whichever server asked.

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

use super::account::{Account, ServerSettings};
use super::blockwise::Block1;
use super::bootstrap::ServerTarget;
use super::observe::Observer;
use super::registration::Registrar;
use super::{Client, Device, Instant, Peer};

/// The most management servers a client registers with at once. More accounts than this
/// (from the objects or a Bootstrap-Server) leave out the highest Short Server IDs.
pub const MAX_SERVERS: usize = 4;

/// The client already has [`MAX_SERVERS`] management servers: the account was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyServers;

impl fmt::Display for TooManyServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the client has {MAX_SERVERS} management servers already")
    }
}

impl core::error::Error for TooManyServers {}

/// One management server: how to reach it, where the registration with it stands, what it
/// observes (with the attributes it wrote), and its block-wise write in progress.
pub(super) struct Session {
    pub account: Account,
    pub registrar: Registrar,
    pub observer: Observer,
    pub block1: Block1,
}

impl Session {
    fn new(account: Account) -> Self {
        let mut observer = Observer::default();
        observer.set_defaults(&account.settings);
        Self {
            account,
            registrar: Registrar::new(),
            observer,
            block1: Block1::default(),
        }
    }

    /// The server's Short Server ID.
    pub fn id(&self) -> u16 {
        self.account.settings.short_server_id
    }

    /// The line to the server.
    pub fn peer(&self) -> Peer {
        Peer::Server(self.id())
    }
}

impl Client {
    /// The accounts of the management servers the client registers with, by Short Server
    /// ID: their URIs and security are for whoever binds each [`Peer::Server`]
    /// ([`Client::server_targets`]); the client follows their settings.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> + '_ {
        self.servers.iter().map(|s| &s.account)
    }

    /// The account of management server `short_server_id`, if the client has it.
    pub fn account(&self, short_server_id: u16) -> Option<&Account> {
        self.session(short_server_id).map(|s| &s.account)
    }

    /// Adds the account of a management server, or replaces the one with the same Short
    /// Server ID. New settings apply at once: a changed lifetime or binding goes to the
    /// server in an Update, default periods pace its observations from now on. A new URI or
    /// security takes effect when the application binds its [`Peer::Server`] again (then
    /// [`Client::register`]). A new server is registered with at [`Client::register`].
    pub fn set_account(&mut self, now: Instant, account: Account) -> Result<(), TooManyServers> {
        let id = account.settings.short_server_id;
        if self.session(id).is_some() {
            self.set_settings(now, account.settings.clone());
            if let Some(session) = self.session_mut(id) {
                session.account = account;
            }
            return Ok(());
        }
        if self.servers.len() >= MAX_SERVERS {
            warn!("server {} left out: {} servers already", id, MAX_SERVERS);
            return Err(TooManyServers);
        }
        let at = self
            .servers
            .iter()
            .position(|s| s.id() > id)
            .unwrap_or(self.servers.len());
        self.servers.insert(at, Session::new(account));
        Ok(())
    }

    /// Where each [`Peer::Server`] leads, by Short Server ID: one target per management
    /// server, none before the client has one. A runner binds each peer to its URI and
    /// security, and binds it again when it changes (after [`Event::Bootstrapped`], or a
    /// new account); a peer no longer listed is no longer used.
    ///
    /// [`Event::Bootstrapped`]: super::Event::Bootstrapped
    pub fn server_targets(&self) -> impl Iterator<Item = ServerTarget<'_>> + '_ {
        self.servers.iter().map(|s| ServerTarget {
            uri: &s.account.server_uri,
            security: &s.account.security,
            peer: s.peer(),
        })
    }

    /// Where [`Peer::Server`]`(short_server_id)` leads, if the client has that server.
    pub fn server_target(&self, short_server_id: u16) -> Option<ServerTarget<'_>> {
        self.server_targets()
            .find(|t| t.peer == Peer::Server(short_server_id))
    }

    pub(super) fn session(&self, id: u16) -> Option<&Session> {
        self.servers.iter().find(|s| s.id() == id)
    }

    pub(super) fn session_mut(&mut self, id: u16) -> Option<&mut Session> {
        self.servers.iter_mut().find(|s| s.id() == id)
    }

    /// The Short Server IDs of the management servers.
    pub(super) fn server_ids(&self) -> heapless::Vec<u16, MAX_SERVERS> {
        self.servers.iter().map(Session::id).collect()
    }

    /// The client's management servers become those of `accounts` (sorted, at most
    /// [`MAX_SERVERS`]): a server that stays keeps its registration state, a server that
    /// goes is forgotten with whatever went on with it.
    pub(super) fn take_accounts(&mut self, now: Instant, accounts: Vec<Account>) {
        let gone: heapless::Vec<Peer, MAX_SERVERS> = self
            .servers
            .iter()
            .filter(|s| {
                !accounts
                    .iter()
                    .any(|a| a.settings.short_server_id == s.id())
            })
            .map(Session::peer)
            .collect();
        for peer in gone {
            self.transport.abandon(peer);
            self.transport.forget(peer);
            self.servers.retain(|s| s.peer() != peer);
        }
        for account in accounts {
            // `device_accounts` gives at most MAX_SERVERS: there is always room.
            let _ = self.set_account(now, account);
        }
    }

    /// New settings for server `settings.short_server_id`, from the application or from its
    /// Server object.
    pub(super) fn set_settings(&mut self, now: Instant, settings: ServerSettings) {
        let Some(session) = self.session_mut(settings.short_server_id) else {
            debug!(
                "settings for server {} ignored: the client has no account for it",
                settings.short_server_id
            );
            return;
        };
        let old = &session.account.settings;
        if settings != *old {
            debug!(
                "server {} settings changed: lifetime {} s, pmin {} s, pmax {:?} s",
                settings.short_server_id,
                settings.lifetime,
                settings.default_pmin,
                settings.default_pmax
            );
        }
        if (settings.lifetime, &settings.binding) != (old.lifetime, &old.binding) {
            // The server hears the new lifetime or binding in an Update at once.
            session.registrar.update_now(now);
        }
        session.observer.set_defaults(&settings);
        session.account.settings = settings;
    }
}

/// The management-server accounts the objects hold ([`Object::accounts`]), by Short Server
/// ID, one per ID, at most [`MAX_SERVERS`] (the lowest IDs).
///
/// [`Object::accounts`]: crate::Object::accounts
pub(super) fn device_accounts(device: &Device<'_, '_>) -> Vec<Account> {
    let mut kept = Vec::new();
    for object in device.objects.iter() {
        object.accounts(&mut |a| keep_lowest(&mut kept, a));
    }
    kept
}

/// `accounts` by Short Server ID, the first of each ID, at most [`MAX_SERVERS`] (the lowest
/// IDs).
pub(super) fn lowest(accounts: impl IntoIterator<Item = Account>) -> Vec<Account> {
    let mut kept = Vec::new();
    for a in accounts {
        keep_lowest(&mut kept, a);
    }
    kept
}

/// Puts `account` in its place in `kept` (sorted by Short Server ID, at most [`MAX_SERVERS`]),
/// unless an account of its ID is there already or it is past the last place.
fn keep_lowest(kept: &mut Vec<Account>, account: Account) {
    let id = account.settings.short_server_id;
    let Err(at) = kept.binary_search_by_key(&id, |k| k.settings.short_server_id) else {
        return;
    };
    if at >= MAX_SERVERS {
        warn!("server {} left out: {} servers already", id, MAX_SERVERS);
        return;
    }
    kept.insert(at, account);
    if kept.len() > MAX_SERVERS
        && let Some(out) = kept.pop()
    {
        warn!(
            "server {} left out: {} servers already",
            out.settings.short_server_id, MAX_SERVERS
        );
    }
}
