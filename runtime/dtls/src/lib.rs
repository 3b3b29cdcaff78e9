//! Sans-IO DTLS 1.2 with a pre-shared key, for LwM2M over `coaps://`.
//!
//! LwM2M devices authenticated by a pre-shared key (Security Object mode 0) use DTLS 1.2 with
//! `TLS_PSK_WITH_AES_128_CCM_8` (RFC 7925). This crate runs that over Mbed TLS 3.6 (built by
//! `embedded-mbedtls-sys` with only what the suite needs) and keeps to the runtime's shape:
//! datagrams and the time go in, datagrams and deadlines come out; the application owns the
//! socket and the clock.
//!
//! * [`Session`]: one association with one peer, client or (feature `server`) server side.
//! * [`Link`]: a device's line to its server over sessions: handshakes on demand, keeps the
//!   datagrams that wait for one, backs off after failures (5 s doubling to 300 s), and
//!   offers the last session for an abbreviated handshake after a sleep or an address change.
//!
//! ```
//! use lwm2m_dtls::{Link, Psk};
//!
//! let psk = Psk { identity: b"dev-1", key: &[0x11; 16] };
//! let mut link = Link::new(psk, |buf: &mut [u8]| buf.fill(4)).unwrap(); // use a TRNG
//! link.send(0, b"a CoAP Register");
//! // The ClientHello; the Register waits for the handshake.
//! let hello = link.poll_transmit().unwrap();
//! assert_eq!(hello[0], 22, "a handshake record");
//! assert!(link.timeout().is_some(), "its retransmission is scheduled");
//! ```
//!
//! Memory: Mbed TLS allocates its record buffers (by default 16 KiB each way) and the
//! handshake state with `calloc`; on bare-metal targets (`target_os = "none"`) the
//! `c-allocator` feature provides `calloc` and `free` over Rust's global allocator (elsewhere
//! it does nothing). Their record buffers can be shrunk with C flags (see
//! `examples/firmware/.cargo/config.toml`).
//!
//! Secrets: the key and the saved sessions (which hold the master secret) are zeroed when
//! dropped. A panic in a callback the application gives (`random`, the server's key lookup)
//! happens under a C frame and aborts.

#![no_std]

extern crate alloc;

// Hosted targets keep their C library's allocator (replacing it would recurse through
// Rust's System allocator).
#[cfg(all(feature = "c-allocator", target_os = "none"))]
mod c_alloc;
mod error;
mod io;
mod link;
#[cfg(feature = "server")]
mod server;
mod session;

pub use error::Error;
pub use io::Traffic;
pub use link::{FIRST_BACKOFF_MS, Link, LinkEvent, MAX_BACKOFF_MS, Random};
#[cfg(feature = "server")]
pub use server::{KeyLookup, ServerConfig};
pub use session::{MAX_IDENTITY_LEN, MAX_KEY_LEN, Psk, Resumption, Session, State};
