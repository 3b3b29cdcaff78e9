//! The client's downloader against a scripted CoAP server, exchange by exchange: the requests
//! it sends (Uri-Path, Uri-Query, Block2, Size2), what it hands to the object that asked, and
//! how and when it gives up, asserting options, bytes and errors.

mod common;

use coap_lite::{CoapOption, Packet};
use common::*;
use lwm2m_runtime::client::{
    Client, Config, Context, DownloadError, DownloadEvent, DownloadRequest, Peer,
};
use lwm2m_runtime::{
    Error, ExecuteArgs, Multiplicity, Object, ObjectInfo, ReadSink, Requirement, Version, Write,
};

static FETCHER: ObjectInfo = ObjectInfo {
    id: 42500,
    name: "Fetcher",
    urn: "urn:oma:lwm2m:x:42500",
    object_version: Version::new(1, 0),
    lwm2m_version: Version::new(1, 1),
    multiplicity: Multiplicity::Single,
    requirement: Requirement::Optional,
    resources: &[],
};

/// A download event, owned.
#[derive(Clone, PartialEq)]
enum Got {
    Started { total: Option<u32>, etag: Vec<u8> },
    Data { offset: u32, bytes: Vec<u8> },
    Finished,
    Failed(DownloadError),
}

impl std::fmt::Debug for Got {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Started { total, etag } => write!(f, "Started({total:?}, {etag:02x?})"),
            // The length and the first bytes say enough in a failed assertion.
            Self::Data { offset, bytes } => write!(
                f,
                "Data({offset}, {} bytes {:?}..)",
                bytes.len(),
                &bytes[..bytes.len().min(4)]
            ),
            Self::Finished => write!(f, "Finished"),
            Self::Failed(e) => write!(f, "Failed({e:?})"),
        }
    }
}

/// An object that starts the download it is told to at its next poll and keeps every event.
#[derive(Default)]
struct Fetcher {
    uri: String,
    from: u32,
    etag: Vec<u8>,
    size: Option<u32>,
    ask: bool,
    /// What `Context::download` answered.
    answer: Option<Result<(), DownloadError>>,
    got: Vec<Got>,
}

impl Fetcher {
    fn asking(uri: &str, from: u32) -> Self {
        Self {
            uri: uri.into(),
            from,
            ask: true,
            ..Self::default()
        }
    }

    /// The bytes delivered, in order, checked to be without gaps from `from`.
    fn bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for g in &self.got {
            if let Got::Data { offset, bytes } = g {
                assert_eq!(*offset as usize, self.from as usize + all.len(), "no gaps");
                all.extend_from_slice(bytes);
            }
        }
        all
    }
}

impl Object for Fetcher {
    fn info(&self) -> &'static ObjectInfo {
        &FETCHER
    }
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        f(0);
    }
    fn read(&mut self, _: u16, _: u16, _: &mut dyn ReadSink) -> Result<(), Error> {
        Err(Error::NotFound)
    }
    fn write(&mut self, _: u16, _: u16, _: Write<'_, '_>) -> Result<(), Error> {
        Err(Error::NotFound)
    }
    fn execute(&mut self, _: u16, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Err(Error::NotFound)
    }
    fn poll(&mut self, cx: &mut Context<'_>) {
        if std::mem::take(&mut self.ask) {
            self.answer = Some(cx.download(DownloadRequest {
                uri: &self.uri,
                from: self.from,
                etag: &self.etag,
                size: self.size,
            }));
        }
    }
    fn download(&mut self, _: &mut Context<'_>, event: DownloadEvent<'_>) {
        self.got.push(match event {
            DownloadEvent::Started { total, etag } => Got::Started {
                total,
                etag: etag.to_vec(),
            },
            DownloadEvent::Data { offset, bytes } => Got::Data {
                offset,
                bytes: bytes.to_vec(),
            },
            DownloadEvent::Finished => Got::Finished,
            DownloadEvent::Failed(e) => Got::Failed(e),
        });
    }
}

macro_rules! dev {
    ($f:expr) => {
        &mut lwm2m_runtime::client::Device::new(&mut [&mut $f as &mut dyn Object])
    };
}

/// A client with `max_block`-byte blocks, its harness, and the first request of `f`'s
/// download.
fn start(f: &mut Fetcher, max_block: usize) -> (Harness, Packet) {
    let mut config = Config::new("dl-1").unwrap();
    config.max_block = max_block;
    let mut h = Harness::new(Client::new(config, 9));
    h.pump(dev!(*f));
    assert_eq!(f.answer, Some(Ok(())), "the download started");
    let get = h.take_download().expect("a GET to the download server");
    assert_eq!(code_of(&get), GET);
    (h, get)
}

