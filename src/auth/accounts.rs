//! Registration, login, password change and the admin bootstrap.

use secrecy::ExposeSecret;

use crate::store;
use crate::store::users::UserRow;
use crate::telemetry::metrics::{self, LoginOutcome, RateLimit};

use super::audit;
use super::device::ClientInfo;
use super::domain::{Email, NewPassword, RevokeReason, Role, UserId};
use super::dpop::Proof;
use super::error::AuthError;
use super::service::{AuthService, Issued, Liveness, Principal};
use super::settings::Registration;
use contract::EventKind;

impl AuthService {
    #[tracing::instrument(skip_all, fields(ip = %client.ip))]
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        if self.settings.registration == Registration::Closed {
            return Err(AuthError::RegistrationClosed);
        }
        let email = Email::parse(email)?;
        let password = NewPassword::parse(password, for_account(&email))?;
        let proof = self.sign_in_proof(client)?;
        let hash = self.hasher.hash(password.expose()).await?;
        let now = self.now();
        let user = new_user(&email, hash, Role::User, now);
        let mut tx = self.begin().await?;
        if !store::users::insert(&mut *tx, &user).await? {
            return Err(AuthError::EmailTaken);
        }
        let issued = self
            .start_session(&mut tx, &user, client, proof.as_ref(), now)
            .await?;
        self.event(&user.id, EventKind::Registered, now)
            .session(&issued.session_id)
            .ip(&client.ip)
            .device(&client.device_label())
            .save(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    pub fn registration_open(&self) -> bool {
        self.settings.registration == Registration::Open
    }

    /// Unknown email and wrong password take the same path through argon2 and end in the same
    /// error, so neither the answer nor its timing tells which it was.
    #[tracing::instrument(skip_all, fields(ip = %client.ip))]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        let result = self.sign_in(email, password, client).await;
        metrics::count_login(login_outcome(&result));
        result
    }

    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        if password.chars().count() > contract::password::MAX_CHARS {
            audit::log_failed_login_without_account(&client.ip, &client.device_label());
            return Err(AuthError::InvalidCredentials);
        }
        // Checked before the password: a bad proof costs no argon2.
        let proof = self.sign_in_proof(client)?;
        let email = Email::parse(email).ok();
        // Invalid emails share one throttle key: they can never match anyway.
        let account = email.as_ref().map_or("", Email::as_str).to_owned();
        if let Some(retry_after) = self.throttle.retry_after(&account) {
            if !self.seen_before(email.as_ref(), client).await? {
                metrics::count_rate_limited(RateLimit::Account);
                return Err(AuthError::RateLimited { retry_after });
            }
        }
        // A concurrent rehash by another login of the same account can change the hash between
        // our verify and our write; one more round then verifies against the new hash.
        for _ in 0..2 {
            match self
                .try_login(email.as_ref(), password, client, proof.as_ref())
                .await
            {
                Err(LoginFailure::HashChanged) => continue,
                Err(LoginFailure::Refused(err)) => {
                    if matches!(err, AuthError::InvalidCredentials) {
                        self.throttle.record_failure(&account);
                    }
                    return Err(err);
                }
                Ok(issued) => return Ok(issued),
            }
        }
        self.throttle.record_failure(&account);
        Err(AuthError::InvalidCredentials)
    }

    async fn try_login(
        &self,
        email: Option<&Email>,
        password: &str,
        client: &ClientInfo,
        proof: Option<&Proof>,
    ) -> Result<Issued, LoginFailure> {
        let user = match email {
            Some(email) => store::users::by_email(&self.db.pool, email.as_str()).await?,
            None => None,
        };
        let verification = self
            .hasher
            .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        let now = self.now();
        let user = match user {
            Some(user) if verification.matches => user,
            user => {
                match &user {
                    // The row is written off the response path: waiting for (or failing on)
                    // it only for existing accounts would tell them apart from unknown emails.
                    Some(user) => self
                        .event(&user.id, EventKind::LoginFailed, now)
                        .ip(&client.ip)
                        .device(&client.device_label())
                        .log_now_save_later(&self.db.pool),
                    None => {
                        audit::log_failed_login_without_account(&client.ip, &client.device_label())
                    }
                }
                return Err(AuthError::InvalidCredentials.into());
            }
        };
        if user.disabled_at.is_some() {
            return Err(AuthError::AccountDisabled.into());
        }
        let rehashed = match verification.needs_rehash {
            true => Some(self.hasher.hash(password).await?),
            false => None,
        };
        let mut tx = self.begin().await?;
        // The password was checked outside the transaction. Both statements below match only
        // while the hash is still the one verified (compare-and-swap) and the account enabled;
        // they also take the user's row lock, which every revoke-all path takes too.
        let still_verified = match &rehashed {
            Some(new) => {
                let old = &user.password_hash;
                store::users::replace_password_hash(&mut *tx, &user.id, old, new, now).await?
            }
            None => {
                store::users::lock_if_unchanged(&mut *tx, &user.id, &user.password_hash).await?
            }
        };
        if !still_verified {
            return Err(LoginFailure::HashChanged);
        }
        let enabled = store::users::by_id(&mut *tx, &user.id)
            .await?
            .is_some_and(|u| u.disabled_at.is_none());
        if !enabled {
            return Err(AuthError::AccountDisabled.into());
        }
        let issued = self
            .start_session(&mut tx, &user, client, proof, now)
            .await?;
        self.event(&user.id, EventKind::LoginSucceeded, now)
            .session(&issued.session_id)
            .ip(&client.ip)
            .device(&client.device_label())
            .save(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// A sign-in binds its new session to the proof's key. A proof that was sent must be
    /// valid; none at all is refused only when every session must be bound.
    fn sign_in_proof(&self, client: &ClientInfo) -> Result<Option<Proof>, AuthError> {
        match self.check_proof(client) {
            Ok(None) if self.settings.require_dpop => Err(AuthError::ProofRequired),
            Ok(proof) => Ok(proof),
            Err(err) => Err(AuthError::ProofInvalid(err)),
        }
    }

    /// Whether this client has held a session of the account (same browser and network).
    async fn seen_before(
        &self,
        email: Option<&Email>,
        client: &ClientInfo,
    ) -> Result<bool, AuthError> {
        let Some(email) = email else {
            return Ok(false);
        };
        let Some(user) = store::users::by_email(&self.db.pool, email.as_str()).await? else {
            return Ok(false);
        };
        let known = store::sessions::recent_clients(&self.db.pool, &user.id, KNOWN_CLIENTS).await?;
        Ok(known
            .iter()
            .any(|(user_agent, ip)| super::binding::seen_before(client, user_agent, ip)))
    }

    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn change_password(
        &self,
        who: &Principal,
        current: &str,
        new: &str,
        revoke_other_sessions: bool,
    ) -> Result<u64, AuthError> {
        for _ in 0..2 {
            let user = store::users::by_id(&self.db.pool, &who.user_id)
                .await?
                .ok_or(AuthError::Unauthenticated)?;
            let context = contract::password::Context {
                email: &user.email,
                current: Some(current),
            };
            let new = NewPassword::parse(new, context)?;
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
            // Only over the hash just verified: if another change (or a rehash) landed first,
            // verify again against what is stored now.
            if !store::users::replace_password_hash(
                &mut *tx,
                &user.id,
                &user.password_hash,
                &hash,
                now,
            )
            .await?
            {
                continue;
            }
            // Under the user's row lock: a session revoked meanwhile cannot change the password.
            let caller = store::sessions::get(&mut *tx, &who.session_id).await?;
            if !caller.is_some_and(|s| matches!(Liveness::of(&s, now), Liveness::Alive)) {
                return Err(AuthError::SessionRevoked { reason: None });
            }
            self.event(&user.id, EventKind::PasswordChanged, now)
                .session(&who.session_id)
                .save(&mut tx)
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
            self.commit_revoking(tx, &ended, now).await?;
            return Ok(ended.len() as u64);
        }
        Err(AuthError::WrongCurrentPassword)
    }

    /// Creates an administrator account. Never touches an existing account: the email may have
    /// been registered by someone else first, and promoting it would hand them admin rights.
    #[tracing::instrument(skip_all)]
    pub async fn create_admin(
        &self,
        email: &str,
        password: &secrecy::SecretString,
    ) -> Result<AdminCreation, AuthError> {
        let email = Email::parse(email)?;
        // An existing account is answered before the password rules: a deployment whose
        // bootstrap password predates them must still start.
        if let Some(existing) = store::users::by_email(&self.db.pool, email.as_str()).await? {
            return Ok(AdminCreation::AlreadyExists {
                id: existing.id,
                role: existing.role,
                disabled: existing.disabled_at.is_some(),
            });
        }
        let password = NewPassword::parse(password.expose_secret(), for_account(&email))?;
        let hash = self.hasher.hash(password.expose()).await?;
        let now = self.now();
        let user = new_user(&email, hash, Role::Admin, now);
        let mut tx = self.begin().await?;
        if !store::users::insert(&mut *tx, &user).await? {
            let existing = store::users::by_email(&mut *tx, email.as_str())
                .await?
                .ok_or(AuthError::EmailTaken)?;
            return Ok(AdminCreation::AlreadyExists {
                id: existing.id,
                role: existing.role,
                disabled: existing.disabled_at.is_some(),
            });
        }
        self.event(&user.id, EventKind::Registered, now)
            .role(Role::Admin)
            .save(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(AdminCreation::Created { id: user.id })
    }

    /// Makes an existing account an administrator, deliberately (the CLI). Every session the
    /// account had ends: whoever registered the email before it was meant to be an admin must
    /// not refresh into an admin token.
    #[tracing::instrument(skip_all)]
    pub async fn promote_to_admin(&self, email: &str) -> Result<AccountChange, AuthError> {
        let email = Email::parse(email)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let user = store::users::by_email(&mut *tx, email.as_str())
            .await?
            .ok_or(AuthError::NotFound)?;
        store::users::set_role(&mut *tx, &user.id, Role::Admin, now).await?;
        self.event(&user.id, EventKind::RoleChanged, now)
            .role(Role::Admin)
            .save(&mut tx)
            .await?;
        let ended = self
            .revoke_all(
                &mut tx,
                &user.id,
                None,
                RevokeReason::PromotedToAdmin,
                None,
                now,
            )
            .await?;
        self.commit_revoking_user(tx, &ended, &user.id, now).await?;
        Ok(AccountChange {
            id: user.id,
            ended_sessions: ended.len() as u64,
        })
    }

    /// Sets a new password, deliberately (the CLI), and ends every session of the account.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(
        &self,
        email: &str,
        password: &secrecy::SecretString,
    ) -> Result<AccountChange, AuthError> {
        let email = Email::parse(email)?;
        let password = NewPassword::parse(password.expose_secret(), for_account(&email))?;
        let hash = self.hasher.hash(password.expose()).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let user = store::users::by_email(&mut *tx, email.as_str())
            .await?
            .ok_or(AuthError::NotFound)?;
        store::users::set_password_hash(&mut *tx, &user.id, &hash, now).await?;
        self.event(&user.id, EventKind::PasswordReset, now)
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
        self.commit_revoking_user(tx, &ended, &user.id, now).await?;
        Ok(AccountChange {
            id: user.id,
            ended_sessions: ended.len() as u64,
        })
    }
}

/// The rules' context for a password set without knowing the one it replaces.
fn for_account(email: &Email) -> contract::password::Context<'_> {
    contract::password::Context {
        email: email.as_str(),
        current: None,
    }
}

