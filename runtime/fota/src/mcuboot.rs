//! Firmware images in the MCUboot format, as `imgtool sign` makes them, and their check.
//!
//! ```text
//! | header (32 bytes, padded to hdr_size) | body (img_size) | [protected TLVs] | TLVs |
//! ```
//!
//! The header (little-endian) holds the magic `0x96f3b83d`, the load address, the header size,
//! the size of the protected TLV area, the body size, flags and the version
//! (major.minor.revision+build). The TLV area starts with its magic `0x6907` and total length;
//! each TLV is a type byte, a pad byte, a 16-bit length and the value. The SHA-256 TLV (0x10)
//! covers the header, the body and the protected TLVs; KEYHASH (0x01) is the SHA-256 of the
//! signing key's DER SubjectPublicKeyInfo; ED25519 (0x24) is the signature over that digest.
//!
//! [`Mcuboot`] is the agent's [`Verifier`] for these images. [`verify`] reads the image
//! through a callback, so a slot in flash is checked without a buffer the size of the image.
//! With the `std` feature, [`sign`] makes images that `imgtool verify` accepts.

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::image::{Claim, ImageError, ImageInfo, Read, Verifier, Version};

/// The header's magic number.
pub const IMAGE_MAGIC: u32 = 0x96f3_b83d;
/// The size of the header structure (the header may be padded beyond it).
pub const HEADER_SIZE: usize = 32;
const TLV_INFO_MAGIC: u16 = 0x6907;
const TLV_PROT_INFO_MAGIC: u16 = 0x6908;
const TLV_KEYHASH: u8 = 0x01;
const TLV_SHA256: u8 = 0x10;
const TLV_ED25519: u8 = 0x24;
/// Flags this agent cannot install: encrypted (AES-128, AES-256) or compressed images.
const UNSUPPORTED_FLAGS: u32 = 0x0000_0004 | 0x0000_1000 | 0x0000_0200;
/// The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// An image header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Where a RAM-loading bootloader copies the image (0 here).
    pub load_addr: u32,
    /// Bytes before the body (at least [`HEADER_SIZE`]).
    pub hdr_size: u16,
    /// Bytes of protected TLVs after the body (0 when there are none).
    pub protect_tlv_size: u16,
    /// Bytes of body.
    pub img_size: u32,
    /// Image flags.
    pub flags: u32,
    /// The version.
    pub version: Version,
}

impl Header {
    /// Parses the first [`HEADER_SIZE`] bytes of an image.
    pub fn parse(bytes: &[u8]) -> Result<Self, ImageError> {
        let mut le = Le(bytes.get(..HEADER_SIZE).ok_or(ImageError::Truncated)?);
        if le.u32()? != IMAGE_MAGIC {
            return Err(ImageError::NotAnImage);
        }
        let header = Self {
            load_addr: le.u32()?,
            hdr_size: le.u16()?,
            protect_tlv_size: le.u16()?,
            img_size: le.u32()?,
            flags: le.u32()?,
            version: Version::new(le.u8()?, le.u8()?, le.u16()?, le.u32()?),
        };
        if usize::from(header.hdr_size) < HEADER_SIZE {
            return Err(ImageError::BadHeader("the header size is below 32 bytes"));
        }
        if header.flags & UNSUPPORTED_FLAGS != 0 {
            return Err(ImageError::UnsupportedFlags(header.flags));
        }
        Ok(header)
    }

    /// The header as bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..4].copy_from_slice(&IMAGE_MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&self.load_addr.to_le_bytes());
        b[8..10].copy_from_slice(&self.hdr_size.to_le_bytes());
        b[10..12].copy_from_slice(&self.protect_tlv_size.to_le_bytes());
        b[12..16].copy_from_slice(&self.img_size.to_le_bytes());
        b[16..20].copy_from_slice(&self.flags.to_le_bytes());
        b[20] = self.version.major;
        b[21] = self.version.minor;
        b[22..24].copy_from_slice(&self.version.revision.to_le_bytes());
        b[24..28].copy_from_slice(&self.version.build.to_le_bytes());
        b
    }

    /// Bytes the SHA-256 covers: header, body and protected TLVs.
    pub fn hashed_len(&self) -> Option<u32> {
        u32::from(self.hdr_size)
            .checked_add(self.img_size)?
            .checked_add(u32::from(self.protect_tlv_size))
    }
}

