//! A CoAP message (RFC 7252, section 3) and its datagram form.
//!
//! The client's own codec, kept small for a microcontroller: options are a list sorted by
//! number rather than a map of lists, and nothing is allocated for the header or the token.
//! The vocabulary (message types, option numbers) is coap-lite's, and every test that talks
//! to the client decodes what it sends with coap-lite or libcoap, not with this.

extern crate alloc;

use alloc::vec::Vec;

use coap_lite::{CoapOption, MessageType};

/// The longest token (RFC 7252, 3).
const MAX_TOKEN: usize = 8;
/// The payload marker.
const PAYLOAD_MARKER: u8 = 0xFF;
/// An option value or delta of 13 and more takes one more byte, of 269 and more two.
const EXTEND_1: usize = 13;
const EXTEND_2: usize = 269;

/// Why a datagram is not a CoAP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Shorter than the 4-byte header, or than its token, options or payload say.
    Truncated,
    /// Version other than 1.
    Version,
    /// Token length 9 to 15.
    TokenLength,
    /// An option delta or length nibble of 15 that is not the payload marker, or an option
    /// number past 65,535.
    Option,
    /// A payload marker with no payload after it.
    EmptyPayload,
}

/// A CoAP message: header, token, options and payload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Message {
    /// Confirmable, non-confirmable, acknowledgement or reset.
    pub(crate) kind: MessageType,
    /// The code, class in the top 3 bits (see [`super::code`]).
    pub(crate) code: u8,
    /// The message ID.
    pub(crate) mid: u16,
    /// The token, at most 8 bytes.
    pub(crate) token: heapless::Vec<u8, MAX_TOKEN>,
    /// The options by number; those of one number in the order they were added.
    options: Vec<(u16, Vec<u8>)>,
    /// The payload.
    pub(crate) payload: Vec<u8>,
}

impl Message {
    /// An empty message (code 0.00) of `kind` with message ID `mid`.
    pub(crate) fn new(kind: MessageType, mid: u16) -> Self {
        Self {
            kind,
            code: 0,
            mid,
            token: heapless::Vec::new(),
            options: Vec::new(),
            payload: Vec::new(),
        }
    }

