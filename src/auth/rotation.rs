//! Refresh token rotation with reuse detection and a grace window, in one transaction.
//!
//! The transaction's first write is the conditional `consume` update, so exactly one caller
//! wins a given token on either engine. Losers find the token used and either get the same
//! successor (the immediate parent replayed within the grace window by the client that consumed
//! it: parallel tabs, a lost response) or end the session as stolen.

use crate::store;
use crate::store::sessions::SessionRow;
use crate::store::users::UserRow;
use crate::telemetry::metrics::{self, RefreshOutcome};

use super::binding::{consumer_fingerprint, same_consumer, CheckedProof, Possession};
use super::device::ClientInfo;
use super::domain::{RevokeReason, SessionId, TokenId};
use super::error::AuthError;
use super::refresh_tokens::RefreshToken;
use super::service::{AuthService, Issued, Liveness, Tx};
use contract::EventKind;

/// How many times one parent's successor is handed out again. Tabs and retries of one browser
/// stay far below; a client replaying more is not a browser recovering a lost response.
pub const MAX_GRACE_REPLAYS: i64 = 10;

impl AuthService {
    #[tracing::instrument(skip_all, fields(ip = %client.ip))]
    pub async fn refresh(
        &self,
        presented: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        let result = self.rotate(presented, client).await;
        // Successes are counted where they commit: only there is rotation told from replay.
        if let Err(err) = &result {
            metrics::count_refresh(refusal_outcome(err));
        }
        result
    }

    async fn rotate(
        &self,
        presented: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        let token = presented
            .and_then(RefreshToken::parse)
            .ok_or(AuthError::InvalidRefreshToken)?;
        let digest = token.digest();
        // A plain read first: an unknown token never takes SQLite's write lock, so a flood of
        // made-up cookies cannot queue the real refreshes behind it.
        if store::refresh_tokens::find(&self.db.pool, &digest)
            .await?
            .is_none()
        {
            return Err(AuthError::InvalidRefreshToken);
        }
        let proof = self.check_proof(client);
        let now = self.now();
        let mut tx = self.begin().await?;

        // The successor is made before the token is consumed so that one statement both uses
        // the token and keeps its successor sealed for the grace window; a rollback undoes both.
        let successor = RefreshToken::generate();
        let Some(consumed) = store::refresh_tokens::consume(
            &mut *tx,
            &digest,
            now,
            &consumer_fingerprint(client),
            &token.seal_successor(&successor)?,
        )
        .await?
        else {
            return self.replay(tx, token, &digest, client, &proof, now).await;
        };

        let (mut session, user, expired) = self
            .load_refreshable(&mut tx, &consumed.session_id, now)
            .await?;
        if expired {
            // Record why it ended, so the sessions page can say so.
            let reason =
                RevokeReason::expiry(session.idle_expires_at, session.absolute_expires_at, now);
            self.revoke_one(&mut tx, &session, reason, None, now)
                .await?;
            self.commit_revoking(tx, std::slice::from_ref(&session.id), now)
                .await?;
            return Err(AuthError::SessionExpired);
        }
        // Every refusal below returns before the commit, so the token stays unused.
        if let Possession::OtherKey = self.possession(&mut tx, &session, &proof).await? {
            return self.end_as_used_elsewhere(tx, &session, client, now).await;
        }
        if let Some(refusal) = self.where_from(&mut tx, &session, client, now).await? {
            tx.rollback().await?;
            return Err(self.record_refusal(&session, client, refusal, now).await);
        }

        // The parent can no longer be replayed (its successor is consumed now): forget the
        // sealed copy of what was just consumed.
        if let Some(parent_id) = &consumed.parent_id {
            store::refresh_tokens::set_successor(&mut *tx, parent_id, None).await?;
        }
        store::refresh_tokens::insert(
            &mut *tx,
            &TokenId::generate(),
            &session.id,
            &successor.digest(),
            Some(&consumed.id),
            now,
        )
        .await?;
        let idle_expires_at = (now + self.settings.idle_ttl_secs).min(session.absolute_expires_at);
        // Conditional on the session still being live: on PostgreSQL a revocation that committed
        // after the session was read above is seen here, and the rotation is abandoned.
        if !store::sessions::touch(&mut *tx, &session.id, now, idle_expires_at, &client.ip).await? {
            tx.rollback().await?;
            // The revocation that won the race has committed: answer with its reason, as the
            // next refresh would (the soak's racing refreshes caught this answering without one).
            let reason = match store::sessions::get(&self.db.pool, &session.id).await? {
                Some(row) => match Liveness::of(&row, now) {
                    Liveness::Revoked(reason) => reason,
                    Liveness::Alive | Liveness::Expired => None,
                },
                None => None,
            };
            return Err(AuthError::SessionRevoked { reason });
        }
        tx.commit().await?;
        metrics::count_refresh(RefreshOutcome::Rotated);
        session.idle_expires_at = idle_expires_at;
        self.issue(&user, &session, successor, now)
    }