/// A verified image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Its header.
    pub header: Header,
    /// The SHA-256 of header, body and protected TLVs (what was signed).
    pub digest: [u8; 32],
    /// Its length, TLVs included.
    pub len: u32,
}

/// The KEYHASH of an Ed25519 key as imgtool computes it: SHA-256 of its DER
/// SubjectPublicKeyInfo.
pub fn key_hash(key: &VerifyingKey) -> [u8; 32] {
    let mut sha = Sha256::new();
    sha.update(ED25519_SPKI_PREFIX);
    sha.update(key.as_bytes());
    sha.finalize().into()
}

/// Checks the image in the first `len` bytes that `read` reaches: header, sizes, SHA-256, key
/// hash and the Ed25519 signature over the digest, against `capacity` and `key`, at once.
pub fn verify(
    read: Read<'_>,
    len: u32,
    capacity: u32,
    key: &VerifyingKey,
) -> Result<Verified, ImageError> {
    let mut check = Check::begin(read, len, capacity)?;
    loop {
        if let Some(verified) = check.step(read, u32::MAX, key)? {
            return Ok(verified);
        }
    }
}

/// A check under way, step by step ([`Mcuboot`]'s [`Verifier::Check`]): the header, the
/// sizes, and the SHA-256 of what has been hashed so far.
#[derive(Clone)]
pub struct Check {
    header: Header,
    len: u32,
    capacity: u32,
    /// Bytes the SHA-256 covers: header, body and protected TLVs.
    hashed: u32,
    /// Bytes hashed so far.
    at: u32,
    sha: Sha256,
}

impl Check {
    /// Begins checking the image in the first `len` bytes `read` reaches: reads its header
    /// and checks the sizes it declares against `len` and `capacity`.
    pub fn begin(read: Read<'_>, len: u32, capacity: u32) -> Result<Self, ImageError> {
        let mut head = [0u8; HEADER_SIZE];
        if len < HEADER_SIZE as u32 {
            return Err(ImageError::Truncated);
        }
        read(0, &mut head)?;
        let header = Header::parse(&head)?;
        let hashed = header
            .hashed_len()
            .ok_or(ImageError::BadHeader("sizes overflow"))?;
        if hashed > capacity {
            return Err(ImageError::TooLarge {
                declared: hashed,
                capacity,
            });
        }
        if hashed > len {
            return Err(ImageError::Truncated);
        }
        // A protected TLV area, when declared, starts right after the body with its own magic.
        if header.protect_tlv_size != 0 {
            let mut info = [0u8; 4];
            read(hashed - u32::from(header.protect_tlv_size), &mut info)?;
            let (magic, total) = tlv_info(info);
            if magic != TLV_PROT_INFO_MAGIC || total != header.protect_tlv_size {
                return Err(ImageError::BadTlvArea);
            }
        }
        Ok(Self {
            header,
            len,
            capacity,
            hashed,
            at: 0,
            sha: Sha256::new(),
        })
    }

    /// One step: hashes up to `budget` more bytes (at least one), or, once everything is
    /// hashed, checks the TLVs (digest, key hash, signature by `key`) and gives the image.
    pub fn step(
        &mut self,
        read: Read<'_>,
        budget: u32,
        key: &VerifyingKey,
    ) -> Result<Option<Verified>, ImageError> {
        if self.at < self.hashed {
            let end = self.hashed.min(self.at.saturating_add(budget.max(1)));
            let mut buf = [0u8; 256];
            while self.at < end {
                let n = (end - self.at).min(buf.len() as u32) as usize;
                let chunk = buf.get_mut(..n).ok_or(ImageError::Read)?;
                read(self.at, chunk)?;
                self.sha.update(&*chunk);
                self.at += n as u32;
            }
            return Ok(None);
        }
        let digest: [u8; 32] = self.sha.clone().finalize().into();
        self.trailer(read, digest, key).map(Some)
    }

