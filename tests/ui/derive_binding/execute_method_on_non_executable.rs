// Only executable resources have execute methods.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
#[lwm2m(resource = 4, execute = "toggle")]
struct Sensor {
    direction: i8,
}

fn main() {}
