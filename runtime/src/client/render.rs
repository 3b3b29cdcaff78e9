//! Rendering a read: the values of a path, encoded in a content format, one block at a time,
//! with a fingerprint of the whole for ETags and observations.

extern crate alloc;

use alloc::vec::Vec;

use super::observe::{FNV_START, fnv1a};
use crate::block::Block;
use crate::coap::{self, CoapOption, Message};
use crate::error::Error;
use crate::format::{self, ContentFormat, Item, Out, Source, Window};
use crate::object::{Object, ReadSink, Value};
use crate::path::Path;
use crate::spec::ResourceType;

/// The instance IDs a path covers, however many there are.
pub(super) fn instance_ids(object: &mut dyn Object, path: &Path) -> Vec<u16> {
    let mut ids = Vec::new();
    object.instances(&mut |i| {
        if path.instance().is_none_or(|p| p == i) {
            ids.push(i);
        }
    });
    ids
}

/// The Block2 block a GET asks for, or the first one of the largest size the client sends.
pub(super) struct Wanted {
    /// Whether the request carried Block2.
    asked: bool,
    pub(super) num: u32,
    szx: u8,
    pub(super) offset: usize,
    pub(super) size: usize,
}

impl Wanted {
    pub(super) fn of(request: &Message, max_block: usize) -> Result<Self, Error> {
        let requested = coap::block_option(request, CoapOption::Block2).transpose()?;
        let max_szx = Block::szx_for(max_block);
        let szx = requested.map_or(max_szx, |b| b.szx.min(max_szx));
        let num = requested.map_or(0, |b| b.num);
        let block = Block::new(num, false, szx);
        Ok(Self {
            asked: requested.is_some(),
            num,
            szx,
            offset: block.offset().ok_or(Error::BadRequest)? as usize,
            size: block.size() as usize,
        })
    }

    /// Marks `response` as this block of a `total`-byte answer when the answer goes
    /// block-wise (larger than a block, or a block was asked for; RFC 7959 2.4): Block2,
    /// Size2 on the first of several, and the ETag of the whole.
    pub(super) fn mark(
        &self,
        response: &mut Message,
        total: usize,
        fingerprint: u64,
    ) -> Result<(), Error> {
        if total <= self.size && !self.asked {
            return Ok(());
        }
        if self.offset >= total && total > 0 {
            return Err(Error::BadRequest);
        }
        let more = self.offset + self.size < total;
        let block = Block::new(self.num, more, self.szx);
        coap::set_block_option(response, CoapOption::Block2, block)?;
        if self.num == 0 && more {
            coap::set_uint_option(response, CoapOption::Size2, total as u32);
        }
        response.add_option(CoapOption::ETag, &etag(fingerprint));
        Ok(())
    }
}

/// A link-format answer (a Discover or Bootstrap-Discover) to `request`, built whole as
/// `links`, and sent block-wise as a read is when it does not fit a block.
pub(super) fn links_in_blocks(
    request: &Message,
    links: Vec<u8>,
    max_block: usize,
) -> Result<Message, Error> {
    let mut response = coap::response_to(request, coap::CONTENT);
    coap::set_uint_option(
        &mut response,
        CoapOption::ContentFormat,
        u32::from(ContentFormat::LinkFormat.number()),
    );
    let wanted = Wanted::of(request, max_block)?;
    wanted.mark(&mut response, links.len(), fnv1a(FNV_START, &links))?;
    response.payload = if wanted.offset == 0 && links.len() <= wanted.size {
        links
    } else {
        let end = links.len().min(wanted.offset + wanted.size);
        links.get(wanted.offset..end).unwrap_or_default().to_vec()
    };
    Ok(response)
}

/// Counts the values a read gives (Discover's `dim`).
pub(super) struct Count(pub(super) u16);

impl ReadSink for Count {
    fn value(&mut self, _: Option<u16>, _: Value<'_>) -> Result<(), Error> {
        self.0 = self.0.saturating_add(1);
        Ok(())
    }
}

/// One block of a rendered read, with the total size, a fingerprint of the whole, and the
/// value when it is a single number.
pub(super) struct Rendered {
    pub(super) bytes: Vec<u8>,
    pub(super) total: usize,
    pub(super) fingerprint: u64,
    pub(super) number: Option<f64>,
}

/// The ETag of a rendered value: the first four bytes of its fingerprint.
pub(super) fn etag(fingerprint: u64) -> [u8; 4] {
    let [a, b, c, d, ..] = fingerprint.to_be_bytes();
    [a, b, c, d]
}

/// Writes through to a window and a fingerprint.
struct Fingerprinted<'w> {
    window: &'w mut Window,
    hash: u64,
}

impl Out for Fingerprinted<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.hash = fnv1a(self.hash, bytes);
        self.window.write(bytes)
    }
}

