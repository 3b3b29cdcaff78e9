//! What the fuzz targets share: Object 3, and the update agent (Object 5) on simulated NOR
//! flash holding a signed factory image, built once and copied for every input.

use std::sync::OnceLock;

use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::Mcuboot;
use lwm2m_fota::sim::NorSim;
use lwm2m_fota::{FirmwareUpdate, Layout, Settings, Version, keys, sim};
use lwm2m_objects::device;
use lwm2m_runtime::{Error, ExecuteArgs, Instances};

/// Object 3 with the mandatory resources.
pub struct Dev;

impl device::Handler for Dev {
    fn execute_reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn read_error_code(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        let mut codes = Instances::new();
        codes.insert(0, 0).map_err(|_| Error::Internal)?;
        Ok(codes)
    }
    fn read_supported_binding_and_modes(
        &mut self,
        _: u16,
    ) -> Result<heapless::String<64>, Error> {
        let mut s = heapless::String::new();
        let _ = s.push_str("U");
        Ok(s)
    }
}

/// 64 KiB images: a pushed package fills the slot quickly.
pub const LAYOUT: Layout = Layout::new(4096, 4, 2, 16);

/// The update agent as every input starts with it.
pub type Firmware = FirmwareUpdate<NorSim<Vec<u8>>, Mcuboot, EmbassyBoot>;

/// A fresh agent on a copy of a provisioned flash.
pub fn firmware() -> Firmware {
    static FLASH: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = FLASH.get_or_init(|| {
        sim::dev_flash(&LAYOUT, Version::new(1, 0, 0, 0))
            .expect("the development flash provisions")
            .into_memory()
    });
    let flash = NorSim::new(bytes.clone()).expect("whole sectors");
    let key = keys::dev_public_key().expect("the development key is valid");
    FirmwareUpdate::boot(
        flash,
        LAYOUT,
        Mcuboot::new(key),
        EmbassyBoot::new(LAYOUT),
        Settings::default(),
        |_: &[u8]| true,
    )
    .map_err(|(_, e)| e)
    .expect("the factory image boots")
}

/// Feeds `data` to `client` as datagrams (a length byte, a peer byte, then the bytes), the
/// peer byte choosing one of `peers` (modulo their number) and moving the clock; after each, the
/// client's output must stay within the MTU and end.
pub fn feed(
    client: &mut lwm2m_runtime::client::Client,
    device: &mut lwm2m_runtime::client::Device<'_, '_>,
    data: &[u8],
    peers: &[lwm2m_runtime::client::Peer],
) {
    use lwm2m_runtime::client::Instant;
    let mut now = 0u64;
    let mut rest = data;
    while let [len, peer, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (datagram, next) = tail.split_at(n);
        let Some(&from) = peers.get(usize::from(*peer) % peers.len().max(1)) else {
            return;
        };
        client.handle(Instant(now), from, datagram, device);
        let mut sent = 0;
        while let Some(t) = client.poll(Instant(now), device) {
            assert!(t.data.len() <= 1280, "a datagram larger than the MTU budget");
            sent += 1;
            assert!(sent < 64, "the client keeps sending");
        }
        now += u64::from(*peer) * 97;
        rest = next;
    }
}
