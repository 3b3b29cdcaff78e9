//! The generated API of Objects 3, 4 and 5 behaves as its definitions say.

use lwm2m_objects::{connectivity_monitoring as cm, device, firmware_update as fw};
use lwm2m_runtime::{
    Chunk, Constraint, Enumeration, Error, Executable, ExecuteArgs, ObjectSpec, Operations,
    Readable, ResourceSpec, UnknownValue, Writable,
};

/// Compiles only if `R`'s value type is `V`.
fn value_is<R: ResourceSpec<Value = V>, V: ?Sized>() {}
fn readable<R: Readable>() {}
fn writable<R: Writable>() {}
fn executable<R: Executable>() {}

#[test]
fn value_types_follow_type_and_range() {
    value_is::<fw::resources::State, fw::State>();
    value_is::<fw::resources::UpdateResult, fw::UpdateResult>();
    value_is::<fw::resources::Package, [u8]>();
    value_is::<fw::resources::PackageUri, heapless::String<255>>();
    value_is::<fw::resources::MaximumDeferPeriod, u64>();
    value_is::<fw::resources::LastStateChangeTime, lwm2m_runtime::Time>();
    value_is::<fw::resources::Update, ()>();
    // 0..50 is wider than the named bearers, so the value stays an integer.
    value_is::<cm::resources::NetworkBearer, u8>();
    value_is::<cm::resources::RadioSignalStrength, i64>();
    value_is::<cm::resources::LinkUtilization, u8>();
    value_is::<cm::resources::Smnc, u16>();
    value_is::<
        device::resources::AvailablePowerSources,
        lwm2m_runtime::Instances<device::PowerSource, 8>,
    >();
    value_is::<device::resources::ExtDevInfo, lwm2m_runtime::Instances<lwm2m_runtime::ObjLink, 8>>(
    );
}

#[test]
fn access_markers_follow_operations() {
    readable::<fw::resources::State>();
    readable::<fw::resources::PackageUri>();
    writable::<fw::resources::PackageUri>();
    writable::<fw::resources::Package>();
    executable::<fw::resources::Update>();
    executable::<device::resources::Reboot>();
    readable::<cm::resources::RadioSignalStrength>();
    assert_eq!(
        <fw::resources::Package as ResourceSpec>::INFO.operations,
        Operations::Write
    );
}

#[test]
fn enums_convert_both_ways() {
    for &v in <fw::UpdateResult as Enumeration>::VARIANTS {
        let n = u8::from(v);
        assert_eq!(fw::UpdateResult::try_from(n), Ok(v));
        assert_eq!(i64::from(n), v.value());
    }
    assert_eq!(fw::State::try_from(4u8), Err(UnknownValue(4)));
    assert_eq!(fw::UpdateResult::NotEnoughFlash.value(), 2);
    assert_eq!(fw::UpdateResult::IntegrityCheckFailure.value(), 5);
    assert_eq!(fw::UpdateResult::Deferred.value(), 11);
    assert_eq!(fw::State::Downloaded.value(), 2);
    assert_eq!(cm::NetworkBearer::NbIot.value(), 7);
    assert_eq!(
        cm::NetworkBearer::try_from(41u8),
        Ok(cm::NetworkBearer::Ethernet)
    );
    assert_eq!(
        cm::NetworkBearer::try_from(10u8),
        Err(UnknownValue(10)),
        "reserved"
    );
    assert_eq!(fw::State::Downloading.label(), "Downloading");
    assert_eq!(<fw::State as Enumeration>::VARIANTS.len(), 4);
}

