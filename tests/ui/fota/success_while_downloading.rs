// Only an update in progress can succeed.
use lwm2m_runtime::fota::FirmwareUpdate;

fn main() {
    let mut fw = FirmwareUpdate::new();
    fw.on_download().unwrap().succeeded();
}
