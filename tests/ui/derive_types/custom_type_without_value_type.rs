// A type the derive cannot see into must implement ValueType.
struct Tally;

#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    count: Option<Tally>,
}

fn main() {}
