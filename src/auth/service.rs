//! `AuthService` owns the engine's state and the helpers every operation shares: starting a
//! session, deciding whether a session is alive, revoking, and authenticating a bearer token.

use std::sync::Arc;
use std::time::Duration;

use contract::UserDto;

use crate::db::{Db, Dialect};
use crate::store;
use crate::store::revocation_notices::Notice;
use crate::store::sessions::SessionRow;
use crate::store::users::UserRow;
use crate::telemetry::metrics;

use super::access_tokens::{AccessClaims, AccessTokens, Subject};
use super::clock::Clock;
use super::device::ClientInfo;
use super::domain::{RevokeReason, Role, SessionId, TokenId, UserId};
use super::dpop::Proof;
use super::error::AuthError;
use super::key_encryption::KeyEncryptionKey;
use super::keys::SigningKeys;
use super::passwords::PasswordHasher;
use super::refresh_tokens::RefreshToken;
use super::revocations::Revocations;
use super::settings::AuthSettings;
use super::throttle::AccountThrottle;
use contract::EventKind;

/// The result of login, register and refresh: an access token for memory and a refresh token
/// for the cookie.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub expires_in: i64,
    pub user: UserDto,
    pub session_id: SessionId,
    pub refresh_token: RefreshToken,
    /// Seconds until the session's absolute expiry: the cookie must not outlive it.
    pub refresh_max_age: i64,
}

/// A verified caller, from a bearer token that passed the signature and revocation checks.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: Role,
    pub email: String,
}

pub struct AuthService {
    pub(super) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: AuthSettings,
    pub(super) hasher: PasswordHasher,
    pub(super) keys: Arc<SigningKeys>,
    pub(super) tokens: AccessTokens,
    pub(super) revocations: Revocations,
    pub(super) throttle: AccountThrottle,
}

/// A transaction on the pool; every write path runs in one.
pub(super) type Tx = crate::db::WriteTx;

pub(super) enum Liveness {
    Alive,
    Revoked(Option<RevokeReason>),
    Expired,
}

impl Liveness {
    /// The one place that decides whether a session may still be used (the SQL twin is
    /// `store::sessions::live`).
    pub(super) fn of(session: &SessionRow, now: i64) -> Self {
        if session.revoked_at.is_some() {
            return Self::Revoked(session.revoke_reason);
        }
        if now >= session.expires_at() {
            return Self::Expired;
        }
        Self::Alive
    }
}

