// An executable has no value to hold.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "objects/xml/3.xml")]
#[lwm2m(resource = 11, read = "error_codes")]
struct Device {
    reboot: bool,
    supported_binding_and_modes: heapless::String<8>,
}

fn main() {}
