// A misspelled field key gets a suggestion.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    #[lwm2m(resouce = 0)]
    heading: i8,
}

fn main() {}
