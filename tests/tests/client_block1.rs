//! Block-wise writes from the server (RFC 7959 Block1), exchange by exchange: blocks streamed
//! to a resource that takes chunks, values reassembled for every other resource and for
//! instances, and the blocks refused (another Request-Tag, a forgotten transfer, a size that
//! breaks the agreement, a value past the limit), asserting codes, options and bytes.

mod common;

use coap_lite::{CoapOption, Packet};
use common::*;
use lwm2m_runtime::client::Device;
use lwm2m_runtime::{
    Chunk, Constraint, Error, ExecuteArgs, Multiplicity, Object, ObjectInfo, Operations, ReadSink,
    Requirement, ResourceInfo, ResourceType, Value, Version, Write,
};

const fn resource(id: u16, name: &'static str, kind: ResourceType) -> ResourceInfo {
    ResourceInfo {
        id,
        name,
        operations: if id == 0 {
            Operations::Write
        } else {
            Operations::ReadWrite
        },
        kind,
        multiplicity: Multiplicity::Single,
        requirement: Requirement::Optional,
        constraint: Constraint::None,
        units: "",
    }
}

static BOARD: ObjectInfo = ObjectInfo {
    id: 42600,
    name: "Board",
    urn: "urn:oma:lwm2m:x:42600",
    object_version: Version::new(1, 0),
    lwm2m_version: Version::new(1, 1),
    multiplicity: Multiplicity::Single,
    requirement: Requirement::Optional,
    resources: &[
        resource(0, "Blob", ResourceType::Opaque),
        resource(1, "Note", ResourceType::String),
        resource(2, "Count", ResourceType::Integer),
    ],
};

/// Object 42600: Blob (0) takes chunks, Note (1) and Count (2) are plain values.
#[derive(Default)]
struct Board {
    /// Every chunk written to Blob: offset, bytes, total, last.
    chunks: Vec<(u32, Vec<u8>, Option<u32>, bool)>,
    note: String,
    count: i64,
}

impl Board {
    /// Blob as its chunks put it together, checked to be without gaps.
    fn blob(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for (offset, bytes, _, _) in &self.chunks {
            assert_eq!(*offset as usize, all.len(), "chunks in order, without gaps");
            all.extend_from_slice(bytes);
        }
        all
    }
}

impl Object for Board {
    fn info(&self) -> &'static ObjectInfo {
        &BOARD
    }
    fn instances(&self, f: &mut dyn FnMut(u16)) {
        f(0);
    }
    fn read(&mut self, _: u16, resource: u16, out: &mut dyn ReadSink) -> Result<(), Error> {
        match resource {
            1 => out.value(None, Value::String(&self.note)),
            2 => out.value(None, Value::Integer(self.count)),
            _ => Err(Error::MethodNotAllowed),
        }
    }
    fn write(&mut self, _: u16, resource: u16, write: Write<'_, '_>) -> Result<(), Error> {
        match (resource, write) {
            (
                0,
                Write::Chunk(Chunk {
                    offset,
                    bytes,
                    total,
                    last,
                }),
            ) => {
                self.chunks.push((offset, bytes.to_vec(), total, last));
            }
            (1, Write::Value(Value::String(s))) => self.note = s.into(),
            (2, Write::Value(Value::Integer(i))) => self.count = i,
            _ => return Err(Error::BadRequest),
        }
        Ok(())
    }
    fn accepts_chunks(&self, resource: u16) -> bool {
        resource == 0
    }
    fn execute(&mut self, _: u16, _: u16, _: ExecuteArgs<'_>) -> Result<(), Error> {
        Err(Error::MethodNotAllowed)
    }
}

macro_rules! dev {
    ($b:expr) => {
        &mut Device::new(&mut [&mut $b as &mut dyn Object])
    };
}

/// `len` bytes that differ from block to block.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i * 7 % 26) as u8).collect()
}

/// Block `num` of `data` in blocks of `2^(szx+4)` bytes, as a PUT to `path` in `format`.
fn put_block(path: &str, format: u16, data: &[u8], num: u32, szx: u8) -> Request {
    let size = 16usize << szx;
    let start = num as usize * size;
    let end = (start + size).min(data.len());
    Request::new(PUT, path)
        .format(format)
        .block1(num, end < data.len(), szx)
        .payload(&data[start..end])
}

/// Code and Block1 of a response.
fn answer(r: &Packet) -> (String, Option<(u32, bool, u8)>) {
    (code_str(r), block(r, CoapOption::Block1))
}

fn tag(request: Request, tag: &[u8]) -> Request {
    request.option(CoapOption::Unknown(292), tag.to_vec())
}

#[test]
fn blocks_of_another_request_tag_are_not_taken_into_a_transfer() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let data = pattern(100);
    let r = h.send(dev!(b), tag(put_block("/42600/0/0", 42, &data, 0, 2), b"A"));
    assert_eq!(answer(&r), ("2.31".into(), Some((0, true, 2))));
    // Block 1 of another body (another tag, or none) is not the next block of this one.
    for other in [
        tag(put_block("/42600/0/0", 42, &data, 1, 2), b"B"),
        put_block("/42600/0/0", 42, &data, 1, 2),
        tag(put_block("/42600/0/0", 42, &data, 1, 2), b""),
    ] {
        let r = h.send(dev!(b), other);
        assert_eq!(answer(&r), ("4.08".into(), None));
    }
    // Its own next block, with another token, finishes it.
    let r = h.send(dev!(b), tag(put_block("/42600/0/0", 42, &data, 1, 2), b"A"));
    assert_eq!(answer(&r), ("2.04".into(), Some((1, false, 2))));
    assert_eq!(b.blob(), data);
    assert_eq!(
        b.chunks.last().map(|c| c.3),
        Some(true),
        "the last chunk says so"
    );
}

