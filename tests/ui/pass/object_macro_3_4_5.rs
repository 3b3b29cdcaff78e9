// The function-like macro gives the same modules build.rs generates, for Objects 3, 4 and 5.
use lwm2m_runtime::{Enumeration, ObjectSpec, ResourceSpec};

lwm2m_macros::object!("objects/xml/3.xml", overrides = "objects/xml/overrides.toml");
lwm2m_macros::object!("objects/xml/4.xml", overrides = "objects/xml/overrides.toml");
lwm2m_macros::object!("objects/xml/5.xml", overrides = "objects/xml/overrides.toml");

fn main() {
    assert_eq!(device::Spec::INFO.id, 3);
    assert_eq!(connectivity_monitoring::Spec::INFO.resources.len(), 14);
    assert_eq!(<firmware_update::resources::State as ResourceSpec>::ID, 3);
    assert_eq!(firmware_update::UpdateResult::IntegrityCheckFailure.value(), 5);
    assert_eq!(connectivity_monitoring::NetworkBearer::NbIot.value(), 7);
    assert_eq!(device::PowerSource::Usb.value(), 5);
    // The same facts as the lwm2m-objects crate, which build.rs generated.
    assert_eq!(firmware_update::Spec::INFO, lwm2m_objects::firmware_update::Spec::INFO);
    assert_eq!(device::Spec::INFO, lwm2m_objects::device::Spec::INFO);
}
