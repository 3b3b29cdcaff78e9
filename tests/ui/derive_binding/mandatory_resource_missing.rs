// Every mandatory resource must be bound.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    count: u16,
}

fn main() {}
