//! One DTLS 1.2 association with one peer, over Mbed TLS, driven without I/O.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::{c_int, c_void};

use embedded_mbedtls_sys as sys;

use crate::error::Error;
use crate::io::{self, Io, Traffic};

/// The one cipher suite LwM2M mandates for a pre-shared key (RFC 7925 4.2), zero-terminated
/// as Mbed TLS wants its list.
static CIPHER_SUITES: [c_int; 2] = [sys::MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8 as c_int, 0];

/// The handshake's first retransmission timeout and its cap, in milliseconds: it doubles
/// from 2 s to 32 s, and the handshake fails when the 32 s wait runs out (62 s in all).
const HANDSHAKE_TIMEOUT_MS: (u32, u32) = (2_000, 32_000);

/// The largest UDP payload Mbed TLS writes: the IPv6 minimum MTU of 1280 bytes less the IPv6
/// and UDP headers.
const MTU: u16 = 1232;

/// The largest plaintext read in one record.
const MAX_PLAINTEXT: usize = 1500;

/// The longest pre-shared key the Mbed TLS build takes (its `MBEDTLS_PSK_MAX_LEN`).
pub const MAX_KEY_LEN: usize = 16;

/// The longest PSK identity accepted.
pub const MAX_IDENTITY_LEN: usize = 128;

/// A pre-shared key and the identity that names it (Security Object resources 3 and 5).
#[derive(Clone, Copy)]
pub struct Psk<'a> {
    /// The PSK identity, sent in the clear in the handshake.
    pub identity: &'a [u8],
    /// The key itself, 1 to [`MAX_KEY_LEN`] bytes.
    pub key: &'a [u8],
}

impl core::fmt::Debug for Psk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the key.
        f.debug_struct("Psk")
            .field("identity", &self.identity)
            .field("key_len", &self.key.len())
            .finish()
    }
}

impl Psk<'_> {
    /// Whether this build takes the key and identity: [`Error::KeyLength`] or
    /// [`Error::IdentityLength`] when not.
    pub fn check(&self) -> Result<(), Error> {
        if self.key.is_empty() || self.key.len() > MAX_KEY_LEN {
            return Err(Error::KeyLength(self.key.len()));
        }
        if self.identity.is_empty() || self.identity.len() > MAX_IDENTITY_LEN {
            return Err(Error::IdentityLength(self.identity.len()));
        }
        Ok(())
    }
}

/// A session's keys kept after a handshake, to resume with an abbreviated handshake (RFC 5246
/// 7.3) after a sleep or an address change. It holds the master secret, zeroed on drop.
#[derive(Clone)]
pub struct Resumption {
    id: Vec<u8>,
    saved: Vec<u8>,
}

impl Drop for Resumption {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.saved);
    }
}

impl core::fmt::Debug for Resumption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Resumption").field("id", &self.id).finish()
    }
}

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The handshake goes on.
    Handshaking,
    /// Application data flows.
    Established,
    /// The session ended (a close_notify, or [`Session::close`]).
    Closed,
    /// The session failed for good: start another.
    Failed(Error),
}

/// One side of a DTLS 1.2 association with one peer, PSK with AES-128-CCM-8.
///
/// Sans-IO: hand in each datagram received from the peer with [`Session::handle`], send what
/// [`Session::poll_transmit`] returns, call [`Session::handle_timeout`] at
/// [`Session::timeout`], read plaintext with [`Session::recv`] and write it with
/// [`Session::send`]. Records that fail their integrity check or replay an earlier one are
/// dropped by Mbed TLS without a change of state.
pub struct Session {
    inner: Box<Inner>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("state", &self.inner.state)
            .finish()
    }
}

/// Everything Mbed TLS points into, boxed so it never moves.
pub(crate) struct Inner {
    ssl: sys::mbedtls_ssl_context,
    conf: sys::mbedtls_ssl_config,
    drbg: sys::mbedtls_ctr_drbg_context,
    io: Io,
    state: State,
    received: VecDeque<Vec<u8>>,
    records_received: u32,
    handshake: Option<Traffic>,
    resumed_id: Option<Vec<u8>>,
    resumption: Option<Resumption>,
    endpoint: u32,
    #[cfg(feature = "server")]
    pub(crate) server: Option<crate::server::ServerSide>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: each was initialised by its `_init` in `Inner::new` before anything could
        // fail, and `_free` accepts a context in any state after `_init`.
        unsafe {
            sys::mbedtls_ssl_free(&mut self.ssl);
            sys::mbedtls_ssl_config_free(&mut self.conf);
            sys::mbedtls_ctr_drbg_free(&mut self.drbg);
        }
    }
}

