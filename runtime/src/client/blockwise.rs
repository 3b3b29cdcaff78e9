//! Block-wise writes (RFC 7959 Block1) to resources that take chunks: each block goes to the
//! object as it arrives, never into a buffer the size of the value.

use crate::block::Block;
use crate::coap::{self, CoapOption, Packet};
use crate::error::Error;
use crate::format::ContentFormat;
use crate::object::{Object, Write};
use crate::path::Path;
use crate::value::Chunk;

/// A block-wise write in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block1Session {
    path: Path,
    /// Bytes stored so far.
    expected: u32,
}

/// The Block1 reassembler: one transfer at a time, to one resource.
#[derive(Default)]
pub(super) struct Block1 {
    session: Option<Block1Session>,
}

impl Block1 {
    /// A write to a resource that takes chunks: one datagram, or RFC 7959 Block1 streaming.
    pub(super) fn write(
        &mut self,
        request: &Packet,
        path: &Path,
        object: &mut dyn Object,
        max_block: usize,
    ) -> Result<Packet, (Error, Option<u32>)> {
        let plain = |e: Error| (e, None);
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
            Some(_) => return Err(plain(Error::UnsupportedContentFormat)),
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
            self.session = None;
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
        let offset = block.offset().ok_or(plain(Error::BadRequest))?;
        if block.more && payload.len() != block.size() as usize {
            // Every block but the last is full (RFC 7959 2.2).
            return Err(plain(Error::BadRequest));
        }
        let our_szx = block.szx.min(Block::szx_for(max_block));
        let (reply_szx, expected, taken) = if block.num == 0 {
            // A first block (re)starts the transfer; a smaller size than the sender's is
            // answered, and only that much of this block is taken (RFC 7959 2.5).
            let take = if block.more {
                payload.len().min(16usize << our_szx)
            } else {
                payload.len()
            };
            self.session = None;
            (our_szx, 0u32, take)
        } else {
            let session = self
                .session
                .filter(|s| s.path == *path)
                .ok_or(plain(Error::Incomplete))?;
            if offset > session.expected {
                return Err(plain(Error::Incomplete));
            }
            (block.szx, session.expected, payload.len())
        };
        let end = offset + taken as u32;
        if end > expected {
            let fresh = payload
                .get((expected - offset) as usize..taken)
                .ok_or(plain(Error::BadRequest))?;
            let chunk = Chunk {
                offset: expected,
                bytes: fresh,
                total: size1,
                last: !block.more,
            };
            if let Err(e) = object.write(instance, resource, Write::Chunk(chunk)) {
                self.session = None;
                return Err(too_large(e));
            }
        }
        // A block already stored (a retransmission) is acknowledged again without writing.
        let stored = end.max(expected);
        let (code, session) = if block.more {
            (
                coap::CONTINUE,
                Some(Block1Session {
                    path: *path,
                    expected: stored,
                }),
            )
        } else {
            (coap::CHANGED, None)
        };
        self.session = session;
        let mut response = coap::response_to(request, code);
        coap::set_block_option(
            &mut response,
            CoapOption::Block1,
            Block::new(block.num, block.more, reply_szx),
        )
        .map_err(plain)?;
        Ok(response)
    }
}
