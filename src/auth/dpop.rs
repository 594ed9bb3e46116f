//! DPoP proofs (RFC 9449): how a browser shows that the request comes from the device that holds
//! its session's private key. The browser keeps a non-extractable ECDSA P-256 key; each request
//! to the refresh-cookie endpoints carries a fresh proof JWT signed with it, and the session
//! remembers the key's RFC 7638 thumbprint. A copied cookie is useless without the key.
//!
//! This module checks one proof in isolation (shape, signature, method, URL, age). Whether its
//! key is the session's and whether its `jti` was seen before are the engine's questions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The request header that carries the proof.
pub const HEADER: &str = "DPoP";
/// How far a proof's `iat` may be from the server's clock, either way.
pub const MAX_SKEW_SECS: i64 = 60;
/// A P-256 proof is about 600 bytes; anything much longer is not one.
const MAX_PROOF_BYTES: usize = 2048;
const PROOF_TYPE: &str = "dpop+jwt";
const MAX_JTI_BYTES: usize = 128;

/// The RFC 7638 thumbprint of a public key (base64url SHA-256): what a session is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Thumbprint(String);

impl Thumbprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the proof must be made for: the request's method and its URL (public origin and path,
/// no query).
#[derive(Debug, Clone)]
pub struct ProofTarget {
    pub method: String,
    pub url: String,
}

/// A `DPoP` header as the request carried it, and what it must have been made for.
#[derive(Debug, Clone)]
pub struct PresentedProof {
    pub jwt: String,
    pub target: ProofTarget,
}

/// A proof whose signature, target and age are right.
#[derive(Debug, Clone)]
pub struct Proof {
    pub key: Thumbprint,
    pub jti: String,
    pub issued_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("no DPoP proof was sent for a device-bound session")]
    Missing,
    #[error("the DPoP proof is not a well-formed ES256 proof JWT")]
    Malformed,
    #[error("the DPoP proof's signature does not verify")]
    BadSignature,
    #[error("the DPoP proof was made for another method or URL")]
    WrongTarget,
    #[error("the DPoP proof is too old or from the future")]
    Stale,
    #[error("the DPoP proof's jti was already used with this key")]
    Replayed,
}

#[derive(Deserialize)]
struct ProofHeader {
    typ: String,
    alg: String,
    jwk: PublicJwk,
}

/// The public key in the proof's header. `d` is read only to refuse a header that carries a
/// private key (RFC 9449 §4.2).
#[derive(Deserialize, Serialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    #[serde(default, skip_serializing)]
    d: Option<serde::de::IgnoredAny>,
}

impl PublicJwk {
    pub fn p256(x: &[u8; 32], y: &[u8; 32]) -> Self {
        Self {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
            d: None,
        }
    }

    /// RFC 7638: the required members in lexicographic order, no whitespace.
    pub fn thumbprint(&self) -> Thumbprint {
        let canonical = format!(
            r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
            self.crv, self.kty, self.x, self.y
        );
        Thumbprint(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
    }

    fn is_p256_point(&self) -> bool {
        let coordinate = |c: &str| URL_SAFE_NO_PAD.decode(c).is_ok_and(|b| b.len() == 32);
        self.kty == "EC" && self.crv == "P-256" && coordinate(&self.x) && coordinate(&self.y)
    }
}

#[derive(Deserialize, Serialize)]
pub struct ProofClaims {
    pub jti: String,
    pub htm: String,
    pub htu: String,
    pub iat: i64,
}

/// Checks a proof's form, signature, target and age at `now`.
pub fn verify(proof: &str, target: &ProofTarget, now: i64) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::Malformed);
    }
    let header: ProofHeader = proof
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(ProofError::Malformed)?;
    if header.typ != PROOF_TYPE
        || header.alg != "ES256"
        || header.jwk.d.is_some()
        || !header.jwk.is_p256_point()
    {
        return Err(ProofError::Malformed);
    }
    let key = DecodingKey::from_ec_components(&header.jwk.x, &header.jwk.y)
        .map_err(|_| ProofError::Malformed)?;
    let mut validation = Validation::new(Algorithm::ES256);
    // A proof has no exp, iss or aud; its age is checked below against our clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation)
        .map_err(|err| match err.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => ProofError::BadSignature,
            _ => ProofError::Malformed,
        })?
        .claims;
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_BYTES {
        return Err(ProofError::Malformed);
    }
    if claims.htm != target.method || !same_url(&claims.htu, &target.url) {
        return Err(ProofError::WrongTarget);
    }
    // abs_diff, not `(iat - now).abs()`: the subtraction overflows for an `iat` near i64::MIN,
    // and in a release build the wrapped `abs()` of i64::MIN is negative, so a proof dated
    // `now - 2^63` passed as fresh (found by `fuzz/`, target dpop_proof).
    if claims.iat.abs_diff(now) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(ProofError::Stale);
    }
    Ok(Proof {
        key: header.jwk.thumbprint(),
        jti: claims.jti,
        issued_at: claims.iat,
    })
}