/// Turns an Mbed TLS status into a result.
fn check(code: c_int) -> Result<(), Error> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Setup(code))
    }
}

impl Inner {
    /// Initialised Mbed TLS contexts, the DRBG seeded from `random`, the common settings
    /// applied for `endpoint` (client or server).
    pub(crate) fn new(
        endpoint: u32,
        now: u64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Box<Self>, Error> {
        let mut inner = Box::new(Inner {
            // SAFETY: these are plain C structs for which all-zero is the state `_init`
            // expects (and produces).
            ssl: unsafe { core::mem::zeroed() },
            // SAFETY: as above.
            conf: unsafe { core::mem::zeroed() },
            // SAFETY: as above.
            drbg: unsafe { core::mem::zeroed() },
            io: Io {
                now,
                ..Io::default()
            },
            state: State::Handshaking,
            received: VecDeque::new(),
            records_received: 0,
            handshake: None,
            resumed_id: None,
            resumption: None,
            endpoint,
            #[cfg(feature = "server")]
            server: None,
        });
        let this = &mut *inner;
        // SAFETY: the contexts live in the box, which does not move until it is dropped;
        // every pointer handed to Mbed TLS (conf, drbg, io) points into it and Mbed TLS only
        // uses them during calls made through this box.
        unsafe {
            sys::mbedtls_ssl_init(&mut this.ssl);
            sys::mbedtls_ssl_config_init(&mut this.conf);
            sys::mbedtls_ctr_drbg_init(&mut this.drbg);

            let mut source: &mut dyn FnMut(&mut [u8]) = random;
            let personal = b"lwm2m-dtls";
            check(sys::mbedtls_ctr_drbg_seed(
                &mut this.drbg,
                Some(io::entropy),
                (&raw mut source).cast::<c_void>(),
                personal.as_ptr(),
                personal.len(),
            ))?;
            // The source was borrowed for the seeding only: never reseed from it.
            this.drbg.private_p_entropy = core::ptr::null_mut();
            sys::mbedtls_ctr_drbg_set_reseed_interval(&mut this.drbg, c_int::MAX);

            check(sys::mbedtls_ssl_config_defaults(
                &mut this.conf,
                endpoint as c_int,
                sys::MBEDTLS_SSL_TRANSPORT_DATAGRAM as c_int,
                sys::MBEDTLS_SSL_PRESET_DEFAULT as c_int,
            ))?;
            sys::mbedtls_ssl_conf_rng(
                &mut this.conf,
                Some(sys::mbedtls_ctr_drbg_random),
                (&raw mut this.drbg).cast::<c_void>(),
            );
            sys::mbedtls_ssl_conf_ciphersuites(&mut this.conf, CIPHER_SUITES.as_ptr());
            sys::mbedtls_ssl_conf_handshake_timeout(
                &mut this.conf,
                HANDSHAKE_TIMEOUT_MS.0,
                HANDSHAKE_TIMEOUT_MS.1,
            );
        }
        Ok(inner)
    }

    /// Binds the SSL context to the finished configuration and to the sans-IO callbacks.
    pub(crate) fn setup(&mut self) -> Result<(), Error> {
        let io = (&raw mut self.io).cast::<c_void>();
        // SAFETY: `conf` is fully configured and lives beside `ssl` in the box; `io` too.
        unsafe {
            check(sys::mbedtls_ssl_setup(&mut self.ssl, &self.conf))?;
            sys::mbedtls_ssl_set_bio(&mut self.ssl, io, Some(io::send), Some(io::recv), None);
            sys::mbedtls_ssl_set_timer_cb(
                &mut self.ssl,
                io,
                Some(io::set_timer),
                Some(io::get_timer),
            );
            sys::mbedtls_ssl_set_mtu(&mut self.ssl, MTU);
        }
        Ok(())
    }

    fn server_role(&self) -> bool {
        self.endpoint == sys::MBEDTLS_SSL_IS_SERVER
    }

    pub(crate) fn conf(&mut self) -> *mut sys::mbedtls_ssl_config {
        &mut self.conf
    }
}

impl Session {
    /// The client side of a new association, its first flight ready in
    /// [`Session::poll_transmit`]. With `resume`, it offers that session for an abbreviated
    /// handshake, which falls back to a full one if the server no longer knows it.
    ///
    /// `random` fills buffers from a true random source (a TRNG, `getrandom`); it is called
    /// here only, to seed the session's CTR-DRBG.
    pub fn client(
        psk: Psk<'_>,
        resume: Option<&Resumption>,
        now: u64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Self, Error> {
        psk.check()?;
        let mut inner = Inner::new(sys::MBEDTLS_SSL_IS_CLIENT, now, random)?;
        // SAFETY: the configuration lives in the box; Mbed TLS copies the key and identity.
        unsafe {
            check(sys::mbedtls_ssl_conf_psk(
                inner.conf(),
                psk.key.as_ptr(),
                psk.key.len(),
                psk.identity.as_ptr(),
                psk.identity.len(),
            ))?;
        }
        inner.setup()?;
        if let Some(resume) = resume {
            inner.offer(resume)?;
        }
        let mut session = Session { inner };
        session.drive()?;
        Ok(session)
    }

    #[cfg(feature = "server")]
    pub(crate) fn from_inner(inner: Box<Inner>) -> Self {
        Session { inner }
    }

    #[cfg(feature = "server")]
    pub(crate) fn server_side(&self) -> Option<&crate::server::ServerSide> {
        self.inner.server.as_ref()
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.inner.state
    }

    /// Whether application data can flow.
    pub fn is_established(&self) -> bool {
        self.inner.state == State::Established
    }

    /// Hands in one datagram received from the peer. Plaintext it carried is then ready in
    /// [`Session::recv`], and records to answer with in [`Session::poll_transmit`]. Garbage,
    /// forged and replayed records are dropped without a change of state; an `Err` means the
    /// session failed for good (a fatal alert, such as a wrong key).
    pub fn handle(&mut self, now: u64, datagram: &[u8]) -> Result<(), Error> {
        self.inner.io.now = now;
        if let State::Failed(e) = self.inner.state {
            return Err(e);
        }
        if datagram.is_empty() {
            return Ok(());
        }
        if self.inner.state == State::Established {
            // After the handshake every record is protected (epoch 1 on): an epoch-0 one is
            // unauthenticated, and Mbed TLS fails the session on some (a ClientHello), so
            // they are dropped here.
            let kept = authenticated_epochs(datagram);
            if kept.is_empty() {
                return Ok(());
            }
            self.inner.io.put(&kept);
        } else {
            self.inner.io.put(datagram);
        }
        let result = self.drive();
        // A datagram Mbed TLS did not ask for (nothing was waiting for it) is dropped.
        self.inner.io.input = None;
        result
    }

    /// When [`Session::handle_timeout`] must run: the handshake's retransmission timer.
    pub fn timeout(&self) -> Option<u64> {
        match self.inner.state {
            State::Handshaking => self.inner.io.deadline(),
            _ => None,
        }
    }

    /// Retransmits the last handshake flight when its timer ran out, or fails the session
    /// with [`Error::Timeout`] when the retransmissions are spent.
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), Error> {
        self.inner.io.now = now;
        match self.inner.state {
            State::Handshaking if self.inner.io.deadline().is_some_and(|d| now >= d) => {
                self.drive()
            }
            State::Failed(e) => Err(e),
            _ => Ok(()),
        }
    }

