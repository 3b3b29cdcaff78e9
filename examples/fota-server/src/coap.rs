//! The little CoAP the server needs on top of coap-lite: codes, uint and block options.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet};
pub use lwm2m_runtime::block::Block;

/// A code as `class << 5 | detail`.
pub const fn code(class: u8, detail: u8) -> u8 {
    class << 5 | detail
}

/// GET.
pub const GET: u8 = code(0, 1);
/// POST.
pub const POST: u8 = code(0, 2);
/// PUT.
pub const PUT: u8 = code(0, 3);
/// DELETE.
pub const DELETE: u8 = code(0, 4);
/// 2.01 Created.
pub const CREATED: u8 = code(2, 1);
/// 2.02 Deleted.
pub const DELETED: u8 = code(2, 2);
/// 2.04 Changed.
pub const CHANGED: u8 = code(2, 4);
/// 2.05 Content.
pub const CONTENT: u8 = code(2, 5);
/// 2.31 Continue.
pub const CONTINUE: u8 = code(2, 31);
/// 4.08 Request Entity Incomplete: the device lost the block-wise transfer.
pub const INCOMPLETE: u8 = code(4, 8);
/// 4.00 Bad Request.
pub const BAD_REQUEST: u8 = code(4, 0);
/// 4.04 Not Found.
pub const NOT_FOUND: u8 = code(4, 4);

/// The code of a message.
pub fn code_of(p: &Packet) -> u8 {
    u8::from(p.header.code)
}

/// `2.05`-style text for a code.
pub fn code_text(c: u8) -> String {
    format!("{}.{:02}", c >> 5, c & 0x1f)
}

/// A message of `kind` with `code`.
pub fn message(kind: MessageType, code: u8) -> Packet {
    let mut p = Packet::new();
    p.header.set_type(kind);
    p.header.code = MessageClass::from(code);
    p
}

/// Adds a Uri-Path per segment of `path`.
pub fn set_path(p: &mut Packet, path: &str) {
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
}

/// The Uri-Path segments joined with `/`, without a leading one.
pub fn path_of(p: &Packet) -> String {
    strings(p, CoapOption::UriPath).join("/")
}

/// The values of a string option.
pub fn strings(p: &Packet, option: CoapOption) -> Vec<String> {
    p.get_option(option)
        .map(|values| {
            values
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The endpoint name of a Register or Bootstrap-Request (its `ep=` query).
pub fn endpoint_of(p: &Packet) -> Option<String> {
    strings(p, CoapOption::UriQuery)
        .into_iter()
        .find_map(|q| q.strip_prefix("ep=").map(str::to_owned))
}

/// The minimal big-endian encoding of a uint option.
pub fn uint_bytes(v: u32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

/// A uint option's value, if present and at most 4 bytes.
pub fn uint(p: &Packet, option: CoapOption) -> Option<u32> {
    let v = p.get_option(option)?.front()?;
    if v.len() > 4 {
        return None;
    }
    Some(v.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)))
}

/// A Block1 or Block2 option, if present and well-formed.
pub fn block(p: &Packet, option: CoapOption) -> Option<Block> {
    Block::decode(p.get_option(option)?.front()?)
}

/// Adds a Block1 or Block2 option. Its number fits the option's 20 bits: the server's own
/// images are far below the 1 GiB that reach, and a Block2 answer echoes a decoded number.
pub fn add_block(p: &mut Packet, option: CoapOption, block: Block) {
    let value = block
        .encode()
        .expect("a block of an image or an echoed block fits");
    p.add_option(option, value.to_vec());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip() {
        assert_eq!(uint_bytes(0), Vec::<u8>::new());
        assert_eq!(uint_bytes(0x1234), [0x12, 0x34]);
        let b = Block::new(300, true, 6);
        let mut p = message(MessageType::Confirmable, GET);
        add_block(&mut p, CoapOption::Block2, b);
        assert_eq!(block(&p, CoapOption::Block2), Some(b));
        assert_eq!(code_text(CONTINUE), "2.31");
        set_path(&mut p, "/5/0/1");
        assert_eq!(path_of(&p), "5/0/1");
    }
}
