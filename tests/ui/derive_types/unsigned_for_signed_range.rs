// Direction is -1..1: a u8 cannot hold -1.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: u8,
}

fn main() {}
