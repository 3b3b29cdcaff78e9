// A misspelled key gets a suggestion.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xlm = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
}

fn main() {}
