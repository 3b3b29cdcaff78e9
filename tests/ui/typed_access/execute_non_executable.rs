// Executing a resource that is not executable does not compile.
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
    let _ = served.execute_resource::<device::resources::CurrentTime>(0, ExecuteArgs(b""));
}