    /// Bytes hashed so far, and how many the hash covers.
    pub fn progress(&self) -> (u32, u32) {
        (self.at, self.hashed)
    }

    /// The TLV area after the hashed bytes: the digest must match, the key hash name `key`,
    /// and the signature verify.
    fn trailer(
        &self,
        read: Read<'_>,
        digest: [u8; 32],
        key: &VerifyingKey,
    ) -> Result<Verified, ImageError> {
        let (hashed, len, capacity) = (self.hashed, self.len, self.capacity);
        let mut info = [0u8; 4];
        if hashed.checked_add(4).is_none_or(|end| end > len) {
            return Err(ImageError::Truncated);
        }
        read(hashed, &mut info)?;
        let (magic, total) = tlv_info(info);
        if magic != TLV_INFO_MAGIC || total < 4 {
            return Err(ImageError::BadTlvArea);
        }
        let end = hashed + u32::from(total);
        if end > capacity {
            return Err(ImageError::TooLarge {
                declared: end,
                capacity,
            });
        }
        if end > len {
            return Err(ImageError::Truncated);
        }

        let (mut hash_ok, mut key_ok, mut signature) = (None, false, None);
        let mut at = hashed + 4;
        while at < end {
            let mut tlv = [0u8; 4];
            if at + 4 > end {
                return Err(ImageError::BadTlvArea);
            }
            read(at, &mut tlv)?;
            let (kind, size) = (tlv[0], u16::from_le_bytes([tlv[2], tlv[3]]));
            let value_at = at + 4;
            let next = value_at + u32::from(size);
            if next > end {
                return Err(ImageError::BadTlvArea);
            }
            match (kind, size) {
                (TLV_SHA256, 32) => {
                    let mut v = [0u8; 32];
                    read(value_at, &mut v)?;
                    hash_ok = Some(v == digest);
                }
                (TLV_KEYHASH, 32) => {
                    let mut v = [0u8; 32];
                    read(value_at, &mut v)?;
                    key_ok = v == key_hash(key);
                }
                (TLV_ED25519, 64) => {
                    let mut v = [0u8; 64];
                    read(value_at, &mut v)?;
                    signature = Some(Signature::from_bytes(&v));
                }
                _ => {}
            }
            at = next;
        }
        match hash_ok {
            None => return Err(ImageError::NoHash),
            Some(false) => return Err(ImageError::HashMismatch),
            Some(true) => {}
        }
        if !key_ok {
            return Err(ImageError::KeyMismatch);
        }
        let signature = signature.ok_or(ImageError::NoSignature)?;
        key.verify_strict(&digest, &signature)
            .map_err(|_| ImageError::BadSignature)?;
        Ok(Verified {
            header: self.header,
            digest,
            len: end,
        })
    }
}

/// MCUboot images signed with Ed25519 by one key: the [`Verifier`] of most products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mcuboot {
    key: VerifyingKey,
}

impl Mcuboot {
    /// Images must be signed with the private half of `key`.
    pub const fn new(key: VerifyingKey) -> Self {
        Self { key }
    }

    /// From the raw 32 bytes of an Ed25519 public key (what firmware embeds); `None` when they
    /// are not a valid key.
    pub fn from_bytes(key: &[u8; 32]) -> Option<Self> {
        VerifyingKey::from_bytes(key).ok().map(Self::new)
    }

    /// The key images must be signed with.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl Verifier for Mcuboot {
    const HEADER_LEN: usize = HEADER_SIZE;
    type Check = Check;

