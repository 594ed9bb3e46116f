//! The one error type every server function returns. It carries a stable machine code; the
//! HTTP status of each code is decided here and nowhere else.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

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
    Forbidden,
    NotFound,
    PayloadTooLarge,
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
            InvalidInput | InvalidEmail | InvalidPassword | InvalidCurrentPassword => 400,
            InvalidCredentials | AccountDisabled | Unauthenticated | InvalidToken
            | TokenExpired | SessionRevoked | SessionExpired | RefreshReused
            | InvalidRefreshToken => 401,
            Forbidden => 403,
            NotFound => 404,
            EmailTaken => 409,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait, for `rate_limited` and `busy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Why the session ended (`admin_forced`, `user_revoked`, …), for `session_revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
            reason: None,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let err = match value {
            // On the server, a body that does not deserialise is the caller's mistake.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => ApiError::new(
                ErrorCode::InvalidInput,
                "The request body does not match this endpoint.",
            ),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => ApiError::new(
                ErrorCode::InvalidInput,
                "The request body does not match this endpoint.",
            ),
            ServerFnErrorErr::Request(_) => ApiError::new(
                ErrorCode::Network,
                "Could not reach the server. Check your connection and try again.",
            ),
            _ => ApiError::new(
                ErrorCode::Internal,
                "Something went wrong. Try again in a moment.",
            ),
        };
        // Framework errors (a malformed body) happen before our code runs: give them their
        // status here, or they would all answer 500.
        #[cfg(feature = "ssr")]
        super::transport::apply_error_status(&err);
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_snake_case_and_map_to_statuses() {
        let err = ApiError::new(ErrorCode::RefreshReused, "x");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({"code": "refresh_reused", "message": "x"})
        );
        assert_eq!(ErrorCode::InvalidCredentials.status(), 401);
        assert_eq!(ErrorCode::Forbidden.status(), 403);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
        assert_eq!(ErrorCode::UnsupportedMediaType.status(), 415);
        assert_eq!(ErrorCode::DatabaseUnavailable.status(), 503);
    }

    #[test]
    fn unknown_codes_from_a_newer_server_still_decode() {
        let err: ApiError = serde_json::from_str(r#"{"code":"brand_new","message":"m"}"#).unwrap();
        assert_eq!(err.code, ErrorCode::Unknown);
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
