//! What Mbed TLS calls back into: the datagram in hand, the records it writes, its timer and
//! its random numbers. Each callback gets a pointer to an [`Io`] (or a DRBG) that lives in the
//! session's box for as long as Mbed TLS holds the pointer.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::ffi::{c_int, c_uchar, c_void};

use embedded_mbedtls_sys as sys;

/// Records kept before they are collected: a handshake flight is at most a few, and
/// application data goes out one record per [`crate::Session::send`]. Past this the oldest
/// is dropped, as the network would drop it (Mbed TLS takes "would block" from the send
/// callback as an error).
const MAX_OUTPUT: usize = 16;

/// Counts of what crossed the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Datagrams sent.
    pub sent_datagrams: u32,
    /// Bytes sent (DTLS records, without UDP and IP headers).
    pub sent_bytes: u32,
    /// Datagrams handed in.
    pub received_datagrams: u32,
    /// Bytes handed in.
    pub received_bytes: u32,
}

/// The handshake retransmission timer Mbed TLS arms (RFC 6347 4.2.4).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timer {
    start: u64,
    intermediate: u64,
    fin: u64,
}

/// The sans-IO side of a session: the clock, the datagram being read and the records
/// written.
#[derive(Debug, Default)]
pub(crate) struct Io {
    pub(crate) now: u64,
    pub(crate) input: Option<Vec<u8>>,
    pub(crate) output: VecDeque<Vec<u8>>,
    pub(crate) timer: Option<Timer>,
    pub(crate) traffic: Traffic,
}

impl Io {
    /// When the timer runs out, if it is armed.
    pub(crate) fn deadline(&self) -> Option<u64> {
        self.timer.map(|t| t.start.saturating_add(t.fin))
    }

    /// Takes in a received datagram for the next read.
    pub(crate) fn put(&mut self, datagram: &[u8]) {
        self.traffic.received_datagrams = self.traffic.received_datagrams.saturating_add(1);
        self.traffic.received_bytes = self
            .traffic
            .received_bytes
            .saturating_add(u32::try_from(datagram.len()).unwrap_or(u32::MAX));
        self.input = Some(datagram.to_vec());
    }
}

/// `mbedtls_ssl_send_t`: one record (or a flight packed into one datagram) to send.
///
/// # Safety
/// `ctx` is the session's `Io`; `buf` holds `len` bytes (Mbed TLS's contract).
pub(crate) unsafe extern "C" fn send(ctx: *mut c_void, buf: *const c_uchar, len: usize) -> c_int {
    // SAFETY: the session registered a pointer to its boxed `Io`, which outlives the SSL
    // context, and Mbed TLS calls back only from within a session method (no other borrow).
    let io = unsafe { &mut *ctx.cast::<Io>() };
    let Ok(written) = c_int::try_from(len) else {
        return sys::MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    };
    // SAFETY: Mbed TLS passes a buffer of `len` readable bytes.
    let bytes = unsafe { core::slice::from_raw_parts(buf, len) };
    io.traffic.sent_datagrams = io.traffic.sent_datagrams.saturating_add(1);
    io.traffic.sent_bytes = io.traffic.sent_bytes.saturating_add(written.unsigned_abs());
    if io.output.len() >= MAX_OUTPUT {
        io.output.pop_front();
    }
    io.output.push_back(bytes.to_vec());
    written
}

/// `mbedtls_ssl_recv_t`: the datagram in hand, once, whole; "would block" when there is none.
///
/// # Safety
/// `ctx` is the session's `Io`; `buf` has room for `len` bytes.
pub(crate) unsafe extern "C" fn recv(ctx: *mut c_void, buf: *mut c_uchar, len: usize) -> c_int {
    // SAFETY: as in `send`.
    let io = unsafe { &mut *ctx.cast::<Io>() };
    let Some(datagram) = io.input.take() else {
        return sys::MBEDTLS_ERR_SSL_WANT_READ;
    };
    // An empty datagram is nothing (0 would read as the end of the connection), and one
    // larger than Mbed TLS's input buffer cannot hold a valid record: both dropped.
    if datagram.is_empty() || datagram.len() > len {
        return sys::MBEDTLS_ERR_SSL_WANT_READ;
    }
    let Ok(read) = c_int::try_from(datagram.len()) else {
        return sys::MBEDTLS_ERR_SSL_WANT_READ;
    };
    // SAFETY: `buf` has room for `len` >= `datagram.len()` bytes, and does not overlap the
    // datagram, which is our own allocation.
    unsafe { core::ptr::copy_nonoverlapping(datagram.as_ptr(), buf, datagram.len()) };
    read
}

/// `mbedtls_ssl_set_timer_t`: arms the timer (`fin_ms` 0 cancels it).
///
/// # Safety
/// `ctx` is the session's `Io`.
pub(crate) unsafe extern "C" fn set_timer(ctx: *mut c_void, int_ms: u32, fin_ms: u32) {
    // SAFETY: as in `send`.
    let io = unsafe { &mut *ctx.cast::<Io>() };
    io.timer = (fin_ms != 0).then_some(Timer {
        start: io.now,
        intermediate: u64::from(int_ms),
        fin: u64::from(fin_ms),
    });
}

/// `mbedtls_ssl_get_timer_t`: -1 cancelled, 0 running, 1 intermediate passed, 2 final passed.
/// While a datagram is in hand the timer reads as running: Mbed TLS would otherwise resend
/// its flight instead of reading the answer that arrived (retransmissions are for
/// [`crate::Session::handle_timeout`]).
///
/// # Safety
/// `ctx` is the session's `Io`.
pub(crate) unsafe extern "C" fn get_timer(ctx: *mut c_void) -> c_int {
    // SAFETY: as in `send`.
    let io = unsafe { &*ctx.cast::<Io>() };
    match io.timer {
        None => -1,
        Some(_) if io.input.is_some() => 0,
        Some(t) => {
            let elapsed = io.now.saturating_sub(t.start);
            if elapsed >= t.fin {
                2
            } else if elapsed >= t.intermediate {
                1
            } else {
                0
            }
        }
    }
}

/// Entropy for seeding the DRBG, from the caller's source, during `mbedtls_ctr_drbg_seed`
/// only.
///
/// # Safety
/// `ctx` points to a `&mut dyn FnMut(&mut [u8])` that lives for the call; `out` has room for
/// `len` bytes.
pub(crate) unsafe extern "C" fn entropy(ctx: *mut c_void, out: *mut c_uchar, len: usize) -> c_int {
    if ctx.is_null() {
        // After seeding the source is gone: a reseed is refused (the reseed interval is set
        // beyond any session's use).
        return sys::MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    }
    // SAFETY: the seeding code passes a pointer to a live `&mut dyn FnMut(&mut [u8])`.
    let source = unsafe { &mut *ctx.cast::<&mut dyn FnMut(&mut [u8])>() };
    // SAFETY: Mbed TLS passes a writable buffer of `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(out, len) };
    source(out);
    0
}
