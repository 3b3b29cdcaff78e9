//! Arbitrary datagrams into a registered client serving Objects 3 and 5 (the update agent on
//! simulated flash): no panic, no unbounded growth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_fuzz::{Dev, firmware};
use lwm2m_objects::device;
use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Client, Config, Device, Instant, Peer};

fuzz_target!(|data: &[u8]| {
    let Ok(config) = Config::new("fuzz") else { return };
    let mut client = Client::new(config, 1);
    let mut dev = device::Served(Dev);
    let mut fw = firmware();
    let mut objects: [&mut dyn Object; 2] = [&mut dev, &mut fw];
    let mut device = Device::new(&mut objects);
    client.register(Instant(0), &mut device);
    let mut now = 0u64;
    // Each datagram: a length byte, a peer byte, then the bytes.
    let mut rest = data;
    while let [len, peer, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (datagram, next) = tail.split_at(n);
        let from = if peer & 1 == 0 { Peer::Server } else { Peer::Download };
        client.handle(Instant(now), from, datagram, &mut device);
        let mut sent = 0;
        while let Some(t) = client.poll(Instant(now), &mut device) {
            assert!(t.data.len() <= 1280, "a datagram larger than the MTU budget");
            sent += 1;
            assert!(sent < 64, "the client keeps sending");
        }
        now += u64::from(*peer) * 97;
        rest = next;
    }
});
