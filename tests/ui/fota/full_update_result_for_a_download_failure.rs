// A failed download takes one of its own results, not any Update Result.
use lwm2m_objects::firmware_update::UpdateResult;
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Downloading(downloading) = machine.current() {
        downloading.failed(UpdateResult::NotEnoughFlash);
    }
}
