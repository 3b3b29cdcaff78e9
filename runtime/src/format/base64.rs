//! Base64 (RFC 4648) for SenML `vd`: written URL-safe without padding, read in either
//! alphabet with or without padding, decoded in place.

use super::Out;
use crate::error::Error;

const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(super) fn encode(bytes: &[u8], out: &mut dyn Out) -> Result<(), Error> {
    let sym = |v: u32| URL.get((v & 63) as usize).copied().unwrap_or(b'A');
    for chunk in bytes.chunks(3) {
        let [a, b, c] = [0, 1, 2].map(|i| u32::from(chunk.get(i).copied().unwrap_or(0)));
        let n = (a << 16) | (b << 8) | c;
        let quad = [sym(n >> 18), sym(n >> 12), sym(n >> 6), sym(n)];
        out.write(quad.get(..chunk.len() + 1).unwrap_or(&quad))?;
    }
    Ok(())
}

fn value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' | b'+' => 62,
        b'_' | b'/' => 63,
        _ => return None,
    }))
}

/// Decodes `buf` in place and returns the decoded prefix. 4.00 on anything that is not base64.
pub(super) fn decode_in_place(buf: &mut [u8]) -> Result<&mut [u8], Error> {
    let len = buf.iter().rposition(|&c| c != b'=').map_or(0, |i| i + 1);
    if buf.len() - len > 2 || len % 4 == 1 {
        return Err(Error::BadRequest);
    }
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut w = 0usize;
    for r in 0..len {
        let c = buf.get(r).copied().ok_or(Error::BadRequest)?;
        acc = (acc << 6) | value(c).ok_or(Error::BadRequest)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // The write index trails the read index, so this never overwrites unread input.
            *buf.get_mut(w).ok_or(Error::BadRequest)? = (acc >> bits) as u8;
            w += 1;
        }
        acc &= (1 << bits) - 1;
    }
    buf.get_mut(..w).ok_or(Error::BadRequest)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        for input in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0xff, 0xfe, 0x00],
        ] {
            let mut encoded = std::vec::Vec::new();
            encode(input, &mut encoded).unwrap();
            assert!(!encoded.contains(&b'='));
            let decoded = decode_in_place(&mut encoded).unwrap();
            assert_eq!(decoded, input);
        }
        let mut padded = *b"Zm9vYg==";
        assert_eq!(decode_in_place(&mut padded).unwrap(), b"foob");
        let mut standard = *b"+/8=";
        assert_eq!(decode_in_place(&mut standard).unwrap(), [0xfb, 0xff]);
        for bad in [&b"Z"[..], b"Zm9v!", b"Zm===", b"Zg=x"] {
            let mut bytes = bad.to_vec();
            assert_eq!(
                decode_in_place(&mut bytes),
                Err(Error::BadRequest),
                "{bad:?}"
            );
        }
    }
}
