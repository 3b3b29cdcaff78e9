// An install under way cannot be abandoned: Updating has no `reset`.
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Updating(updating) = machine.current() {
        updating.reset();
    }
}
