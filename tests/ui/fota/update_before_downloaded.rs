// Starting the update while the package is still arriving does not compile.
use lwm2m_runtime::fota::FirmwareUpdate;

fn main() {
    let mut fw = FirmwareUpdate::new();
    let downloading = fw.on_download().unwrap();
    downloading.start_update();
}
