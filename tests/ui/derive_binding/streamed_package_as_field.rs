// Package (/5/0) is unbounded: it arrives in chunks and cannot be a field.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "objects/xml/5.xml")]
#[lwm2m(resource = 2, execute = "update")]
struct Firmware {
    package: heapless::Vec<u8, 1024>,
    package_uri: heapless::String<255>,
    state: u8,
    update_result: u8,
    firmware_update_delivery_method: u8,
}

fn main() {}
