// A download can only fail with a download's results: 8 (update failed) is not one of them.
use lwm2m_runtime::fota::{DownloadFailure, FirmwareUpdate};

fn main() {
    let mut fw = FirmwareUpdate::new();
    fw.on_download().unwrap().failed(DownloadFailure::UpdateFailed);
}
