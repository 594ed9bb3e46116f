//! Refresh token values: 256 random bits from the OS, base64url. Only their SHA-256 digest is
//! stored. A rotated token's successor is stored sealed under a key derived from the parent
//! token itself, so the grace-window replay can hand back the same successor while a database
//! dump yields nothing usable.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::error::AuthError;

const TOKEN_BYTES: usize = 32;
/// base64url without padding of 32 bytes.
const TOKEN_CHARS: usize = 43;
const NONCE_BYTES: usize = 24;

/// A refresh token in plain form. No `Debug`/`Display` that could print it by accident.
pub struct RefreshToken(String);

impl RefreshToken {
    pub fn generate() -> Self {
        Self(random_base64url::<TOKEN_BYTES>())
    }

    /// Accepts only what `generate` can produce; anything else is answered like an unknown token.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() != TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        (bytes.len() == TOKEN_BYTES).then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// What the database stores to find this token.
    pub fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }

    /// Encrypts `successor` so that only a holder of `self` (the parent) can read it back.
    pub fn seal_successor(&self, successor: &RefreshToken) -> Result<Vec<u8>, AuthError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .sealing_cipher()?
            .encrypt(XNonce::from_slice(&nonce), successor.0.as_bytes())
            .map_err(|_| AuthError::Internal(anyhow::anyhow!("sealing a refresh token failed")))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open_successor(&self, sealed: &[u8]) -> Option<RefreshToken> {
        if sealed.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        let plain = self
            .sealing_cipher()
            .ok()?
            .decrypt(XNonce::from_slice(nonce), body)
            .ok()?;
        RefreshToken::parse(std::str::from_utf8(&plain).ok()?)
    }

    /// HMAC keyed by the token, with a fixed label: independent of the stored SHA-256 digest.
    fn sealing_cipher(&self) -> Result<XChaCha20Poly1305, AuthError> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_bytes())
            .map_err(|_| AuthError::Internal(anyhow::anyhow!("HMAC key rejected")))?;
        mac.update(b"latchkey/refresh-successor-seal/v1");
        let key = mac.finalize().into_bytes();
        Ok(XChaCha20Poly1305::new(&key))
    }
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

pub fn random_base64url<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_256_bit_base64url_and_distinct() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_eq!(a.expose().len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
        assert_ne!(a.expose(), b.expose());
        assert!(RefreshToken::parse(a.expose()).is_some());
    }

    #[test]
    fn malformed_values_do_not_parse() {
        let good = RefreshToken::generate().into_string();
        for bad in [
            String::new(),
            good[..42].to_string(),
            format!("{good}A"),
            format!("{}=", &good[..42]),
            good.replace(|c: char| c.is_ascii_alphanumeric(), "+"),
            " ".repeat(43),
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad:?} parsed");
        }
    }

    #[test]
    fn only_the_parent_opens_the_sealed_successor() {
        let parent = RefreshToken::generate();
        let child = RefreshToken::generate();
        let sealed = parent.seal_successor(&child).unwrap();
        assert!(
            !sealed.windows(43).any(|w| w == child.expose().as_bytes()),
            "sealed form leaks the token"
        );
        assert_eq!(
            parent.open_successor(&sealed).unwrap().expose(),
            child.expose()
        );
        assert!(RefreshToken::generate().open_successor(&sealed).is_none());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(parent.open_successor(&tampered).is_none());
    }

    #[test]
    fn debug_never_prints_the_token() {
        let token = RefreshToken::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
