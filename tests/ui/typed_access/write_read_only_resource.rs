// Writing a read-only resource does not compile: Manufacturer (/3/0) is R.
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
    let name = heapless::String::<64>::try_from("ACME").unwrap();
    let _ = served.write_resource::<device::resources::Manufacturer>(0, &name);
}
