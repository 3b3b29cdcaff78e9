//! An executable resource that declares a `<Type>` (codegen's `executable_with_type` fixture,
//! Item 3 `Calibrate`, `<Type>Integer</Type>`) is generated as an executable with no value:
//! the code compiles, the type is ignored, and the resource is served by Execute alone.

#[allow(
    dead_code,
    reason = "the fixture's items are checked by type, not all used"
)]
mod fixture {
    include!("../../codegen/tests/fixtures/executable_with_type/expected.rs");
}

use fixture::valve_actuator as valve;
use lwm2m_runtime::{
    Error, ExecuteArgs, ObjectSpec, Operations, ResourceSpec, ResourceType, TypedAccess,
};

fn value_is<R: ResourceSpec<Value = V>, V: ?Sized>() {}

#[test]
fn the_typed_executable_has_no_value_and_no_constraint() {
    value_is::<valve::resources::Calibrate, ()>();
    value_is::<valve::resources::Close, ()>();
    let info = <valve::resources::Calibrate as ResourceSpec>::INFO;
    assert_eq!(info.id, 3);
    assert_eq!(info.operations, Operations::Execute);
    assert_eq!(info.kind, ResourceType::None);
    assert_eq!(
        info.kind,
        <valve::resources::Close as ResourceSpec>::INFO.kind
    );
    assert_eq!(valve::Spec::INFO.resources.len(), 4);
}

#[derive(Default)]
struct Valve {
    calibrations: u32,
}

impl valve::Handler for Valve {
    fn read_opening(&mut self, _: u16) -> Result<u8, Error> {
        Ok(40)
    }
    fn execute_close(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn execute_calibrate(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        self.calibrations += 1;
        Ok(())
    }
}

#[test]
fn it_is_served_by_execute_and_refuses_read() {
    let mut served = valve::Served(Valve::default());
    served
        .execute_resource::<valve::resources::Calibrate>(0, ExecuteArgs(b""))
        .unwrap();
    assert_eq!(served.0.calibrations, 1);
    assert_eq!(served.read_resource::<valve::resources::Opening>(0), Ok(40));
    assert_eq!(
        lwm2m_runtime::Object::read(&mut served, 0, valve::resources::CALIBRATE, &mut Ignore),
        Err(Error::MethodNotAllowed)
    );
}

/// A read sink that drops what it is given.
struct Ignore;

impl lwm2m_runtime::ReadSink for Ignore {
    fn value(&mut self, _: Option<u16>, _: lwm2m_runtime::Value<'_>) -> Result<(), Error> {
        Ok(())
    }
}