    /// The values of option `option`, in order.
    pub(crate) fn options(&self, option: CoapOption) -> impl Iterator<Item = &[u8]> {
        let number = u16::from(option);
        self.options
            .iter()
            .filter(move |(n, _)| *n == number)
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of option `option`.
    pub(crate) fn option(&self, option: CoapOption) -> Option<&[u8]> {
        self.options(option).next()
    }

    /// Adds a value of option `option`, after those it has.
    pub(crate) fn add_option(&mut self, option: CoapOption, value: &[u8]) {
        let number = u16::from(option);
        let at = self.options.partition_point(|(n, _)| *n <= number);
        self.options.insert(at, (number, value.to_vec()));
    }

    /// Option `option` with `value` as its only value.
    pub(crate) fn set_option(&mut self, option: CoapOption, value: &[u8]) {
        self.remove_option(option);
        self.add_option(option, value);
    }

    /// Removes every value of option `option`.
    pub(crate) fn remove_option(&mut self, option: CoapOption) {
        let number = u16::from(option);
        self.options.retain(|(n, _)| *n != number);
    }

    /// The message in a datagram, or `None` when it would be longer than `max` bytes.
    pub(crate) fn encode(&self, max: usize) -> Option<Vec<u8>> {
        // Exactly as long as it will be: cached answers are kept as they are.
        let mut last = 0u16;
        let mut len = 4 + self.token.len();
        for (number, value) in &self.options {
            len += 1 + extension(usize::from(number - last)) + extension(value.len()) + value.len();
            last = *number;
        }
        if !self.payload.is_empty() {
            len += 1 + self.payload.len();
        }
        if len > max {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        let kind: u8 = match self.kind {
            MessageType::Confirmable => 0,
            MessageType::NonConfirmable => 1,
            MessageType::Acknowledgement => 2,
            MessageType::Reset => 3,
        };
        // The token is at most 8 bytes: the length fits its 4 bits.
        out.push(0x40 | kind << 4 | self.token.len() as u8);
        out.push(self.code);
        out.extend_from_slice(&self.mid.to_be_bytes());
        out.extend_from_slice(&self.token);
        let mut last = 0u16;
        for (number, value) in &self.options {
            // Sorted: never negative.
            let (delta, delta_ext) = nibble(usize::from(number - last))?;
            let (length, length_ext) = nibble(value.len())?;
            out.push(delta << 4 | length);
            out.extend_from_slice(&delta_ext);
            out.extend_from_slice(&length_ext);
            out.extend_from_slice(value);
            last = *number;
        }
        if !self.payload.is_empty() {
            out.push(PAYLOAD_MARKER);
            out.extend_from_slice(&self.payload);
        }
        Some(out)
    }

    /// The message a datagram holds.
    pub(crate) fn decode(datagram: &[u8]) -> Result<Self, Malformed> {
        let mut rest = datagram;
        let [first, code, mid_hi, mid_lo] = *take(&mut rest, 4)? else {
            return Err(Malformed::Truncated);
        };
        if first >> 6 != 1 {
            return Err(Malformed::Version);
        }
        let kind = match (first >> 4) & 0b11 {
            0 => MessageType::Confirmable,
            1 => MessageType::NonConfirmable,
            2 => MessageType::Acknowledgement,
            _ => MessageType::Reset,
        };
        let token_length = usize::from(first & 0x0F);
        if token_length > MAX_TOKEN {
            return Err(Malformed::TokenLength);
        }
        let token = take(&mut rest, token_length)?;
        let token = heapless::Vec::from_slice(token).map_err(|_| Malformed::TokenLength)?;
        let mut message = Self {
            kind,
            code,
            mid: u16::from_be_bytes([mid_hi, mid_lo]),
            token,
            options: Vec::new(),
            payload: Vec::new(),
        };
        let mut number = 0u16;
        while let Some((&byte, after)) = rest.split_first() {
            rest = after;
            if byte == PAYLOAD_MARKER {
                if rest.is_empty() {
                    return Err(Malformed::EmptyPayload);
                }
                message.payload = rest.to_vec();
                break;
            }
            let delta = extended(byte >> 4, &mut rest)?;
            let length = extended(byte & 0x0F, &mut rest)?;
            number = u16::try_from(delta)
                .ok()
                .and_then(|d| number.checked_add(d))
                .ok_or(Malformed::Option)?;
            let value = take(&mut rest, length)?;
            message.options.push((number, value.to_vec()));
        }
        Ok(message)
    }
}

impl Default for Message {
    /// An empty confirmable message with message ID 0.
    fn default() -> Self {
        Self::new(MessageType::Confirmable, 0)
    }
}

/// How many extension bytes an option delta or length takes.
fn extension(value: usize) -> usize {
    match value {
        0..EXTEND_1 => 0,
        EXTEND_1..EXTEND_2 => 1,
        _ => 2,
    }
}

/// The 4-bit field and the extension bytes for an option delta or length.
fn nibble(value: usize) -> Option<(u8, heapless::Vec<u8, 2>)> {
    let mut ext = heapless::Vec::new();
    let field = if value < EXTEND_1 {
        value as u8
    } else if value < EXTEND_2 {
        // value - 13 < 256.
        let _ = ext.push((value - EXTEND_1) as u8);
        13
    } else {
        let wide = u16::try_from(value - EXTEND_2).ok()?;
        let _ = ext.extend_from_slice(&wide.to_be_bytes());
        14
    };
    Some((field, ext))
}

/// An option delta or length from its 4-bit field and the extension bytes it announces.
fn extended(field: u8, rest: &mut &[u8]) -> Result<usize, Malformed> {
    Ok(match field {
        13 => usize::from(*take(rest, 1)?.first().ok_or(Malformed::Truncated)?) + EXTEND_1,
        14 => match *take(rest, 2)? {
            [hi, lo] => usize::from(u16::from_be_bytes([hi, lo])) + EXTEND_2,
            _ => return Err(Malformed::Truncated),
        },
        15 => return Err(Malformed::Option),
        small => usize::from(small),
    })
}

/// The first `n` bytes of `rest`, which moves past them.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], Malformed> {
    let (head, tail) = rest.split_at_checked(n).ok_or(Malformed::Truncated)?;
    *rest = tail;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use coap_lite::{MessageClass, Packet, RequestType};

    /// A message with options that need no, one and two extension bytes, repeated options
    /// and a payload, built with coap-lite.
    fn theirs() -> Packet {
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::Request(RequestType::Put);
        p.header.message_id = 0xBEEF;
        p.set_token(vec![1, 2, 3, 4, 5, 6, 7, 8]);
        p.add_option(CoapOption::UriPath, b"5".to_vec());
        p.add_option(CoapOption::UriPath, b"0".to_vec());
        p.add_option(CoapOption::UriPath, vec![b'x'; 300]);
        p.add_option(CoapOption::ContentFormat, vec![42]);
        p.add_option(CoapOption::Block1, vec![0x1E]);
        p.add_option(CoapOption::Size1, vec![0x01, 0x00]);
        p.add_option(CoapOption::Unknown(2000), vec![]);
        p.add_option(CoapOption::Unknown(65000), vec![7; 20]);
        p.payload = vec![0xAB; 40];
        p
    }

    #[test]
    fn reads_what_coap_lite_writes() {
        let p = theirs();
        let m = Message::decode(&p.to_bytes().unwrap()).unwrap();
        assert_eq!(m.kind, MessageType::Confirmable);
        assert_eq!(m.code, super::super::PUT);
        assert_eq!(m.mid, 0xBEEF);
        assert_eq!(m.token.as_slice(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        let path: Vec<&[u8]> = m.options(CoapOption::UriPath).collect();
        assert_eq!(path, [b"5".as_slice(), b"0", &[b'x'; 300]]);
        assert_eq!(m.option(CoapOption::ContentFormat), Some([42].as_slice()));
        assert_eq!(m.option(CoapOption::Size1), Some([1, 0].as_slice()));
        assert_eq!(m.option(CoapOption::Unknown(2000)), Some([].as_slice()));
        assert_eq!(
            m.option(CoapOption::Unknown(65000)),
            Some([7; 20].as_slice())
        );
        assert_eq!(m.option(CoapOption::Observe), None);
        assert_eq!(m.payload, [0xAB; 40]);
    }

    #[test]
    fn writes_what_coap_lite_reads_the_same() {
        let mut m = Message::new(MessageType::Acknowledgement, 0x1234);
        m.code = super::super::CONTENT;
        m.token = heapless::Vec::from_slice(&[9, 8]).unwrap();
        // Added out of order: written sorted, repeated ones in the order added.
        m.add_option(CoapOption::Unknown(65000), &[7; 20]);
        m.add_option(CoapOption::LocationPath, b"rd");
        m.add_option(CoapOption::ContentFormat, &[0x2D, 0x16]);
        m.add_option(CoapOption::LocationPath, &[b'y'; 270]);
        m.payload = b"hello".to_vec();
        let bytes = m.encode(usize::MAX).unwrap();
        let p = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(p.header.get_type(), MessageType::Acknowledgement);
        assert_eq!(u8::from(p.header.code), super::super::CONTENT);
        assert_eq!(p.header.message_id, 0x1234);
        assert_eq!(p.get_token(), &[9, 8]);
        let location: Vec<&Vec<u8>> = p
            .get_option(CoapOption::LocationPath)
            .unwrap()
            .iter()
            .collect();
        assert_eq!(location, [&b"rd".to_vec(), &vec![b'y'; 270]]);
        assert_eq!(
            p.get_first_option(CoapOption::ContentFormat),
            Some(&vec![0x2D, 0x16])
        );
        assert_eq!(
            p.get_first_option(CoapOption::Unknown(65000)),
            Some(&vec![7; 20])
        );
        assert_eq!(p.payload, b"hello");
        // And the same bytes as coap-lite's, which sorts options the same way.
        assert_eq!(bytes, p.to_bytes().unwrap());
        assert_eq!(bytes.capacity(), bytes.len());
        assert_eq!(Message::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn set_and_remove_replace_every_value() {
        let mut m = Message::new(MessageType::Confirmable, 1);
        m.add_option(CoapOption::UriQuery, b"a");
        m.add_option(CoapOption::UriQuery, b"b");
        m.add_option(CoapOption::UriPath, b"rd");
        m.set_option(CoapOption::UriQuery, b"c");
        assert_eq!(m.options(CoapOption::UriQuery).collect::<Vec<_>>(), [b"c"]);
        m.remove_option(CoapOption::UriQuery);
        assert_eq!(m.option(CoapOption::UriQuery), None);
        assert_eq!(m.option(CoapOption::UriPath), Some(b"rd".as_slice()));
    }

    #[test]
    fn an_empty_message_is_its_header() {
        let m = Message::new(MessageType::Reset, 0xA0B0);
        assert_eq!(m.encode(usize::MAX).unwrap(), [0x70, 0x00, 0xA0, 0xB0]);
    }

    #[test]
    fn malformed_datagrams_are_refused_with_their_reason() {
        let cases: [(&[u8], Malformed); 12] = [
            (&[], Malformed::Truncated),
            (&[0x40, 0x01, 0x00], Malformed::Truncated),
            (&[0x80, 0x01, 0x00, 0x01], Malformed::Version),
            (
                &[0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                Malformed::TokenLength,
            ),
            (&[0x4F, 0x01, 0x00, 0x01], Malformed::TokenLength),
            (&[0x42, 0x01, 0x00, 0x01, 1], Malformed::Truncated),
            (
                &[0x40, 0x01, 0x00, 0x01, 0xB3, b'r', b'd'],
                Malformed::Truncated,
            ),
            (&[0x40, 0x01, 0x00, 0x01, 0xD0], Malformed::Truncated),
            (&[0x40, 0x01, 0x00, 0x01, 0xE0, 0x01], Malformed::Truncated),
            (&[0x40, 0x01, 0x00, 0x01, 0xF0], Malformed::Option),
            (&[0x40, 0x01, 0x00, 0x01, 0x1F], Malformed::Option),
            (&[0x40, 0x01, 0x00, 0x01, 0xFF], Malformed::EmptyPayload),
        ];
        for (bytes, why) in cases {
            assert_eq!(Message::decode(bytes), Err(why), "{bytes:02X?}");
        }
        // Two options whose numbers add up past 65,535: 65,523, then 13 more.
        let past = [0x40, 0x01, 0x00, 0x01, 0xE0, 0xFE, 0xE6, 0xD0, 0x00];
        assert_eq!(Message::decode(&past), Err(Malformed::Option));
    }

    #[test]
    fn a_message_longer_than_the_limit_is_not_written() {
        let mut m = Message::new(MessageType::Acknowledgement, 1);
        m.add_option(CoapOption::UriPath, b"rd");
        // 4 of header, 3 of option, 1 of marker: 1,272 bytes of payload make 1,280.
        m.payload = vec![0; 1272];
        assert_eq!(m.encode(1280).map(|b| b.len()), Some(1280));
        m.payload.push(0);
        assert_eq!(m.encode(1280), None);
    }

    #[test]
    fn a_value_too_long_for_coap_is_not_written() {
        let mut m = Message::new(MessageType::Confirmable, 1);
        m.add_option(CoapOption::UriPath, &vec![0; 65_805]);
        assert_eq!(m.encode(usize::MAX), None);
        let mut m = Message::new(MessageType::Confirmable, 1);
        m.add_option(CoapOption::UriPath, &vec![0; 65_804]);
        assert_eq!(m.encode(usize::MAX).map(|b| b.len()), Some(4 + 3 + 65_804));
    }
}