    /// The next datagram to send to the peer.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.inner.io.output.pop_front()
    }

    /// The next plaintext datagram received.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        self.inner.received.pop_front()
    }

    /// Encrypts one plaintext datagram into a record, then ready in [`Session::poll_transmit`]
    /// (if more than 16 records wait there, the oldest is dropped, as a network would).
    pub fn send(&mut self, now: u64, plaintext: &[u8]) -> Result<(), Error> {
        self.inner.io.now = now;
        match self.inner.state {
            State::Established => {}
            State::Failed(e) => return Err(e),
            State::Handshaking | State::Closed => return Err(Error::NotEstablished),
        }
        // SAFETY: the session is set up; `plaintext` is readable for its length.
        let written = unsafe {
            sys::mbedtls_ssl_write(&mut self.inner.ssl, plaintext.as_ptr(), plaintext.len())
        };
        match usize::try_from(written) {
            Ok(n) if n == plaintext.len() => Ok(()),
            Ok(_) => Err(Error::TooLarge(plaintext.len())),
            Err(_) if written == sys::MBEDTLS_ERR_SSL_BAD_INPUT_DATA => {
                Err(Error::TooLarge(plaintext.len()))
            }
            Err(_) => self.fail(Error::Protocol(written)),
        }
    }

    /// Sends close_notify and ends the session.
    pub fn close(&mut self, now: u64) {
        self.inner.io.now = now;
        if self.inner.state == State::Established {
            // SAFETY: the session is set up. A failure to write the alert changes nothing:
            // the session ends either way.
            let _ = unsafe { sys::mbedtls_ssl_close_notify(&mut self.inner.ssl) };
        }
        self.inner.state = State::Closed;
    }

    /// Application records received so far.
    pub(crate) fn records_received(&self) -> u32 {
        self.inner.records_received
    }

    /// What crossed the wire since the session began.
    pub fn traffic(&self) -> Traffic {
        self.inner.io.traffic
    }

    /// What the handshake took (both directions), once it ended.
    pub fn handshake_traffic(&self) -> Option<Traffic> {
        self.inner.handshake
    }

    /// Whether the handshake resumed the session offered (an abbreviated handshake).
    pub fn resumed(&self) -> bool {
        self.is_established()
            && self
                .inner
                .resumed_id
                .as_deref()
                .is_some_and(|offered| self.session_id().as_deref() == Some(offered))
    }

    /// The keys of this session, to offer in [`Session::client`] later. `None` before the
    /// handshake ends, on the server side, or when the server gave the session no ID (it
    /// keeps no cache).
    pub fn resumption(&self) -> Option<Resumption> {
        self.inner.resumption.clone()
    }

    /// The session ID the server gave, if any.
    fn session_id(&self) -> Option<Vec<u8>> {
        // SAFETY: `private_session` is null or points to the context's current session,
        // owned by the context; the ID length is checked against the array.
        let session = unsafe { self.inner.ssl.private_session.as_ref() }?;
        let len = session.private_id_len;
        (len > 0 && len <= session.private_id.len()).then(|| session.private_id[..len].to_vec())
    }

    /// Exports the session once, as Mbed TLS allows, when the client's handshake ends.
    fn export(&mut self) {
        if self.inner.server_role() {
            return;
        }
        let Some(id) = self.session_id() else {
            return;
        };
        let mut saved = vec![0u8; 256];
        let mut len = 0usize;
        // SAFETY: a fresh session struct is initialised, filled by `get_session` (a deep
        // copy), serialised into `saved` (its length given), and freed.
        let code = unsafe {
            let mut session: sys::mbedtls_ssl_session = core::mem::zeroed();
            sys::mbedtls_ssl_session_init(&mut session);
            let mut code = sys::mbedtls_ssl_get_session(&self.inner.ssl, &mut session);
            if code == 0 {
                code = sys::mbedtls_ssl_session_save(
                    &session,
                    saved.as_mut_ptr(),
                    saved.len(),
                    &mut len,
                );
            }
            sys::mbedtls_ssl_session_free(&mut session);
            code
        };
        if code == 0 && len <= saved.len() {
            saved.truncate(len);
            self.inner.resumption = Some(Resumption { id, saved });
        }
    }

    /// Runs the handshake or reads records, as far as the datagram in hand allows.
    fn drive(&mut self) -> Result<(), Error> {
        let mut buf = Vec::new();
        loop {
            match self.inner.state {
                State::Handshaking => {
                    // SAFETY: the session is set up.
                    let code = unsafe { sys::mbedtls_ssl_handshake(&mut self.inner.ssl) };
                    match code {
                        0 => {
                            self.inner.state = State::Established;
                            self.inner.handshake = Some(self.inner.io.traffic);
                            self.export();
                        }
                        sys::MBEDTLS_ERR_SSL_WANT_READ | sys::MBEDTLS_ERR_SSL_WANT_WRITE => {
                            return Ok(());
                        }
                        sys::MBEDTLS_ERR_SSL_TIMEOUT => return self.fail(Error::Timeout),
                        code => return self.fail(Error::Handshake(code)),
                    }
                }
                State::Established => {
                    buf.resize(MAX_PLAINTEXT, 0);
                    // SAFETY: the session is set up; `buf` is writable for its length.
                    let code = unsafe {
                        sys::mbedtls_ssl_read(&mut self.inner.ssl, buf.as_mut_ptr(), buf.len())
                    };
                    match usize::try_from(code) {
                        Ok(0) => return Ok(()),
                        Ok(n) if n < buf.len() => {
                            self.inner.records_received =
                                self.inner.records_received.wrapping_add(1);
                            self.inner.received.push_back(buf[..n].to_vec());
                        }
                        // A plaintext that fills the buffer is longer than any datagram the
                        // client takes: the rest of its record is read and dropped with it.
                        Ok(_) => self.drain_record(&mut buf),
                        Err(_) => match code {
                            sys::MBEDTLS_ERR_SSL_WANT_READ
                            | sys::MBEDTLS_ERR_SSL_WANT_WRITE
                            | sys::MBEDTLS_ERR_SSL_TIMEOUT => {
                                // More records of the same datagram may wait behind one that
                                // carried no data (a warning alert).
                                // SAFETY: the session is set up.
                                if unsafe { sys::mbedtls_ssl_check_pending(&self.inner.ssl) } == 0 {
                                    return Ok(());
                                }
                            }
                            sys::MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY => {
                                self.inner.state = State::Closed;
                                return Err(Error::Closed);
                            }
                            code => return self.fail(Error::Protocol(code)),
                        },
                    }
                }
                State::Closed => return Err(Error::Closed),
                State::Failed(e) => return Err(e),
            }
        }
    }

    /// Reads what is left of the current record, to drop it.
    fn drain_record(&mut self, buf: &mut [u8]) {
        // SAFETY: the session is set up; `buf` is writable for its length. Each read takes
        // bytes of the record already decrypted, so the loop ends.
        unsafe {
            while sys::mbedtls_ssl_get_bytes_avail(&self.inner.ssl) > 0 {
                if sys::mbedtls_ssl_read(&mut self.inner.ssl, buf.as_mut_ptr(), buf.len()) <= 0 {
                    break;
                }
            }
        }
    }

    fn fail<T>(&mut self, error: Error) -> Result<T, Error> {
        self.inner.state = State::Failed(error);
        Err(error)
    }
}

