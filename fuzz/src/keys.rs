//! Fixed keys, so that committed seeds (signed access tokens, DPoP proofs) verify in every run.
//! They sign nothing outside the fuzz targets.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use latchkey::auth::key_encryption::KeyEncryptionKey;
use latchkey::store::keys::KeyRow;
use sha2::{Digest, Sha256};

use crate::clock::NOW;

/// The key-encryption key the fixed signing key is sealed under.
const KEK: [u8; 32] = *b"latchkey-fuzz-key-encryption-key";
/// latchkey's only access-token signing key in every fuzz fixture.
const ACCESS_SEED: [u8; 32] = *b"latchkey-fuzz-access-signing-key";
/// Signs what must be refused: a well-formed token made with a key latchkey never had.
const FOREIGN_SEED: [u8; 32] = *b"latchkey-fuzz-someone-elses-key!";
/// The device key of DPoP proofs (a P-256 scalar, well below the group order).
const DEVICE_SEED: [u8; 32] = *b"latchkey-fuzz-device-key-p256-01";

pub fn kek_base64() -> String {
    STANDARD.encode(KEK)
}

pub fn access_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&ACCESS_SEED)
}

pub fn foreign_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&FOREIGN_SEED)
}

pub fn device_key() -> p256::ecdsa::SigningKey {
    match p256::ecdsa::SigningKey::from_bytes(&DEVICE_SEED.into()) {
        Ok(key) => key,
        Err(err) => panic!("fixture: the device seed is not a P-256 scalar: {err}"),
    }
}

/// The `kid` latchkey gives the fixed key: its RFC 7638 thumbprint.
pub fn access_kid() -> String {
    let x = URL_SAFE_NO_PAD.encode(access_key().verifying_key().as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The row `SigningKeys::sync` loads: signing for years, so it never makes a key of its own.
pub fn access_key_row() -> KeyRow {
    let key = access_key();
    let der = match key.to_pkcs8_der() {
        Ok(der) => der.as_bytes().to_vec(),
        Err(err) => panic!("fixture: pkcs8 of the signing key: {err}"),
    };
    let kid = access_kid();
    let sealed = match KeyEncryptionKey::from_bytes(KEK).seal(&kid, &der) {
        Ok(sealed) => sealed,
        Err(err) => panic!("fixture: sealing the signing key: {err}"),
    };
    let sign_until = NOW + 10 * 365 * 24 * 3600;
    KeyRow {
        kid,
        private_der: Vec::new(),
        private_sealed: Some(sealed),
        public_x: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
        created_at: NOW - 3600,
        sign_until,
        publish_until: sign_until + 3600,
    }
}