/// Renders the block of `size` bytes at `offset` of a read of `path` in `format`: 4.05 for a
/// resource that is not readable, 4.04 for a path that names no value.
pub(super) fn render(
    object: &mut dyn Object,
    path: &Path,
    format: ContentFormat,
    offset: usize,
    size: usize,
) -> Result<Rendered, Error> {
    let info = object.info();
    if let Some(r) = path.resource().and_then(|r| info.resource(r))
        && !r.operations.is_readable()
    {
        return Err(Error::MethodNotAllowed);
    }
    let mut source = ReadSource {
        object,
        path: *path,
        count: 0,
        number: None,
    };
    let mut window = Window::new(offset, size);
    let mut out = Fingerprinted {
        window: &mut window,
        hash: FNV_START,
    };
    match format::encode(format, path, &mut source, &mut out) {
        Ok(()) => {}
        // An unbounded Opaque is read in chunks instead (Block2 over `read_chunk`).
        Err(Error::MethodNotAllowed) if format == ContentFormat::Opaque && path.len() == 3 => {
            return render_chunk(source.object, path, offset, size);
        }
        Err(e) => return Err(e),
    }
    if source.count == 0 && path.len() >= 3 {
        return Err(Error::NotFound);
    }
    let hash = out.hash;
    let number = if source.count == 1 {
        source.number
    } else {
        None
    };
    let total = window.total();
    Ok(Rendered {
        bytes: window.into_bytes(),
        total,
        fingerprint: hash,
        number,
    })
}

/// A block of an Opaque resource read in chunks ([`Object::read_chunk`]).
fn render_chunk(
    object: &mut dyn Object,
    path: &Path,
    offset: usize,
    size: usize,
) -> Result<Rendered, Error> {
    let mut buf = alloc::vec![0u8; size];
    let n = object.read_chunk(
        path.instance().unwrap_or(0),
        path.resource().unwrap_or(0),
        offset as u32,
        &mut buf,
    )?;
    buf.truncate(n.min(size));
    // The total is unknown: a full block announces more.
    let total = if n >= size {
        offset + size + 1
    } else {
        offset + n
    };
    let fingerprint = fnv1a(FNV_START, &buf);
    Ok(Rendered {
        bytes: buf,
        total,
        fingerprint,
        number: None,
    })
}

/// A read as a replayable source of items.
struct ReadSource<'o> {
    object: &'o mut dyn Object,
    path: Path,
    count: usize,
    number: Option<f64>,
}

impl Source for ReadSource<'_> {
    fn each(&mut self, f: &mut dyn FnMut(&Item<'_>) -> Result<(), Error>) -> Result<(), Error> {
        let info = self.object.info();
        self.count = 0;
        for instance in instance_ids(self.object, &self.path) {
            for r in info.resources {
                let wanted = match self.path.resource() {
                    Some(id) => id == r.id,
                    None => r.operations.is_readable(),
                };
                if !wanted {
                    continue;
                }
                let base = Path::new(&[info.id, instance, r.id]).ok_or(Error::Internal)?;
                let mut sink = ItemSink {
                    f: &mut *f,
                    base,
                    kind: r.kind,
                    only: self.path.resource_instance(),
                    count: 0,
                    number: None,
                };
                match self.object.read(instance, r.id, &mut sink) {
                    Ok(()) => {}
                    // Optional resources an instance does not have are left out of wider reads.
                    Err(Error::NotFound) if self.path.len() < 3 => {}
                    Err(e) => return Err(e),
                }
                self.count += sink.count;
                if sink.count > 0 {
                    self.number = sink.number;
                }
            }
        }
        Ok(())
    }
}

/// Turns the values of one resource into items for the encoder, counting them.
struct ItemSink<'f> {
    f: &'f mut dyn FnMut(&Item<'_>) -> Result<(), Error>,
    base: Path,
    kind: ResourceType,
    only: Option<u16>,
    count: usize,
    number: Option<f64>,
}

impl ReadSink for ItemSink<'_> {
    fn value(&mut self, instance: Option<u16>, value: Value<'_>) -> Result<(), Error> {
        if self.only.is_some() && instance != self.only {
            return Ok(());
        }
        let path = match instance {
            Some(ri) => self.base.child(ri).ok_or(Error::Internal)?,
            None => self.base,
        };
        self.count += 1;
        // The value as a number, for the gt, lt and st attributes (when they can be set).
        self.number = match value {
            _ if !super::observe::THRESHOLDS => None,
            Value::Integer(v) | Value::Time(v) => Some(v as f64),
            Value::Unsigned(v) => Some(v as f64),
            Value::Float(v) => Some(v),
            _ => None,
        };
        (self.f)(&Item {
            path,
            kind: self.kind,
            value,
        })
    }
}
