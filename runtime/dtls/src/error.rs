//! What can go wrong in a session, in words a firmware engineer can act on.

use core::ffi::c_int;

use embedded_mbedtls_sys as sys;

/// A session error. Every one but [`Error::NotEstablished`] and [`Error::TooLarge`] ends the
/// session: start another (with backoff, as [`crate::Link`] does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Mbed TLS could not set the session up (out of memory, or a refused setting): its code.
    Setup(i32),
    /// The pre-shared key is empty or longer than [`crate::MAX_KEY_LEN`] bytes.
    KeyLength(usize),
    /// The PSK identity is empty or longer than [`crate::MAX_IDENTITY_LEN`] bytes.
    IdentityLength(usize),
    /// The handshake failed: Mbed TLS's code. A fatal alert from the peer during the
    /// handshake most often means the server does not know the PSK identity.
    Handshake(i32),
    /// The peer did not finish the handshake before the retransmissions ran out (62 s).
    Timeout,
    /// Application data before the handshake ended.
    NotEstablished,
    /// A plaintext too large for one record (the MTU is 1280 bytes).
    TooLarge(usize),
    /// The peer closed the session (close_notify).
    Closed,
    /// A fatal error on an established session: Mbed TLS's code.
    Protocol(i32),
}

impl Error {
    /// Whether the peer refused the handshake with an alert, as it does for an unknown
    /// identity or a key that does not match.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::Handshake(code) if *code == sys::MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
                || *code == sys::MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY
                || *code == sys::MBEDTLS_ERR_SSL_INVALID_MAC
        )
    }
}

fn hex(code: i32) -> u32 {
    (code as c_int).unsigned_abs()
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Error::Setup(code) => write!(f, "DTLS setup failed (Mbed TLS -0x{:04x})", hex(code)),
            Error::KeyLength(n) => write!(
                f,
                "a pre-shared key of {n} bytes: 1 to {} are supported",
                crate::MAX_KEY_LEN
            ),
            Error::IdentityLength(n) => write!(
                f,
                "a PSK identity of {n} bytes: 1 to {} are supported",
                crate::MAX_IDENTITY_LEN
            ),
            e @ Error::Handshake(code) if e.is_refusal() => write!(
                f,
                "the DTLS handshake was refused (Mbed TLS -0x{:04x}): check the PSK identity and key",
                hex(code)
            ),
            Error::Handshake(code) => {
                write!(
                    f,
                    "the DTLS handshake failed (Mbed TLS -0x{:04x})",
                    hex(code)
                )
            }
            Error::Timeout => f.write_str(
                "the peer did not finish the DTLS handshake in 62 s: the link is down, or the \
                 PSK key does not match the server's (its records are dropped unanswered)",
            ),
            Error::NotEstablished => f.write_str("the DTLS handshake has not finished"),
            Error::TooLarge(n) => write!(f, "{n} bytes do not fit in one DTLS record"),
            Error::Closed => f.write_str("the peer closed the DTLS session"),
            Error::Protocol(code) => {
                write!(f, "the DTLS session failed (Mbed TLS -0x{:04x})", hex(code))
            }
        }
    }
}

impl core::error::Error for Error {}
