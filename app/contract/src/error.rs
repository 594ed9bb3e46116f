//! The stable machine codes of every `/api` error, and the HTTP status of each: decided here
//! and nowhere else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    InvalidEmail,
    InvalidPassword,
    EmailTaken,
    InvalidCredentials,
    InvalidCurrentPassword,
    AccountDisabled,
    Unauthenticated,
    InvalidToken,
    TokenExpired,
    SessionRevoked,
    SessionExpired,
    RefreshReused,
    InvalidRefreshToken,
    /// A password reset link that is unknown, already used, voided by a newer one or expired;
    /// which of these is not said.
    InvalidResetLink,
    /// A device-bound session's request came without a valid DPoP proof (missing, malformed,
    /// stale, replayed, or for another URL); nothing was changed.
    ProofInvalid,
    /// This server accepts only device-bound sign-ins (`LATCHKEY_REQUIRE_DPOP`).
    ProofRequired,
    /// The refresh came from another browser or operating system than the session's.
    DeviceChanged,
    /// The refresh came from a network the session had not used, and policy refuses that.
    NewNetworkRefused,
    Forbidden,
    /// This server does not take new accounts (`LATCHKEY_REGISTRATION=closed`).
    RegistrationClosed,
    NotFound,
    PayloadTooLarge,
    /// The request body did not arrive within the server's body timeout.
    RequestTimeout,
    UnsupportedMediaType,
    RateLimited,
    /// Too many password checks are waiting; retry after `retry_after` seconds.
    Busy,
    DatabaseUnavailable,
    Internal,
    /// Client side only: the server could not be reached.
    Network,
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidInput
            | InvalidEmail
            | InvalidPassword
            | InvalidCurrentPassword
            | InvalidResetLink => 400,
            InvalidCredentials | AccountDisabled | Unauthenticated | InvalidToken
            | TokenExpired | SessionRevoked | SessionExpired | RefreshReused
            | InvalidRefreshToken | ProofInvalid | ProofRequired | DeviceChanged
            | NewNetworkRefused => 401,
            Forbidden | RegistrationClosed => 403,
            NotFound => 404,
            EmailTaken => 409,
            RequestTimeout => 408,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited => 429,
            Busy | DatabaseUnavailable => 503,
            Internal | Network | Unknown => 500,
        }
    }

    /// The session is gone for good: the client should drop its token and ask the user to sign in.
    pub fn ends_session(self) -> bool {
        use ErrorCode::*;
        matches!(
            self,
            Unauthenticated
                | InvalidToken
                | SessionRevoked
                | SessionExpired
                | RefreshReused
                | InvalidRefreshToken
                | AccountDisabled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_statuses() {
        assert_eq!(ErrorCode::InvalidCredentials.status(), 401);
        assert_eq!(ErrorCode::Forbidden.status(), 403);
        assert_eq!(ErrorCode::RegistrationClosed.status(), 403);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
        assert_eq!(ErrorCode::UnsupportedMediaType.status(), 415);
        assert_eq!(ErrorCode::PayloadTooLarge.status(), 413);
        assert_eq!(ErrorCode::RequestTimeout.status(), 408);
        assert_eq!(ErrorCode::DatabaseUnavailable.status(), 503);
        assert_eq!(ErrorCode::InvalidResetLink.status(), 400);
    }

    #[test]
    fn only_dead_sessions_end_the_client_session() {
        assert!(ErrorCode::RefreshReused.ends_session());
        assert!(ErrorCode::SessionRevoked.ends_session());
        assert!(
            !ErrorCode::TokenExpired.ends_session(),
            "expired access tokens are renewed, not fatal"
        );
        assert!(
            !ErrorCode::Network.ends_session(),
            "a network blip must not sign the user out"
        );
        assert!(!ErrorCode::RateLimited.ends_session());
    }
}
