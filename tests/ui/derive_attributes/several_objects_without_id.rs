// A file with several objects needs `id = N`.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/two_objects.xml")]
struct Sensor {
    value: f64,
}

fn main() {}
