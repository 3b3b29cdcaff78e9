//! What the update agent knows about images, whatever their format: versions, the
//! [`Verifier`] a format implements, why an image is refused, and which Update Result each
//! refusal reports.

use crate::error::FotaError;

/// An image version, `major.minor.revision+build`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Version {
    /// Major.
    pub major: u8,
    /// Minor.
    pub minor: u8,
    /// Revision.
    pub revision: u16,
    /// Build number (not compared for anti-rollback, as in MCUboot).
    pub build: u32,
}

impl Version {
    /// `major.minor.revision+build`.
    pub const fn new(major: u8, minor: u8, revision: u16, build: u32) -> Self {
        Self {
            major,
            minor,
            revision,
            build,
        }
    }

    /// What anti-rollback compares: the release without the build number.
    pub const fn release(&self) -> (u8, u8, u16) {
        (self.major, self.minor, self.revision)
    }

    /// Parses `1.2.3` or `1.2.3+4` (imgtool's `--version` syntax; minor and revision may be
    /// left out).
    pub fn parse(text: &str) -> Option<Self> {
        let (release, build) = match text.split_once('+') {
            Some((r, b)) => (r, b.parse().ok()?),
            None => (text, 0),
        };
        let mut parts = release.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let revision = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self::new(major, minor, revision, build))
    }
}

impl Version {
    /// `1.2.3`, or `1.2.3+4` with a build number: what [`Display`](core::fmt::Display)
    /// writes, without core's formatting machinery (for a firmware's hot paths).
    pub fn text(&self) -> heapless::String<24> {
        use lwm2m_runtime::format::Digits;

        let mut text = heapless::String::new();
        let mut push = |part: &str| {
            // At most 3 + 1 + 3 + 1 + 5 + 1 + 10 = 24 bytes: it always fits.
            let _ = text.push_str(part);
        };
        push(Digits::unsigned(self.major.into()).as_str());
        push(".");
        push(Digits::unsigned(self.minor.into()).as_str());
        push(".");
        push(Digits::unsigned(self.revision.into()).as_str());
        if self.build != 0 {
            push("+");
            push(Digits::unsigned(self.build.into()).as_str());
        }
        text
    }
}

impl core::fmt::Display for Version {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.text())
    }
}

/// Why an image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ImageError {
    /// It does not start with the MCUboot magic: not an image at all.
    NotAnImage,
    /// The header is inconsistent.
    BadHeader(&'static str),
    /// The image is encrypted or compressed, which this board does not boot (the flags).
    UnsupportedFlags(u32),
    /// The image declares more bytes than the slot holds.
    TooLarge {
        /// What the header and TLVs declare.
        declared: u32,
        /// What the slot holds.
        capacity: u32,
    },
    /// The image ends before what its header and TLVs declare.
    Truncated,
    /// No TLV area where the header says it starts.
    BadTlvArea,
    /// The SHA-256 TLV is missing.
    NoHash,
    /// The SHA-256 of the image is not the one its TLV carries.
    HashMismatch,
    /// The image was signed with another key (KEYHASH differs) or names no key.
    KeyMismatch,
    /// The Ed25519 signature is missing.
    NoSignature,
    /// The Ed25519 signature does not verify.
    BadSignature,
    /// The image is older than the running one (anti-rollback).
    Downgrade {
        /// The running version.
        running: Version,
        /// The image's version.
        offered: Version,
    },
    /// The flash could not be read.
    Read,
}

impl core::fmt::Display for ImageError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotAnImage => f.write_str("not an MCUboot image (bad magic)"),
            Self::BadHeader(why) => write!(f, "bad image header: {why}"),
            Self::UnsupportedFlags(flags) => {
                write!(f, "encrypted or compressed image (flags {flags:#x})")
            }
            Self::TooLarge { declared, capacity } => {
                write!(
                    f,
                    "the image needs {declared} bytes; the slot holds {capacity}"
                )
            }
            Self::Truncated => f.write_str("the image is shorter than it declares"),
            Self::BadTlvArea => f.write_str("no TLV area after the image body"),
            Self::NoHash => f.write_str("no SHA-256 TLV"),
            Self::HashMismatch => f.write_str("SHA-256 mismatch"),
            Self::KeyMismatch => f.write_str("signed with another key"),
            Self::NoSignature => f.write_str("no Ed25519 signature TLV"),
            Self::BadSignature => f.write_str("the Ed25519 signature does not verify"),
            Self::Downgrade { running, offered } => {
                write!(f, "version {offered} is older than the running {running}")
            }
            Self::Read => f.write_str("the flash could not be read"),
        }
    }
}

/// What an image's first bytes claim, before the rest has arrived: enough to refuse a package
/// that is not an image, is too big or is a downgrade at its first block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The version it carries.
    pub version: Version,
    /// The bytes its header declares (what must fit the slot), when it says.
    pub declared: Option<u32>,
}

