// Object 5 on a firmware crate's own struct: values as fields, the package and Update as
// methods. Writes are checked against the definition's types and ranges.
use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::{Chunk, Error, ExecuteArgs, Object, ReadSink, Value, Write};

#[derive(Lwm2mObject, Default)]
#[lwm2m(xml = "objects/xml/5.xml")]
#[lwm2m(resource = 0, write = "write_package")]
#[lwm2m(resource = 2, execute = "update")]
struct Firmware {
    package_uri: heapless::String<255>,
    state: u8,
    update_result: u8,
    firmware_update_delivery_method: u8,
    severity: Option<u8>,
    #[lwm2m(skip)]
    received: u32,
    #[lwm2m(skip)]
    updates: u32,
}

impl Firmware {
    fn write_package(&mut self, _instance: u16, chunk: Chunk<'_>) -> Result<(), Error> {
        if chunk.offset != self.received {
            return Err(Error::BadRequest);
        }
        self.received += chunk.bytes.len() as u32;
        if chunk.last {
            self.state = 2;
        }
        Ok(())
    }

    fn update(&mut self, _instance: u16, _args: ExecuteArgs<'_>) -> Result<(), Error> {
        if self.state != 2 {
            return Err(Error::MethodNotAllowed);
        }
        self.updates += 1;
        Ok(())
    }
}

struct Last(Option<i64>);

impl ReadSink for Last {
    fn value(&mut self, _: Option<u16>, value: Value<'_>) -> Result<(), Error> {
        self.0 = value.as_i64();
        Ok(())
    }
}

fn main() {
    let mut fw = Firmware::default();
    let uri = Value::String("coap://[::1]/fw.bin");
    assert_eq!(fw.write(0, 1, Write::Value(uri)), Ok(()));
    assert_eq!(fw.package_uri.as_str(), "coap://[::1]/fw.bin");
    let long = "u".repeat(256);
    assert_eq!(fw.write(0, 1, Write::Value(Value::String(&long))), Err(Error::BadRequest));
    assert_eq!(fw.write(0, 11, Write::Value(Value::Integer(3))), Err(Error::BadRequest), "Severity is 0..2");
    assert_eq!(fw.write(0, 11, Write::Value(Value::Integer(1))), Ok(()));
    assert_eq!(fw.severity, Some(1));
    assert_eq!(fw.execute(0, 2, ExecuteArgs(b"")), Err(Error::MethodNotAllowed), "not downloaded yet");
    let chunk = |offset, bytes, last| Write::Chunk(Chunk { offset, bytes, total: Some(6), last });
    assert_eq!(fw.write(0, 0, chunk(0, b"abc", false)), Ok(()));
    assert_eq!(fw.write(0, 0, chunk(3, b"def", true)), Ok(()));
    let mut state = Last(None);
    fw.read(0, 3, &mut state).unwrap();
    assert_eq!(state.0, Some(2));
    assert_eq!(fw.execute(0, 2, ExecuteArgs(b"")), Ok(()));
    assert_eq!(fw.updates, 1);
    assert_eq!(fw.write(0, 3, Write::Value(Value::Integer(0))), Err(Error::MethodNotAllowed), "State is read-only");
}
