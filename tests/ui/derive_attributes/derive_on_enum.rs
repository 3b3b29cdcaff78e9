// Only structs bind fields to resources.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
enum Sensor {
    Direction(i8),
}

fn main() {}
