// Package (/5/0) is write-only: there is nothing to read.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "objects/xml/5.xml")]
#[lwm2m(resource = 0, read = "package", write = "write_package")]
#[lwm2m(resource = 1, read = "uri", write = "set_uri")]
#[lwm2m(resource = 2, execute = "update")]
struct Firmware {
    state: u8,
    update_result: u8,
    firmware_update_delivery_method: u8,
}

fn main() {}
