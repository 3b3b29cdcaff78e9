//! Block-wise writes from the server (RFC 7959 Block1). A resource that takes chunks gets each
//! block as it arrives, never a buffer the size of its value; any other write (a resource, an
//! instance, in any content format) is reassembled up to [`MAX_REASSEMBLED`] bytes and then
//! served as one write.
//!
//! One transfer runs at a time for each management server (each has its own [`Block1`]).
//! Its blocks are told apart from other requests by what names a request body: the method,
//! the path, the Content-Format and the Request-Tag options (RFC 9175); not by the token,
//! which may change from block to block (RFC 7959 2.3). A reassembled transfer left without a
//! block for [`SESSION_LIFETIME_MS`] is forgotten (and its buffer freed); a later block of it
//! is answered 4.08 Request Entity Incomplete, as is a block that leaves a gap. A transfer
//! streamed to a resource that takes chunks holds no buffer and does not expire: a server
//! that went quiet on a lossy link (a firmware push, say) goes on where it stopped, however
//! long it waited. A block may be smaller than the size agreed
//! (the sender's first, or the smaller one answered to it) only where the bytes so far end;
//! a larger one is 4.00.

extern crate alloc;

use alloc::vec::Vec;
use core::ops::Range;

use super::Instant;
use crate::block::Block;
use crate::coap::{self, CoapOption, Message};
use crate::error::Error;
use crate::format::ContentFormat;
use crate::object::{Object, Write};
use crate::path::Path;
use crate::value::Chunk;

/// The Request-Tag option (RFC 9175 3.2), which `coap-lite` does not name.
const REQUEST_TAG: u16 = 292;

/// A transfer idle for this long is forgotten: EXCHANGE_LIFETIME (RFC 7252 4.8.2), after
/// which its sender has given up on it too.
pub(super) const SESSION_LIFETIME_MS: u64 = 247_000;

/// The largest value written block-wise to a resource that does not take chunks (or to an
/// instance) that the client reassembles, in bytes: a larger one is answered 4.13 with this
/// Size1. Heap: the buffer grows block by block to at most this while such a transfer runs,
/// and is freed when it ends, is refused, or is found expired at the next request.
pub(super) const MAX_REASSEMBLED: usize = 1024;

/// An error to answer, with the Size1 to answer it with (4.13).
type Refusal = (Error, Option<u32>);

fn plain(e: Error) -> Refusal {
    (e, None)
}

/// What names the request body a block belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Body {
    code: u8,
    path: Path,
    format: Option<u32>,
    /// The Request-Tag options, each as its length and its bytes (absent differs from empty).
    tag: heapless::Vec<u8, 18>,
}

impl Body {
    fn of(request: &Message, path: &Path) -> Result<Self, Refusal> {
        let mut tag = heapless::Vec::new();
        let tags = request.options(CoapOption::Unknown(REQUEST_TAG));
        for value in tags {
            // A Request-Tag is 0 to 8 bytes (RFC 9175 3.2); two of them are kept apart.
            let kept = u8::try_from(value.len())
                .ok()
                .filter(|&l| l <= 8)
                .and_then(|len| tag.push(len).ok())
                .and_then(|()| tag.extend_from_slice(value).ok());
            if kept.is_none() {
                warn!(
                    "block-wise write to {:?}: a Request-Tag of {} bytes, or more than two",
                    path.ids(),
                    value.len()
                );
                return Err(plain(Error::BadRequest));
            }
        }
        Ok(Self {
            code: request.code,
            path: *path,
            format: coap::uint_option(request, CoapOption::ContentFormat)
                .transpose()
                .map_err(plain)?,
            tag,
        })
    }
}

/// A block-wise write in progress.
#[derive(Debug)]
struct Session {
    body: Body,
    /// The block size agreed.
    szx: u8,
    /// Bytes taken so far.
    expected: u32,
    /// When its last block arrived.
    last: Instant,
    /// The value so far, when it is reassembled (`None`: it streams to its object).
    buffer: Option<Vec<u8>>,
}

/// What a block brings.
struct Taken {
    /// Where its new bytes go in the value.
    offset: u32,
    /// Its new bytes, in its payload (empty for a block taken before).
    fresh: Range<usize>,
    /// The block to echo in the response.
    echo: Block,
}

/// What a block of a reassembled write leads to.
pub(super) enum Reassembled {
    /// More blocks are to come: the 2.31 Continue to answer.
    Continue(Message),
    /// The last block arrived: the whole value, and the Block1 the response echoes.
    Whole(Vec<u8>, Block),
}

