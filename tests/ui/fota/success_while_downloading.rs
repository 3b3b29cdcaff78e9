// Only an update in progress can succeed.
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Idle(idle) = machine.current() {
        idle.start_download().succeeded();
    }
}