fn new_user(email: &Email, password_hash: String, role: Role, now: i64) -> UserRow {
    UserRow {
        id: UserId::generate(),
        email: email.as_str().to_owned(),
        password_hash,
        role,
        disabled_at: None,
        created_at: now,
    }
}

fn login_outcome(result: &Result<Issued, AuthError>) -> LoginOutcome {
    match result {
        Ok(_) => LoginOutcome::Success,
        Err(AuthError::InvalidCredentials) => LoginOutcome::InvalidCredentials,
        Err(AuthError::AccountDisabled) => LoginOutcome::AccountDisabled,
        Err(AuthError::RateLimited { .. }) => LoginOutcome::Throttled,
        Err(AuthError::ProofInvalid(_) | AuthError::ProofRequired) => LoginOutcome::ProofRefused,
        Err(AuthError::Busy { .. }) => LoginOutcome::Busy,
        Err(_) => LoginOutcome::Error,
    }
}

/// How many of an account's most recent sessions count as its known clients.
const KNOWN_CLIENTS: i64 = 50;

enum LoginFailure {
    /// The stored hash changed after it was verified; verify again.
    HashChanged,
    Refused(AuthError),
}

impl From<AuthError> for LoginFailure {
    fn from(err: AuthError) -> Self {
        LoginFailure::Refused(err)
    }
}

impl From<sqlx::Error> for LoginFailure {
    fn from(err: sqlx::Error) -> Self {
        LoginFailure::Refused(err.into())
    }
}

/// What `create_admin` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCreation {
    Created {
        id: UserId,
    },
    /// Nothing was changed: the email already has an account.
    AlreadyExists {
        id: UserId,
        role: Role,
        disabled: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    pub id: UserId,
    pub ended_sessions: u64,
}