    fn claim(&self, header: &[u8]) -> Result<Claim, ImageError> {
        let header = Header::parse(header)?;
        let declared = header
            .hashed_len()
            .ok_or(ImageError::BadHeader("sizes overflow"))?;
        Ok(Claim {
            version: header.version,
            declared: Some(declared),
        })
    }

    fn begin(&self, read: Read<'_>, len: u32, capacity: u32) -> Result<Check, ImageError> {
        Check::begin(read, len, capacity)
    }

    fn step(
        &self,
        check: &mut Check,
        read: Read<'_>,
        budget: u32,
    ) -> Result<Option<ImageInfo>, ImageError> {
        let verified = check.step(read, budget, &self.key)?;
        Ok(verified.map(|v| ImageInfo {
            version: v.header.version,
            digest: v.digest,
            len: v.len,
            body: u32::from(v.header.hdr_size),
        }))
    }
}

/// Reads little-endian fields in order.
struct Le<'a>(&'a [u8]);

impl Le<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ImageError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(ImageError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, ImageError> {
        Ok(u8::from_le_bytes(self.take()?))
    }
    fn u16(&mut self) -> Result<u16, ImageError> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, ImageError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
}

fn tlv_info(b: [u8; 4]) -> (u16, u16) {
    (
        u16::from_le_bytes([b[0], b[1]]),
        u16::from_le_bytes([b[2], b[3]]),
    )
}

/// Signs `body` into an MCUboot image of `version`, as `imgtool sign --header-size 32
/// --pad-header` does with an Ed25519 key: header, body, then the SHA-256, KEYHASH and
/// ED25519 TLVs.
#[cfg(any(test, feature = "std"))]
pub fn sign(body: &[u8], version: Version, key: &ed25519_dalek::SigningKey) -> std::vec::Vec<u8> {
    use ed25519_dalek::Signer;
    let header = Header {
        load_addr: 0,
        hdr_size: HEADER_SIZE as u16,
        protect_tlv_size: 0,
        img_size: body.len() as u32,
        flags: 0,
        version,
    };
    let mut image = header.to_bytes().to_vec();
    image.extend_from_slice(body);
    let digest: [u8; 32] = Sha256::digest(&image).into();
    let signature = key.sign(&digest).to_bytes();
    let key_hash = key_hash(&key.verifying_key());
    let tlvs: [(u8, &[u8]); 3] = [
        (TLV_SHA256, &digest),
        (TLV_KEYHASH, &key_hash),
        (TLV_ED25519, &signature),
    ];
    let total = 4 + tlvs.iter().map(|(_, v)| 4 + v.len()).sum::<usize>();
    image.extend_from_slice(&TLV_INFO_MAGIC.to_le_bytes());
    image.extend_from_slice(&(total as u16).to_le_bytes());
    for (kind, value) in tlvs {
        image.extend_from_slice(&[kind, 0]);
        image.extend_from_slice(&(value.len() as u16).to_le_bytes());
        image.extend_from_slice(value);
    }
    image
}

