//! Arbitrary datagrams from the Bootstrap-Server (and the management server) into a client
//! that is bootstrapping, serving Objects 0 and 1 on simulated flash: no panic, no datagram
//! storm, and the Bootstrap-Server's own account survives whatever is written or deleted.
#![no_main]

use coap_lite::{MessageClass, MessageType, Packet};
use libfuzzer_sys::fuzz_target;
use lwm2m_fota::sim::{ERASED, NorSim, SECTOR_SIZE};
use lwm2m_fuzz::{Dev, feed};
use lwm2m_objects::device;
use lwm2m_objects::lwm2m_security::SecurityMode;
use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Client, Config, Device, Instant, Peer};
use lwm2m_servers::{Accounts, Records, SecurityInstance};

fuzz_target!(|data: &[u8]| {
    let Ok(flash) = NorSim::new(vec![ERASED; 4 * SECTOR_SIZE]) else { return };
    let Ok(mut accounts) = Accounts::load(flash, Records::new(0..4 * SECTOR_SIZE as u32)) else {
        return;
    };
    let bootstrap = SecurityInstance {
        server_uri: "coaps://bs.example:5784".try_into().unwrap_or_default(),
        bootstrap_server: true,
        security_mode: SecurityMode::PreSharedKey,
        public_key_or_identity: heapless::Vec::from_slice(b"fuzz").unwrap_or_default(),
        secret_key: heapless::Vec::from_slice(&[1; 16]).unwrap_or_default(),
        ..Default::default()
    };
    if accounts.provision(0, &bootstrap, None).is_err() {
        return;
    }
    let Ok(config) = Config::new("fuzz") else { return };
    let mut client = Client::with_accounts(config, None, accounts.bootstrap_account(), 1);
    {
        let mut dev = device::Served(Dev);
        let (mut security, mut server) = accounts.objects();
        let mut objects: [&mut dyn Object; 3] = [&mut dev, &mut security, &mut server];
        let mut device = Device::new(&mut objects);
        client.register(Instant(0), &mut device);
        // The Bootstrap-Request, accepted: the client is being configured.
        if let Some(request) = client.poll(Instant(0), &mut device)
            && let Ok(request) = Packet::from_bytes(&request.data)
        {
            let mut ack = Packet::new();
            ack.header.set_type(MessageType::Acknowledgement);
            ack.header.code = MessageClass::from(0x44);
            ack.header.message_id = request.header.message_id;
            ack.set_token(request.get_token().to_vec());
            if let Ok(bytes) = ack.to_bytes() {
                client.handle(Instant(0), Peer::Bootstrap, &bytes, &mut device);
            }
        }
        // Two management servers a Bootstrap-Write may have provisioned, and one it did not.
        let peers = [Peer::Bootstrap, Peer::Server(1), Peer::Server(2), Peer::Server(101)];
        feed(&mut client, &mut device, data, &peers);
    }
    assert!(
        accounts.bootstrap_account().is_some(),
        "the Bootstrap-Server's own account is never deleted"
    );
});
