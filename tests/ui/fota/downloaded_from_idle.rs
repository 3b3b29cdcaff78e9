// Reporting "downloaded" from Idle does not compile: nothing was downloading.
use lwm2m_runtime::fota::{Firmware, FirmwareUpdate};

fn main() {
    let mut fw = FirmwareUpdate::new();
    if let Firmware::Idle(idle) = fw.firmware() {
        idle.downloaded();
    }
}