#[test]
fn a_reassembled_transfer_idle_for_the_exchange_lifetime_is_forgotten() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let note = pattern(100);
    for (idle, expected) in [(246_000, "2.04"), (247_000, "4.08")] {
        let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, 0, 2));
        assert_eq!(code_str(&r), "2.31");
        h.now = h.now.after(idle);
        let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, 1, 2));
        assert_eq!(code_str(&r), expected, "block 1 after {idle} ms");
    }
}

/// A transfer streamed to a resource that takes chunks holds no buffer: it goes on after
/// any pause (a server on a lossy link that gave up for a while and came back). It used to
/// be forgotten after 247 s, and a firmware push then started over, again and again.
#[test]
fn a_streamed_transfer_goes_on_after_a_long_pause() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let data = pattern(200);
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 0, 2));
    assert_eq!(code_str(&r), "2.31");
    h.now = h.now.after(3_600_000);
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 1, 2));
    assert_eq!(code_str(&r), "2.31", "block 1 an hour later");
    assert_eq!(b.blob(), &data[..128]);
}

#[test]
fn a_larger_block_than_agreed_is_refused_with_4_00() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let data = pattern(1000);
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 0, 3));
    assert_eq!(answer(&r), ("2.31".into(), Some((0, true, 3))));
    // 256-byte block 1 would be bytes 256 to 511: it does not follow on, and it is larger.
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 1, 4));
    assert_eq!(answer(&r), ("4.00".into(), None));
    assert_eq!(b.blob(), &data[..128], "only block 0 was written");
}

#[test]
fn a_smaller_block_is_taken_only_where_the_bytes_so_far_end() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let data = pattern(250);
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 0, 3));
    assert_eq!(code_str(&r), "2.31");
    // 64-byte block 1 (bytes 64 to 127) is inside what was taken: not where it goes on.
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 1, 2));
    assert_eq!(answer(&r), ("4.08".into(), None));
    // 64-byte block 2 starts at byte 128, where 128-byte block 0 ended.
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 2, 2));
    assert_eq!(answer(&r), ("2.31".into(), Some((2, true, 2))));
    let r = h.send(dev!(b), put_block("/42600/0/0", 42, &data, 3, 2));
    assert_eq!(answer(&r), ("2.04".into(), Some((3, false, 2))));
    assert_eq!(b.blob(), data);
}

#[test]
fn a_value_written_in_blocks_to_a_plain_resource_is_reassembled() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    // 100 bytes in 64-byte blocks: refused with 4.13 before, which one server met by sending
    // it again thousands of times a second.
    let note = pattern(100);
    let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, 0, 2));
    assert_eq!(answer(&r), ("2.31".into(), Some((0, true, 2))));
    assert_eq!(b.note, "", "nothing is written before the last block");
    let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, 1, 2));
    assert_eq!(answer(&r), ("2.04".into(), Some((1, false, 2))));
    assert_eq!(b.note.as_bytes(), note);
    let r = h.send(dev!(b), Request::new(GET, "/42600/0/1"));
    assert_eq!(r.payload, note);
}

#[test]
fn an_instance_written_in_blocks_is_reassembled() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let senml =
        br#"[{"bn":"/42600/0/","n":"1","vs":"written in 16-byte blocks"},{"n":"2","v":42}]"#;
    let blocks = senml.len().div_ceil(16) as u32;
    let mut codes = Vec::new();
    for num in 0..blocks {
        let start = num as usize * 16;
        let end = (start + 16).min(senml.len());
        let r = h.send(
            dev!(b),
            Request::new(POST, "/42600/0")
                .format(110)
                .block1(num, num + 1 < blocks, 0)
                .payload(&senml[start..end]),
        );
        codes.push(code_str(&r));
    }
    let mut expected = vec!["2.31".to_string(); blocks as usize - 1];
    expected.push("2.04".into());
    assert_eq!(codes, expected);
    assert_eq!(
        (b.note.as_str(), b.count),
        ("written in 16-byte blocks", 42)
    );
}

#[test]
fn a_value_past_the_reassembly_limit_is_refused_with_4_13_and_size1() {
    let mut b = Board::default();
    let mut h = Harness::new(Harness::endpoint("board-1"));
    let note = pattern(1100);
    for num in 0..16 {
        let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, num, 2));
        assert_eq!(code_str(&r), "2.31", "block {num}: 1024 bytes are taken");
    }
    let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, 16, 2));
    assert_eq!(
        (code_str(&r), uint(&r, CoapOption::Size1)),
        ("4.13".into(), Some(1024))
    );
    let r = h.send(dev!(b), put_block("/42600/0/1", 0, &note, 17, 2));
    assert_eq!(code_str(&r), "4.08", "the transfer is over");
    assert_eq!(b.note, "", "nothing was written");
    // A sender that declares the size is refused at its first block.
    let r = h.send(
        dev!(b),
        put_block("/42600/0/1", 0, &note, 0, 2).uint(CoapOption::Size1, 1100),
    );
    assert_eq!(
        (code_str(&r), uint(&r, CoapOption::Size1)),
        ("4.13".into(), Some(1024))
    );
}
