//! Registration, login, password change and the admin bootstrap.

use secrecy::ExposeSecret;

use crate::store;
use crate::store::users::UserRow;

use super::device::ClientInfo;
use super::domain::{new_id, Email, NewPassword, RevokeReason, Role};
use super::error::AuthError;
use super::events::EventKind;
use super::service::{AuthService, Issued, Principal};

impl AuthService {
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        let email = Email::parse(email)?;
        let password = NewPassword::parse(password)?;
        let hash = self.hasher.hash(password.expose()).await?;
        let now = self.now();
        let user = UserRow {
            id: new_id(),
            email: email.as_str().to_owned(),
            password_hash: hash,
            role: Role::User.as_str().to_owned(),
            disabled_at: None,
            created_at: now,
        };
        let mut tx = self.begin().await?;
        if !store::users::insert(&mut *tx, &user).await? {
            return Err(AuthError::EmailTaken);
        }
        let issued = self.start_session(&mut tx, &user, client, now).await?;
        self.event(&user.id, EventKind::Registered, now)
            .session(&issued.session_id)
            .ip(&client.ip)
            .device(&client.device_label())
            .save(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Unknown email and wrong password take the same path through argon2 and end in the same
    /// error, so neither the answer nor its timing tells which it was.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        if password.chars().count() > super::domain::PASSWORD_MAX_CHARS {
            return Err(AuthError::InvalidCredentials);
        }
        let user = match Email::parse(email) {
            Ok(email) => store::users::by_email(&self.db.pool, email.as_str()).await?,
            Err(_) => None,
        };
        let verification = self
            .hasher
            .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        let now = self.now();
        let user = match user {
            Some(user) if verification.matches => user,
            user => {
                if let Some(user) = &user {
                    // Off the response path: waiting for (or failing on) this write only for
                    // existing accounts would tell them apart from unknown emails.
                    let event = self
                        .event(&user.id, EventKind::LoginFailed, now)
                        .ip(&client.ip)
                        .device(&client.device_label());
                    let pool = self.db.pool.clone();
                    tokio::spawn(async move {
                        if let Err(err) = event.save(&pool).await {
                            tracing::warn!(error = %err, "could not record a failed login");
                        }
                    });
                }
                return Err(AuthError::InvalidCredentials);
            }
        };
        if user.disabled_at.is_some() {
            return Err(AuthError::AccountDisabled);
        }
        let mut current_hash = user.password_hash.clone();
        if verification.needs_rehash {
            let hash = self.hasher.hash(password).await?;
            store::users::set_password_hash(&self.db.pool, &user.id, &hash, now).await?;
            current_hash = hash;
        }
        let mut tx = self.begin().await?;
        // The password was checked outside the transaction; if it changed or the account was
        // disabled meanwhile, this finds no row and no session is created.
        if !store::users::lock_if_unchanged(&mut *tx, &user.id, &current_hash).await? {
            return Err(AuthError::InvalidCredentials);
        }
        let issued = self.start_session(&mut tx, &user, client, now).await?;
        self.event(&user.id, EventKind::LoginSucceeded, now)
            .session(&issued.session_id)
            .ip(&client.ip)
            .device(&client.device_label())
            .save(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    pub async fn change_password(
        &self,
        who: &Principal,
        current: &str,
        new: &str,
        revoke_other_sessions: bool,
    ) -> Result<u64, AuthError> {
        let new = NewPassword::parse(new)?;
        let user = store::users::by_id(&self.db.pool, &who.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if !self
            .hasher
            .verify(current, Some(&user.password_hash))
            .await?
            .matches
        {
            return Err(AuthError::WrongCurrentPassword);
        }
        let hash = self.hasher.hash(new.expose()).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        store::users::set_password_hash(&mut *tx, &user.id, &hash, now).await?;
        self.event(&user.id, EventKind::PasswordChanged, now)
            .session(&who.session_id)
            .save(&mut *tx)
            .await?;
        let ended = if revoke_other_sessions {
            self.revoke_all(
                &mut tx,
                &user.id,
                Some(&who.session_id),
                RevokeReason::PasswordChanged,
                None,
                now,
            )
            .await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        self.forget_sessions(&ended, now);
        Ok(ended.len() as u64)
    }

    /// Creates the admin, or promotes an existing account and resets its password.
    pub async fn bootstrap_admin(
        &self,
        email: &str,
        password: &secrecy::SecretString,
    ) -> Result<String, AuthError> {
        let email = Email::parse(email)?;
        let password = NewPassword::parse(password.expose_secret())?;
        let hash = self.hasher.hash(password.expose()).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let id = match store::users::by_email(&mut *tx, email.as_str()).await? {
            Some(existing) => {
                store::users::set_role(&mut *tx, &existing.id, Role::Admin.as_str(), now).await?;
                store::users::set_password_hash(&mut *tx, &existing.id, &hash, now).await?;
                store::users::set_disabled_at(&mut *tx, &existing.id, None, now).await?;
                if existing.role != Role::Admin.as_str() {
                    self.event(&existing.id, EventKind::RoleChanged, now)
                        .detail("admin")
                        .save(&mut *tx)
                        .await?;
                }
                existing.id
            }
            None => {
                let user = UserRow {
                    id: new_id(),
                    email: email.as_str().to_owned(),
                    password_hash: hash,
                    role: Role::Admin.as_str().to_owned(),
                    disabled_at: None,
                    created_at: now,
                };
                store::users::insert(&mut *tx, &user).await?;
                self.event(&user.id, EventKind::Registered, now)
                    .detail("admin bootstrap")
                    .save(&mut *tx)
                    .await?;
                user.id
            }
        };
        tx.commit().await?;
        Ok(id)
    }
}
