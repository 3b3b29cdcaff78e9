//! Arbitrary datagrams into a registered client serving Objects 3 and 5 (the update agent on
//! simulated flash): no panic, no unbounded growth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_fuzz::{Dev, feed, firmware};
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
    feed(&mut client, &mut device, data, &[Peer::Server(1), Peer::Download]);
});
