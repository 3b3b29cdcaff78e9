//! The device's application: Object 3 with a Battery Level (/3/0/9) that drains and charges
//! at random times, each change a different value, and the client told of each.

use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::{Error, ExecuteArgs, Instances};

use super::Rng;

/// Object 3 as the simulated device serves it: what is mandatory, and Battery Level.
#[derive(Lwm2mObject)]
#[lwm2m(xml = "../objects/xml/3.xml")]
#[lwm2m(resource = 4, execute = "reboot")]
pub struct Meter {
    error_code: Instances<u8, 4>,
    supported_binding_and_modes: heapless::String<8>,
    /// Battery Level, in percent: the value the server observes.
    pub battery_level: Option<u8>,
}

impl Meter {
    fn reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// The application: the object, and when its value changes next.
pub struct App {
    /// The object the client serves.
    pub meter: Meter,
    /// The mean time between changes, in ms (`None`: the value never changes).
    every_ms: Option<u64>,
    next_change: Option<u64>,
    /// Changes so far.
    pub changes: u64,
    /// When the value last changed.
    pub changed_at: u64,
}

impl App {
    /// Battery at 100 %, changing every `every_ms` on average from `now`.
    pub fn new(every_ms: Option<u64>, now: u64, rng: &mut Rng) -> Self {
        let mut error_code = Instances::new();
        let _ = error_code.insert(0, 0);
        let mut app = Self {
            meter: Meter {
                error_code,
                supported_binding_and_modes: heapless::String::try_from("U").unwrap_or_default(),
                battery_level: Some(100),
            },
            every_ms,
            next_change: None,
            changes: 0,
            changed_at: now,
        };
        app.schedule(now, rng);
        app
    }

    fn schedule(&mut self, now: u64, rng: &mut Rng) {
        self.next_change = self.every_ms.map(|mean| now + 1 + rng.below(2 * mean));
    }

    /// The observed value as the client renders it in text/plain.
    pub fn value(&self) -> String {
        self.meter.battery_level.unwrap_or(0).to_string()
    }

    /// When the value changes next.
    pub fn next_change(&self) -> Option<u64> {
        self.next_change
    }

    /// Changes the value if a change is due at `now` (always to a different value); whether
    /// it did.
    pub fn tick(&mut self, now: u64, rng: &mut Rng) -> bool {
        if self.next_change.is_none_or(|at| at > now) {
            return false;
        }
        let old = u64::from(self.meter.battery_level.unwrap_or(0));
        let new = (old + 1 + rng.below(100)) % 101;
        self.meter.battery_level = Some(new as u8);
        self.changes += 1;
        self.changed_at = now;
        self.schedule(now, rng);
        true
    }
}
