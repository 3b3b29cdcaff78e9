//! Interoperability with imgtool, the signer Zephyr and nRF users already run.

use std::path::{Path, PathBuf};
use std::process::Command;

use lwm2m_fota::mcuboot as image;
use lwm2m_fota::{ImageError, Version, keys};

const VECTOR: &[u8] = include_bytes!("vectors/imgtool-1.2.3.bin");

#[test]
fn our_signer_reproduces_an_imgtool_image_byte_for_byte() {
    // The vector: `imgtool sign -k keys/dev-ed25519.pem --header-size 32 --pad-header --align 4
    // --version 1.2.3+4 --slot-size 0x60000` over a 2000-byte body. Ed25519 is deterministic,
    // so the same body, version and key must give the same bytes.
    let header = image::Header::parse(VECTOR).unwrap();
    assert_eq!(header.version, Version::new(1, 2, 3, 4));
    let body = &VECTOR[32..32 + header.img_size as usize];
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let ours = image::sign(body, header.version, &key);
    assert_eq!(ours.len(), VECTOR.len());
    assert!(ours == VECTOR, "our image differs from imgtool's");
}

#[test]
fn the_imgtool_vector_verifies_and_tampering_is_caught() {
    let key = keys::public_key_from_pem(keys::DEV_PUBLIC_KEY_PEM).unwrap();
    let v = image::verify_bytes(VECTOR, 0x60000, &key).unwrap();
    assert_eq!(v.header.version.to_string(), "1.2.3+4");
    assert_eq!(
        v.digest[..4],
        [0x5d, 0x3c, 0xb8, 0xc9],
        "the digest imgtool printed"
    );
    for (at, expected) in [
        (0, ImageError::NotAnImage),
        (40, ImageError::HashMismatch),
        (2040, ImageError::HashMismatch), // inside the SHA-256 TLV
        (2100, ImageError::KeyMismatch),  // inside KEYHASH
        (2170, ImageError::BadSignature),
    ] {
        let mut bad = VECTOR.to_vec();
        bad[at] ^= 0x01;
        assert_eq!(
            image::verify_bytes(&bad, 0x60000, &key).unwrap_err(),
            expected,
            "byte {at}"
        );
    }
    let other = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    assert_eq!(
        image::verify_bytes(VECTOR, 0x60000, &other).unwrap_err(),
        ImageError::KeyMismatch
    );
}

/// imgtool: `IMGTOOL` if set (it must then work), else `imgtool` on the PATH, else `None`
/// after printing why the test skips.
fn imgtool() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("IMGTOOL") {
        return Some(PathBuf::from(path));
    }
    match Command::new("imgtool").arg("version").output() {
        Ok(out) if out.status.success() => Some(PathBuf::from("imgtool")),
        _ => {
            println!("skipped: imgtool is not installed (pip install imgtool, or set IMGTOOL)");
            None
        }
    }
}

#[test]
fn imgtool_verifies_images_we_sign() {
    let Some(imgtool) = imgtool() else { return };
    let dir = std::env::temp_dir().join(format!("lwm2m-fota-imgtool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = keys::signing_key_from_pem(keys::DEV_PRIVATE_KEY_PEM).unwrap();
    let pubkey = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/dev-ed25519.pub.pem");
    for (version, len) in [
        (Version::new(2, 0, 0, 0), 64),
        (Version::new(3, 1, 7, 42), 70_001),
    ] {
        let path = dir.join(format!("fw-{version}.bin"));
        std::fs::write(&path, image::sign(&vec![0x5a; len], version, &key)).unwrap();
        let out = Command::new(&imgtool)
            .arg("verify")
            .arg("-k")
            .arg(&pubkey)
            .arg(&path)
            .output()
            .expect("imgtool runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "imgtool verify failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Image was correctly validated"), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "Image version: {}.{}.{}+{}",
                version.major, version.minor, version.revision, version.build
            )),
            "{stdout}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
