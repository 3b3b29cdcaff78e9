// A transition consumes the handle of the state it leaves: the old state cannot be reused.
use lwm2m_runtime::fota::FirmwareUpdate;

fn main() {
    let mut fw = FirmwareUpdate::new();
    let downloading = fw.on_download().unwrap();
    let _downloaded = downloading.downloaded();
    downloading.cancel();
}
