// Count is 0..1000: a u8 stops at 255.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    count: Option<u8>,
}

fn main() {}