    /// The one loader for refresh and replay: the token's session and its user, read in `tx`,
    /// refusing a missing row, a revoked session or a disabled account. An expired session is
    /// returned with `true`, because only a first use records the expiry.
    async fn load_refreshable(
        &self,
        tx: &mut Tx,
        session_id: &SessionId,
        now: i64,
    ) -> Result<(SessionRow, UserRow, bool), AuthError> {
        let session = store::sessions::get(&mut **tx, session_id)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        let user = store::users::by_id(&mut **tx, &session.user_id)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        let expired = match Liveness::of(&session, now) {
            Liveness::Alive if user.disabled_at.is_some() => {
                return Err(AuthError::AccountDisabled)
            }
            Liveness::Alive => false,
            Liveness::Revoked(reason) => return Err(revoked_error(reason)),
            Liveness::Expired => true,
        };
        Ok((session, user, expired))
    }

    /// The presented token was already used.
    async fn replay(
        &self,
        mut tx: Tx,
        token: RefreshToken,
        digest: &[u8],
        client: &ClientInfo,
        proof: &CheckedProof,
        now: i64,
    ) -> Result<Issued, AuthError> {
        let row = store::refresh_tokens::find(&mut *tx, digest)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        let (session, user, expired) = self.load_refreshable(&mut tx, &row.session_id, now).await?;
        if expired {
            return Err(AuthError::SessionExpired);
        }

        let used_at = row.used_at.unwrap_or(now);
        let successor = if now - used_at <= self.settings.grace_secs
            && store::refresh_tokens::successor_unused(&mut *tx, &row.id).await?
        {
            row.successor_sealed
                .as_deref()
                .and_then(|s| token.open_successor(s))
        } else {
            None
        };
        let Some(successor) = successor else {
            self.end_as_stolen(tx, &session, client, now).await?;
            return Err(AuthError::RefreshReused);
        };
        // Inside the window, only the device that consumed the parent gets its successor
        // again, and only a few times: anyone else holding the parent is a copy. A bound
        // session's device is its key; an unbound one's, its user agent and network.
        let same_device = match self.possession(&mut tx, &session, proof).await? {
            Possession::OtherKey => {
                return self.end_as_used_elsewhere(tx, &session, client, now).await
            }
            Possession::Proven => true,
            Possession::Unbound => same_consumer(row.consumer_fingerprint.as_deref(), client),
        };
        if !same_device
            || !store::refresh_tokens::count_grace_replay(&mut *tx, &row.id, MAX_GRACE_REPLAYS)
                .await?
        {
            self.end_as_stolen(tx, &session, client, now).await?;
            return Err(AuthError::RefreshReused);
        }
        self.event(&session.user_id, EventKind::RefreshGraceReplay, now)
            .session(&session.id)
            .device(&client.device_label())
            .ip(&client.ip)
            .save(&mut tx)
            .await?;
        tx.commit().await?;
        metrics::count_refresh(RefreshOutcome::GraceReplay);
        self.issue(&user, &session, successor, now)
    }

    /// A rotated token came back: whoever holds the family may be an attacker, so the whole
    /// session ends. The event records the IP and device of the replay, not of the victim.
    async fn end_as_stolen(
        &self,
        tx: Tx,
        session: &SessionRow,
        client: &ClientInfo,
        now: i64,
    ) -> Result<(), AuthError> {
        self.end_as_theft(tx, session, client, Theft::Reused, now)
            .await
    }

    /// A device-bound session's cookie came with another key's proof: the cookie was copied
    /// out of the browser it was issued to, so the session ends and its owner is told why.
    async fn end_as_used_elsewhere(
        &self,
        tx: Tx,
        session: &SessionRow,
        client: &ClientInfo,
        now: i64,
    ) -> Result<Issued, AuthError> {
        self.end_as_theft(tx, session, client, Theft::OtherKey, now)
            .await?;
        Err(AuthError::SessionRevoked {
            reason: Some(RevokeReason::UsedFromAnotherDevice),
        })
    }

