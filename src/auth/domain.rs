//! Values that can only exist once validated: an `Email` is normalised, a `NewPassword` obeys
//! the password rules, ids are UUIDs.

use secrecy::{ExposeSecret, SecretString};

use contract::password;

use super::error::AuthError;

/// Lower-cased and trimmed, so uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && local.len() <= 64
                    && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
                    && !domain.contains('@'));
        if valid {
            Ok(Self(email))
        } else {
            Err(AuthError::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that passed the rules the page also shows (`contract::password`), hashed whole
/// (never truncated).
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(raw: &str, context: password::Context<'_>) -> Result<Self, AuthError> {
        password::check(raw, context).map_err(AuthError::WeakPassword)?;
        Ok(Self(SecretString::from(raw.to_owned())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Role {
        if raw == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

/// Why a session ended; stored as text and shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    UserRevoked,
    RevokedOthers,
    AdminForced,
    PasswordChanged,
    AccountDisabled,
    RefreshReused,
    /// Written by earlier versions for either expiry; new rows say which.
    Expired,
    /// Not used for longer than the idle lifetime.
    IdleExpired,
    /// Reached the absolute lifetime, however active it was.
    LifetimeExpired,
    /// The account was made an administrator (`latchkey admin promote`): whoever held a
    /// session before must prove the password again.
    PromotedToAdmin,
    /// An operator reset the password (`latchkey admin reset-password`).
    PasswordReset,
    /// The user chose "Sign out everywhere", this device included.
    SignedOutEverywhere,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::UserRevoked => "user_revoked",
            Self::RevokedOthers => "revoked_others",
            Self::AdminForced => "admin_forced",
            Self::PasswordChanged => "password_changed",
            Self::AccountDisabled => "account_disabled",
            Self::RefreshReused => "refresh_reused",
            Self::Expired => "expired",
            Self::IdleExpired => "idle_expired",
            Self::LifetimeExpired => "lifetime_expired",
            Self::PromotedToAdmin => "promoted_to_admin",
            Self::PasswordReset => "password_reset",
            Self::SignedOutEverywhere => "signed_out_everywhere",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "logout" => Self::Logout,
            "user_revoked" => Self::UserRevoked,
            "revoked_others" => Self::RevokedOthers,
            "admin_forced" => Self::AdminForced,
            "password_changed" => Self::PasswordChanged,
            "account_disabled" => Self::AccountDisabled,
            "refresh_reused" => Self::RefreshReused,
            "expired" => Self::Expired,
            "idle_expired" => Self::IdleExpired,
            "lifetime_expired" => Self::LifetimeExpired,
            "promoted_to_admin" => Self::PromotedToAdmin,
            "password_reset" => Self::PasswordReset,
            "signed_out_everywhere" => Self::SignedOutEverywhere,
            _ => return None,
        })
    }
}

impl RevokeReason {
    /// Which lifetime a session that is no longer alive ran out of. The idle expiry is never
    /// later than the absolute one, so reaching the absolute expiry is what makes them equal.
    pub fn expiry(idle_expires_at: i64, absolute_expires_at: i64, now: i64) -> Self {
        if now >= absolute_expires_at || idle_expires_at >= absolute_expires_at {
            Self::LifetimeExpired
        } else {
            Self::IdleExpired
        }
    }
}

/// A fresh time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Ids from clients are compared only after they parse as UUIDs, so junk never reaches SQL.
pub fn parse_id(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim())
        .ok()
        .map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
    }

    #[test]
    fn bad_emails_are_refused() {
        for raw in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "al ice@example.com",
            "a@b",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} accepted");
        }
    }

    #[test]
    fn an_expired_session_says_which_lifetime_ran_out() {
        // Idle expiry at 100, absolute at 1000.
        assert_eq!(
            RevokeReason::expiry(100, 1000, 150),
            RevokeReason::IdleExpired
        );
        assert_eq!(
            RevokeReason::expiry(100, 1000, 1000),
            RevokeReason::LifetimeExpired
        );
        // Activity slid the idle expiry up to the absolute one.
        assert_eq!(
            RevokeReason::expiry(1000, 1000, 1000),
            RevokeReason::LifetimeExpired
        );
    }

    #[test]
    fn new_passwords_follow_the_shared_rules() {
        let alice = password::Context {
            email: "alice@example.com",
            current: None,
        };
        assert!(NewPassword::parse("correct horse battery staple", alice).is_ok());
        assert!(matches!(
            NewPassword::parse("alice in chains", alice),
            Err(AuthError::WeakPassword(password::Problem::ContainsEmail))
        ));
    }
}
