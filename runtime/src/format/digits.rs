//! Integers as decimal text, without `core::fmt` and without a 64-bit division: a value past
//! 32 bits is cut into groups of four digits by long division over 16-bit limbs, each step a
//! 32-bit division that a Cortex-M does in one instruction (a `u64` division would link a
//! software one of almost 1 KiB).

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
}
