// A method needs the resource it serves.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
#[lwm2m(read = "count")]
struct Sensor {
    direction: i8,
}

fn main() {}
