// The derive needs the definition to check against.
#[derive(lwm2m_macros::Lwm2mObject)]
struct Sensor {
    direction: i8,
}

fn main() {}
