//! The Block1/Block2 option value of RFC 7959: block number, more flag, size exponent.

/// One Block1 or Block2 option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Block number.
    pub num: u32,
    /// More blocks follow.
    pub more: bool,
    /// Size exponent: the block holds `2^(szx + 4)` bytes, 16 to 1024.
    pub szx: u8,
}

impl Block {
    /// The largest size exponent (1024 bytes); 7 is reserved (BERT).
    pub const MAX_SZX: u8 = 6;

    /// The largest block number: the option has 20 bits for it.
    pub const MAX_NUM: u32 = 0xf_ffff;

    /// The block of `size` bytes (16, 32, ... 1024) at `num`.
    pub const fn new(num: u32, more: bool, szx: u8) -> Self {
        Self { num, more, szx }
    }

    /// Bytes in a block of this size.
    pub const fn size(&self) -> u32 {
        1 << (self.szx + 4)
    }

    /// Byte offset of this block.
    pub fn offset(&self) -> Option<u32> {
        self.num.checked_mul(self.size())
    }

    /// The largest size exponent whose block holds at most `bytes` (at least 16).
    pub fn szx_for(bytes: usize) -> u8 {
        (0..=Self::MAX_SZX)
            .rev()
            .find(|&s| (16usize << s) <= bytes)
            .unwrap_or(0)
    }

    /// Reads an option value (0 to 3 bytes). `None` for longer values, a block number that
    /// does not fit 20 bits, or the reserved size exponent 7.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > 3 {
            return None;
        }
        let value = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        let szx = (value & 0x7) as u8;
        if szx == 7 {
            return None;
        }
        Some(Self {
            num: value >> 4,
            more: value & 0x8 != 0,
            szx,
        })
    }

    /// The option value, in as few bytes as it takes. `None` when the block cannot be written
    /// as an option: a number above [`Block::MAX_NUM`] (it has 20 bits) or a size exponent
    /// above [`Block::MAX_SZX`] (7 is reserved for BERT), so no wrong option is ever sent.
    pub fn encode(&self) -> Option<heapless::Vec<u8, 3>> {
        if self.num > Self::MAX_NUM || self.szx > Self::MAX_SZX {
            return None;
        }
        let value = (self.num << 4) | (u32::from(self.more) << 3) | u32::from(self.szx);
        let bytes = value.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        heapless::Vec::from_slice(bytes.get(skip..)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip() {
        for (num, more, szx) in [
            (0, false, 0),
            (0, true, 6),
            (1, true, 2),
            (4095, false, 6),
            (0xfffff, true, 6),
        ] {
            let b = Block::new(num, more, szx);
            assert_eq!(Block::decode(&b.encode().unwrap()), Some(b));
        }
        assert_eq!(
            Block::new(0, false, 0).encode().unwrap().len(),
            0,
            "zero is the empty option"
        );
        assert_eq!(Block::decode(&[]), Some(Block::new(0, false, 0)));
        assert_eq!(Block::decode(&[0x0f]), None, "szx 7 is reserved");
        assert_eq!(Block::decode(&[1, 2, 3, 4]), None);
        assert_eq!(Block::new(3, false, 6).offset(), Some(3072));
        assert_eq!(Block::szx_for(1024), 6);
        assert_eq!(Block::szx_for(1000), 5);
        assert_eq!(Block::szx_for(3), 0);
    }

    #[test]
    fn block_numbers_beyond_20_bits_do_not_encode() {
        assert_eq!(
            Block::new(Block::MAX_NUM, true, 6)
                .encode()
                .unwrap()
                .as_slice(),
            [0xff, 0xff, 0xfe]
        );
        // 2^20 used to lose its top bit and come out as block 0.
        assert_eq!(Block::new(1 << 20, false, 6).encode(), None);
        assert_eq!(Block::new(0x0123_4567, true, 2).encode(), None);
        assert_eq!(Block::new(0, false, 7).encode(), None, "BERT is not sent");
        assert_eq!(Block::new(0, false, 8).encode(), None);
    }
}
