// A Software Management handle is not a Firmware Update handle.
use lwm2m_objects::firmware_update::machine as fota;
use lwm2m_objects::lwm2m_software_management::machine as swm;

fn started(downloading: fota::Downloading<'_>) {
    let _ = downloading;
}

fn main() {
    let mut machine = swm::Machine::new();
    if let swm::Current::Initial(initial) = machine.current() {
        started(initial.start_download());
    }
}
