//! Signing keys: the bundled development key, and PEM files as imgtool writes them.
//!
//! The development key pair in `keys/` was made with `imgtool keygen -t ed25519`; its public
//! half is what `imgtool getpub --encoding pem` prints. It signs the demo's images. It is
//! public, so it proves nothing about who built an image: a product signs with its own key
//! and passes `--pubkey`.

use ed25519_dalek::VerifyingKey;

/// The development public key, raw (what a firmware build embeds).
pub const DEV_PUBLIC_KEY: [u8; 32] = [
    0xf3, 0xf5, 0x84, 0x65, 0xee, 0xd3, 0x45, 0xa6, 0xf5, 0x7f, 0x27, 0x32, 0x45, 0x32, 0x1f, 0x9e,
    0x28, 0x41, 0x6f, 0xc6, 0x6a, 0xb1, 0x5d, 0xc2, 0x31, 0xb8, 0x23, 0xc8, 0x1e, 0xc7, 0xdf, 0x53,
];

/// The development public key.
pub fn dev_public_key() -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(&DEV_PUBLIC_KEY).ok()
}

/// The development key pair's private half (PKCS#8 PEM, as imgtool keygen writes it).
#[cfg(any(test, feature = "std"))]
pub const DEV_PRIVATE_KEY_PEM: &str = include_str!("../keys/dev-ed25519.pem");

/// The development public key as `imgtool getpub --encoding pem` prints it.
#[cfg(any(test, feature = "std"))]
pub const DEV_PUBLIC_KEY_PEM: &str = include_str!("../keys/dev-ed25519.pub.pem");

/// Reads an Ed25519 public key from PEM (SubjectPublicKeyInfo).
#[cfg(any(test, feature = "std"))]
pub fn public_key_from_pem(pem: &str) -> Result<VerifyingKey, std::string::String> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    VerifyingKey::from_public_key_pem(pem)
        .map_err(|e| std::format!("not an Ed25519 public key in PEM: {e}"))
}

/// Reads an Ed25519 private key from PEM (PKCS#8).
#[cfg(any(test, feature = "std"))]
pub fn signing_key_from_pem(pem: &str) -> Result<ed25519_dalek::SigningKey, std::string::String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
        .map_err(|e| std::format!("not an Ed25519 private key in PKCS#8 PEM: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_pems_are_one_pair_and_match_the_raw_key() {
        let public = public_key_from_pem(DEV_PUBLIC_KEY_PEM).unwrap();
        assert_eq!(public.as_bytes(), &DEV_PUBLIC_KEY);
        let private = signing_key_from_pem(DEV_PRIVATE_KEY_PEM).unwrap();
        assert_eq!(private.verifying_key(), public);
        assert_eq!(dev_public_key(), Some(public));
        assert!(
            public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .is_err()
        );
    }
}
