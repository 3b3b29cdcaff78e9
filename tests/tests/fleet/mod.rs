//! A fleet of the update library's devices (on simulated NOR flash, booted through
//! embassy-boot at every power-on) and one FOTA campaign, on a simulated clock, without
//! sockets: datagrams go straight between them.

#![allow(dead_code, reason = "each test binary uses part of the fleet")]

use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::Mcuboot;
use lwm2m_fota::{DeviceConfig, Layout, Version, keys};
use lwm2m_fota_server::campaign::{Campaign, CampaignEvent};
use lwm2m_objects::connectivity_monitoring as cm;
use lwm2m_objects::firmware_update::FirmwareUpdateDeliveryMethod as Delivery;
use lwm2m_runtime::Object;
use lwm2m_runtime::client::{Instant, Peer};

use crate::world::{self, Device, Flash, Radio};

/// A device's two sockets, as the campaign sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Addr {
    node: usize,
    download: bool,
}

/// One device of the fleet.
pub struct Node {
    pub endpoint: String,
    layout: Layout,
    pub device: Option<Device>,
    off: Option<Flash>,
    pub radio: cm::Served<Radio>,
    /// Every new image fails its self-test here (a hardware variant the image breaks).
    breaks: bool,
    delivery: Delivery,
    boots: u64,
}

impl Node {
    /// A device named `endpoint` with `flash` (of the world's layout); `breaks` when every
    /// new image fails its self-test there.
    pub fn new(endpoint: String, flash: Flash, breaks: bool, delivery: Delivery) -> Self {
        Self::with_layout(endpoint, flash, world::LAYOUT, breaks, delivery)
    }

    /// As [`Node::new`], with a flash of `layout`.
    pub fn with_layout(
        endpoint: String,
        flash: Flash,
        layout: Layout,
        breaks: bool,
        delivery: Delivery,
    ) -> Self {
        Self {
            endpoint,
            layout,
            device: None,
            off: Some(flash),
            radio: cm::Served(Radio::new(-110, -70)),
            breaks,
            delivery,
            boots: 0,
        }
    }

    /// Powers the device off if it asked to reboot (it boots at the next round); whether it
    /// did.
    pub fn reboot_if_asked(&mut self) -> bool {
        if self
            .device
            .as_ref()
            .is_none_or(|d| d.reboot_requested().is_none())
        {
            return false;
        }
        if let Some(device) = self.device.take() {
            self.off = Some(device.into_flash());
        }
        self.radio.0.rssi = -110;
        true
    }

    /// Powers the device on from its flash (the bootloader first) and registers; nothing
    /// when it is on.
    pub fn boot(&mut self, now: u64) {
        let Some(flash) = self.off.take() else { return };
        self.boots += 1;
        let bootloader = EmbassyBoot::new(self.layout.clone());
        let mut flash = flash;
        bootloader.prepare_boot_4k(&mut flash).unwrap();
        let mut config = DeviceConfig::new(&self.endpoint, self.layout.clone()).unwrap();
        let name = self
            .endpoint
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
        config.seed = 0x5eed ^ (self.boots << 20) ^ name;
        config.firmware.delivery = self.delivery;
        let verifier = Mcuboot::new(keys::dev_public_key().unwrap());
        let breaks = self.breaks;
        let self_test = move |body: &[u8]| !breaks && world::self_test(body);
        let Ok(mut device) = Device::boot(flash, config, verifier, bootloader, self_test) else {
            panic!("{} does not boot", self.endpoint);
        };
        device.register(Instant(now), &mut [&mut self.radio as &mut dyn Object]);
        self.device = Some(device);
    }
}

/// The fleet and its campaign.
pub struct Fleet {
    pub campaign: Campaign<Addr>,
    pub nodes: Vec<Node>,
    /// The simulated time, in ms.
    pub now: u64,
    pub events: Vec<CampaignEvent>,
}

impl Fleet {
    /// `nodes` and `campaign`, at 1 s.
    pub fn new(campaign: Campaign<Addr>, nodes: Vec<Node>) -> Self {
        Self {
            campaign,
            nodes,
            now: 1_000,
            events: Vec::new(),
        }
    }

    /// Runs until the campaign settles (done, or halted with nothing in flight).
    pub fn run(&mut self, limit_ms: u64) {
        let end = self.now + limit_ms;
        while self.now < end && !self.campaign.settled() {
            self.step();
            self.now += 50;
        }
        assert!(self.campaign.settled(), "not settled at {} ms", self.now);
    }

    /// One round: devices boot, their radios move, datagrams go both ways until quiet,
    /// devices that asked to reboot do.
    fn step(&mut self) {
        let now = self.now;
        for node in &mut self.nodes {
            if node.device.is_none() {
                node.boot(now);
            }
            if node.radio.0.tick(now)
                && let Some(d) = node.device.as_mut()
            {
                d.client_mut().notify_changed(Instant(now));
            }
        }
        for _ in 0..10_000 {
            let mut moved = false;
            for (i, node) in self.nodes.iter_mut().enumerate() {
                let Some(device) = node.device.as_mut() else {
                    continue;
                };
                let objects = &mut [&mut node.radio as &mut dyn Object];
                while let Some(t) = device.poll(Instant(now), objects) {
                    moved = true;
                    let download = t.to == Peer::Download;
                    self.campaign
                        .handle(now, Addr { node: i, download }, &t.data);
                }
            }
            while let Some((to, bytes)) = self.campaign.poll(now) {
                moved = true;
                let node = &mut self.nodes[to.node];
                let Some(device) = node.device.as_mut() else {
                    continue;
                };
                let peer = if to.download {
                    Peer::Download
                } else {
                    Peer::Server(1)
                };
                device.handle(
                    Instant(now),
                    peer,
                    &bytes,
                    &mut [&mut node.radio as &mut dyn Object],
                );
            }
            while let Some(e) = self.campaign.poll_event() {
                self.events.push(e);
            }
            for node in &mut self.nodes {
                moved |= node.reboot_if_asked();
            }
            if !moved {
                return;
            }
        }
        panic!("the fleet kept talking for 10000 rounds at {} ms", self.now);
    }

    /// What `endpoint` runs.
    pub fn version_of(&mut self, endpoint: &str) -> Version {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.endpoint == endpoint)
            .unwrap();
        node.device.as_mut().unwrap().firmware().running().version
    }
}
