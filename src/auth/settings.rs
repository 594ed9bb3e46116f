//! What the engine is told at start. The process configuration (`crate::config`) builds it;
//! the engine never reads the environment or the `Config` itself.

use super::key_encryption::KeyEncryptionSource;
use super::passwords::Argon2Params;

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The public origin: the `iss` of every access token.
    pub issuer: String,
    pub access_ttl_secs: i64,
    /// A session idle this long ends.
    pub idle_ttl_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub absolute_ttl_secs: i64,
    /// How long a just-rotated refresh token is answered with its successor.
    pub grace_secs: i64,
    pub key_rotation_secs: i64,
    pub argon2: Argon2Params,
    /// Password hashes that may wait for a free core; beyond this the answer is `busy`.
    pub argon2_queue: usize,
    /// Failed sign-ins per account per hour before that account is throttled (0: off).
    pub account_failures_per_hour: u32,
    pub key_encryption: KeyEncryptionSource,
    /// Refuse sign-ins without a DPoP proof, so every session is bound to a device key.
    pub require_dpop: bool,
    pub new_network: NewNetworkPolicy,
    pub registration: Registration,
    /// A rotated refresh token replayed this long after its rotation still ends the session as
    /// stolen; after it, the sweep deletes the token and a replay is just an unknown token.
    pub reuse_detection_secs: i64,
    /// Ended sessions (with their tokens and addresses) are deleted this long after they ended.
    pub ended_retention_secs: i64,
    /// Security events are deleted this long after they happened.
    pub event_retention_secs: i64,
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// Anyone, from the register page.
    #[default]
    Open,
    /// Only administrators (the CLI and `LATCHKEY_ADMIN_EMAIL`); the register page says so and
    /// the endpoint answers 403 `registration_closed` before reading the email, so it tells
    /// nobody which addresses have accounts.
    Closed,
}

impl std::str::FromStr for Registration {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            _ => Err(()),
        }
    }
}

/// What a refresh from a network the session has not used before does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewNetworkPolicy {
    /// Allowed, recorded as an event and shown on the sessions page (people move between
    /// home, office and mobile networks all day).
    #[default]
    Record,
    /// Refused (and recorded): the session keeps working from the networks it knows.
    Refuse,
}

impl std::str::FromStr for NewNetworkPolicy {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw {
            "record" => Ok(Self::Record),
            "refuse" => Ok(Self::Refuse),
            _ => Err(()),
        }
    }
}
