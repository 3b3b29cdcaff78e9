//! The simulated firmware of the examples: a demo image body says who it is and whether its
//! self-test passes, so that an update that must roll back can be staged. The board, the FOTA
//! server, the demo and the firmware for the chip share it; the self-test reads no more than
//! the start of a body, without `std`.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
use lwm2m_fota::Version;

/// What the demo firmware says about itself, in the first bytes of its body.
pub const DEMO_MAGIC: &[u8] = b"LWM2M-DEMO-FIRMWARE\n";
const SELF_TEST_FAILS: &[u8] = b"selftest=fail\n";

/// The self-test a freshly booted image runs before it is confirmed. A demo body (see
/// `demo_body`) passes unless it was built to fail; any other body passes.
pub fn self_test(body_start: &[u8]) -> bool {
    match body_start.strip_prefix(DEMO_MAGIC) {
        Some(rest) => !rest.starts_with(SELF_TEST_FAILS),
        None => true,
    }
}

/// A demo firmware body of `size` bytes (at least 64) that passes or fails its self-test;
/// the rest is filler derived from the version, so two versions differ throughout.
#[cfg(feature = "std")]
pub fn demo_body(version: Version, passes: bool, size: usize) -> std::vec::Vec<u8> {
    let mut body = DEMO_MAGIC.to_vec();
    body.extend_from_slice(if passes {
        b"selftest=pass\n"
    } else {
        SELF_TEST_FAILS
    });
    body.extend_from_slice(std::format!("version={version}\n").as_bytes());
    let mut x = u32::from(version.major) << 24
        ^ u32::from(version.minor) << 16
        ^ u32::from(version.revision)
        ^ version.build.rotate_left(7)
        ^ 0x9e37_79b9;
    while body.len() < size.max(64) {
        // xorshift32: cheap filler that does not compress to nothing.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        body.push(x as u8);
    }
    body.truncate(size.max(64));
    body
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn the_demo_self_test_reads_the_body() {
        let v = Version::new(2, 0, 0, 0);
        assert!(self_test(&demo_body(v, true, 100)));
        assert!(!self_test(&demo_body(v, false, 100)));
        assert!(self_test(b"\x7fELF a real binary declares no self-test"));
        assert_ne!(
            demo_body(v, true, 200)[64..],
            demo_body(Version::new(2, 0, 1, 0), true, 200)[64..]
        );
    }
}
