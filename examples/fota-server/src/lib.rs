//! A small LwM2M server that updates one device's firmware, for the demo and the tests.
//!
//! [`server::Server`] is sans-IO: datagrams and the time in, datagrams and deadlines out. It
//! registers the device, observes /5/0/3 State, /5/0/5 Update Result and /4/0/2 Radio Signal
//! Strength, waits for the signal before pushing, delivers each [`server::Job`] by PUSH or
//! PULL (serving the image over CoAP Block2 itself), executes Update and judges the outcome.
//! [`udp`] binds it to a socket (with [`dtls`] for devices with pre-shared keys), [`http`] serves an image for HTTP PULL, and [`report`]
//! prints what it sees, with a progress bar.

pub mod bootstrap;
pub mod coap;
pub mod dtls;
pub mod http;
pub mod report;
pub mod serial;
pub mod server;
pub mod udp;

pub use server::{Event, Expect, Job, Method, Outcome, Server, Settings, Stats};
