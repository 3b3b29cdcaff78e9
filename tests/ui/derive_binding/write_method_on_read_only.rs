// A read-only resource cannot have a write method.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
#[lwm2m(resource = 1, read = "count", write = "set_count")]
struct Sensor {
    direction: i8,
}

fn main() {}
