// A mandatory resource always has a value.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: Option<i8>,
}

fn main() {}
