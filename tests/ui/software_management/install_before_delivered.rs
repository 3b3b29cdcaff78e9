// A package is installed only once it is delivered (checked): not while it still arrives.
use lwm2m_objects::lwm2m_software_management::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::DownloadStarted(started) = machine.current() {
        started.installed();
    }
}
