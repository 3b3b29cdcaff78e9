// Starting the update while the package is still arriving does not compile.
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Downloading(downloading) = machine.current() {
        downloading.start_update();
    }
}
