// `verified` consumes the Downloaded handle and returns Delivered, which has no `verified`.
use lwm2m_objects::lwm2m_software_management::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Downloaded(downloaded) = machine.current() {
        downloaded.verified().verified();
    }
}