/// A verified image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// Its version.
    pub version: Version,
    /// The digest it was signed over (what identifies it in the install record).
    pub digest: [u8; 32],
    /// Its length in the slot, trailers included.
    pub len: u32,
    /// Where its body starts (where a self-test looks).
    pub body: u32,
}

/// Reads image bytes at an offset of the slot being checked.
pub type Read<'a> = &'a mut dyn FnMut(u32, &mut [u8]) -> Result<(), ImageError>;

/// An image format and its authenticity check: how the agent tells a good package from a bad
/// one. [`crate::mcuboot::Mcuboot`] (with the `mcuboot` feature) checks MCUboot images signed
/// with Ed25519.
///
/// The check runs in steps ([`Verifier::begin`], then [`Verifier::step`] until it gives the
/// image), so that the agent can spread the hash of a large image over many polls and no poll
/// blocks for long; [`Verifier::verify`] runs them all at once (at boot).
pub trait Verifier {
    /// How many bytes of an image [`Verifier::claim`] reads.
    const HEADER_LEN: usize;

    /// A check under way: what one step hands the next (a hash state, an offset).
    type Check;

    /// What the first [`Verifier::HEADER_LEN`] bytes claim.
    fn claim(&self, header: &[u8]) -> Result<Claim, ImageError>;

    /// Begins checking the image in the first `len` bytes `read` reaches, for a slot of
    /// `capacity` bytes: reads and checks what is cheap (the header, the sizes).
    fn begin(&self, read: Read<'_>, len: u32, capacity: u32) -> Result<Self::Check, ImageError>;

    /// Advances `check`: hashes at most `budget` bytes, or, once everything is hashed, checks
    /// the trailer (digest, key, signature). Gives the image once it is checked (integrity and
    /// authenticity). Each step makes progress, so steps reach the end.
    fn step(
        &self,
        check: &mut Self::Check,
        read: Read<'_>,
        budget: u32,
    ) -> Result<Option<ImageInfo>, ImageError>;

    /// Checks the whole image in the first `len` bytes `read` reaches, at once.
    fn verify(&self, read: Read<'_>, len: u32, capacity: u32) -> Result<ImageInfo, ImageError> {
        let mut check = self.begin(read, len, capacity)?;
        loop {
            if let Some(info) = self.step(&mut check, read, u32::MAX)? {
                return Ok(info);
            }
        }
    }
}

/// The one place that says which Update Result an image problem reports.
///
/// | problem | Update Result |
/// |---|---|
/// | not an image, encrypted or compressed, older than the running image | 6 unsupported package type |
/// | larger than the slot, the flash fails to read | 2 not enough flash |
/// | bad header, truncated, hash, key or signature mismatch | 5 integrity check failure |
///
/// A downgrade reports 6: the package is authentic and intact (5 would blame the transfer),
/// but this device does not take it, which is what "unsupported package type" tells a server.
impl From<ImageError> for FotaError {
    fn from(e: ImageError) -> Self {
        match e {
            ImageError::NotAnImage
            | ImageError::UnsupportedFlags(_)
            | ImageError::Downgrade { .. } => FotaError::UnsupportedPackage,
            ImageError::TooLarge { .. } | ImageError::Read => FotaError::NoSpace,
            ImageError::BadHeader(_)
            | ImageError::Truncated
            | ImageError::BadTlvArea
            | ImageError::NoHash
            | ImageError::HashMismatch
            | ImageError::KeyMismatch
            | ImageError::NoSignature
            | ImageError::BadSignature => FotaError::Integrity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_print_and_compare_without_the_build() {
        let v = Version::parse("1.2.3+4").unwrap();
        assert_eq!(v, Version::new(1, 2, 3, 4));
        assert_eq!(std::format!("{v}"), "1.2.3+4");
        assert_eq!(std::format!("{}", Version::parse("2").unwrap()), "2.0.0");
        // The longest version there is still fits the text.
        let longest = Version::new(255, 255, 65535, u32::MAX);
        assert_eq!(longest.text(), "255.255.65535+4294967295");
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(Version::parse("1.x"), None);
        assert_eq!(Version::parse("256.0.0"), None);
        assert!(Version::new(1, 2, 3, 9).release() == Version::new(1, 2, 3, 0).release());
        assert!(Version::new(1, 10, 0, 0).release() > Version::new(1, 9, 99, 0).release());
    }

    #[test]
    fn each_refusal_reports_its_update_result() {
        let v = Version::new(1, 0, 0, 0);
        for (e, r) in [
            (ImageError::NotAnImage, 6),
            (
                ImageError::Downgrade {
                    running: v,
                    offered: v,
                },
                6,
            ),
            (ImageError::UnsupportedFlags(4), 6),
            (
                ImageError::TooLarge {
                    declared: 2,
                    capacity: 1,
                },
                2,
            ),
            (ImageError::Read, 2),
            (ImageError::HashMismatch, 5),
            (ImageError::BadSignature, 5),
            (ImageError::Truncated, 5),
        ] {
            assert_eq!(u8::from(FotaError::from(e).update_result()), r, "{e:?}");
        }
    }
}
