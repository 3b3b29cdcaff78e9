//! The server side: sessions that look keys up by identity and share a resumption cache.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ffi::{c_int, c_uchar, c_void};

use embedded_mbedtls_sys as sys;

use crate::error::Error;
use crate::session::{Inner, Session};

/// Sessions a server remembers for resumption, oldest forgotten first.
const CACHE_SIZE: usize = 256;

/// Looks up the key of a PSK identity.
pub type KeyLookup = dyn FnMut(&[u8]) -> Option<Vec<u8>>;

/// What all sessions of one server share: the key lookup and the resumption cache.
pub struct ServerConfig {
    shared: Shared,
}

#[derive(Clone)]
pub(crate) struct Shared(Rc<RefCell<State>>);

struct State {
    keys: Box<KeyLookup>,
    cache: VecDeque<Cached>,
}

/// A session kept for resumption: its ID, its saved state (the master secret, zeroed on
/// drop) and the identity it was authenticated with.
struct Cached {
    id: Vec<u8>,
    saved: Vec<u8>,
    identity: Vec<u8>,
}

impl Drop for Cached {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.saved);
    }
}

impl ServerConfig {
    /// A server that finds the key of each identity with `keys` (`None` refuses the
    /// handshake).
    pub fn new(keys: impl FnMut(&[u8]) -> Option<Vec<u8>> + 'static) -> Self {
        Self {
            shared: Shared(Rc::new(RefCell::new(State {
                keys: Box::new(keys),
                cache: VecDeque::new(),
            }))),
        }
    }
}

impl core::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig").finish_non_exhaustive()
    }
}

/// The server's own data in a session: what the callbacks reach.
pub(crate) struct ServerSide {
    shared: Shared,
    pub(crate) identity: Option<Vec<u8>>,
}

impl Session {
    /// The server side of a new association, waiting for the client's first flight.
    /// Records from an unknown address that are not a ClientHello should not reach one.
    ///
    /// The Mbed TLS build has no HelloVerifyRequest (cookie) support, so a session answers a
    /// ClientHello from a spoofed address with its flight (and its retransmissions) and
    /// holds its buffers meanwhile: a host facing the Internet should limit new sessions per
    /// address and in all.
    pub fn server(
        config: &ServerConfig,
        now: u64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Self, Error> {
        let mut inner = Inner::new(sys::MBEDTLS_SSL_IS_SERVER, now, random)?;
        inner.server = Some(ServerSide {
            shared: config.shared.clone(),
            identity: None,
        });
        let side = inner
            .server
            .as_mut()
            .map(|s| (s as *mut ServerSide).cast::<c_void>())
            .unwrap_or(core::ptr::null_mut());
        // SAFETY: `side` points into the boxed `Inner`, which outlives the configuration it
        // is registered with; the callbacks use it only during calls through the session.
        unsafe {
            sys::mbedtls_ssl_conf_psk_cb(inner.conf(), Some(psk), side);
            sys::mbedtls_ssl_conf_session_cache(
                inner.conf(),
                side,
                Some(get_cache),
                Some(set_cache),
            );
        }
        inner.setup()?;
        Ok(Session::from_inner(inner))
    }

    /// The PSK identity the client authenticated with (server side, once established).
    pub fn peer_identity(&self) -> Option<&[u8]> {
        if !self.is_established() {
            return None;
        }
        self.server_side()?.identity.as_deref()
    }
}

/// `f_psk`: sets the key of the identity the client named, or refuses it.
///
/// # Safety
/// `side` is the session's `ServerSide`; `identity` holds `len` bytes.
unsafe extern "C" fn psk(
    side: *mut c_void,
    ssl: *mut sys::mbedtls_ssl_context,
    identity: *const c_uchar,
    len: usize,
) -> c_int {
    // SAFETY: registered by `Session::server` with a pointer into its box.
    let Some(side) = (unsafe { side.cast::<ServerSide>().as_mut() }) else {
        return -1;
    };
    // SAFETY: Mbed TLS passes the identity it received, `len` bytes.
    let identity = unsafe { core::slice::from_raw_parts(identity, len) };
    let Ok(mut state) = side.shared.0.try_borrow_mut() else {
        return -1;
    };
    let Some(mut key) = (state.keys)(identity) else {
        return -1;
    };
    side.identity = Some(identity.to_vec());
    // SAFETY: `ssl` is the context in handshake; Mbed TLS copies the key.
    let code = unsafe { sys::mbedtls_ssl_set_hs_psk(ssl, key.as_ptr(), key.len()) };
    zeroize::Zeroize::zeroize(&mut key);
    code
}

/// `f_get_cache`: a session to resume, by its ID.
///
/// # Safety
/// `side` is the session's `ServerSide`; `id` holds `len` bytes; `session` is initialised.
unsafe extern "C" fn get_cache(
    side: *mut c_void,
    id: *const c_uchar,
    len: usize,
    session: *mut sys::mbedtls_ssl_session,
) -> c_int {
    // SAFETY: as in `psk`.
    let Some(side) = (unsafe { side.cast::<ServerSide>().as_mut() }) else {
        return -1;
    };
    // SAFETY: Mbed TLS passes the session ID the client offered, `len` bytes.
    let id = unsafe { core::slice::from_raw_parts(id, len) };
    let Ok(mut state) = side.shared.0.try_borrow_mut() else {
        return -1;
    };
    let State { keys, cache } = &mut *state;
    let Some(cached) = cache.iter().find(|c| c.id.as_slice() == id) else {
        return -1;
    };
    // An identity whose key was withdrawn since gets a full handshake, and is refused there.
    if keys(&cached.identity).is_none() {
        return -1;
    }
    side.identity = Some(cached.identity.clone());
    // SAFETY: `session` is Mbed TLS's own, ready to be filled; `saved` came from
    // `mbedtls_ssl_session_save` in `set_cache`.
    unsafe { sys::mbedtls_ssl_session_load(session, cached.saved.as_ptr(), cached.saved.len()) }
}

/// `f_set_cache`: keeps a finished session for resumption.
///
/// # Safety
/// `side` is the session's `ServerSide`; `id` holds `len` bytes; `session` is valid.
unsafe extern "C" fn set_cache(
    side: *mut c_void,
    id: *const c_uchar,
    len: usize,
    session: *const sys::mbedtls_ssl_session,
) -> c_int {
    // SAFETY: as in `psk`.
    let Some(side) = (unsafe { side.cast::<ServerSide>().as_mut() }) else {
        return -1;
    };
    // SAFETY: Mbed TLS passes the session's ID, `len` bytes.
    let id = unsafe { core::slice::from_raw_parts(id, len) }.to_vec();
    let mut saved = vec![0u8; 256];
    let mut written = 0usize;
    // SAFETY: `session` is valid for the call; `saved` is writable for its length.
    let code = unsafe {
        sys::mbedtls_ssl_session_save(session, saved.as_mut_ptr(), saved.len(), &mut written)
    };
    if code != 0 || written > saved.len() {
        return -1;
    }
    saved.truncate(written);
    let Some(identity) = side.identity.clone() else {
        return -1;
    };
    let Ok(mut state) = side.shared.0.try_borrow_mut() else {
        return -1;
    };
    state.cache.retain(|c| c.id != id);
    if state.cache.len() >= CACHE_SIZE {
        state.cache.pop_front();
    }
    state.cache.push_back(Cached {
        id,
        saved,
        identity,
    });
    0
}