/// The Block1 reassembler: one transfer at a time.
#[derive(Debug, Default)]
pub(super) struct Block1 {
    session: Option<Session>,
}

impl Block1 {
    /// Forgets a reassembled transfer that has had no block for [`SESSION_LIFETIME_MS`] (and
    /// frees its buffer); the client calls it with every request.
    pub(super) fn expire(&mut self, now: Instant) {
        if let Some(s) = self
            .session
            .take_if(|s| s.buffer.is_some() && now.since(s.last) >= SESSION_LIFETIME_MS)
        {
            info!(
                "block-wise write to {:?} forgotten after {} ms without a block, at byte {}",
                s.body.path.ids(),
                now.since(s.last),
                s.expected
            );
        }
    }

    /// A write of a whole value to `path` ends any transfer to it.
    pub(super) fn forget(&mut self, path: &Path) {
        if let Some(s) = self.session.take_if(|s| s.body.path == *path) {
            info!(
                "block-wise write to {:?} replaced by a whole value, at byte {}",
                path.ids(),
                s.expected
            );
        }
    }

    /// A write to a resource that takes chunks: one datagram, or a block streamed to the
    /// object as it arrives.
    pub(super) fn write_chunks(
        &mut self,
        now: Instant,
        request: &Message,
        path: &Path,
        object: &mut dyn Object,
        max_block: usize,
    ) -> Result<Message, Refusal> {
        let instance = path.instance().unwrap_or(0);
        let resource = path.resource().unwrap_or(0);
        let capacity = object.chunk_capacity(resource);
        let too_large = |e: Error| (e, if e == Error::TooLarge { capacity } else { None });
        match coap::uint_option(request, CoapOption::ContentFormat)
            .transpose()
            .map_err(plain)?
        {
            None => {}
            Some(cf) if cf == u32::from(ContentFormat::Opaque.number()) => {}
            Some(cf) => {
                warn!(
                    "write to {:?} in format {} refused: opaque only",
                    path.ids(),
                    cf
                );
                return Err(plain(Error::UnsupportedContentFormat));
            }
        }
        let size1 = coap::uint_option(request, CoapOption::Size1)
            .transpose()
            .map_err(plain)?;
        let payload = request.payload.as_slice();
        let Some(block) = coap::block_option(request, CoapOption::Block1)
            .transpose()
            .map_err(plain)?
        else {
            // The whole value in one message.
            self.forget(path);
            let chunk = Chunk {
                offset: 0,
                bytes: payload,
                total: Some(payload.len() as u32),
                last: true,
            };
            object
                .write(instance, resource, Write::Chunk(chunk))
                .map_err(too_large)?;
            return Ok(coap::response_to(request, coap::CHANGED));
        };
        let taken = self.take(
            now,
            request,
            Body::of(request, path)?,
            block,
            max_block,
            false,
        )?;
        let bytes = payload
            .get(taken.fresh.clone())
            .ok_or(plain(Error::BadRequest))?;
        if !bytes.is_empty() || !block.more {
            let chunk = Chunk {
                offset: taken.offset,
                bytes,
                total: size1,
                last: !block.more,
            };
            if let Err(e) = object.write(instance, resource, Write::Chunk(chunk)) {
                warn!(
                    "block-wise write to {:?} refused by its object at byte {}",
                    path.ids(),
                    taken.offset
                );
                self.session = None;
                return Err(too_large(e));
            }
        }
        self.advance(block.more, bytes.len());
        let code = if block.more {
            coap::CONTINUE
        } else {
            coap::CHANGED
        };
        let mut response = coap::response_to(request, code);
        coap::set_block_option(&mut response, CoapOption::Block1, taken.echo).map_err(plain)?;
        Ok(response)
    }

