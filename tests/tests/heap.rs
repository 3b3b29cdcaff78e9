//! Peak heap per request kind.
//!
//! The runtime allocates for its CoAP messages (decoding a datagram, building the response),
//! its sessions and caches, and the datagrams it hands out. This program counts every
//! allocation the client makes while it handles one request and hands out what it sends, and
//! prints the peak above the heap in use before the request (the datagrams handed out
//! included), and how the client's own heap changed after it, the datagrams handed out
//! excluded (the duplicate-detection cache keeps the last responses; an exchange in flight
//! keeps its message for retransmission; negative when a step frees an older entry).
//!
//! It runs without the libtest harness (`harness = false`) so that nothing else allocates on
//! another thread while it measures. It asserts what makes the numbers trustworthy as a
//! bound: firmware blocks, pushed or pulled, cost the same heap whatever the image size,
//! because they are streamed to the storage and never collected.
//!
//! It also measures the busiest the client can be with one server, everything at its limit
//! at once (8 observations, 16 written attributes, a full duplicate cache, notifications
//! queued, a block-wise transfer in flight): the whole heap the client holds then, which the
//! firmware's heap arena must take.
//!
//! `cargo test -p lwm2m-tests --test heap` prints the table.

mod common;

use coap_lite::{CoapOption, MessageType, Packet};
use common::{GET, POST, PUT, Request, block_value, code, uint_value};
use lwm2m_fota::embassy::EmbassyBoot;
use lwm2m_fota::mcuboot::{self, Mcuboot};
use lwm2m_fota::sim::{ERASED, NorSim};
use lwm2m_fota::{FirmwareUpdate, Layout, Settings, Version, keys, slot};
use lwm2m_macros::Lwm2mObject;
use lwm2m_objects::firmware_update::State;
use lwm2m_runtime::client::{Client, Config, Device, Instant, Peer, Transmit};
use lwm2m_runtime::{Error, ExecuteArgs, Instances, Object};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// A Device object as a board would fill it.
#[derive(Lwm2mObject)]
#[lwm2m(xml = "../objects/xml/3.xml")]
#[lwm2m(resource = 4, execute = "reboot")]
struct Dev {
    manufacturer: Option<heapless::String<32>>,
    model_number: Option<heapless::String<32>>,
    serial_number: Option<heapless::String<32>>,
    firmware_version: Option<heapless::String<32>>,
    error_code: Instances<u8, 4>,
    utc_offset: Option<heapless::String<8>>,
    supported_binding_and_modes: heapless::String<8>,
}

impl Dev {
    fn new() -> Self {
        fn text<const N: usize>(s: &str) -> heapless::String<N> {
            heapless::String::try_from(s).unwrap()
        }
        let mut error_code = Instances::new();
        error_code.insert(0, 0).unwrap();
        Self {
            manufacturer: Some(text("ACME Sensors")),
            model_number: Some(text("TH-200")),
            serial_number: Some(text("SN-000123456")),
            firmware_version: Some(text("1.4.2")),
            error_code,
            utc_offset: Some(text("+01:00")),
            supported_binding_and_modes: text("U"),
        }
    }

