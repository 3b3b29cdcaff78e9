// Package URI is up to 255 bytes.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "objects/xml/5.xml")]
#[lwm2m(resource = 0, write = "write_package")]
#[lwm2m(resource = 2, execute = "update")]
struct Firmware {
    package_uri: heapless::String<32>,
    state: u8,
    update_result: u8,
    firmware_update_delivery_method: u8,
}

fn main() {}
