//! LwM2M Queue Mode (registered with `Q`; binding `UQ` in LwM2M 1.0): the device stays
//! reachable for a window after its last exchange with the server, then tells the
//! application it may sleep (turn its radio off) until the next thing it must do, and
//! announces itself with a Registration Update when it wakes, so that the server sends what
//! it held back.

use super::Instant;

/// Whether the device is awake, and until when.
#[derive(Clone, Debug)]
pub(super) struct Queue {
    /// The device registered in queue mode.
    enabled: bool,
    /// How long the device stays reachable after its last exchange.
    window_ms: u64,
    awake_until: Instant,
    asleep: bool,
}

impl Queue {
    pub(super) fn new(enabled: bool, window_ms: u64) -> Self {
        Self {
            enabled,
            window_ms,
            awake_until: Instant(0),
            asleep: false,
        }
    }

    /// A datagram went to or came from the server: the window starts again.
    pub(super) fn touch(&mut self, now: Instant) {
        if self.enabled {
            self.awake_until = now.after(self.window_ms);
            self.asleep = false;
        }
    }

    /// Whether the device said it may sleep and has not woken since.
    pub(super) fn is_asleep(&self) -> bool {
        self.asleep
    }

    /// The end of the window, while awake in queue mode.
    pub(super) fn deadline(&self) -> Option<Instant> {
        (self.enabled && !self.asleep).then_some(self.awake_until)
    }

    /// Whether the device falls asleep at `now`: the window ran out and nothing is
    /// going on (`idle`). True once per sleep.
    pub(super) fn falls_asleep(&mut self, now: Instant, idle: bool) -> bool {
        if self.enabled && !self.asleep && idle && now >= self.awake_until {
            self.asleep = true;
            return true;
        }
        false
    }

    /// Wakes the device (something is due); true when it was asleep, so that it announces
    /// itself with a Registration Update.
    pub(super) fn wake(&mut self, now: Instant) -> bool {
        let was = self.asleep;
        self.touch(now);
        was
    }
}
