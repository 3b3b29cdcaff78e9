// Direction is an Integer.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: bool,
}

fn main() {}
