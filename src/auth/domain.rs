//! Values that can only exist once validated: an `Email` is normalised, a `NewPassword` obeys
//! the password rules, ids are UUIDs of their own type.

use secrecy::{ExposeSecret, SecretString};

pub use crate::store::ids::{EventId, SessionId, TokenId, UserId};
use contract::password;
pub use contract::{RevokeReason, Role};

use super::error::AuthError;

/// Lower-cased and trimmed, so uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
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

/// Invisible and direction-changing characters (Unicode format characters): with them one
/// address can be made to look like another in the admin's user list.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
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
            "alice\u{202e}@example.com",
            "ali\u{200b}ce@example.com",
            "\u{feff}alice@example.com",
            "a@.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} accepted");
        }
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
