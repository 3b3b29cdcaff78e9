// A struct-level `resource = N` names the methods that serve it.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
#[lwm2m(resource = 0)]
struct Sensor {
    direction: i8,
}

fn main() {}
