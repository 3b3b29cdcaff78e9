// A resource of Firmware Update cannot be written on Device.
use lwm2m_objects::device;
use lwm2m_runtime::{Error, ExecuteArgs, Instances, TypedAccess};

struct Device;

impl device::Handler for Device {
    fn execute_reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn read_error_code(&mut self, _: u16) -> Result<Instances<u8, 8>, Error> {
        Ok(Instances::new())
    }
    fn read_supported_binding_and_modes(&mut self, _: u16) -> Result<heapless::String<64>, Error> {
        Ok(heapless::String::try_from("U").unwrap_or_default())
    }
}

fn main() {
    let mut served = device::Served(Device);
    let uri = heapless::String::<255>::try_from("coap://[::1]/fw").unwrap();
    let _ = served.write_resource::<lwm2m_objects::firmware_update::resources::PackageUri>(0, &uri);
}