    /// A block of a write to anything that does not take chunks, gathered until the last one
    /// brings the whole value; 4.13 with Size1 [`MAX_REASSEMBLED`] for a longer one.
    pub(super) fn reassemble(
        &mut self,
        now: Instant,
        request: &Message,
        path: &Path,
        block: Block,
        max_block: usize,
    ) -> Result<Reassembled, Refusal> {
        let too_large = (Error::TooLarge, Some(MAX_REASSEMBLED as u32));
        let size1 = coap::uint_option(request, CoapOption::Size1)
            .transpose()
            .map_err(plain)?;
        if block.num == 0 && size1.is_some_and(|s| s as usize > MAX_REASSEMBLED) {
            warn!(
                "block-wise write to {:?} of {:?} bytes refused: {} at most",
                path.ids(),
                size1,
                MAX_REASSEMBLED
            );
            self.forget(path);
            return Err(too_large);
        }
        let taken = self.take(
            now,
            request,
            Body::of(request, path)?,
            block,
            max_block,
            true,
        )?;
        let bytes = request
            .payload
            .get(taken.fresh)
            .ok_or(plain(Error::BadRequest))?;
        let buffer = self
            .session
            .as_mut()
            .and_then(|s| s.buffer.as_mut())
            .ok_or(plain(Error::Incomplete))?;
        let fits = buffer.len() + bytes.len() <= MAX_REASSEMBLED
            && buffer.try_reserve_exact(bytes.len()).is_ok();
        if !fits {
            warn!(
                "block-wise write to {:?} refused past {} bytes",
                path.ids(),
                buffer.len()
            );
            self.session = None;
            return Err(too_large);
        }
        buffer.extend_from_slice(bytes);
        if !block.more {
            let whole = self.session.take().and_then(|s| s.buffer);
            return Ok(Reassembled::Whole(whole.unwrap_or_default(), taken.echo));
        }
        self.advance(true, bytes.len());
        let mut response = coap::response_to(request, coap::CONTINUE);
        coap::set_block_option(&mut response, CoapOption::Block1, taken.echo).map_err(plain)?;
        Ok(Reassembled::Continue(response))
    }

    /// Checks `block` of `body` against the transfer in progress: where its new bytes go, or
    /// why it is refused. A block 0 starts a transfer (replacing any other one).
    fn take(
        &mut self,
        now: Instant,
        request: &Message,
        body: Body,
        block: Block,
        max_block: usize,
        reassembled: bool,
    ) -> Result<Taken, Refusal> {
        let len = request.payload.len();
        let offset = block.offset().ok_or(plain(Error::BadRequest))?;
        if block.more && len != block.size() as usize {
            // Every block but the last is full (RFC 7959 2.2).
            warn!(
                "block-wise write: block {} has {} bytes, not {}",
                block.num,
                len,
                block.size()
            );
            return Err(plain(Error::BadRequest));
        }
        self.expire(now);
        if block.num == 0 {
            // A smaller size than the sender's is answered, and only that much of this
            // block is taken (RFC 7959 2.5).
            let szx = block.szx.min(Block::szx_for(max_block));
            let take = if block.more {
                len.min(16usize << szx)
            } else {
                len
            };
            if let Some(old) = self.session.take()
                && old.body != body
            {
                info!(
                    "block-wise write to {:?} replaced by one to {:?}, at byte {}",
                    old.body.path.ids(),
                    body.path.ids(),
                    old.expected
                );
            }
            self.session = Some(Session {
                body,
                szx,
                expected: 0,
                last: now,
                buffer: reassembled.then(Vec::new),
            });
            return Ok(Taken {
                offset: 0,
                fresh: 0..take,
                echo: Block::new(0, block.more, szx),
            });
        }
        let Some(s) = self.session.as_mut().filter(|s| s.body == body) else {
            warn!(
                "block-wise write to {:?}: block {} of no transfer in progress (4.08)",
                body.path.ids(),
                block.num
            );
            return Err(plain(Error::Incomplete));
        };
        if block.szx > s.szx {
            warn!(
                "block-wise write to {:?}: block {} of size exponent {}, {} was agreed",
                body.path.ids(),
                block.num,
                block.szx,
                s.szx
            );
            return Err(plain(Error::BadRequest));
        }
        if offset > s.expected || (block.szx < s.szx && offset != s.expected) {
            warn!(
                "block-wise write to {:?}: block {} is at byte {}, {} were taken (4.08)",
                body.path.ids(),
                block.num,
                offset,
                s.expected
            );
            return Err(plain(Error::Incomplete));
        }
        // A block taken before (a retransmission) is acknowledged again without its bytes.
        let skip = (s.expected - offset) as usize;
        s.szx = block.szx;
        s.last = now;
        Ok(Taken {
            offset: s.expected,
            fresh: skip.min(len)..len,
            echo: Block::new(block.num, block.more, block.szx),
        })
    }

    /// `taken` more bytes went into the value; the transfer ends with its last block.
    fn advance(&mut self, more: bool, taken: usize) {
        if !more {
            self.session = None;
        } else if let Some(s) = self.session.as_mut() {
            s.expected = s.expected.saturating_add(taken as u32);
        }
    }
}