/// RFC 9449 §4.3: compared without query and fragment, after the usual URL normalisation
/// (scheme and host case, default port).
fn same_url(sent: &str, expected: &str) -> bool {
    let strip = |raw: &str| {
        url::Url::parse(raw).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    matches!((strip(sent), strip(expected)), (Some(a), Some(b)) if a == b)
}

/// Makes a proof with a P-256 signing key: what an API client that binds its sessions sends,
/// and what the tests send.
pub fn sign(key: &p256::ecdsa::SigningKey, claims: &ProofClaims) -> String {
    use p256::ecdsa::signature::Signer as _;
    let point = key.verifying_key().to_encoded_point(false);
    // An uncompressed point always has both; a missing one would only make the proof invalid.
    let coordinate = |c: Option<&p256::FieldBytes>| c.map_or([0; 32], |c| (*c).into());
    let jwk = PublicJwk::p256(&coordinate(point.x()), &coordinate(point.y()));
    let header = serde_json::json!({ "typ": PROOF_TYPE, "alg": "ES256", "jwk": jwk });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default())
    );
    let signature: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;

    const URL: &str = "https://auth.example.com/api/refresh";
    const NOW: i64 = 1_800_000_000;

    fn target() -> ProofTarget {
        ProofTarget {
            method: "POST".into(),
            url: URL.into(),
        }
    }

    fn claims() -> ProofClaims {
        ProofClaims {
            jti: "f5c0d0a4-1".into(),
            htm: "POST".into(),
            htu: URL.into(),
            iat: NOW,
        }
    }

    fn key() -> SigningKey {
        SigningKey::random(&mut rand::rngs::OsRng)
    }

    fn install() {
        super::super::jwt_crypto::install();
    }

    #[test]
    fn a_valid_proof_names_its_key() {
        install();
        let key = key();
        let proof = verify(&sign(&key, &claims()), &target(), NOW).unwrap();
        assert_eq!(proof.jti, "f5c0d0a4-1");
        let again = verify(&sign(&key, &claims()), &target(), NOW + 5).unwrap();
        assert_eq!(proof.key, again.key, "one key, one thumbprint");
        let other = verify(&sign(&self::key(), &claims()), &target(), NOW).unwrap();
        assert_ne!(proof.key, other.key);
    }

    #[test]
    fn the_thumbprint_follows_rfc_7638() {
        // The EC key of RFC 7517 appendix A.1; the expected value was computed outside this
        // code (Python's hashlib over the RFC 7638 canonical form).
        let jwk = PublicJwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into(),
            y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into(),
            d: None,
        };
        assert_eq!(
            jwk.thumbprint().as_str(),
            "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"
        );
    }

    #[test]
    fn wrong_method_url_or_age_is_refused() {
        install();
        let key = key();
        let mut wrong = claims();
        wrong.htm = "GET".into();
        assert_eq!(
            verify(&sign(&key, &wrong), &target(), NOW).unwrap_err(),
            ProofError::WrongTarget
        );
        let mut wrong = claims();
        wrong.htu = "https://auth.example.com/api/logout".into();
        assert_eq!(
            verify(&sign(&key, &wrong), &target(), NOW).unwrap_err(),
            ProofError::WrongTarget
        );
        let mut with_query = claims();
        with_query.htu = format!("{URL}?x=1");
        assert!(verify(&sign(&key, &with_query), &target(), NOW).is_ok());
        let mut shouted = claims();
        shouted.htu = "HTTPS://AUTH.example.com:443/api/refresh".into();
        assert!(verify(&sign(&key, &shouted), &target(), NOW).is_ok());
        for late in [NOW - MAX_SKEW_SECS - 1, NOW + MAX_SKEW_SECS + 1] {
            let mut stale = claims();
            stale.iat = late;
            assert_eq!(
                verify(&sign(&key, &stale), &target(), NOW).unwrap_err(),
                ProofError::Stale
            );
        }
    }

    #[test]
    fn an_iat_at_the_ends_of_i64_is_stale() {
        install();
        let key = key();
        // i64::MIN + NOW is `now - 2^63`: its distance from now is exactly i64::MIN.
        for iat in [i64::MIN + NOW, i64::MIN, i64::MAX] {
            let mut far = claims();
            far.iat = iat;
            assert!(
                matches!(
                    verify(&sign(&key, &far), &target(), NOW),
                    Err(ProofError::Stale)
                ),
                "iat {iat}"
            );
        }
    }

    #[test]
    fn a_tampered_or_malformed_proof_is_refused() {
        install();
        let proof = sign(&key(), &claims());
        let (signed, signature) = proof.rsplit_once('.').unwrap();
        let mut forged = claims();
        forged.jti = "another".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let header = signed.split('.').next().unwrap();
        assert_eq!(
            verify(
                &format!("{header}.{forged_payload}.{signature}"),
                &target(),
                NOW
            )
            .unwrap_err(),
            ProofError::BadSignature
        );
        for junk in ["", "a.b.c", &"x".repeat(5000), &proof[..proof.len() - 3]] {
            assert!(verify(junk, &target(), NOW).is_err(), "{junk:.20}");
        }
    }

    #[test]
    fn headers_that_are_not_a_public_p256_key_are_refused() {
        install();
        let proof = sign(&key(), &claims());
        let mut parts = proof.splitn(2, '.');
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap())
                .unwrap();
        let rest = parts.next().unwrap();
        let with = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut h = header.clone();
            edit(&mut h);
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode(h.to_string()))
        };
        let variants = [
            with(&|h| h["typ"] = "JWT".into()),
            with(&|h| h["alg"] = "none".into()),
            with(&|h| h["alg"] = "HS256".into()),
            with(&|h| h["jwk"]["d"] = "c2VjcmV0".into()),
            with(&|h| h["jwk"]["crv"] = "P-384".into()),
            with(&|h| h["jwk"]["x"] = "AAAA".into()),
        ];
        for variant in variants {
            assert_eq!(
                verify(&variant, &target(), NOW).unwrap_err(),
                ProofError::Malformed
            );
        }
    }
}