/// Verifies an image held in memory.
#[cfg(any(test, feature = "std"))]
pub fn verify_bytes(
    image: &[u8],
    capacity: u32,
    key: &VerifyingKey,
) -> Result<Verified, ImageError> {
    let mut read = |at: u32, buf: &mut [u8]| {
        let at = at as usize;
        let src = image.get(at..at + buf.len()).ok_or(ImageError::Truncated)?;
        buf.copy_from_slice(src);
        Ok(())
    };
    verify(&mut read, image.len() as u32, capacity, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn body(len: usize) -> std::vec::Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    fn signed(len: usize) -> std::vec::Vec<u8> {
        sign(&body(len), Version::new(1, 2, 3, 4), &key(1))
    }

    #[test]
    fn a_signed_image_verifies_and_reports_its_header() {
        let image = signed(1000);
        let v = verify_bytes(&image, 4096, &key(1).verifying_key()).unwrap();
        assert_eq!(v.header.version, Version::new(1, 2, 3, 4));
        assert_eq!(v.header.img_size, 1000);
        assert_eq!(v.len as usize, image.len());
        assert_eq!(image.len(), 32 + 1000 + 144);
        assert_eq!(v.digest, <[u8; 32]>::from(Sha256::digest(&image[..1032])));
    }

    #[test]
    fn a_check_in_steps_reads_at_most_its_budget_a_step_and_agrees_with_one_at_once() {
        let image = signed(10_000);
        let k = key(1).verifying_key();
        let whole = verify_bytes(&image, 16_384, &k).unwrap();
        let hashed = 32 + 10_000;
        for budget in [1u32, 100, 256, 1000, 4096] {
            let bytes = core::cell::Cell::new(0usize);
            let mut read = |at: u32, buf: &mut [u8]| {
                bytes.set(bytes.get() + buf.len());
                let at = at as usize;
                buf.copy_from_slice(&image[at..at + buf.len()]);
                Ok(())
            };
            let mut check = Check::begin(&mut read, image.len() as u32, 16_384).unwrap();
            let mut steps = 0;
            let verified = loop {
                bytes.set(0);
                steps += 1;
                let done = check.step(&mut read, budget, &k).unwrap();
                if let Some(v) = done {
                    break v;
                }
                assert!(
                    bytes.get() <= budget as usize,
                    "budget {budget}: read {bytes:?}"
                );
                assert_eq!(check.progress().1, hashed);
            };
            assert_eq!(verified, whole, "budget {budget}");
            assert_eq!(steps, hashed.div_ceil(budget) + 1, "budget {budget}");
        }
    }

    #[test]
    fn each_defect_is_named() {
        let good = signed(600);
        let k = key(1).verifying_key();
        let check = |image: &[u8], capacity: u32| verify_bytes(image, capacity, &k).unwrap_err();

        let mut bad = good.clone();
        bad[0] ^= 1;
        assert_eq!(check(&bad, 4096), ImageError::NotAnImage);
        assert_eq!(
            check(b"#!/bin/sh\necho hello, this is no image\n", 4096),
            ImageError::NotAnImage
        );
        let mut bad = good.clone();
        bad[100] ^= 1;
        assert_eq!(check(&bad, 4096), ImageError::HashMismatch);
        assert_eq!(
            check(&good, 600),
            ImageError::TooLarge {
                declared: 632,
                capacity: 600
            }
        );
        assert_eq!(check(&good[..good.len() - 1], 4096), ImageError::Truncated);
        assert_eq!(check(&good[..500], 4096), ImageError::Truncated);
        let other = sign(&body(600), Version::new(1, 2, 3, 4), &key(2));
        assert_eq!(check(&other, 4096), ImageError::KeyMismatch);
        let mut bad = good.clone();
        let at = bad.len() - 1;
        bad[at] ^= 1; // inside the signature
        assert_eq!(check(&bad, 4096), ImageError::BadSignature);
        let mut bad = good.clone();
        bad[632] = 0; // TLV info magic
        assert_eq!(check(&bad, 4096), ImageError::BadTlvArea);
        let mut bad = good.clone();
        bad[8] = 16; // header size below 32
        assert_eq!(
            check(&bad, 4096),
            ImageError::BadHeader("the header size is below 32 bytes")
        );
        let mut bad = good.clone();
        bad[16] = 0x04; // encrypted
        assert_eq!(check(&bad, 4096), ImageError::UnsupportedFlags(4));
        // Only the hash and key hash TLVs: the signature is missing.
        let mut bad = good[..good.len() - 68].to_vec();
        bad[634..636].copy_from_slice(&(144u16 - 68).to_le_bytes());
        assert_eq!(check(&bad, 4096), ImageError::NoSignature);
    }
}
