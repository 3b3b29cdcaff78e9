//! A small LwM2M server that updates one device's firmware, for the demo and the tests.
//!
//! [`server::Server`] is sans-IO: datagrams and the time in, datagrams and deadlines out. It
//! registers the device, observes /5/0/3 State, /5/0/5 Update Result and /4/0/2 Radio Signal
//! Strength, waits for the signal before pushing, delivers each [`server::Job`] by PUSH or
//! PULL (serving the image over CoAP Block2 itself), executes Update and judges the outcome.
//! [`udp`] binds it to a socket (with [`dtls`] for devices with pre-shared keys), [`http`] serves an image for HTTP PULL, and [`report`]
//! prints what it sees, with a progress bar. What goes wrong on the way (DTLS failures,
//! datagrams that cannot be sent) is logged through the `log` facade, target [`LOG`].

pub mod bootstrap;
pub mod campaign;
pub mod coap;
pub mod dtls;
pub mod http;
pub mod report;
pub mod serial;
pub mod server;
pub mod udp;

pub use server::{DeviceView, Event, Expect, Job, Method, Outcome, Server, Settings, Stats};

/// The target of the server's log lines.
pub const LOG: &str = "lwm2m::server";

/// Sends the log to stderr with env_logger: `RUST_LOG` picks what, `default` when it is not
/// set (`"warn"`: only what went wrong; `"info"` adds each DTLS session).
pub fn init_logging(default: &str) {
    use std::io::Write;
    let _already_set =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
            .format(|out, r| writeln!(out, "[{:<5} {}] {}", r.level(), r.target(), r.args()))
            .try_init();
}
