// Reporting "downloaded" from Idle does not compile: nothing was downloading.
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Idle(idle) = machine.current() {
        idle.downloaded();
    }
}
