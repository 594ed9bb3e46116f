//! Access tokens: EdDSA JWTs with `typ: at+jwt`. Verification pins the algorithm, takes the key
//! only by `kid` from our own key set, requires every claim we rely on, and allows 5 s of skew.

use std::collections::HashSet;
use std::sync::Arc;

use contract::Role;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::clock::Clock;
use super::domain::{SessionId, UserId};
use super::error::AuthError;
use super::keys::SigningKeys;

pub const TOKEN_TYPE: &str = "at+jwt";
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock difference tolerated between this server and the services that verify its tokens.
pub const CLOCK_SKEW_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: UserId,
    pub sid: SessionId,
    pub role: Role,
    pub email: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// For a device-bound session, the key's thumbprint (RFC 9449 §6.1), so a resource server
    /// that wants proof of possession on access tokens can require it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Confirmation {
    pub jkt: String,
}

pub struct AccessTokens {
    keys: Arc<SigningKeys>,
    issuer: String,
    audience: String,
    ttl_secs: i64,
    validation: Validation,
    clock: Arc<dyn Clock>,
}

pub struct Subject<'a> {
    pub user_id: &'a UserId,
    pub session_id: &'a SessionId,
    pub role: Role,
    pub email: &'a str,
    pub bound_to: Option<&'a str>,
}

impl AccessTokens {
    pub fn new(keys: Arc<SigningKeys>, issuer: &str, ttl_secs: i64, clock: Arc<dyn Clock>) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = CLOCK_SKEW_SECS;
        // Times are checked below against the injected clock; the crate still requires the
        // claims to be present, and our struct requires them to be integers.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims = ["exp", "nbf", "iat", "iss", "aud", "sub"]
            .into_iter()
            .map(String::from)
            .collect::<HashSet<_>>();
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[issuer]);
        Self {
            keys,
            issuer: issuer.to_owned(),
            audience: issuer.to_owned(),
            ttl_secs,
            validation,
            clock,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Signs a token valid from `now` for the TTL, but never past `not_after`; returns it with
    /// its expiry.
    pub fn issue(
        &self,
        subject: &Subject<'_>,
        now: i64,
        not_after: i64,
    ) -> Result<(String, i64), AuthError> {
        let keys = self.keys.current();
        let (kid, key) = keys
            .signer()
            .ok_or_else(|| AuthError::Internal(anyhow::anyhow!("no signing key loaded")))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.into());
        header.kid = Some(kid.into());
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.user_id.clone(),
            sid: subject.session_id.clone(),
            role: subject.role,
            email: subject.email.into(),
            iat: now,
            nbf: now,
            exp: (now + self.ttl_secs).min(not_after),
            jti: uuid::Uuid::now_v7().to_string(),
            cnf: subject.bound_to.map(|jkt| Confirmation {
                jkt: jkt.to_owned(),
            }),
        };
        let token = jsonwebtoken::encode(&header, &claims, key)
            .map_err(|e| AuthError::Internal(e.into()))?;
        Ok((token, claims.exp))
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        if token.len() > MAX_TOKEN_BYTES || !is_compact_jws(token) {
            return Err(AuthError::InvalidToken);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidToken)?;
        // Headers that would point at other keys are never ours; refuse rather than ignore.
        if header.alg != Algorithm::EdDSA
            || header.typ.as_deref() != Some(TOKEN_TYPE)
            || header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
        {
            return Err(AuthError::InvalidToken);
        }
        let keys = self.keys.current();
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| keys.verifier(kid))
            .ok_or(AuthError::InvalidToken)?;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map_err(|_| AuthError::InvalidToken)?
            .claims;
        check_times(&claims, self.clock.now(), self.ttl_secs)?;
        Ok(claims)
    }
}

/// The time claims against `now`. Saturating arithmetic: the times are whatever the token says
/// (only the signature vouches for them), and a wrapped `exp - iat` once let a token whose
/// `iat` lies far in the past pass the lifetime check (found by `fuzz/`, target bearer_token).
fn check_times(claims: &AccessClaims, now: i64, ttl_secs: i64) -> Result<(), AuthError> {
    let leeway = CLOCK_SKEW_SECS as i64;
    if claims.nbf > now.saturating_add(leeway) || claims.iat > now.saturating_add(leeway) {
        return Err(AuthError::InvalidToken);
    }
    // A token living longer than the configured TTL was minted under an older, longer TTL:
    // the revocation list only remembers one current TTL back, so it might be revoked.
    if claims.exp.saturating_sub(claims.iat) > ttl_secs {
        return Err(AuthError::InvalidToken);
    }
    if claims.exp.saturating_add(leeway) <= now {
        return Err(AuthError::TokenExpired);
    }
    Ok(())
}

/// Three non-empty base64url segments and nothing else (no padding, no whitespace).
fn is_compact_jws(token: &str) -> bool {
    let mut segments = 0;
    for part in token.split('.') {
        segments += 1;
        if part.is_empty()
            || !part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
    }
    segments == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const TTL: i64 = 600;

    fn claims(iat: i64, nbf: i64, exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "https://auth.example.com".into(),
            aud: "https://auth.example.com".into(),
            sub: UserId::generate(),
            sid: SessionId::generate(),
            role: Role::User,
            email: "alice@example.com".into(),
            iat,
            nbf,
            exp,
            jti: "j".into(),
            cnf: None,
        }
    }

    fn verdict(iat: i64, nbf: i64, exp: i64) -> Result<(), AuthError> {
        check_times(&claims(iat, nbf, exp), NOW, TTL)
    }

    #[test]
    fn the_window_edges() {
        assert!(verdict(NOW, NOW, NOW + TTL).is_ok());
        assert!(
            verdict(NOW + 5, NOW + 5, NOW + 5 + TTL).is_ok(),
            "5 s of skew"
        );
        assert!(matches!(
            verdict(NOW + 6, NOW, NOW + TTL),
            Err(AuthError::InvalidToken)
        ));
        assert!(matches!(
            verdict(NOW, NOW + 6, NOW + TTL),
            Err(AuthError::InvalidToken)
        ));
        assert!(matches!(
            verdict(NOW, NOW, NOW + TTL + 1),
            Err(AuthError::InvalidToken)
        ));
        assert!(verdict(NOW - TTL, NOW - TTL, NOW - 4).is_ok());
        assert!(matches!(
            verdict(NOW - TTL, NOW - TTL, NOW - 5),
            Err(AuthError::TokenExpired)
        ));
    }

    #[test]
    fn absurd_times_are_refused_without_overflow() {
        // exp - iat overflows i64: wrapped, it was negative and passed the lifetime check.
        assert!(verdict(-100, 0, i64::MAX - 10).is_err());
        assert!(verdict(i64::MIN, 0, i64::MAX).is_err());
        assert!(verdict(NOW, NOW, i64::MAX).is_err());
        assert!(verdict(i64::MAX, i64::MAX, i64::MAX).is_err());
        assert!(verdict(i64::MIN, i64::MIN, i64::MIN).is_err());
    }
}
