// A plain struct the radio driver fills becomes Object 4, served through the runtime: by its
// Object impl, and as a CoAP read through the client.
use lwm2m_macros::Lwm2mObject;
use lwm2m_runtime::{Error, Instances, Object, ReadSink, Value, Write};

#[derive(Lwm2mObject)]
#[lwm2m(xml = "objects/xml/4.xml")]
struct Radio {
    network_bearer: u8,
    available_network_bearer: Instances<u8, 4>,
    radio_signal_strength: i16,
    link_quality: Option<i64>,
    ip_addresses: Instances<heapless::String<40>, 2>,
    #[lwm2m(resource = 8)]
    cell: Option<i64>,
}

#[derive(Default)]
struct Collected(Vec<(Option<u16>, String)>);

impl ReadSink for Collected {
    fn value(&mut self, instance: Option<u16>, value: Value<'_>) -> Result<(), Error> {
        self.0.push((instance, format!("{value:?}")));
        Ok(())
    }
}

fn main() {
    let mut bearers = Instances::new();
    bearers.insert(0, 6).unwrap();
    bearers.insert(1, 7).unwrap();
    let mut ips = Instances::new();
    ips.insert(0, heapless::String::try_from("2001:db8::7").unwrap()).unwrap();
    let mut radio = Radio {
        network_bearer: 6,
        available_network_bearer: bearers,
        radio_signal_strength: -87,
        link_quality: Some(42),
        ip_addresses: ips,
        cell: None,
    };
    assert_eq!(radio.info().id, 4);

    // A read of /4/0: every resource the struct serves, in ID order, through the Object impl.
    let mut out = Collected::default();
    for resource in radio.info().resources.iter().map(|r| r.id) {
        let _ = radio.read(0, resource, &mut out);
    }
    let got: Vec<(Option<u16>, &str)> = out.0.iter().map(|(i, v)| (*i, v.as_str())).collect();
    assert_eq!(
        got,
        [
            (None, "Unsigned(6)"),
            (Some(0), "Unsigned(6)"),
            (Some(1), "Unsigned(7)"),
            (None, "Integer(-87)"),
            (None, "Integer(42)"),
            (Some(0), "String(\"2001:db8::7\")"),
        ]
    );
    assert_eq!(radio.read(0, 8, &mut out), Err(Error::NotFound), "cell ID unknown");
    assert_eq!(radio.read(1, 0, &mut out), Err(Error::NotFound), "only instance 0");
    assert_eq!(radio.read(0, 12, &mut out), Err(Error::NotFound), "LAC is not bound");
    // Everything in /4 is read-only.
    assert_eq!(radio.write(0, 0, Write::Value(Value::Integer(1))), Err(Error::MethodNotAllowed));

    // The same read as a server sends it: a CoAP GET /4/0 datagram into the runtime's client.
    use coap_lite::{CoapOption, MessageClass, MessageType, Packet};
    use lwm2m_runtime::client::{Client, Config, Device, Instant, Peer};
    let mut client = Client::new(Config::new("radio-1").unwrap(), 1);
    let mut objects: [&mut dyn Object; 1] = [&mut radio];
    let mut device = Device::new(&mut objects);
    let mut get = Packet::new();
    get.header.set_type(MessageType::Confirmable);
    get.header.code = MessageClass::from(0x01);
    get.header.message_id = 9;
    get.add_option(CoapOption::UriPath, b"4".to_vec());
    get.add_option(CoapOption::UriPath, b"0".to_vec());
    get.add_option(CoapOption::Accept, vec![110]); // SenML JSON
    client.handle(Instant(0), Peer::Server(1), &get.to_bytes().unwrap(), &mut device);
    let response = client.poll(Instant(0), &mut device).unwrap();
    let response = Packet::from_bytes(&response.data).unwrap();
    assert_eq!(u8::from(response.header.code), 0x45, "2.05 Content");
    assert_eq!(
        String::from_utf8(response.payload).unwrap(),
        concat!(
            r#"[{"n":"/4/0/0","v":6},{"n":"/4/0/1/0","v":6},{"n":"/4/0/1/1","v":7},"#,
            r#"{"n":"/4/0/2","v":-87},{"n":"/4/0/3","v":42},{"n":"/4/0/4/0","vs":"2001:db8::7"}]"#
        )
    );
}