/// Answers `get` with 2.05 Content and `build`'s options and payload, then lets the client
/// act on it.
fn answer(h: &mut Harness, f: &mut Fetcher, get: &Packet, build: impl FnOnce(&mut Packet)) {
    h.reply(dev!(*f), Peer::Download, get, code(2, 5), build);
    h.pump(dev!(*f));
}

/// `len` bytes that differ from block to block.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Answers `get` as a plain server of `data` would, in blocks of at most `2^(szx+4)` bytes,
/// with `etag` when not empty and Size2 `size2` when given; returns the block number.
fn serve(
    h: &mut Harness,
    f: &mut Fetcher,
    get: &Packet,
    data: &[u8],
    etag: &[u8],
    size2: Option<u32>,
) -> u32 {
    let (num, _, szx) = block(get, CoapOption::Block2).unwrap();
    let size = 16usize << szx;
    let start = (num as usize * size).min(data.len());
    let end = (start + size).min(data.len());
    answer(h, f, get, |r| {
        r.add_option(CoapOption::Block2, block_value(num, end < data.len(), szx));
        if !etag.is_empty() {
            r.add_option(CoapOption::ETag, etag.to_vec());
        }
        if let Some(size) = size2 {
            r.add_option(CoapOption::Size2, uint_value(size));
        }
        r.payload = data[start..end].to_vec();
    });
    num
}

/// Lets time pass until the client asks the download server for something (returned) or the
/// download ends (`None`). Bounded, so a client that never settles fails the test.
fn next_request(h: &mut Harness, f: &mut Fetcher) -> Option<Packet> {
    for _ in 0..100 {
        if let Some(p) = h.take_download() {
            return Some(p);
        }
        // The download ended.
        h.client.download_peer()?;
        h.now = h
            .client
            .timeout()
            .expect("a running download has a deadline");
        h.pump(dev!(*f));
    }
    panic!("the download neither asked nor ended: {:?}", f.got);
}

#[test]
fn a_block_number_past_20_bits_fails_the_download_with_too_large() {
    // In 16-byte blocks, block 2^20 starts at 16 MiB: the last block a Block2 option can name
    // is 0xfffff.
    let from = 0xf_ffff * 16;
    let mut f = Fetcher::asking("coap://fw.example/big.bin", from);
    let (mut h, get) = start(&mut f, 16);
    assert_eq!(block(&get, CoapOption::Block2), Some((0xf_ffff, false, 0)));
    answer(&mut h, &mut f, &get, |r| {
        r.add_option(CoapOption::Block2, block_value(0xf_ffff, true, 0));
        r.payload = vec![0xab; 16];
    });
    // Block 2^20 used to lose its top bit and go out as block 0.
    assert_eq!(
        h.take_download().map(|p| block(&p, CoapOption::Block2)),
        None,
        "no request for a block that has no number"
    );
    assert_eq!(
        f.got,
        [
            Got::Started {
                total: None,
                etag: vec![]
            },
            Got::Data {
                offset: from,
                bytes: vec![0xab; 16]
            },
            Got::Failed(DownloadError::TooLarge),
        ]
    );
    assert_eq!(f.bytes(), [0xab; 16]);
    assert_eq!(h.client.download_peer(), None, "the download is over");
}

#[test]
fn a_uri_query_becomes_uri_query_options() {
    let mut f = Fetcher::asking("coap://fw.example/images/v2.bin?arch=m4&rev=2", 0);
    let (_, get) = start(&mut f, 1024);
    assert_eq!(strings(&get, CoapOption::UriPath), ["images", "v2.bin"]);
    assert_eq!(strings(&get, CoapOption::UriQuery), ["arch=m4", "rev=2"]);
}

#[test]
fn percent_escapes_of_the_path_and_query_are_decoded() {
    let mut f = Fetcher::asking("coap://fw.example/my%20images/%E2%82%AC%2F1?q%3D=a%26b", 0);
    let (_, get) = start(&mut f, 1024);
    assert_eq!(
        strings(&get, CoapOption::UriPath),
        ["my images", "\u{20ac}/1"],
        "an escaped slash stays inside its segment"
    );
    assert_eq!(strings(&get, CoapOption::UriQuery), ["q==a&b"]);
}

