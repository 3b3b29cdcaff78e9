// Available Network Bearer (/4/1) has multiple instances.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "objects/xml/4.xml")]
struct Radio {
    network_bearer: u8,
    available_network_bearer: u8,
    radio_signal_strength: i64,
    ip_addresses: lwm2m_runtime::Instances<heapless::String<40>, 2>,
}

fn main() {}