/// The records of `datagram` whose epoch is not 0, in order; a record header that does not
/// fit ends the datagram (Mbed TLS would drop the rest too).
fn authenticated_epochs(datagram: &[u8]) -> Vec<u8> {
    const HEADER: usize = 13;
    let mut kept = Vec::new();
    let mut rest = datagram;
    while let Some(header) = rest.get(..HEADER) {
        let epoch = u16::from_be_bytes([header[3], header[4]]);
        let len = usize::from(u16::from_be_bytes([header[11], header[12]]));
        let Some(record) = rest.get(..HEADER + len) else {
            break;
        };
        if epoch != 0 {
            kept.extend_from_slice(record);
        }
        rest = &rest[HEADER + len..];
    }
    kept
}

impl Inner {
    /// Offers a saved session for resumption.
    fn offer(&mut self, resume: &Resumption) -> Result<(), Error> {
        // SAFETY: a fresh session struct is initialised, loaded from bytes this crate saved
        // (Mbed TLS checks their format and version), copied into the context, and freed.
        let code = unsafe {
            let mut session: sys::mbedtls_ssl_session = core::mem::zeroed();
            sys::mbedtls_ssl_session_init(&mut session);
            let mut code = sys::mbedtls_ssl_session_load(
                &mut session,
                resume.saved.as_ptr(),
                resume.saved.len(),
            );
            if code == 0 {
                code = sys::mbedtls_ssl_set_session(&mut self.ssl, &session);
            }
            sys::mbedtls_ssl_session_free(&mut session);
            code
        };
        check(code)?;
        self.resumed_id = Some(resume.id.clone());
        Ok(())
    }
}
