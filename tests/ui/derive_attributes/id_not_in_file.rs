// `id` must name an object of the file.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/two_objects.xml", id = 42203)]
struct Sensor {
    value: f64,
}

fn main() {}