#[test]
fn object_info_lists_every_resource_in_id_order() {
    let info = fw::Spec::INFO;
    let ids: Vec<u16> = info.resources.iter().map(|r| r.id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    assert_eq!((info.id, info.urn), (5, "urn:oma:lwm2m:oma:5:1.2"));
    assert_eq!(info.object_version.to_string(), "1.2");
    assert_eq!(cm::Spec::INFO.object_version.to_string(), "1.3");
    assert_eq!(
        device::Spec::INFO.resource(9).map(|r| r.units),
        Some("/100")
    );
    assert_eq!(cm::Spec::INFO.resource(2).map(|r| r.units), Some("dBm"));
}

#[test]
fn constraints_carry_the_declared_ranges() {
    let uri = <fw::resources::PackageUri as ResourceSpec>::INFO.constraint;
    assert_eq!(uri, Constraint::Length(&[(0, 255)]));
    assert!(uri.allows_len(255) && !uri.allows_len(256));
    let level = <device::resources::BatteryLevel as ResourceSpec>::INFO.constraint;
    assert!(level.allows_i64(100) && !level.allows_i64(101) && !level.allows_i64(-1));
    assert_eq!(
        <fw::resources::Package as ResourceSpec>::INFO.constraint,
        Constraint::None
    );
}

#[test]
fn object_struct_defaults_to_the_initial_state() {
    let fresh = fw::FirmwareUpdate::default();
    assert_eq!(fresh.state, fw::State::Idle);
    assert_eq!(fresh.update_result, fw::UpdateResult::Initial);
    assert_eq!(fresh.pkg_name, None, "optional resources are Options");
    assert!(fresh.package_uri.is_empty());
}

/// A minimal /5 that keeps a Package URI and counts package bytes.
#[derive(Default)]
struct Firmware {
    uri: heapless::String<255>,
    received: usize,
    updates: u32,
}

impl fw::Handler for Firmware {
    fn write_package(&mut self, _instance: u16, chunk: Chunk<'_>) -> Result<(), Error> {
        if chunk.offset as usize != self.received {
            return Err(Error::BadRequest);
        }
        self.received += chunk.bytes.len();
        Ok(())
    }
    fn read_package_uri(&mut self, _instance: u16) -> Result<heapless::String<255>, Error> {
        Ok(self.uri.clone())
    }
    fn write_package_uri(
        &mut self,
        _instance: u16,
        value: heapless::String<255>,
    ) -> Result<(), Error> {
        self.uri = value;
        Ok(())
    }
    fn execute_update(&mut self, _instance: u16, args: ExecuteArgs<'_>) -> Result<(), Error> {
        if !args.is_empty() {
            return Err(Error::BadRequest);
        }
        self.updates += 1;
        Ok(())
    }
    fn read_state(&mut self, _instance: u16) -> Result<fw::State, Error> {
        Ok(if self.received > 0 {
            fw::State::Downloaded
        } else {
            fw::State::Idle
        })
    }
    fn read_update_result(&mut self, _instance: u16) -> Result<fw::UpdateResult, Error> {
        Ok(fw::UpdateResult::Initial)
    }
    fn read_firmware_update_delivery_method(
        &mut self,
        _instance: u16,
    ) -> Result<fw::FirmwareUpdateDeliveryMethod, Error> {
        Ok(fw::FirmwareUpdateDeliveryMethod::BothPushAndPull)
    }
}

#[test]
fn a_handler_implements_only_the_mandatory_methods() {
    use fw::Handler;
    let mut h = Firmware::default();
    let chunk = |offset, bytes| Chunk {
        offset,
        bytes,
        total: Some(6),
        last: false,
    };
    assert_eq!(h.write_package(0, chunk(0, b"abc")), Ok(()));
    assert_eq!(
        h.write_package(0, chunk(5, b"x")),
        Err(Error::BadRequest),
        "gap"
    );
    assert_eq!(h.read_state(0), Ok(fw::State::Downloaded));
    assert_eq!(h.execute_update(0, ExecuteArgs(b"")), Ok(()));
    assert_eq!(h.updates, 1);
    // Optional resources answer Not Found unless the firmware implements them.
    assert_eq!(h.read_pkg_name(0), Err(Error::NotFound));
    assert_eq!(h.execute_cancel(0, ExecuteArgs(b"")), Err(Error::NotFound));
    assert_eq!(
        h.write_severity(0, fw::Severity::Critical),
        Err(Error::NotFound)
    );
    h.write_package_uri(
        0,
        heapless::String::try_from("coap://127.0.0.1/fw").unwrap(),
    )
    .unwrap();
    assert_eq!(
        h.read_package_uri(0).unwrap().as_str(),
        "coap://127.0.0.1/fw"
    );
}

/// Collects what a read gives.
#[derive(Default)]
struct Sink(Vec<(Option<u16>, String)>);

impl lwm2m_runtime::ReadSink for Sink {
    fn value(
        &mut self,
        instance: Option<u16>,
        value: lwm2m_runtime::Value<'_>,
    ) -> Result<(), Error> {
        self.0.push((instance, format!("{value:?}")));
        Ok(())
    }
}

#[test]
fn a_handler_is_served_as_a_runtime_object() {
    use lwm2m_runtime::{Object, Value, Write};
    let mut served = fw::Served(Firmware::default());
    assert_eq!(served.info().id, 5);
    let mut ids = Vec::new();
    served.instances(&mut |id| ids.push(id));
    assert_eq!(ids, [0], "single instance 0 by default");

    let mut out = Sink::default();
    served.read(0, fw::resources::STATE, &mut out).unwrap();
    assert_eq!(out.0, [(None, "Integer(0)".to_owned())]);

    // Writes are checked against type and range before the handler sees them.
    let uri = "coap://[::1]:5683/fw.bin";
    assert_eq!(
        served.write(
            0,
            fw::resources::PACKAGE_URI,
            Write::Value(Value::String(uri))
        ),
        Ok(())
    );
    assert_eq!(served.0.uri.as_str(), uri);
    let long = "x".repeat(256);
    assert_eq!(
        served.write(
            0,
            fw::resources::PACKAGE_URI,
            Write::Value(Value::String(&long))
        ),
        Err(Error::BadRequest),
        "longer than 0..255 bytes"
    );
    assert_eq!(
        served.0.uri.as_str(),
        uri,
        "a refused write changes nothing"
    );
    assert_eq!(
        served.write(
            0,
            fw::resources::PACKAGE_URI,
            Write::Value(Value::Integer(3))
        ),
        Err(Error::BadRequest),
        "wrong type"
    );

    let chunk = Chunk {
        offset: 0,
        bytes: b"image",
        total: None,
        last: true,
    };
    assert_eq!(
        served.write(0, fw::resources::PACKAGE, Write::Chunk(chunk)),
        Ok(())
    );
    assert_eq!(served.0.received, 5);

    assert_eq!(
        served.execute(0, fw::resources::UPDATE, ExecuteArgs(b"")),
        Ok(())
    );
    assert_eq!(served.0.updates, 1);

    // What the definition forbids, and what it does not define.
    assert_eq!(
        served.read(0, fw::resources::PACKAGE, &mut out),
        Err(Error::MethodNotAllowed)
    );
    assert_eq!(
        served.read(0, 4, &mut out),
        Err(Error::NotFound),
        "/5/0/4 does not exist"
    );
    assert_eq!(
        served.execute(0, fw::resources::STATE, ExecuteArgs(b"")),
        Err(Error::MethodNotAllowed)
    );
    assert_eq!(
        served.write(0, fw::resources::STATE, Write::Value(Value::Integer(1))),
        Err(Error::MethodNotAllowed)
    );
    // Optional resources the handler does not implement.
    assert_eq!(
        served.read(0, fw::resources::PKG_NAME, &mut out),
        Err(Error::NotFound)
    );
}

/// A /4 with two available bearers and a writable-nothing definition.
struct Radio;

impl cm::Handler for Radio {
    fn read_network_bearer(&mut self, _: u16) -> Result<u8, Error> {
        Ok(cm::NetworkBearer::LteFdd.value() as u8)
    }
    fn read_available_network_bearer(
        &mut self,
        _: u16,
    ) -> Result<lwm2m_runtime::Instances<u8, 8>, Error> {
        let mut bearers = lwm2m_runtime::Instances::new();
        bearers
            .insert(0, u8::from(cm::NetworkBearer::LteFdd))
            .map_err(|_| Error::Internal)?;
        bearers
            .insert(1, u8::from(cm::NetworkBearer::NbIot))
            .map_err(|_| Error::Internal)?;
        Ok(bearers)
    }
    fn read_radio_signal_strength(&mut self, _: u16) -> Result<i64, Error> {
        Ok(-93)
    }
    fn read_ip_addresses(
        &mut self,
        _: u16,
    ) -> Result<lwm2m_runtime::Instances<heapless::String<64>, 8>, Error> {
        let mut ips = lwm2m_runtime::Instances::new();
        ips.insert(0, heapless::String::try_from("192.0.2.7").unwrap())
            .map_err(|_| Error::Internal)?;
        Ok(ips)
    }
}

#[test]
fn multiple_instance_resources_are_read_instance_by_instance() {
    use lwm2m_runtime::Object;
    let mut radio = cm::Served(Radio);
    let mut out = Sink::default();
    radio
        .read(0, cm::resources::AVAILABLE_NETWORK_BEARER, &mut out)
        .unwrap();
    radio
        .read(0, cm::resources::RADIO_SIGNAL_STRENGTH, &mut out)
        .unwrap();
    radio
        .read(0, cm::resources::IP_ADDRESSES, &mut out)
        .unwrap();
    assert_eq!(
        out.0,
        [
            (Some(0), "Unsigned(6)".to_owned()),
            (Some(1), "Unsigned(7)".to_owned()),
            (None, "Integer(-93)".to_owned()),
            (Some(0), "String(\"192.0.2.7\")".to_owned()),
        ]
    );
}

#[test]
fn state_and_update_result_are_the_resource_values() {
    for v in 0..=3u8 {
        assert_eq!(fw::State::try_from(v).map(u8::from), Ok(v));
    }
    assert_eq!(fw::State::try_from(4u8), Err(UnknownValue(4)));
    let values: Vec<u8> = <fw::UpdateResult as Enumeration>::VARIANTS
        .iter()
        .map(|&r| u8::from(r))
        .collect();
    assert_eq!(values, (0..=11).collect::<Vec<u8>>());
    assert_eq!(fw::UpdateResult::try_from(12u8), Err(UnknownValue(12)));
    assert_eq!(
        fw::UpdateResult::IntegrityCheckFailure.label(),
        "Integrity check failure"
    );
}
