//! Who may use a session's refresh token. A session bound to a device key (DPoP) is used only
//! with a fresh proof made by that key; a proof made by another key means the cookie left its
//! browser. Unbound sessions (API clients that send no proof) fall back to a fingerprint of the
//! user agent and network for grace-window replays.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store;
use crate::store::sessions::SessionRow;

use super::device::{network_of, ClientInfo};
use super::dpop::{self, Proof, ProofError};
use super::error::AuthError;
use super::service::{AuthService, Tx};

/// What a request proves about a session's device key.
pub(super) enum Possession {
    /// The session is bound and the request carried a fresh proof made by its key.
    Proven,
    /// The session is not bound to a key.
    Unbound,
    /// A valid proof made by another key: the refresh cookie is being used elsewhere.
    OtherKey,
}

/// The request's proof, checked on its own; `Ok(None)` when it sent none.
pub(super) type CheckedProof = Result<Option<Proof>, ProofError>;

impl AuthService {
    pub(super) fn check_proof(&self, client: &ClientInfo) -> CheckedProof {
        let checked = client
            .proof
            .as_ref()
            .map(|presented| dpop::verify(&presented.jwt, &presented.target, self.now()))
            .transpose();
        if let Err(err) = &checked {
            tracing::info!(ip = %client.ip, reason = %err, "DPoP proof refused");
        }
        checked
    }

    /// Whether the request proves possession of `session`'s key. A bound session without a
    /// valid proof is refused (`proof_invalid`) and nothing about it changes; an accepted
    /// proof's `jti` is recorded in `tx`, so it cannot be used twice.
    pub(super) async fn possession(
        &self,
        tx: &mut Tx,
        session: &SessionRow,
        proof: &CheckedProof,
    ) -> Result<Possession, AuthError> {
        let Some(bound_to) = &session.dpop_jkt else {
            return Ok(Possession::Unbound);
        };
        let proof = match proof {
            Ok(Some(proof)) => proof,
            Ok(None) => return Err(AuthError::ProofInvalid(ProofError::Missing)),
            Err(err) => return Err(AuthError::ProofInvalid(*err)),
        };
        if !bool::from(proof.key.as_str().as_bytes().ct_eq(bound_to.as_bytes())) {
            return Ok(Possession::OtherKey);
        }
        self.remember_proof(tx, proof).await?;
        Ok(Possession::Proven)
    }

    /// Records a proof's `jti` for as long as the proof could pass the age check.
    pub(super) async fn remember_proof(&self, tx: &mut Tx, proof: &Proof) -> Result<(), AuthError> {
        let expires_at = proof.issued_at + dpop::MAX_SKEW_SECS;
        if !store::dpop_proofs::remember(&mut **tx, proof.key.as_str(), &proof.jti, expires_at)
            .await?
        {
            return Err(AuthError::ProofInvalid(ProofError::Replayed));
        }
        Ok(())
    }
}

/// A digest of the user agent and the network (IPv4 /24, IPv6 /64): stable across the retries
/// of one browser, different for a thief elsewhere.
pub fn consumer_fingerprint(client: &ClientInfo) -> Vec<u8> {
    fingerprint(&client.user_agent, &client.ip)
}

/// True when `client` is the one that consumed the token. Rows consumed before fingerprints
/// were recorded carry none; they are served as before until their short grace window ends.
pub fn same_consumer(stored: Option<&[u8]>, client: &ClientInfo) -> bool {
    match stored {
        None => true,
        Some(stored) => bool::from(stored.ct_eq(&consumer_fingerprint(client))),
    }
}

/// Whether a past session of the account came from what looks like this client; used to let
/// the owner sign in while the account is throttled.
pub fn seen_before(client: &ClientInfo, user_agent: &str, ip: &str) -> bool {
    bool::from(fingerprint(user_agent, ip).ct_eq(&consumer_fingerprint(client)))
}

fn fingerprint(user_agent: &str, ip: &str) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(b"latchkey/consumer/v1\0");
    hash.update(user_agent.as_bytes());
    hash.update(b"\0");
    hash.update(network_of(ip).as_bytes());
    hash.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_browser_on_the_same_network_matches_and_others_do_not() {
        let browser = ClientInfo::new("198.51.100.7", "Firefox/121.0");
        let print = consumer_fingerprint(&browser);
        assert!(same_consumer(Some(&print), &browser));
        assert!(same_consumer(
            Some(&print),
            &ClientInfo::new("198.51.100.200", "Firefox/121.0")
        ));
        assert!(!same_consumer(
            Some(&print),
            &ClientInfo::new("203.0.113.7", "Firefox/121.0")
        ));
        assert!(!same_consumer(
            Some(&print),
            &ClientInfo::new("198.51.100.7", "curl/8.0")
        ));
        assert!(same_consumer(None, &browser));
    }
}
