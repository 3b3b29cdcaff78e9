//! Logging that costs nothing unless asked for: `trace!` to `error!` forward to the `log`
//! facade (feature `log`), to `defmt` (feature `defmt`), to both, or to nothing.
//!
//! Format strings use `{}` and `{:?}` with positional arguments only, so that both back-ends
//! read them; arguments are evaluated by reference even when logging is off, so a disabled
//! build has the same warnings as an enabled one.

macro_rules! log_at {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(feature = "log")]
        ::log::$level!(target: "lwm2m", $fmt $(, $arg)*);
        #[cfg(feature = "defmt")]
        ::defmt::$level!($fmt $(, $arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        {
            let _ = ($(&$arg,)*);
        }
    }};
}

#[allow(unused_macros)]
macro_rules! debug {
    ($($t:tt)*) => { log_at!(debug, $($t)*) };
}

macro_rules! info {
    ($($t:tt)*) => { log_at!(info, $($t)*) };
}

macro_rules! warn {
    ($($t:tt)*) => { log_at!(warn, $($t)*) };
}
