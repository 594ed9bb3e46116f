//! The key-encryption key (KEK) that seals the signing keys at rest. It is kept outside the
//! database (environment, secret file, or a 0600 file beside the SQLite database), so a dump,
//! a backup or a read replica of the database alone cannot mint tokens.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};

/// Where the key-encryption key that seals the signing keys comes from. It never lives in the
/// database, so a dump or backup of the database alone cannot sign tokens.
#[derive(Debug, Clone)]
pub enum KeyEncryptionSource {
    /// `LATCHKEY_KEY_ENCRYPTION_KEY`, already decoded.
    Inline(Arc<SecretBox<[u8; 32]>>),
    /// `LATCHKEY_KEY_ENCRYPTION_KEY_FILE`: a file holding the base64 key.
    File(PathBuf),
    /// The SQLite default: a file beside the database, created (mode 0600) on first start.
    BesideDatabase(PathBuf),
    /// An in-memory SQLite database: a random key that lives as long as the process.
    Ephemeral,
}

/// Marks the format of a sealed key, so a later format can be told apart.
const FORMAT_V1: u8 = 1;
const NONCE_BYTES: usize = 24;
const AAD_LABEL: &[u8] = b"latchkey/signing-key/v1/";

pub struct KeyEncryptionKey(SecretBox<[u8; 32]>);

#[derive(Debug, thiserror::Error)]
#[error("signing key {kid} cannot be decrypted with the configured key-encryption key")]
pub struct WrongKey {
    pub kid: String,
}

impl KeyEncryptionKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Resolves the configured source, creating the SQLite default file on first start.
    pub fn load(source: &KeyEncryptionSource) -> anyhow::Result<Self> {
        match source {
            KeyEncryptionSource::Inline(key) => Ok(Self::from_bytes(*key.expose_secret())),
            KeyEncryptionSource::File(path) => read_key_file(path)
                .with_context(|| format!("LATCHKEY_KEY_ENCRYPTION_KEY_FILE ({})", path.display())),
            KeyEncryptionSource::BesideDatabase(path) => load_or_create(path),
            KeyEncryptionSource::Ephemeral => Ok(Self::generate()),
        }
    }

    /// Encrypts a private key; the `kid` is bound as associated data, so a sealed key copied
    /// onto another row does not open.
    pub fn seal(&self, kid: &str, private_der: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: private_der,
                    aad: &aad(kid),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing signing key {kid} failed"))?;
        Ok([&[FORMAT_V1][..], &nonce, &sealed].concat())
    }

    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, WrongKey> {
        let wrong = || WrongKey {
            kid: kid.to_owned(),
        };
        let (&format, rest) = sealed.split_first().ok_or_else(wrong)?;
        if format != FORMAT_V1 || rest.len() <= NONCE_BYTES {
            return Err(wrong());
        }
        let (nonce, body) = rest.split_at(NONCE_BYTES);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad(kid),
                },
            )
            .map_err(|_| wrong())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.expose_secret().into())
    }
}

fn aad(kid: &str) -> Vec<u8> {
    [AAD_LABEL, kid.as_bytes()].concat()
}

fn read_key_file(path: &Path) -> anyhow::Result<KeyEncryptionKey> {
    let text = std::fs::read_to_string(path).context("cannot read the key file")?;
    let key = decode_key_encryption_key(&text).map_err(|m| anyhow::anyhow!("the key file {m}"))?;
    warn_if_readable_by_others(path);
    Ok(KeyEncryptionKey::from_bytes(*key.expose_secret()))
}

/// The SQLite default, so `./scripts/run` needs no set-up: a random key written once, readable
/// by the owner only, never replaced (replacing it would orphan the sealed signing keys).
fn load_or_create(path: &Path) -> anyhow::Result<KeyEncryptionKey> {
    if path.exists() {
        return read_key_file(path).with_context(|| {
            format!(
                "the key-encryption key beside the database ({})",
                path.display()
            )
        });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::db::create_private_dir(dir)?;
    }
    let key = KeyEncryptionKey::generate();
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(key.0.expose_secret());
    match create_private_file(path) {
        Ok(mut file) => {
            file.write_all(format!("{text}\n").as_bytes())
                .and_then(|_| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "created the key-encryption key for the signing keys; back it up separately from the database");
            Ok(key)
        }
        // Another process created it between our check and our create: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path),
        Err(err) => bail!("cannot create {}: {err}", path.display()),
    }
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the key-encryption key file is readable by other users; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Base64 (standard or URL-safe, padding optional) of exactly 32 bytes.
pub fn decode_key_encryption_key(raw: &str) -> Result<SecretBox<[u8; 32]>, String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = raw.trim().trim_end_matches('=');
    let bytes = STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .map_err(|_| "must be base64 (for example from `openssl rand -base64 32`)".to_owned())?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("must decode to 32 bytes, got {}", b.len()))?;
    Ok(SecretBox::new(Box::new(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_the_same_key_and_kid() {
        let kek = KeyEncryptionKey::generate();
        let secret = b"pkcs8 private key bytes".to_vec();
        let sealed = kek.seal("kid-1", &secret).unwrap();
        assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));
        assert_eq!(kek.open("kid-1", &sealed).unwrap(), secret);
        assert!(kek.open("kid-2", &sealed).is_err(), "kid is bound");
        assert!(KeyEncryptionKey::generate().open("kid-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(kek.open("kid-1", &tampered).is_err());
        assert!(kek.open("kid-1", &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_default_key_file_is_created_once_and_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh").join("latchkey.db.key");
        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700, "{dir_mode:o}");
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.0.expose_secret(), again.0.expose_secret());
    }
}
