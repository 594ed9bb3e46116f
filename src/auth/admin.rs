//! Administration: list users, inspect their sessions, force logouts, disable accounts.
//! Every call re-reads the caller from the database, so a demoted or disabled admin loses
//! access on the next request even while their access token is still valid.

use contract::{AdminUserDto, AdminUsersResponse, SessionsResponse};

use crate::store;

use super::domain::{RevokeReason, Role, UserId};
use super::error::AuthError;
use super::service::{AuthService, Liveness, Principal};
use contract::EventKind;

pub const MAX_PAGE: i64 = 100;

impl AuthService {
    pub(super) async fn require_admin(&self, who: &Principal) -> Result<(), AuthError> {
        if who.role != Role::Admin {
            return Err(AuthError::Forbidden);
        }
        match store::users::by_id(&self.db.pool, &who.user_id).await? {
            Some(user) if user.role == Role::Admin && user.disabled_at.is_none() => {}
            _ => return Err(AuthError::Forbidden),
        }
        // Admin calls already read the database, so they also confirm the session itself is
        // live: a token of an ended session (or one signed with a leaked key for a made-up
        // session) gets nothing here even where the revocation list has not heard of it.
        let session = store::sessions::get(&self.db.pool, &who.session_id).await?;
        match session {
            Some(s)
                if s.user_id == who.user_id
                    && matches!(Liveness::of(&s, self.now()), Liveness::Alive) =>
            {
                Ok(())
            }
            _ => Err(AuthError::SessionRevoked { reason: None }),
        }
    }

    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn admin_users(
        &self,
        who: &Principal,
        query: &str,
        offset: i64,
        limit: i64,
    ) -> Result<AdminUsersResponse, AuthError> {
        self.require_admin(who).await?;
        if query.len() > 254 {
            return Err(AuthError::InvalidInput(
                "The search is too long. Use at most 254 characters.",
            ));
        }
        let offset = offset.max(0);
        let limit = limit.clamp(1, MAX_PAGE);
        let (users, total) =
            store::users::search(&self.db.pool, query, offset, limit, self.now()).await?;
        Ok(AdminUsersResponse {
            users: users
                .into_iter()
                .map(|u| AdminUserDto {
                    id: u.id.into_string(),
                    email: u.email,
                    role: u.role,
                    disabled: u.disabled_at.is_some(),
                    active_sessions: u.active_sessions,
                    created_at: u.created_at,
                })
                .collect(),
            total,
        })
    }

    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn admin_user_sessions(
        &self,
        who: &Principal,
        user_id: &str,
    ) -> Result<SessionsResponse, AuthError> {
        self.require_admin(who).await?;
        let user_id = &self.existing_user(user_id).await?;
        self.list_sessions(user_id, Some(&who.session_id)).await
    }

    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn admin_force_logout(
        &self,
        who: &Principal,
        user_id: &str,
    ) -> Result<u64, AuthError> {
        self.require_admin(who).await?;
        let user_id = &self.existing_user(user_id).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let ended = self
            .revoke_all(
                &mut tx,
                user_id,
                None,
                RevokeReason::AdminForced,
                Some(&who.user_id),
                now,
            )
            .await?;
        self.commit_revoking_user(tx, &ended, user_id, now).await?;
        Ok(ended.len() as u64)
    }

    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn admin_set_disabled(
        &self,
        who: &Principal,
        user_id: &str,
        disabled: bool,
    ) -> Result<(), AuthError> {
        self.require_admin(who).await?;
        let user_id = &self.existing_user(user_id).await?;
        if disabled && *user_id == who.user_id {
            return Err(AuthError::InvalidInput(
                "You cannot disable your own account.",
            ));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        store::users::set_disabled_at(&mut *tx, user_id, disabled.then_some(now), now).await?;
        let kind = if disabled {
            EventKind::AccountDisabled
        } else {
            EventKind::AccountEnabled
        };
        self.event(user_id, kind, now)
            .by(Some(&who.user_id))
            .save(&mut tx)
            .await?;
        let ended = if disabled {
            self.revoke_all(
                &mut tx,
                user_id,
                None,
                RevokeReason::AccountDisabled,
                Some(&who.user_id),
                now,
            )
            .await?
        } else {
            Vec::new()
        };
        if disabled {
            self.commit_revoking_user(tx, &ended, user_id, now).await
        } else {
            self.commit_revoking(tx, &ended, now).await
        }
    }

    /// Checked after `require_admin`, so only an administrator learns whether an id exists;
    /// an id that is not a UUID names nothing.
    pub(super) async fn existing_user(&self, raw_id: &str) -> Result<UserId, AuthError> {
        let id = UserId::parse(raw_id).ok_or(AuthError::NotFound)?;
        store::users::by_id(&self.db.pool, &id)
            .await?
            .map(|u| u.id)
            .ok_or(AuthError::NotFound)
    }
}
