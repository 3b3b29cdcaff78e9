//! Block1 sequences to /5/0/0 in any order, with duplicates, gaps and size changes, into the
//! update agent on simulated flash: every answer is a valid CoAP response, nothing panics.
#![no_main]

use coap_lite::{CoapOption, MessageClass, MessageType, Packet};
use libfuzzer_sys::fuzz_target;
use lwm2m_fuzz::firmware;
use lwm2m_runtime::Object;
use lwm2m_runtime::block::Block;
use lwm2m_runtime::client::{Client, Config, Device, Instant, Peer};

fuzz_target!(|data: &[u8]| {
    let Ok(config) = Config::new("fuzz") else { return };
    let mut client = Client::new(config, 2);
    let mut fw = firmware();
    let mut objects: [&mut dyn Object; 1] = [&mut fw];
    let mut device = Device::new(&mut objects);
    let mut mid = 0u16;
    // Each block: number, flags (more, szx, Size1), payload length; then the payload bytes.
    let mut rest = data;
    while let [num, flags, len, tail @ ..] = rest {
        let szx = (flags >> 1) % 7;
        let more = flags & 1 == 1;
        let n = usize::from(*len).min(tail.len()) * 8;
        let payload: Vec<u8> = (0..n).map(|i| i as u8).collect();
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::from(0x03); // PUT
        mid = mid.wrapping_add(if flags & 0x80 == 0 { 1 } else { 0 }); // sometimes a duplicate
        p.header.message_id = mid;
        p.set_token(mid.to_be_bytes().to_vec());
        for s in ["5", "0", "0"] {
            p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
        }
        p.add_option(CoapOption::ContentFormat, vec![42]);
        p.add_option(
            CoapOption::Block1,
            Block::new(u32::from(*num), more, szx).encode().unwrap_or_default().to_vec(),
        );
        if flags & 0x40 != 0 {
            p.add_option(CoapOption::Size1, (u32::from(*len) * 300).to_be_bytes().to_vec());
        }
        p.payload = payload;
        let Ok(bytes) = p.to_bytes() else { return };
        client.handle(Instant(0), Peer::Server(1), &bytes, &mut device);
        while let Some(t) = client.poll(Instant(0), &mut device) {
            let r = Packet::from_bytes(&t.data).expect("the client sends valid CoAP");
            let code = u8::from(r.header.code);
            assert!(code >> 5 == 2 || code >> 5 == 4 || code >> 5 == 5, "code {code:#x}");
        }
        rest = tail.get(usize::from(*len).min(tail.len())..).unwrap_or_default();
    }
});