    fn reboot(&mut self, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// The update agent over simulated NOR flash (allocated once, before anything is measured),
/// MCUboot images and embassy-boot: what a product serves as Object 5.
type Firmware = FirmwareUpdate<NorSim<Vec<u8>>, Mcuboot, EmbassyBoot>;

/// Room for images up to 384 KiB.
const LAYOUT: Layout = Layout::new(4096, 4, 2, 96);

fn signed(version: Version, len: usize) -> Vec<u8> {
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    mcuboot::sign(&vec![0x5a; len], version, &key)
}

fn firmware() -> Firmware {
    let mut flash = NorSim::new(vec![ERASED; LAYOUT.size() as usize]).unwrap();
    slot::provision(&mut flash, &LAYOUT, &signed(Version::new(1, 0, 0, 0), 4096)).unwrap();
    let verifier = Mcuboot::new(keys::dev_public_key().unwrap());
    let boot = EmbassyBoot::new(LAYOUT);
    FirmwareUpdate::boot(
        flash,
        LAYOUT,
        verifier,
        boot,
        Settings::default(),
        |_: &[u8]| true,
    )
    .map_err(|(_, e)| e)
    .unwrap()
}

/// Heap used while one step ran, in bytes above the heap in use before it.
#[derive(Clone, Copy, Default)]
struct Cost {
    peak: usize,
    retained: isize,
}

/// The client, what it serves, and a clock; every call measures one step.
struct Bench {
    client: Client,
    dev: Dev,
    firmware: Firmware,
    now: Instant,
    mid: u16,
    /// Reserved up front so collecting what the client sends does not allocate.
    sent: Vec<Transmit>,
    /// The heap in use before the client was made.
    base: usize,
    /// The highest the heap has been in any step.
    high: usize,
}

impl Bench {
    fn new() -> Self {
        let (dev, firmware, sent) = (Dev::new(), firmware(), Vec::with_capacity(16));
        let base = HEAP.current_usage();
        let client = Client::new(Config::new("heap-1").unwrap(), 3);
        let mut bench = Self {
            client,
            dev,
            firmware,
            now: Instant(1_000),
            mid: 0x100,
            sent,
            base,
            high: 0,
        };
        bench.run(|client, now, device| client.register(now, device));
        let register = bench.take();
        bench.answer(Peer::Server(1), &register, code(2, 1), |r| {
            r.add_option(CoapOption::LocationPath, b"rd".to_vec());
            r.add_option(CoapOption::LocationPath, b"1".to_vec());
        });
        assert!(bench.client.is_registered());
        bench
    }

    /// Runs `step` and collects what the client sends, measuring the heap.
    fn run(&mut self, step: impl FnOnce(&mut Client, Instant, &mut Device<'_, '_>)) -> Cost {
        self.sent.clear();
        let mut objects: [&mut dyn Object; 2] = [&mut self.dev, &mut self.firmware];
        let mut device = Device::new(&mut objects);
        let before = HEAP.current_usage();
        HEAP.reset_peak_usage();
        step(&mut self.client, self.now, &mut device);
        while let Some(t) = self.client.poll(self.now, &mut device) {
            self.sent.push(t);
        }
        self.high = self.high.max(HEAP.peak_usage());
        let handed_out: usize = self.sent.iter().map(|t| t.data.capacity()).sum();
        let cost = Cost {
            peak: HEAP.peak_usage() - before,
            retained: HEAP.current_usage() as isize - before as isize - handed_out as isize,
        };
        assert!(self.sent.len() <= 16, "more datagrams than reserved for");
        cost
    }

    /// Hands one datagram from `peer` to the client.
    fn deliver(&mut self, peer: Peer, datagram: &[u8]) -> Cost {
        self.run(|client, now, device| client.handle(now, peer, datagram, device))
    }

    /// Sends a request from the server and returns the cost and the response.
    fn request(&mut self, request: Request) -> (Cost, Packet) {
        let mut p = request.0;
        self.mid = self.mid.wrapping_add(1);
        p.header.message_id = self.mid;
        p.set_token(self.mid.to_be_bytes().to_vec());
        let cost = self.deliver(Peer::Server(1), &p.to_bytes().unwrap());
        (cost, self.take())
    }

    /// The first datagram the client sent to the server in the last step.
    fn take(&mut self) -> Packet {
        self.take_to(Peer::Server(1))
    }

    /// The first datagram the client sent to `peer` in the last step.
    fn take_to(&mut self, peer: Peer) -> Packet {
        let at = self.sent.iter().position(|t| t.to == peer);
        let t = self.sent.remove(at.expect("the client sent nothing there"));
        Packet::from_bytes(&t.data).unwrap()
    }

    /// Answers a request the client sent to `peer` with a piggybacked response.
    fn answer(
        &mut self,
        peer: Peer,
        to: &Packet,
        code: u8,
        build: impl FnOnce(&mut Packet),
    ) -> Cost {
        let mut r = common::piggybacked(to, code);
        build(&mut r);
        self.deliver(peer, &r.to_bytes().unwrap())
    }

    /// Acknowledges a confirmable message the client sent (a notification).
    fn ack(&mut self, to: &Packet) {
        let ack = common::empty(MessageType::Acknowledgement, to.header.message_id);
        self.deliver(Peer::Server(1), &ack.to_bytes().unwrap());
    }

    /// Moves the clock and lets the client act.
    fn advance(&mut self, ms: u64) -> Cost {
        self.now = self.now.after(ms);
        self.run(|_, _, _| {})
    }

    /// Lets the update agent verify the package it holds, a step a millisecond, until it
    /// is Downloaded; the costliest step.
    fn verify(&mut self) -> Cost {
        let mut worst = Cost::default();
        for _ in 0..10_000 {
            if self.firmware.state().0 != State::Downloading {
                break;
            }
            let cost = self.advance(1);
            worst.peak = worst.peak.max(cost.peak);
            worst.retained = worst.retained.max(cost.retained);
        }
        assert_eq!(self.firmware.state().0, State::Downloaded);
        worst
    }
}

/// A signed image of `len` bytes in all (header and signature included).
fn image(len: usize) -> Vec<u8> {
    let image = signed(Version::new(2, 0, 0, 0), len - 32 - 144);
    assert_eq!(image.len(), len);
    image
}

/// Pushes an image of `len` bytes to /5/0/0 in 1 KiB blocks, then lets the agent verify it;
/// the costliest block or step.
fn push(len: usize) -> Cost {
    let mut bench = Bench::new();
    let image = image(len);
    let mut worst = Cost::default();
    for (num, block) in image.chunks(1024).enumerate() {
        let more = (num + 1) * 1024 < len;
        let (cost, r) = bench.request(
            Request::new(PUT, "/5/0/0")
                .format(42)
                .option(CoapOption::Block1, block_value(num as u32, more, 6))
                .payload(block),
        );
        let expected = if more { code(2, 31) } else { code(2, 4) };
        assert_eq!(u8::from(r.header.code), expected, "block {num}");
        worst.peak = worst.peak.max(cost.peak);
        worst.retained = worst.retained.max(cost.retained);
    }
    let cost = bench.verify();
    worst.peak = worst.peak.max(cost.peak);
    worst.retained = worst.retained.max(cost.retained);
    worst
}

/// Pulls an image of `len` bytes over CoAP in 1 KiB blocks, then lets the agent verify it;
/// the costliest block or step.
fn pull(len: usize) -> Cost {
    let mut bench = Bench::new();
    let (_, r) = bench.request(
        Request::new(PUT, "/5/0/1")
            .format(0)
            .payload(b"coap://fw.example/image.bin"),
    );
    assert_eq!(u8::from(r.header.code), code(2, 4));
    let mut get = bench.take_to(Peer::Download);
    let image = image(len);
    let mut worst = Cost::default();
    for (num, block) in image.chunks(1024).enumerate() {
        let more = (num + 1) * 1024 < len;
        let cost = bench.answer(Peer::Download, &get, code(2, 5), |r| {
            r.add_option(CoapOption::Block2, block_value(num as u32, more, 6));
            r.add_option(CoapOption::ETag, vec![1, 2, 3, 4]);
            r.add_option(CoapOption::Size2, uint_value(len as u32));
            r.payload = block.to_vec();
        });
        worst.peak = worst.peak.max(cost.peak);
        worst.retained = worst.retained.max(cost.retained);
        if more {
            get = bench.take_to(Peer::Download);
            assert_eq!(
                u8::from(get.header.code),
                GET,
                "the next block is asked for"
            );
        }
    }
    let cost = bench.verify();
    worst.peak = worst.peak.max(cost.peak);
    worst.retained = worst.retained.max(cost.retained);
    worst
}

/// The most heap the client holds with one server: 16 written attributes, 8 observations
/// whose notifications wait for their ACKs, 8 cached answers, and a 1 KiB block of a package
/// taken while a read is answered; in bytes, everything the client holds and hands out.
fn busiest() -> usize {
    // Made first, so that the heap it takes is not counted as the client's.
    let package = image(16 * 1024);
    let mut bench = Bench::new();
    // 16 paths, the most attributes a session keeps: the instance (its observation's pmax)
    // and 15 resources.
    let resources = [0, 1, 2, 3, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20];
    let paths = resources.iter().map(|r| format!("/3/0/{r}"));
    for path in std::iter::once("/3/0".to_owned()).chain(paths) {
        let (_, answer) = bench.request(Request::new(PUT, &path).query("pmin=0").query("pmax=30"));
        assert_eq!(
            u8::from(answer.header.code),
            code(2, 4),
            "attributes of {path}"
        );
    }
    // Every resource Dev serves, and the whole instance.
    for path in [
        "/3/0/0", "/3/0/1", "/3/0/2", "/3/0/3", "/3/0/11", "/3/0/14", "/3/0/16", "/3/0",
    ] {
        let (_, answer) =
            bench.request(Request::new(GET, path).option(CoapOption::Observe, Vec::new()));
        assert_eq!(u8::from(answer.header.code), code(2, 5), "observe {path}");
    }
    // pmax runs out for all 8: one notification in flight, the others queued behind it.
    bench.advance(30_000);
    assert_eq!(
        bench.sent.len(),
        1,
        "one confirmable notification in flight at a time"
    );
    let notification = Packet::from_bytes(&bench.sent[0].data).unwrap();
    assert_eq!(notification.header.get_type(), MessageType::Confirmable);
    assert!(notification.get_option(CoapOption::Observe).is_some());
    // The largest answers (SenML JSON) fill the duplicate cache to its byte bound.
    for _ in 0..8 {
        let (_, answer) = bench.request(Request::new(GET, "/3/0").accept(110));
        assert_eq!(u8::from(answer.header.code), code(2, 5));
    }
    let (_, answer) = bench.request(
        Request::new(PUT, "/5/0/0")
            .format(42)
            .option(CoapOption::Block1, block_value(0, true, 6))
            .payload(&package[..1024]),
    );
    assert_eq!(u8::from(answer.header.code), code(2, 31));
    let (_, answer) = bench.request(Request::new(GET, "/3/0").accept(110));
    assert_eq!(u8::from(answer.header.code), code(2, 5));
    bench.high - bench.base
}

fn main() {
    let mut rows: Vec<(&str, Cost)> = Vec::new();
    let mut bench = Bench::new();

    // Registration and its timers.
    let mut fresh = Bench::new();
    rows.push((
        "Register (POST /rd, link payload)",
        fresh.run(|client, now, device| client.register(now, device)),
    ));
    let cost = bench.advance(300_000);
    let update = bench.take();
    assert_eq!(u8::from(update.header.code), POST);
    bench.answer(Peer::Server(1), &update, code(2, 4), |_| {});
    rows.push(("Registration Update (timer)", cost));

    let reads = [
        ("Read /3/0/0 (text)", Request::new(GET, "/3/0/0")),
        ("Read /3/0 (SenML CBOR)", Request::new(GET, "/3/0")),
        (
            "Read /3/0 (SenML JSON)",
            Request::new(GET, "/3/0").accept(110),
        ),
        ("Read /3/0 (TLV)", Request::new(GET, "/3/0").accept(11542)),
        (
            "Read /3/0 (LwM2M CBOR)",
            Request::new(GET, "/3/0").accept(11544),
        ),
        ("Read /5/0 (SenML CBOR)", Request::new(GET, "/5/0")),
        ("Discover /3", Request::new(GET, "/3").accept(40)),
        (
            "Write /3/0/14 (PUT, text)",
            Request::new(PUT, "/3/0/14").format(0).payload(b"+02:00"),
        ),
        (
            "Write-Attributes /3/0/11",
            Request::new(PUT, "/3/0/11")
                .query("pmin=5")
                .query("pmax=60"),
        ),
        (
            "Execute /3/0/4 (with arguments)",
            Request::new(POST, "/3/0/4").payload(b"0='now',1"),
        ),
    ];
    for (kind, request) in reads {
        let (cost, r) = bench.request(request);
        assert_eq!(u8::from(r.header.code) >> 5, 2, "{kind} succeeds");
        rows.push((kind, cost));
    }

    // A repeated request: answered from the cache.
    let mut again = Request::new(GET, "/3/0").0;
    again.header.message_id = 0x7000;
    again.set_token(vec![7]);
    let bytes = again.to_bytes().unwrap();
    bench.deliver(Peer::Server(1), &bytes);
    rows.push((
        "Duplicate of a Read (cached response)",
        bench.deliver(Peer::Server(1), &bytes),
    ));

    // Observe, then a notification when pmax (60 s) runs out.
    let (cost, r) =
        bench.request(Request::new(GET, "/3/0/11").option(CoapOption::Observe, Vec::new()));
    assert!(r.get_option(CoapOption::Observe).is_some());
    rows.push(("Observe /3/0/11", cost));
    let cost = bench.advance(60_000);
    let notification = bench.take();
    assert_eq!(
        notification.get_token(),
        r.get_token(),
        "the observation's token"
    );
    bench.ack(&notification);
    rows.push(("Notification of /3/0/11 (pmax timer)", cost));

    let small_push = push(16 * 1024);
    let large_push = push(256 * 1024);
    rows.push(("Block1 push, 1 KiB block of 16 KiB", small_push));
    rows.push(("Block1 push, 1 KiB block of 256 KiB", large_push));
    let small_pull = pull(16 * 1024);
    let large_pull = pull(256 * 1024);
    rows.push(("Block2 pull, 1 KiB block of 16 KiB", small_pull));
    rows.push(("Block2 pull, 1 KiB block of 256 KiB", large_pull));

    println!(
        "{:<40} {:>10} {:>10}",
        "request kind", "peak B", "retained B"
    );
    for (kind, cost) in &rows {
        println!("{kind:<40} {:>10} {:>10}", cost.peak, cost.retained);
    }

    // Streaming: a block costs the same whatever the image size (a few bytes of Block
    // option length aside), and far less than the image.
    for (what, small, large) in [
        ("push", small_push, large_push),
        ("pull", small_pull, large_pull),
    ] {
        assert!(
            large.peak <= small.peak + 64,
            "{what}: peak heap grew with the image ({} B for 16 KiB, {} B for 256 KiB)",
            small.peak,
            large.peak
        );
        assert!(
            large.peak < 16 * 1024,
            "{what}: a 1 KiB block took {} B of heap",
            large.peak
        );
    }
    let busiest = busiest();
    println!(
        "the busiest the client gets with one server, its whole heap: {busiest} B (with the \
         request being handed in; on this 64-bit host, less on a Cortex-M, whose pointers and \
         lengths are half as wide)"
    );
    // The firmware's arena (examples/firmware/src/lib.rs) must take it.
    assert!(
        busiest < 12 * 1024,
        "the busiest client took {busiest} B of heap"
    );
    println!("heap: every request measured; firmware blocks are streamed");
}