#[test]
fn a_broken_percent_escape_is_an_invalid_uri() {
    for uri in [
        "coap://fw.example/v2%2.bin",
        "coap://fw.example/v2%zz",
        "coap://fw.example/v2?rev=%",
        "coap://fw.example/%C3%28",
    ] {
        let mut f = Fetcher::asking(uri, 0);
        let mut h = Harness::new(Harness::endpoint("dl-1"));
        h.pump(dev!(f));
        assert_eq!(f.answer, Some(Err(DownloadError::InvalidUri)), "{uri}");
        assert_eq!(h.take_download(), None, "{uri}: nothing is asked for");
    }
}

#[test]
fn a_file_named_by_its_64_hex_digit_hash_is_downloaded() {
    let hash = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";
    let mut f = Fetcher::asking(&format!("coap://fw.example/fw/{hash}"), 0);
    let (mut h, get) = start(&mut f, 1024);
    assert_eq!(strings(&get, CoapOption::UriPath), ["fw", hash]);
    answer(&mut h, &mut f, &get, |r| {
        r.add_option(CoapOption::Block2, block_value(0, false, 6));
        r.payload = b"image".to_vec();
    });
    assert_eq!(f.bytes(), b"image");
    assert_eq!(f.got.last(), Some(&Got::Finished));
}

#[test]
fn a_uri_fills_at_most_the_255_bytes_of_a_package_uri() {
    let segment = "s".repeat(200);
    let uri = format!("coap://fw.example/{segment}/{}", "t".repeat(36));
    assert_eq!(uri.len(), 255);
    let mut f = Fetcher::asking(&uri, 0);
    let (_, get) = start(&mut f, 1024);
    assert_eq!(
        strings(&get, CoapOption::UriPath),
        [segment, "t".repeat(36)]
    );
    let mut f = Fetcher::asking(&format!("{uri}u"), 0);
    let mut h = Harness::new(Harness::endpoint("dl-1"));
    h.pump(dev!(f));
    assert_eq!(f.answer, Some(Err(DownloadError::InvalidUri)), "256 bytes");
}

#[test]
fn an_answer_for_another_block_backs_off_and_ends_with_bad_response() {
    let data = pattern(5000);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, get) = start(&mut f, 1024);
    serve(&mut h, &mut f, &get, &data, &[], None);
    let mut asked = Vec::new();
    while let Some(get) = next_request(&mut h, &mut f) {
        assert_eq!(block(&get, CoapOption::Block2), Some((1, false, 6)));
        asked.push(h.now.0);
        // A broken server answers block 3 to every request for block 1.
        answer(&mut h, &mut f, &get, |r| {
            r.add_option(CoapOption::Block2, block_value(3, true, 6));
            r.payload = data[3072..4096].to_vec();
        });
        assert_eq!(h.take_download(), None, "not asked again at once");
    }
    let gaps: Vec<u64> = asked.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [4_000, 8_000, 16_000], "four tries, backing off");
    assert_eq!(f.got.last(), Some(&Got::Failed(DownloadError::BadResponse)));
    assert_eq!(f.bytes(), &data[..1024], "nothing of block 3 was taken");
}

#[test]
fn a_resumed_download_answered_without_block2_is_a_bad_response() {
    let data = pattern(3000);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 2048);
    let (mut h, get) = start(&mut f, 1024);
    assert_eq!(block(&get, CoapOption::Block2), Some((2, false, 6)));
    // The server ignores Block2 and answers with the start of the resource: it used to be
    // taken as the whole of it, and the download finished with 2048 bytes.
    answer(&mut h, &mut f, &get, |r| r.payload = data[..1024].to_vec());
    assert_eq!(f.got, [Got::Failed(DownloadError::BadResponse)]);
    assert_eq!(h.client.download_peer(), None);
}

#[test]
fn an_answer_without_block2_to_block_0_is_the_whole_resource() {
    let data = pattern(700);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, get) = start(&mut f, 1024);
    answer(&mut h, &mut f, &get, |r| r.payload = data.clone());
    assert_eq!(f.bytes(), data);
    assert_eq!(f.got.last(), Some(&Got::Finished));
}

#[test]
fn every_block_request_asks_for_the_size() {
    let data = pattern(2500);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, mut get) = start(&mut f, 1024);
    loop {
        assert_eq!(uint(&get, CoapOption::Size2), Some(0), "{get:?}");
        serve(&mut h, &mut f, &get, &data, &[], Some(2500));
        let Some(next) = h.take_download() else { break };
        get = next;
    }
    assert_eq!(f.bytes(), data);
    assert_eq!(f.got.last(), Some(&Got::Finished));
}

