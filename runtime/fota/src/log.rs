//! Logging that costs nothing unless asked for: `debug!` to `error!` forward to the `log`
//! facade (feature `log`), to `defmt` (feature `defmt`), to both, or to nothing. The target is
//! `lwm2m::fota`, under the client's `lwm2m`, so `RUST_LOG=lwm2m=info` shows both and
//! `RUST_LOG=lwm2m::fota=debug` the agent alone.
//!
//! A copy of `lwm2m-runtime`'s macros rather than a re-export: a `macro_rules!` macro checks
//! `cfg(feature = ...)` in the crate it expands in, so the runtime's macros, exported, would
//! read this crate's features only by accident of name; and this crate picks its own target.
//!
//! Format strings use `{}` and `{:?}` with positional arguments only, so that both back-ends
//! read them (values logged are integers, `&str` and this crate's types, which derive
//! `defmt::Format` with the `defmt` feature); arguments are evaluated by reference even when
//! logging is off, so a disabled build has the same warnings as an enabled one.

macro_rules! log_at {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(feature = "log")]
        ::log::$level!(target: "lwm2m::fota", $fmt $(, $arg)*);
        #[cfg(feature = "defmt")]
        ::defmt::$level!($fmt $(, $arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        {
            let _ = ($(&$arg,)*);
        }
    }};
}

macro_rules! debug {
    ($($t:tt)*) => { log_at!(debug, $($t)*) };
}

macro_rules! info {
    ($($t:tt)*) => { log_at!(info, $($t)*) };
}

macro_rules! warn {
    ($($t:tt)*) => { log_at!(warn, $($t)*) };
}

macro_rules! error {
    ($($t:tt)*) => { log_at!(error, $($t)*) };
}
