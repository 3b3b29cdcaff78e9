// There is nothing to cancel in Idle: the handle has no `cancel`.
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Idle(idle) = machine.current() {
        idle.cancel();
    }
}
