// One resource, one binding.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    #[lwm2m(resource = 0)]
    heading: i8,
}

fn main() {}
