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

/// How long a new key is published before it may sign: longer than the reload interval, so
/// every instance knows it first.
pub const PREPUBLISH_SECS: i64 = 90;
/// How often each instance reloads the key set from the database.
pub const RELOAD_SECS: u64 = 60;
const LEEWAY_SECS: i64 = 60;

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
}

impl SigningKeys {
    pub fn new(rotation_secs: i64, access_ttl_secs: i64) -> Self {
        let empty = KeySet {
            signer: None,
            verifiers: HashMap::new(),
            jwks: r#"{"keys":[]}"#.into(),
        };
        Self {
            current: RwLock::new(Arc::new(empty)),
            rotation_secs,
            access_ttl_secs,
        }
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
        let set = build_key_set(&rows, now)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        Ok(())
    }

    fn generate(&self, now: i64) -> Result<store::keys::KeyRow, AuthError> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let der = key
            .to_pkcs8_der()
            .map_err(|e| AuthError::Internal(anyhow::anyhow!("pkcs8: {e}")))?
            .as_bytes()
            .to_vec();
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let sign_until = now + self.rotation_secs;
        Ok(store::keys::KeyRow {
            kid: thumbprint(&x),
            private_der: der,
            public_x: x,
            created_at: now,
            sign_until,
            publish_until: sign_until + self.access_ttl_secs + LEEWAY_SECS,
        })
    }
}

fn build_key_set(rows: &[store::keys::KeyRow], now: i64) -> Result<KeySet, AuthError> {
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
    let signer =
        signer_row.map(|row| (row.kid.clone(), EncodingKey::from_ed_der(&row.private_der)));
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
