// `resource = N` must name a resource of the object.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    #[lwm2m(resource = 9)]
    humidity: f64,
}

fn main() {}
