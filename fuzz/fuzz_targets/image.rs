//! Arbitrary bytes as a firmware image: refused with a reason, never a panic, and never
//! accepted unless signed with the key (which a fuzzer cannot forge).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_fota::{ImageError, keys, mcuboot as image};

fuzz_target!(|data: &[u8]| {
    let Some(key) = keys::dev_public_key() else { return };
    let mut read = |at: u32, buf: &mut [u8]| {
        let at = at as usize;
        let src = data
            .get(at..at + buf.len())
            .ok_or(ImageError::Truncated)?;
        buf.copy_from_slice(src);
        Ok(())
    };
    let capacity = 64 * 1024;
    if let Ok(v) = image::verify(&mut read, data.len() as u32, capacity, &key) {
        assert!(v.len as usize <= data.len() && v.len <= capacity);
    }
    let _ = image::Header::parse(data);
});
