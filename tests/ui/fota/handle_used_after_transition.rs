// A transition consumes the handle of the state it leaves: the old state cannot be reused.
use lwm2m_objects::firmware_update::machine::{Current, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Idle(idle) = machine.current() {
        let downloading = idle.start_download();
        let _downloaded = downloading.downloaded();
        downloading.cancel();
    }
}
