// Network Bearer (/4/0) has one instance.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "objects/xml/4.xml")]
struct Radio {
    network_bearer: lwm2m_runtime::Instances<u8, 2>,
    available_network_bearer: lwm2m_runtime::Instances<u8, 4>,
    radio_signal_strength: i64,
    ip_addresses: lwm2m_runtime::Instances<heapless::String<40>, 2>,
}

fn main() {}
