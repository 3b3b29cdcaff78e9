// Uninstall applies to a delivered package or installed software, not to a download.
use lwm2m_objects::lwm2m_software_management::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Initial(initial) = machine.current() {
        initial.start_download().uninstall();
    }
}