    /// Ends the session for a theft signal: the revocation, an event naming the caller's IP
    /// and device, and a warning in the log, committed together.
    async fn end_as_theft(
        &self,
        mut tx: Tx,
        session: &SessionRow,
        client: &ClientInfo,
        theft: Theft,
        now: i64,
    ) -> Result<(), AuthError> {
        let (reason, kind, what) = match theft {
            Theft::Reused => (
                RevokeReason::RefreshReused,
                EventKind::RefreshReused,
                "refresh token reuse",
            ),
            Theft::OtherKey => (
                RevokeReason::UsedFromAnotherDevice,
                EventKind::UsedFromAnotherDevice,
                "refresh cookie used with another device key",
            ),
        };
        self.revoke_one(&mut tx, session, reason, None, now).await?;
        self.event(&session.user_id, kind, now)
            .session(&session.id)
            .device(&client.device_label())
            .ip(&client.ip)
            .save(&mut tx)
            .await?;
        self.commit_revoking(tx, std::slice::from_ref(&session.id), now)
            .await?;
        tracing::warn!(session = %session.id, user = %session.user_id, ip = %client.ip, "{what}: session revoked");
        Ok(())
    }

    /// Ends the session the refresh token belongs to. Unknown tokens succeed too: logout is
    /// idempotent and must not reveal whether a token existed.
    #[tracing::instrument(skip_all, fields(ip = %client.ip))]
    pub async fn logout(
        &self,
        presented: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let Some(token) = presented.and_then(RefreshToken::parse) else {
            return Ok(());
        };
        let digest = token.digest();
        // As in `refresh`: unknown tokens are answered from a read, without the write lock.
        if store::refresh_tokens::find(&self.db.pool, &digest)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(row) = store::refresh_tokens::find(&mut *tx, &digest).await? else {
            return Ok(());
        };
        let Some(session) = store::sessions::get(&mut *tx, &row.session_id).await? else {
            return Ok(());
        };
        if let Some(used_at) = row.used_at {
            let immediate_parent = now - used_at <= self.settings.grace_secs
                && store::refresh_tokens::successor_unused(&mut *tx, &row.id).await?;
            if !immediate_parent && session.revoked_at.is_none() {
                // An old, rotated token: the same theft signal as replaying it to refresh.
                return self.end_as_stolen(tx, &session, client, now).await;
            }
        }
        if session.revoked_at.is_none() {
            let proof = self.check_proof(client);
            if let Possession::OtherKey = self.possession(&mut tx, &session, &proof).await? {
                return self
                    .end_as_used_elsewhere(tx, &session, client, now)
                    .await
                    .map(|_| ());
            }
        }
        let revoked = self
            .revoke_one(&mut tx, &session, RevokeReason::Logout, None, now)
            .await?;
        let ended: &[SessionId] = if revoked {
            std::slice::from_ref(&session.id)
        } else {
            &[]
        };
        self.commit_revoking(tx, ended, now).await
    }
}

/// The two signs that a refresh token left its owner.
#[derive(Clone, Copy)]
enum Theft {
    /// A rotated token came back after the grace window.
    Reused,
    /// A bound session's cookie came with another key's proof.
    OtherKey,
}

fn refusal_outcome(err: &AuthError) -> RefreshOutcome {
    match err {
        AuthError::RefreshReused => RefreshOutcome::Reused,
        AuthError::SessionRevoked {
            reason: Some(RevokeReason::UsedFromAnotherDevice),
        } => RefreshOutcome::OtherDevice,
        AuthError::SessionRevoked { .. } => RefreshOutcome::Revoked,
        AuthError::SessionExpired => RefreshOutcome::Expired,
        AuthError::AccountDisabled => RefreshOutcome::AccountDisabled,
        AuthError::InvalidRefreshToken => RefreshOutcome::Invalid,
        AuthError::DeviceChanged
        | AuthError::NewNetworkRefused
        | AuthError::ProofInvalid(_)
        | AuthError::ProofRequired => RefreshOutcome::Refused,
        _ => RefreshOutcome::Error,
    }
}

fn revoked_error(reason: Option<RevokeReason>) -> AuthError {
    match reason {
        Some(RevokeReason::RefreshReused) => AuthError::RefreshReused,
        Some(RevokeReason::Expired | RevokeReason::IdleExpired | RevokeReason::LifetimeExpired) => {
            AuthError::SessionExpired
        }
        reason => AuthError::SessionRevoked { reason },
    }
}
