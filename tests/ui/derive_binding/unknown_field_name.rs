// A field is bound by its name; a near miss gets a suggestion.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    temprature: f64,
}

fn main() {}
