//! Integers as decimal text and back, without `core::fmt` or `str::parse`.
//!
//! Writing: a value past 32 bits is cut into groups of four digits by long division over
//! 16-bit limbs, each step a 32-bit division that a Cortex-M does in one instruction (a `u64`
//! division would link a software one of almost 1 KiB).
//!
//! Reading: one loop over bytes for every integer type the client reads (paths' IDs excepted),
//! where `str::parse` would link one for each type, and `from_utf8` before it.

/// The decimal text of an integer, held inline.
#[derive(Clone, Copy, Debug)]
pub struct Digits {
    buf: [u8; 20],
    start: u8,
}

impl Digits {
    /// `v` in decimal.
    pub fn unsigned(v: u64) -> Self {
        let mut d = Self {
            buf: [b'0'; 20],
            start: 20,
        };
        let mut v = v;
        loop {
            match u32::try_from(v) {
                Ok(mut small) => loop {
                    d.push(small % 10);
                    small /= 10;
                    if small == 0 {
                        return d;
                    }
                },
                Err(_) => {
                    let (q, mut r) = div_rem_10k(v);
                    for _ in 0..4 {
                        d.push(r % 10);
                        r /= 10;
                    }
                    v = q;
                }
            }
        }
    }

    /// `v` in decimal, with a `-` when negative.
    pub fn signed(v: i64) -> Self {
        let mut d = Self::unsigned(v.unsigned_abs());
        if v < 0 {
            // An i64's magnitude has 19 digits at most: the sign has room.
            d.start = d.start.saturating_sub(1);
            if let Some(b) = d.buf.get_mut(usize::from(d.start)) {
                *b = b'-';
            }
        }
        d
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        let text = self.buf.get(usize::from(self.start)..).unwrap_or_default();
        // Only ASCII digits and `-` are ever written.
        core::str::from_utf8(text).unwrap_or_default()
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    fn push(&mut self, digit: u32) {
        self.start = self.start.saturating_sub(1);
        if let Some(b) = self.buf.get_mut(usize::from(self.start)) {
            *b = b'0' + (digit % 10) as u8;
        }
    }
}

/// Decimal digits with an optional leading `+`, as `u64::from_str` reads them; `None` when
/// empty, anything else is in the text, or the value is past `u64::MAX`.
pub(crate) fn parse_unsigned(text: &[u8]) -> Option<u64> {
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|&d| d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Decimal digits with an optional leading `+` or `-`, as `i64::from_str` reads them.
pub(crate) fn parse_signed(text: &[u8]) -> Option<i64> {
    match text.split_first() {
        Some((b'-', magnitude)) if !magnitude.starts_with(b"+") => {
            0i64.checked_sub_unsigned(parse_unsigned(magnitude)?)
        }
        _ => i64::try_from(parse_unsigned(text)?).ok(),
    }
}

/// `v / 10_000` and `v % 10_000`, by long division over 16-bit limbs: each partial dividend
/// is under 10,000 * 2^16, so it and its quotient fit in 32 bits.
fn div_rem_10k(v: u64) -> (u64, u32) {
    let mut q = 0u64;
    let mut r = 0u32;
    for shift in [48u32, 32, 16, 0] {
        let limb = ((v >> shift) & 0xFFFF) as u32;
        let partial = (r << 16) | limb;
        q = (q << 16) | u64::from(partial / 10_000);
        r = partial % 10_000;
    }
    (q, r)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::ToString;

    use super::*;

    #[test]
    fn integers_read_as_core_writes_them() {
        for v in [
            0,
            7,
            10,
            9_999,
            10_000,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            1_000_000_000_000,
            123_456_789_012_345_678,
            u64::MAX,
        ] {
            assert_eq!(Digits::unsigned(v).as_str(), v.to_string());
        }
        for v in [
            0,
            -1,
            42,
            -10_000,
            i64::from(i32::MIN) - 1,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(Digits::signed(v).as_str(), v.to_string());
        }
        // A spread of values across the whole range.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_eq!(Digits::unsigned(x).as_str(), x.to_string());
            assert_eq!(Digits::signed(x as i64).as_str(), (x as i64).to_string());
        }
    }

    /// Reads `text` as core does, for both parsers.
    fn same_as_core(text: &str) {
        assert_eq!(
            parse_unsigned(text.as_bytes()),
            text.parse::<u64>().ok(),
            "{text:?}"
        );
        assert_eq!(
            parse_signed(text.as_bytes()),
            text.parse::<i64>().ok(),
            "{text:?}"
        );
    }

    #[test]
    fn integers_read_as_core_reads_them() {
        for text in [
            "",
            "+",
            "-",
            "0",
            "-0",
            "+0",
            "007",
            "42",
            "+42",
            "-42",
            "+-1",
            "-+1",
            "--1",
            "++1",
            " 1",
            "1 ",
            "1_0",
            "1.0",
            "1e3",
            "0x10",
            "٣",
            "18446744073709551615",
            "18446744073709551616",
            "+18446744073709551615",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "00000000000000000000000000001",
        ] {
            same_as_core(text);
        }
        // Written, then read back; and with a stray byte in the middle.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_eq!(Digits::unsigned(x).as_str(), x.to_string());
            same_as_core(&x.to_string());
            same_as_core(&(x as i64).to_string());
            let mut text = x.to_string();
            text.insert(
                (x % 19) as usize % text.len(),
                ['/', ':', 'a', '\0'][(x % 4) as usize],
            );
            same_as_core(&text);
        }
    }
}
