//! Deleting an account, by its owner (with the password) or by an administrator. Every
//! session ends through the revocation path first, so the account's access tokens are refused
//! at once on every instance; then the personal data goes: the user row and, with it, its
//! sessions, refresh tokens, addresses, events and reset links, plus its DPoP proof ids. What
//! is kept is a row in `account_deletions` (no personal data) and an audit log line.

use crate::store;
use crate::store::account_deletions::DeletionRow;
use crate::store::users::UserRow;

use super::domain::{RevokeReason, Role, SessionId, UserId};
use super::error::AuthError;
use super::service::{AuthService, Liveness, Principal};

impl AuthService {
    /// The owner deletes their own account; the password is checked like a password change's.
    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn delete_own_account(
        &self,
        who: &Principal,
        password: &str,
    ) -> Result<(), AuthError> {
        let user = store::users::by_id(&self.db.pool, &who.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if !self
            .hasher
            .verify(password, Some(&user.password_hash))
            .await?
            .matches
        {
            return Err(AuthError::WrongCurrentPassword);
        }
        self.delete_account(&user, None, Some(&who.session_id))
            .await
    }

    /// An administrator deletes someone else's account.
    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn admin_delete_user(&self, who: &Principal, user_id: &str) -> Result<(), AuthError> {
        self.require_admin(who).await?;
        let user_id = self.existing_user(user_id).await?;
        if user_id == who.user_id {
            return Err(AuthError::InvalidInput(
                "You cannot delete your own account from the admin console. Use the account page.",
            ));
        }
        let user = store::users::by_id(&self.db.pool, &user_id)
            .await?
            .ok_or(AuthError::NotFound)?;
        self.delete_account(&user, Some(&who.user_id), None).await
    }

    /// `caller`: the owner's session, which must still be alive when the deletion commits.
    async fn delete_account(
        &self,
        user: &UserRow,
        by: Option<&UserId>,
        caller: Option<&SessionId>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        if user.role == Role::Admin {
            // Every administrator's row, locked: of two administrators deleting each other at
            // once, the second sees the first one's deletion and is refused.
            store::users::lock_admins(&mut *tx).await?;
            if store::users::other_enabled_admins(&mut *tx, &user.id).await? == 0 {
                return Err(AuthError::InvalidInput(
                    "This is the last administrator. Make another account an administrator first.",
                ));
            }
        }
        if !store::users::lock(&mut *tx, &user.id).await? {
            return Err(AuthError::NotFound);
        }
        if let Some(caller) = caller {
            let session = store::sessions::get(&mut *tx, caller).await?;
            if !session.is_some_and(|s| matches!(Liveness::of(&s, now), Liveness::Alive)) {
                return Err(AuthError::SessionRevoked { reason: None });
            }
        }
        let ended = self
            .revoke_all(
                &mut tx,
                &user.id,
                None,
                RevokeReason::AccountDeleted,
                by,
                now,
            )
            .await?;
        store::account_deletions::record(
            &mut *tx,
            &DeletionRow {
                user_id: user.id.clone(),
                deleted_at: now,
                deleted_by: by.cloned(),
                ended_sessions: ended.len() as i64,
            },
        )
        .await?;
        store::dpop_proofs::forget_for_user(&mut *tx, &user.id).await?;
        // Sessions, refresh tokens, addresses, events and reset links go with the row
        // (ON DELETE CASCADE).
        store::users::delete(&mut *tx, &user.id).await?;
        self.commit_revoking_user(tx, &ended, &user.id, now).await?;
        // Its event rows went with the account; this line and the deletion record remain.
        tracing::info!(
            target: super::audit::TARGET,
            kind = "account_deleted",
            user_id = %user.id,
            actor_id = by.map(UserId::as_str),
            ended_sessions = ended.len(),
            "security event"
        );
        Ok(())
    }
}
