//! Ed25519 signing keys, shared by every instance through the database. A new key is published
//! before any instance signs with it, and an old key stays published until every token it signed
//! has expired, so verification never sees an unknown `kid` during rotation.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::store;

use super::error::AuthError;
use super::key_encryption::KeyEncryptionKey;

/// How long a new key is published before it may sign: longer than the reload interval, so
/// every instance knows it first.
pub const PREPUBLISH_SECS: i64 = 90;
/// How often each instance reloads the key set from the database.
pub const RELOAD_SECS: u64 = 60;
/// A retired key stays published this long after its last token could expire, for verifiers
/// whose clocks or JWKS caches lag.
const PUBLISH_MARGIN_SECS: i64 = 60;

pub struct KeySet {
    signer: Option<(String, EncodingKey)>,
    verifiers: HashMap<String, DecodingKey>,
    jwks: String,
}

impl KeySet {
    pub fn signer(&self) -> Option<(&str, &EncodingKey)> {
        self.signer.as_ref().map(|(kid, key)| (kid.as_str(), key))
    }

    pub fn verifier(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifiers.get(kid)
    }

    /// The JWKS document, rendered once per reload.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }
}

pub struct SigningKeys {
    current: RwLock<Arc<KeySet>>,
    rotation_secs: i64,
    access_ttl_secs: i64,
    kek: KeyEncryptionKey,
}

impl SigningKeys {
    pub fn new(rotation_secs: i64, access_ttl_secs: i64, kek: KeyEncryptionKey) -> Self {
        let empty = KeySet {
            signer: None,
            verifiers: HashMap::new(),
            jwks: r#"{"keys":[]}"#.into(),
        };
        Self {
            current: RwLock::new(Arc::new(empty)),
            rotation_secs,
            access_ttl_secs,
            kek,
        }
    }

    /// Seals private keys an older version stored in plain text. Runs at start, before the
    /// key set is loaded, so upgrading needs no manual step.
    pub async fn seal_plaintext_keys(&self, db: &Db) -> Result<usize, AuthError> {
        let rows = store::keys::unsealed(&db.pool).await?;
        for row in &rows {
            let sealed = self.kek.seal(&row.kid, &row.private_der)?;
            store::keys::seal(&db.pool, &row.kid, &sealed).await?;
        }
        if !rows.is_empty() {
            tracing::info!(
                count = rows.len(),
                "sealed signing keys that were stored in plain text"
            );
        }
        Ok(rows.len())
    }

    pub fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Creates a key when none can sign for long, drops keys nobody can still hold tokens
    /// for, and reloads the set.
    pub async fn sync(&self, db: &Db, now: i64) -> Result<(), AuthError> {
        let mut rows = store::keys::published(&db.pool, now).await?;
        let signing_left = rows.iter().map(|k| k.sign_until - now).max().unwrap_or(0);
        if signing_left <= 2 * PREPUBLISH_SECS + 60 {
            let row = self.generate(now)?;
            store::keys::insert(&db.pool, &row).await?;
            rows = store::keys::published(&db.pool, now).await?;
        }
        store::keys::delete_unpublished(&db.pool, now).await?;
        let set = build_key_set(&rows, now, &self.kek)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        Ok(())
    }

    fn generate(&self, now: i64) -> Result<store::keys::KeyRow, AuthError> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, seed.as_mut());
        let key = SigningKey::from_bytes(&seed);
        let der = key
            .to_pkcs8_der()
            .map_err(|e| AuthError::Internal(anyhow::anyhow!("pkcs8: {e}")))?
            .as_bytes()
            .to_vec();
        let der = zeroize::Zeroizing::new(der);
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let kid = thumbprint(&x);
        let sign_until = now + self.rotation_secs;
        Ok(store::keys::KeyRow {
            private_sealed: Some(self.kek.seal(&kid, &der)?),
            private_der: Vec::new(),
            kid,
            public_x: x,
            created_at: now,
            sign_until,
            publish_until: sign_until + self.access_ttl_secs + PUBLISH_MARGIN_SECS,
        })
    }
}

fn build_key_set(
    rows: &[store::keys::KeyRow],
    now: i64,
    kek: &KeyEncryptionKey,
) -> Result<KeySet, AuthError> {
    let mut verifiers = HashMap::new();
    let mut jwks = Vec::new();
    for row in rows {
        let key = DecodingKey::from_ed_components(&row.public_x)
            .map_err(|e| AuthError::Internal(anyhow::anyhow!("stored key {}: {e}", row.kid)))?;
        verifiers.insert(row.kid.clone(), key);
        jwks.push(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": row.kid, "x": row.public_x,
        }));
    }
    let can_sign = |k: &&store::keys::KeyRow| k.sign_until > now;
    let newest = |a: &&store::keys::KeyRow, b: &&store::keys::KeyRow| {
        (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid))
    };
    // Prefer the newest key every instance has had time to learn; a lone fresh key still signs.
    let signer_row = rows
        .iter()
        .filter(can_sign)
        .filter(|k| k.created_at + PREPUBLISH_SECS <= now)
        .max_by(newest)
        .or_else(|| rows.iter().filter(can_sign).max_by(newest));
    let signer = match signer_row {
        Some(row) => {
            let sealed = row.private_sealed.as_deref().ok_or_else(|| {
                AuthError::Internal(anyhow::anyhow!("signing key {} is not sealed", row.kid))
            })?;
            let der = zeroize::Zeroizing::new(kek.open(&row.kid, sealed).map_err(|e| {
                AuthError::Internal(anyhow::Error::new(e).context(
                    "the key-encryption key (LATCHKEY_KEY_ENCRYPTION_KEY, \
                     LATCHKEY_KEY_ENCRYPTION_KEY_FILE or the .key file beside the SQLite \
                     database) is not the one the signing keys were sealed with",
                ))
            })?);
            Some((row.kid.clone(), EncodingKey::from_ed_der(&der)))
        }
        None => None,
    };
    Ok(KeySet {
        signer,
        verifiers,
        jwks: serde_json::json!({ "keys": jwks }).to_string(),
    })
}

/// RFC 7638 JWK thumbprint, so a `kid` names the key material itself.
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
