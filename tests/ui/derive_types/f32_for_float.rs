// LwM2M floats travel as f64.
#[derive(lwm2m_macros::Lwm2mObject)]
#[lwm2m(xml = "tests/ui/xml/sensor.xml")]
struct Sensor {
    direction: i8,
    temperature: Option<f32>,
}

fn main() {}
