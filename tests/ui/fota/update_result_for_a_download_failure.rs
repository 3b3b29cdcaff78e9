// A download can only fail with a download's results: 8 (update failed) is not one of them.
use lwm2m_objects::firmware_update::machine::{Current, DownloadFailure, Machine};

fn main() {
    let mut machine = Machine::new();
    if let Current::Downloading(downloading) = machine.current() {
        downloading.failed(DownloadFailure::UpdateFailed);
    }
}
