//! The one error type every server function returns. It carries a stable machine code; the
//! HTTP status of each code is `ErrorCode::status()` (in `contract`), applied by the server.

pub use contract::error::ErrorCode;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait, for `rate_limited` and `busy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Why the session ended, for `session_revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<contract::RevokeReason>,
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

    /// Framework errors (a malformed body) happen before our code runs; the server gives them
    /// the status of the code chosen here, like every other error.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_snake_case() {
        let err = ApiError::new(ErrorCode::RefreshReused, "x");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({"code": "refresh_reused", "message": "x"})
        );
    }

    #[test]
    fn unknown_codes_from_a_newer_server_still_decode() {
        let err: ApiError = serde_json::from_str(r#"{"code":"brand_new","message":"m"}"#).unwrap();
        assert_eq!(err.code, ErrorCode::Unknown);
    }
}
