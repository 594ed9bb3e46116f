//! Request guards for `/api`: JSON bodies only (415), no cross-site callers (403), bounded
//! bodies (413) that arrive in time (408), and `Cache-Control: no-store` on every answer. Together with `SameSite=Strict`
//! these make the cookie endpoints CSRF-proof: a cross-site form cannot send JSON, and a
//! cross-origin `fetch` with JSON is stopped by the Origin check.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ORIGIN, PRAGMA};
use http::{HeaderValue, Method};
use std::time::Duration;

use app::api::{ApiError, ErrorCode};

use super::error::{respond, with_error_status};
use crate::config::is_loopback;

pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct ApiPolicy {
    pub allowed_origin: String,
    /// The whole body must arrive within this time of the guard starting to read it. A
    /// per-chunk timeout would let a client trickle one byte at a time and hold the request open.
    pub body_timeout: Duration,
}

pub async fn api_guard(State(policy): State<ApiPolicy>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    if let Some(refusal) = refuse(&policy.allowed_origin, &request) {
        return no_store(respond(refusal));
    }
    let request = match read_body_in_time(request, policy.body_timeout).await {
        Ok(request) => request,
        Err(refusal) => return no_store(respond(refusal)),
    };
    no_store(with_error_status(next.run(request).await).await)
}

/// Buffers the (small) body before any handler runs, so a slow sender costs a timer, not a
/// handler holding database connections or a password-hashing slot.
async fn read_body_in_time(request: Request, limit: Duration) -> Result<Request, ApiError> {
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, MAX_BODY_BYTES);
    match tokio::time::timeout(limit, read).await {
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Ok(Err(err)) if is_length_limit(&err) => Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "The request body is too large.",
        )),
        Ok(Err(_)) => Err(ApiError::new(
            ErrorCode::InvalidInput,
            "The request body could not be read.",
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            "The request body did not arrive in time.",
        )),
    }
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

fn refuse(allowed_origin: &str, request: &Request<Body>) -> Option<ApiError> {
    if request.method() != Method::POST {
        return None; // the router answers 405
    }
    let headers = request.headers();
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if matches!(fetch_site, "cross-site" | "same-site") {
        return Some(ApiError::new(
            ErrorCode::Forbidden,
            "Requests from other sites are not allowed.",
        ));
    }
    if let Some(sent) = headers.get(ORIGIN) {
        if !origin_allowed(allowed_origin, sent.to_str().unwrap_or("")) {
            return Some(ApiError::new(
                ErrorCode::Forbidden,
                "Requests from this origin are not allowed.",
            ));
        }
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Some(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Send a JSON body with Content-Type: application/json.",
        ));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let known = http_body::Body::size_hint(request.body()).exact();
    if declared
        .or(known)
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Some(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "The request body is too large.",
        ));
    }
    None
}

/// Exact match, except that loopback names are interchangeable on the same scheme and port,
/// so a developer opening `localhost` instead of `127.0.0.1` is not locked out.
fn origin_allowed(allowed: &str, sent: &str) -> bool {
    if sent == allowed {
        return true;
    }
    match (url::Url::parse(allowed), url::Url::parse(sent)) {
        (Ok(a), Ok(s)) => {
            a.scheme() == s.scheme()
                && a.port_or_known_default() == s.port_or_known_default()
                && a.host_str().is_some_and(is_loopback)
                && s.host_str().is_some_and(is_loopback)
        }
        _ => false,
    }
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins() {
        assert!(origin_allowed(
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3000"
        ));
        assert!(origin_allowed(
            "http://127.0.0.1:3000",
            "http://localhost:3000"
        ));
        assert!(!origin_allowed(
            "http://127.0.0.1:3000",
            "http://localhost:3001"
        ));
        assert!(!origin_allowed(
            "http://127.0.0.1:3000",
            "https://evil.example"
        ));
        assert!(!origin_allowed(
            "https://auth.example.com",
            "https://auth.example.com.evil.example"
        ));
        assert!(!origin_allowed("https://auth.example.com", "null"));
    }
}
