//! One-time password reset links: an administrator (or the operator's CLI) issues one, and
//! whoever opens it within 30 minutes may set the account's password once. Only the token's
//! SHA-256 digest is stored; the token travels in the link's fragment (`/reset-password#…`),
//! which browsers never send to a server, so it stays out of logs, proxies and `Referer`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::store;
use crate::store::reset_links::NewResetLink;
use crate::store::users::UserRow;

use super::device::ClientInfo;
use super::domain::{Email, NewPassword, RevokeReason, UserId};
use super::error::AuthError;
use super::refresh_tokens::random_base64url;
use super::reset_delivery::{Delivered, ResetLink, ResetLinkDelivery};
use super::service::{AuthService, Principal};
use contract::EventKind;

/// How long a link works.
pub const RESET_LINK_TTL_SECS: i64 = 30 * 60;
/// The page that reads the token from the fragment.
pub const RESET_PATH: &str = "/reset-password";

const TOKEN_BYTES: usize = 32;
/// base64url without padding of 32 bytes.
const TOKEN_CHARS: usize = 43;

/// A reset link's secret: 256 random bits from the OS, base64url. No `Debug` that prints it.
struct ResetToken(String);

impl ResetToken {
    fn generate() -> Self {
        Self(random_base64url::<TOKEN_BYTES>())
    }

    /// Accepts only what `generate` can produce; anything else is an unknown link.
    fn parse(raw: &str) -> Option<Self> {
        if raw.len() != TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        (bytes.len() == TOKEN_BYTES).then(|| Self(raw.to_owned()))
    }

    fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

impl AuthService {
    /// An administrator's request for a link to `user_id`'s account.
    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn admin_reset_link(
        &self,
        who: &Principal,
        user_id: &str,
        delivery: &dyn ResetLinkDelivery,
    ) -> Result<Delivered, AuthError> {
        self.require_admin(who).await?;
        let user_id = self.existing_user(user_id).await?;
        let user = store::users::by_id(&self.db.pool, &user_id)
            .await?
            .ok_or(AuthError::NotFound)?;
        let link = self.issue_reset_link(&user, Some(&who.user_id)).await?;
        delivery.deliver(link).await
    }

    /// The operator's request (the CLI), by email.
    #[tracing::instrument(skip_all)]
    pub async fn reset_link_for_email(
        &self,
        email: &str,
        delivery: &dyn ResetLinkDelivery,
    ) -> Result<Delivered, AuthError> {
        let email = Email::parse(email)?;
        let user = store::users::by_email(&self.db.pool, email.as_str())
            .await?
            .ok_or(AuthError::NotFound)?;
        let link = self.issue_reset_link(&user, None).await?;
        delivery.deliver(link).await
    }

    /// Stores a new link's digest, voiding the account's earlier unused links, and records
    /// who issued it.
    async fn issue_reset_link(
        &self,
        user: &UserRow,
        by: Option<&UserId>,
    ) -> Result<ResetLink, AuthError> {
        let token = ResetToken::generate();
        let now = self.now();
        let expires_at = now + RESET_LINK_TTL_SECS;
        let mut tx = self.begin().await?;
        store::reset_links::void_unused(&mut *tx, &user.id).await?;
        store::reset_links::insert(
            &mut *tx,
            &NewResetLink {
                id: &uuid::Uuid::now_v7().to_string(),
                user_id: &user.id,
                digest: &token.digest(),
                created_at: now,
                expires_at,
                created_by: by,
            },
        )
        .await?;
        self.event(&user.id, EventKind::ResetLinkIssued, now)
            .by(by)
            .save(&mut tx)
            .await?;
        tx.commit().await?;
        // The issuer is the public origin (`LATCHKEY_PUBLIC_ORIGIN`): where people reach us.
        let url = format!("{}{RESET_PATH}#{}", self.settings.issuer, token.0);
        Ok(ResetLink::new(user.email.clone(), url, expires_at))
    }

    /// Sets a new password through a link and ends every session of the account. Unknown,
    /// used, voided and expired links get one answer that does not say which.
    #[tracing::instrument(skip_all, fields(ip = %client.ip))]
    pub async fn redeem_reset_link(
        &self,
        token: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let token = ResetToken::parse(token).ok_or(AuthError::InvalidResetLink)?;
        let link = store::reset_links::find(&self.db.pool, &token.digest())
            .await?
            .filter(|link| link.used_at.is_none() && link.expires_at > self.now())
            .ok_or(AuthError::InvalidResetLink)?;
        let user = store::users::by_id(&self.db.pool, &link.user_id)
            .await?
            .ok_or(AuthError::InvalidResetLink)?;
        if user.disabled_at.is_some() {
            return Err(AuthError::AccountDisabled);
        }
        // Checked before the link is consumed: a refused password leaves it usable.
        let context = contract::password::Context {
            email: &user.email,
            current: None,
        };
        let password = NewPassword::parse(new_password, context)?;
        let hash = self.hasher.hash(password.expose()).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        if !store::reset_links::consume(&mut *tx, &link.id, now).await? {
            return Err(AuthError::InvalidResetLink);
        }
        // Dropping the transaction here rolls the consumption back too.
        if !store::users::set_password_hash_if_enabled(&mut *tx, &user.id, &hash, now).await? {
            return Err(AuthError::AccountDisabled);
        }
        self.event(&user.id, EventKind::PasswordResetByLink, now)
            .ip(&client.ip)
            .device(&client.device_label())
            .by(link.created_by.as_ref())
            .save(&mut tx)
            .await?;
        let ended = self
            .revoke_all(
                &mut tx,
                &user.id,
                None,
                RevokeReason::PasswordReset,
                None,
                now,
            )
            .await?;
        self.commit_revoking_user(tx, &ended, &user.id, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_only_their_form_parses() {
        let token = ResetToken::generate();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token.0).unwrap().len(), 32);
        assert!(ResetToken::parse(&token.0).is_some());
        assert!(ResetToken::parse(&token.0[..42]).is_none());
        assert!(ResetToken::parse(&" ".repeat(43)).is_none());
        assert_ne!(token.digest(), ResetToken::generate().digest());
    }
}