#[test]
fn a_size2_that_changes_mid_download_without_etag_is_changed() {
    let data = pattern(3000);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, get) = start(&mut f, 1024);
    serve(&mut h, &mut f, &get, &data, &[], Some(3000));
    let get = h.take_download().unwrap();
    // The package was replaced by a longer one between two blocks.
    serve(&mut h, &mut f, &get, &pattern(3100), &[], Some(3100));
    assert_eq!(
        f.got,
        [
            Got::Started {
                total: Some(3000),
                etag: vec![]
            },
            Got::Data {
                offset: 0,
                bytes: data[..1024].to_vec()
            },
            Got::Failed(DownloadError::Changed),
        ]
    );
}

#[test]
fn a_last_block_short_of_the_announced_size_is_changed() {
    let data = pattern(3000);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, get) = start(&mut f, 1024);
    serve(&mut h, &mut f, &get, &data, &[], Some(3000));
    let get = h.take_download().unwrap();
    // Replaced by a shorter package that says nothing about its size.
    serve(&mut h, &mut f, &get, &data[..2000], &[], None);
    assert_eq!(
        f.got.last(),
        Some(&Got::Failed(DownloadError::Changed)),
        "{:?}",
        f.got
    );
    assert!(!f.got.contains(&Got::Finished));
}

#[test]
fn a_resume_of_a_resource_of_another_size_is_changed() {
    // Resumed after a reboot from a server that sends no ETag: the size is what is known.
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 1024);
    f.size = Some(3000);
    let (mut h, get) = start(&mut f, 1024);
    assert_eq!(block(&get, CoapOption::Block2), Some((1, false, 6)));
    assert_eq!(uint(&get, CoapOption::Size2), Some(0), "asks for the size");
    serve(&mut h, &mut f, &get, &pattern(3100), &[], Some(3100));
    assert_eq!(f.got, [Got::Failed(DownloadError::Changed)]);
}

#[test]
fn a_resume_of_a_resource_of_the_same_size_goes_on() {
    let data = pattern(3000);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 1024);
    f.size = Some(3000);
    let (mut h, mut get) = start(&mut f, 1024);
    loop {
        serve(&mut h, &mut f, &get, &data, &[], Some(3000));
        let Some(next) = h.take_download() else { break };
        get = next;
    }
    assert_eq!(
        f.got.first(),
        Some(&Got::Started {
            total: Some(3000),
            etag: vec![]
        })
    );
    assert_eq!(f.bytes(), &data[1024..]);
    assert_eq!(f.got.last(), Some(&Got::Finished));
}

#[test]
fn a_silent_server_is_given_up_on_after_two_minutes() {
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, _) = start(&mut f, 1024);
    let began = h.now;
    let mut sent = 1;
    while f.got.is_empty() {
        assert!(h.now.since(began) < 600_000, "still waiting at {:?}", h.now);
        h.now = h.client.timeout().unwrap();
        h.pump(dev!(f));
        sent += std::mem::take(&mut h.to_download).len();
    }
    assert_eq!(f.got, [Got::Failed(DownloadError::Unreachable)]);
    // It used to take about 354 s.
    assert_eq!(h.now.since(began), 120_000, "gave up after two minutes");
    assert!(sent > 5, "retransmitted ({sent} in all), then resumed");
    assert_eq!(h.client.download_peer(), None);
    h.advance(dev!(f), 600_000);
    assert!(h.to_download.is_empty(), "and then nothing more");
}

#[test]
fn a_changed_connection_starts_the_silence_count_again() {
    let data = pattern(500);
    let mut f = Fetcher::asking("coap://fw.example/fw.bin", 0);
    let (mut h, _) = start(&mut f, 1024);
    let began = h.now;
    while h.now.since(began) < 100_000 {
        h.now = h.client.timeout().unwrap();
        h.pump(dev!(f));
        h.to_download.clear();
    }
    h.client.connection_changed(h.now);
    let changed = h.now;
    h.pump(dev!(f));
    let mut get = h.take_download().expect("asked again at once");
    loop {
        let next = h.client.timeout().unwrap();
        if next.since(changed) >= 119_000 {
            break;
        }
        h.now = next;
        h.pump(dev!(f));
        if let Some(p) = h.take_download() {
            get = p;
        }
    }
    assert!(h.now.since(began) > 200_000);
    assert_eq!(f.got, [], "still waiting, more than 200 s after the start");
    serve(&mut h, &mut f, &get, &data, &[], None);
    assert_eq!(f.bytes(), data);
    assert_eq!(f.got.last(), Some(&Got::Finished));
}
