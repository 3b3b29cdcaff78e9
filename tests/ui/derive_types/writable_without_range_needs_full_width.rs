// Offset is writable with no declared range: the server may write any i64.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    offset: Option<i16>,
}

fn main() {}