impl AuthService {
    /// Loads (or creates) the signing keys and rebuilds the revocation list from the database.
    pub async fn start(
        db: Db,
        settings: AuthSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, AuthError> {
        super::jwt_crypto::install();
        let hasher = PasswordHasher::new(settings.argon2, settings.argon2_queue)
            .map_err(AuthError::Internal)?;
        let kek = KeyEncryptionKey::load(&settings.key_encryption)?;
        let keys = Arc::new(SigningKeys::new(
            settings.key_rotation_secs,
            settings.access_ttl_secs,
            kek,
        ));
        keys.seal_plaintext_keys(&db).await?;
        keys.sync(&db, clock.now()).await?;
        let tokens = AccessTokens::new(
            keys.clone(),
            &settings.issuer,
            settings.access_ttl_secs,
            clock.clone(),
        );
        let revocations = Revocations::new(settings.access_ttl_secs);
        let throttle = AccountThrottle::new(settings.account_failures_per_hour);
        let service = Self {
            db,
            clock,
            settings,
            hasher,
            keys,
            tokens,
            revocations,
            throttle,
        };
        service.reload_revocations().await?;
        service.clear_stale_successors(service.now()).await?;
        Ok(Arc::new(service))
    }

    /// Reloads keys, clears stale sealed successors, forgets expired revocations; run every
    /// minute. Deleting rows is the retention sweep's job (`spawn_retention`).
    pub fn spawn_maintenance(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let service = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(super::keys::RELOAD_SECS));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(service) = service.upgrade() else {
                    return;
                };
                let now = service.clock.now();
                if let Err(err) = service.keys.sync(&service.db, now).await {
                    tracing::warn!(error = %err, "signing key reload failed");
                }
                if let Err(err) = service.clear_stale_successors(now).await {
                    tracing::warn!(error = %err, "clearing sealed refresh successors failed");
                }
                service.revocations.prune(now);
                service.throttle.forget_idle();
            }
        })
    }

    /// Forgets sealed successors whose grace window has passed: they can never be served
    /// again, and kept they would let a dump plus an old token reach the live one.
    pub async fn clear_stale_successors(&self, now: i64) -> Result<u64, AuthError> {
        Ok(store::refresh_tokens::clear_stale_successors(
            &self.db.pool,
            now - self.settings.grace_secs,
        )
        .await?)
    }

    /// Adds every revocation committed since `since` to the in-memory list: all of the access
    /// TTL at start-up and after the feed reconnects, the last moments when polling.
    pub(super) async fn load_revocations_since(&self, since: i64) -> Result<(), AuthError> {
        for (session_id, at) in store::sessions::revoked_since(&self.db.pool, since).await? {
            self.revocations.revoke_session(&session_id, at);
        }
        for (user_id, at) in store::users::disabled_since(&self.db.pool, since).await? {
            self.revocations.revoke_user_tokens_before(&user_id, at);
        }
        // A deleted account's sessions are gone from the database; its record is what remains.
        // Nothing is issued to an account after its deletion, so tokens from the deletion's
        // own second are refused too.
        for (user_id, at) in store::account_deletions::deleted_since(&self.db.pool, since).await? {
            self.revocations.revoke_user_tokens_before(&user_id, at + 1);
        }
        Ok(())
    }

    /// Every revocation whose access tokens may still be presented.
    pub(super) async fn reload_revocations(&self) -> Result<(), AuthError> {
        self.load_revocations_since(self.clock.now() - self.revocations.window_secs())
            .await
    }

    /// The in-memory list the bearer check trusts while it is current (`is_current`).
    pub fn revocation_list(&self) -> &Revocations {
        &self.revocations
    }

    /// Reloads the signing keys now (the maintenance task does this every minute).
    pub async fn sync_keys(&self, now: i64) -> Result<(), AuthError> {
        self.keys.sync(&self.db, now).await
    }

    /// Whether a signing key is loaded and current, so sign-ins and refreshes can issue tokens.
    pub fn can_sign(&self) -> bool {
        self.keys.current().signer().is_some()
    }

    pub fn jwks(&self) -> String {
        self.keys.current().jwks().to_owned()
    }

    /// Checks a bearer token: signature, claims, then the in-memory revocation list, with no
    /// I/O while that list is current. While it is not (the revocation feed is reconnecting),
    /// the session is looked up in the database instead: fail closed, never trust a stale list.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError> {
        let claims: AccessClaims = self.tokens.verify(bearer)?;
        if self
            .revocations
            .is_revoked(&claims.sid, &claims.sub, claims.iat)
        {
            return Err(AuthError::SessionRevoked { reason: None });
        }
        if !self.revocations.is_current() {
            self.check_session_in_database(&claims.sid).await?;
        }
        Ok(Principal {
            user_id: claims.sub,
            session_id: claims.sid,
            role: claims.role,
            email: claims.email,
        })
    }

    async fn check_session_in_database(&self, session_id: &SessionId) -> Result<(), AuthError> {
        let session = store::sessions::get(&self.db.pool, session_id).await?;
        match session.map(|s| Liveness::of(&s, self.now())) {
            Some(Liveness::Alive) => Ok(()),
            Some(Liveness::Revoked(reason)) => Err(AuthError::SessionRevoked { reason }),
            Some(Liveness::Expired) | None => Err(AuthError::SessionRevoked { reason: None }),
        }
    }

    /// Creates a session with its first refresh token, inside the caller's transaction, bound
    /// to the proof's key when the sign-in sent one.
    pub(super) async fn start_session(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        client: &ClientInfo,
        proof: Option<&Proof>,
        now: i64,
    ) -> Result<Issued, AuthError> {
        if let Some(proof) = proof {
            self.remember_proof(tx, proof).await?;
        }
        let absolute = now + self.settings.absolute_ttl_secs;
        let session = SessionRow {
            id: SessionId::generate(),
            user_id: user.id.clone(),
            created_at: now,
            last_active_at: now,
            idle_expires_at: (now + self.settings.idle_ttl_secs).min(absolute),
            absolute_expires_at: absolute,
            user_agent: client.user_agent.clone(),
            device: client.device_label(),
            ip: client.ip.clone(),
            revoked_at: None,
            revoke_reason: None,
            revoked_by: None,
            dpop_jkt: proof.map(|p| p.key.as_str().to_owned()),
            first_ip: client.ip.clone(),
        };
        store::sessions::insert(&mut **tx, &session).await?;
        store::session_addresses::record(&mut **tx, &session.id, &client.ip, now).await?;
        let refresh = RefreshToken::generate();
        store::refresh_tokens::insert(
            &mut **tx,
            &TokenId::generate(),
            &session.id,
            &refresh.digest(),
            None,
            now,
        )
        .await?;
        self.issue(user, &session, refresh, now)
    }

    pub(super) fn issue(
        &self,
        user: &UserRow,
        session: &SessionRow,
        refresh_token: RefreshToken,
        now: i64,
    ) -> Result<Issued, AuthError> {
        // An access token never outlives its session: after the session's idle or absolute
        // expiry nothing may still be accepted on its behalf.
        let not_after = session.expires_at();
        let (access_token, expires_at) = self.tokens.issue(
            &Subject {
                user_id: &user.id,
                session_id: &session.id,
                role: user.role,
                email: &user.email,
                bound_to: session.dpop_jkt.as_deref(),
            },
            now,
            not_after,
        )?;
        Ok(Issued {
            access_token,
            expires_in: expires_at - now,
            user: UserDto {
                id: user.id.to_string(),
                email: user.email.clone(),
                role: user.role,
            },
            session_id: session.id.clone(),
            refresh_token,
            refresh_max_age: (session.absolute_expires_at - now).max(0),
        })
    }

    /// Ends one session: database row and security event; `true` if it was still live, and
    /// then it must reach `commit_revoking`.
    pub(super) async fn revoke_one(
        &self,
        tx: &mut Tx,
        session: &SessionRow,
        reason: RevokeReason,
        by: Option<&UserId>,
        now: i64,
    ) -> Result<bool, AuthError> {
        let revoked = store::sessions::revoke(&mut **tx, &session.id, reason, by, now).await?;
        if revoked {
            self.event(&session.user_id, EventKind::SessionRevoked, now)
                .session(&session.id)
                .device(&session.device)
                .ip(&session.ip)
                .reason(reason)
                .by(by)
                .save(tx)
                .await?;
            tx.after_commit(move || metrics::count_revocations(reason, 1));
        }
        Ok(revoked)
    }

    /// Ends every session of a user but `keep`; returns the ids for `commit_revoking`.
    #[must_use = "the ended sessions must reach `commit_revoking`"]
    pub(super) async fn revoke_all(
        &self,
        tx: &mut Tx,
        user_id: &UserId,
        keep: Option<&SessionId>,
        reason: RevokeReason,
        by: Option<&UserId>,
        now: i64,
    ) -> Result<Vec<SessionId>, AuthError> {
        // Login takes this lock before inserting a session, so on PostgreSQL a login racing
        // this revocation either commits first (and its session is ended here) or waits.
        store::users::lock(&mut **tx, user_id).await?;
        let ids =
            store::sessions::revoke_all_for_user(&mut **tx, user_id, keep, reason, by, now).await?;
        for id in &ids {
            self.event(user_id, EventKind::SessionRevoked, now)
                .session(id)
                .reason(reason)
                .by(by)
                .save(tx)
                .await?;
        }
        let ended = ids.len() as u64;
        tx.after_commit(move || metrics::count_revocations(reason, ended));
        Ok(ids)
    }

    /// Commits a transaction that ended `ended`, then refuses their access tokens in memory.
    /// Never the other way round: a rollback would leave live sessions refused on this
    /// instance only. On PostgreSQL the other instances hear of it through notices sent in the
    /// same transaction, so they too learn only of what committed. Every path that revokes
    /// ends here or in `commit_revoking_user`.
    pub(super) async fn commit_revoking(
        &self,
        tx: Tx,
        ended: &[SessionId],
        now: i64,
    ) -> Result<(), AuthError> {
        self.commit_revocations(tx, ended, None, now).await
    }

    /// `commit_revoking`, and also refuses every access token of `user` issued before `now`
    /// (sign out everywhere, password reset, promotion, force logout, disabling).
    pub(super) async fn commit_revoking_user(
        &self,
        tx: Tx,
        ended: &[SessionId],
        user: &UserId,
        now: i64,
    ) -> Result<(), AuthError> {
        self.commit_revocations(tx, ended, Some(user), now).await
    }

    async fn commit_revocations(
        &self,
        mut tx: Tx,
        ended: &[SessionId],
        user: Option<&UserId>,
        now: i64,
    ) -> Result<(), AuthError> {
        if self.db.dialect == Dialect::Postgres {
            for notice in Notice::for_sessions(ended, now) {
                store::revocation_notices::publish(&mut *tx, &notice).await?;
            }
            if let Some(user) = user {
                let notice = Notice::UserTokensBefore {
                    user: user.clone(),
                    before: now,
                };
                store::revocation_notices::publish(&mut *tx, &notice).await?;
            }
        }
        tx.commit().await?;
        for id in ended {
            self.revocations.revoke_session(id, now);
        }
        if let Some(user) = user {
            self.revocations.revoke_user_tokens_before(user, now);
        }
        Ok(())
    }

    pub(super) async fn begin(&self) -> Result<Tx, AuthError> {
        Ok(self.db.begin_write().await?)
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now()
    }
}
