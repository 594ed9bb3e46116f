//! The one way an `/api` error becomes an HTTP answer. Engine errors become `ApiError`s here
//! (`From<AuthError>`); an `ApiError`'s status comes from `ErrorCode::status()` and nowhere
//! else. Guards and `/healthz` answer with `respond`; server functions return their errors to
//! the framework, which sends them as 500 marked `serverfnerror`, and `with_error_status` gives
//! each the status of its code on the way out.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, RETRY_AFTER};
use http::StatusCode;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use app::api::{ApiError, ErrorCode};

use crate::auth::AuthError;

/// Error bodies are a code, a sentence and two optional fields; anything longer is not ours.
const MAX_ERROR_BODY_BYTES: usize = 16 * 1024;

/// An error answer built outside a server function (guards, health).
pub fn respond(err: ApiError) -> Response {
    let mut response = axum::Json(&err).into_response();
    set_status(&mut response, &err);
    response
}

/// Gives a server function's error response the status of its code (and `Retry-After`).
/// Everything else passes through untouched.
pub async fn with_error_status(response: Response) -> Response {
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY_BYTES).await else {
        return respond(ApiError::new(
            ErrorCode::Internal,
            "Something went wrong on our side. Try again in a moment.",
        ));
    };
    let mut response = Response::from_parts(parts, Body::from(bytes.clone()));
    match serde_json::from_slice::<ApiError>(&bytes) {
        Ok(err) => set_status(&mut response, &err),
        Err(_) => *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
    }
    response
}

fn set_status(response: &mut Response, err: &ApiError) {
    *response.status_mut() =
        StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(seconds) = err.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// The single mapping from engine errors to the public codes. Messages are the engine's
/// sentences for people; internal details are logged with their whole cause chain, never sent.
impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let code = match &err {
            AuthError::InvalidEmail => ErrorCode::InvalidEmail,
            AuthError::WeakPassword(_) => ErrorCode::InvalidPassword,
            AuthError::InvalidInput(_) => ErrorCode::InvalidInput,
            AuthError::EmailTaken => ErrorCode::EmailTaken,
            AuthError::RegistrationClosed => ErrorCode::RegistrationClosed,
            AuthError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AuthError::WrongCurrentPassword => ErrorCode::InvalidCurrentPassword,
            AuthError::AccountDisabled => ErrorCode::AccountDisabled,
            AuthError::Unauthenticated => ErrorCode::Unauthenticated,
            AuthError::InvalidToken => ErrorCode::InvalidToken,
            AuthError::TokenExpired => ErrorCode::TokenExpired,
            AuthError::SessionRevoked { .. } => ErrorCode::SessionRevoked,
            AuthError::SessionExpired => ErrorCode::SessionExpired,
            AuthError::RefreshReused => ErrorCode::RefreshReused,
            AuthError::InvalidRefreshToken => ErrorCode::InvalidRefreshToken,
            AuthError::InvalidResetLink => ErrorCode::InvalidResetLink,
            AuthError::ProofInvalid(_) => ErrorCode::ProofInvalid,
            AuthError::ProofRequired => ErrorCode::ProofRequired,
            AuthError::DeviceChanged => ErrorCode::DeviceChanged,
            AuthError::NewNetworkRefused => ErrorCode::NewNetworkRefused,
            AuthError::Forbidden => ErrorCode::Forbidden,
            AuthError::NotFound => ErrorCode::NotFound,
            AuthError::RateLimited { .. } => ErrorCode::RateLimited,
            AuthError::Busy { .. } => ErrorCode::Busy,
            AuthError::Unavailable(source) => {
                let why = crate::db::Unavailable::of(source)
                    .map_or("the database failed", crate::db::Unavailable::explanation);
                tracing::error!(error = format!("{source:#}"), "database unavailable: {why}");
                ErrorCode::DatabaseUnavailable
            }
            AuthError::Internal(source) => {
                tracing::error!(error = format!("{source:#}"), "internal error");
                ErrorCode::Internal
            }
        };
        let mut api = ApiError::new(code, err.to_string());
        match err {
            AuthError::RateLimited { retry_after } | AuthError::Busy { retry_after } => {
                api.retry_after = Some(retry_after)
            }
            AuthError::SessionRevoked { reason } => api.reason = reason,
            _ => {}
        }
        api
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_function_error_gets_the_status_of_its_code() {
        let mut err = ApiError::new(ErrorCode::RateLimited, "Too many attempts.");
        err.retry_after = Some(7);
        let framework = Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header(SERVER_FN_ERROR_HEADER, "/api/login")
            .body(Body::from(serde_json::to_vec(&err).unwrap()))
            .unwrap();
        let answered = with_error_status(framework).await;
        assert_eq!(answered.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answered.headers()[RETRY_AFTER], "7");
        let body = axum::body::to_bytes(answered.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(serde_json::from_slice::<ApiError>(&body).unwrap(), err);
    }

    #[tokio::test]
    async fn other_responses_pass_through() {
        let page = Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from("not ours"))
            .unwrap();
        assert_eq!(
            with_error_status(page).await.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn a_guard_refusal_has_the_status_of_its_code() {
        let response = respond(ApiError::new(ErrorCode::UnsupportedMediaType, "JSON only."));
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
