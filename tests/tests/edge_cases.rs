//! The edge-case fixture of the generator compiles and means what its XML says.

#[allow(
    dead_code,
    reason = "the fixture's items are checked by type, not all used"
)]
mod fixture {
    include!("../../codegen/tests/fixtures/edge_cases/expected.rs");
}

use fixture::{five_qi, three_phase_test_meter as meter};
use lwm2m_runtime::{
    Chunk, Enumeration, Error, ExecuteArgs, ObjectSpec, ResourceSpec, UnknownValue,
};

fn value_is<R: ResourceSpec<Value = V>, V: ?Sized>() {}

#[test]
fn names_are_mangled_and_collisions_resolved() {
    assert_eq!(meter::NAME, "3-Phase Test Meter");
    assert_eq!(meter::resources::OBJECT_ENABLED, 3);
    assert_eq!(meter::resources::OBJECT_ENABLED_4, 4);
    assert_eq!(
        <meter::resources::ActivePowerPlusQiPlusQiv as ResourceSpec>::ID,
        1
    );
    assert_eq!(
        <meter::resources::ActivePowerMinusQiiPlusQiii as ResourceSpec>::ID,
        2
    );
    assert_eq!(five_qi::ID, 42002);
    assert_eq!(
        <five_qi::resources::Match as ResourceSpec>::INFO.name,
        "Match"
    );
}

#[test]
fn value_types_follow_ranges() {
    value_is::<meter::resources::Type, meter::Type>();
    value_is::<meter::resources::ActivePowerMinusQiiPlusQiii, i8>();
    value_is::<meter::resources::UnitId, u8>();
    value_is::<meter::resources::Sinr, i64>();
    value_is::<meter::resources::Key, heapless::Vec<u8, 48>>();
    value_is::<meter::resources::FirmwareBlob, [u8]>();
    value_is::<meter::resources::Resources, heapless::String<64>>();
    value_is::<meter::resources::Modes, lwm2m_runtime::Instances<meter::Modes, 8>>();
    value_is::<five_qi::resources::Match, heapless::String<12>>();
    let inverted = <meter::resources::ActivePowerMinusQiiPlusQiii as ResourceSpec>::INFO.constraint;
    assert!(inverted.allows_i64(-120) && inverted.allows_i64(-30) && !inverted.allows_i64(-29));
    let unit = <meter::resources::UnitId as ResourceSpec>::INFO.constraint;
    assert!(unit.allows_i64(247) && !unit.allows_i64(248) && unit.allows_i64(255));
    let key = <meter::resources::Key as ResourceSpec>::INFO.constraint;
    assert!(key.allows_len(32) && !key.allows_len(31));
}

#[test]
fn labelled_range_becomes_an_exhaustive_enum() {
    assert_eq!(meter::Type::try_from(255u8), Ok(meter::Type::NonResponsive));
    assert_eq!(meter::Type::try_from(2u8), Err(UnknownValue(2)));
    assert_eq!(meter::Type::NonResponsive.label(), "non_responsive");
    assert_eq!(meter::Modes::BoostMode.value(), 2);
    assert_eq!(meter::Spec::INFO.resources.len(), 14);
}

struct Meter {
    blob: Vec<u8>,
}

impl meter::Handler for Meter {
    fn read_type(&mut self, _: u16) -> Result<meter::Type, Error> {
        Ok(meter::Type::Normal)
    }
    fn read_firmware_blob(&mut self, _: u16, offset: u32, buf: &mut [u8]) -> Result<usize, Error> {
        let rest = self.blob.get(offset as usize..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
    fn write_firmware_blob(&mut self, _: u16, chunk: Chunk<'_>) -> Result<(), Error> {
        self.blob.truncate(chunk.offset as usize);
        self.blob.extend_from_slice(chunk.bytes);
        Ok(())
    }
    fn read_modes(&mut self, _: u16) -> Result<lwm2m_runtime::Instances<meter::Modes, 8>, Error> {
        let mut modes = lwm2m_runtime::Instances::new();
        modes
            .insert(0, meter::Modes::Off)
            .map_err(|_| Error::Internal)?;
        Ok(modes)
    }
    fn execute_reset(&mut self, _: u16, args: ExecuteArgs<'_>) -> Result<(), Error> {
        args.iter()
            .try_for_each(|a| a.map(drop).map_err(|_| Error::BadRequest))
    }
}

#[test]
fn streamed_opaque_is_read_and_written_in_pieces() {
    use meter::Handler;
    let mut m = Meter { blob: Vec::new() };
    let piece = |offset, bytes| Chunk {
        offset,
        bytes,
        total: None,
        last: false,
    };
    m.write_firmware_blob(0, piece(0, b"hello ")).unwrap();
    m.write_firmware_blob(0, piece(6, b"world")).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(m.read_firmware_blob(0, 6, &mut buf), Ok(5));
    assert_eq!(&buf[..5], b"world");
    assert_eq!(m.execute_reset(0, ExecuteArgs(b"1='x'")), Ok(()));
    assert_eq!(
        m.execute_reset(0, ExecuteArgs(b"1=x")),
        Err(Error::BadRequest)
    );
    assert_eq!(
        m.read_sinr(0),
        Err(Error::NotFound),
        "optional and not implemented"
    );
}
