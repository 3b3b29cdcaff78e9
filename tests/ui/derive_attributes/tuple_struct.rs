// Fields are bound by name, so they need names.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor(i8);

fn main() {}
