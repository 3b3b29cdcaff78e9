//! The little of CoAP (RFC 7252) the client needs: messages and their datagrams
//! ([`Message`]), codes, uint options, Block options, and responses matched to requests.

extern crate alloc;

use alloc::vec::Vec;

pub(crate) use coap_lite::{CoapOption, MessageType};

use crate::block::Block;
use crate::error::Error;

mod message;

pub(crate) use message::Message;

/// A code from its class and detail: `code(2, 5)` is 2.05.
pub(crate) const fn code(class: u8, detail: u8) -> u8 {
    (class << 5) | detail
}

pub(crate) const GET: u8 = code(0, 1);
pub(crate) const POST: u8 = code(0, 2);
pub(crate) const PUT: u8 = code(0, 3);
pub(crate) const DELETE: u8 = code(0, 4);
pub(crate) const CREATED: u8 = code(2, 1);
pub(crate) const CHANGED: u8 = code(2, 4);
pub(crate) const CONTENT: u8 = code(2, 5);
pub(crate) const CONTINUE: u8 = code(2, 31);

/// The code of an error.
pub(crate) fn error_code(e: Error) -> u8 {
    let (class, detail) = e.coap_code();
    code(class, detail)
}

/// Whether a code is a request method (class 0, not empty).
pub(crate) fn is_request(c: u8) -> bool {
    c >> 5 == 0 && c != 0
}

/// The first value of a uint option (up to 4 bytes, big-endian); `Some(Err)` when longer.
pub(crate) fn uint_option(p: &Message, option: CoapOption) -> Option<Result<u32, Error>> {
    let bytes = p.option(option)?;
    if bytes.len() > 4 {
        return Some(Err(Error::BadRequest));
    }
    Some(Ok(bytes
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))))
}

/// Sets a uint option to `value`, in as few bytes as it takes.
pub(crate) fn set_uint_option(p: &mut Message, option: CoapOption, value: u32) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    p.set_option(option, bytes.get(skip..).unwrap_or(&[]));
}

/// The Block1 or Block2 option, if present; `Some(Err)` when malformed (4.02 Bad Option is
/// answered as 4.00).
pub(crate) fn block_option(p: &Message, option: CoapOption) -> Option<Result<Block, Error>> {
    let bytes = p.option(option)?;
    Some(Block::decode(bytes).ok_or(Error::BadRequest))
}

/// Sets a Block1 or Block2 option; 5.00 when the block cannot be an option (a number past
/// 20 bits, see [`Block::encode`]), and then the message is left as it was.
pub(crate) fn set_block_option(
    p: &mut Message,
    option: CoapOption,
    block: Block,
) -> Result<(), Error> {
    let value = block.encode().ok_or(Error::Internal)?;
    p.set_option(option, &value);
    Ok(())
}

/// A response to `request` with `code`: piggybacked on the ACK of a confirmable request, a
/// non-confirmable message for a non-confirmable one (the caller gives it a message ID).
pub(crate) fn response_to(request: &Message, c: u8) -> Message {
    let kind = match request.kind {
        MessageType::Confirmable => MessageType::Acknowledgement,
        _ => MessageType::NonConfirmable,
    };
    let mut r = Message::new(kind, request.mid);
    r.token = request.token.clone();
    r.code = c;
    r
}

/// The largest datagram the client sends: 1,280 bytes, IPv6's minimum MTU (RFC 7252, 4.6),
/// as coap-lite's codec had it; larger payloads go block-wise in 1 KiB blocks.
pub(crate) const MAX_DATAGRAM: usize = 1280;

/// The datagram of a message; 5.00 when it is longer than [`MAX_DATAGRAM`] (an answer that
/// cannot go block-wise, such as a very long Discover: the server is told, rather than the
/// datagram being dropped on the way).
pub(crate) fn to_bytes(p: &Message) -> Result<Vec<u8>, Error> {
    p.encode(MAX_DATAGRAM).ok_or(Error::Internal)
}
