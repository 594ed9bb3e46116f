//! Server-side plumbing shared by every server function: find the backend and the request head,
//! and build the refresh cookie (the only place that does). Error statuses are set by the
//! server on the way out, from `ErrorCode::status()`.

use std::future::Future;

use http::request::Parts;
use leptos::prelude::*;
use tower_cookies::cookie::{time::Duration, Cookie, SameSite};
use tower_cookies::Cookies;

use super::backend::IssuedSession;
use super::backend::SharedBackend;
use super::error::{ApiError, ErrorCode};

/// `__Host-` makes browsers refuse the cookie unless it is `Secure`, has `Path=/` and no
/// `Domain`, so a sibling subdomain cannot plant ("toss") a refresh cookie of its own.
pub const REFRESH_COOKIE: &str = "__Host-latchkey-refresh";
pub const REFRESH_COOKIE_PATH: &str = "/";

/// Runs a server function body with the backend and request head.
pub async fn run<T, F, Fut>(body: F) -> Result<T, ApiError>
where
    F: FnOnce(SharedBackend, Parts) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    match (use_context::<SharedBackend>(), use_context::<Parts>()) {
        (Some(backend), Some(parts)) => body(backend, parts).await,
        _ => Err(ApiError::new(
            ErrorCode::Internal,
            "The server is not configured.",
        )),
    }
}

async fn cookies() -> Result<Cookies, ApiError> {
    leptos_axum::extract::<Cookies>()
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "The server is not configured."))
}

pub async fn read_refresh_cookie() -> Result<Option<String>, ApiError> {
    Ok(cookies()
        .await?
        .get(REFRESH_COOKIE)
        .map(|c| c.value().to_owned()))
}

pub async fn set_refresh_cookie(issued: &IssuedSession) -> Result<(), ApiError> {
    cookies().await?.add(refresh_cookie(
        issued.refresh_token.clone(),
        issued.refresh_max_age,
    ));
    Ok(())
}

/// Same name, path and attributes as the live cookie, or the browser keeps the old one.
pub async fn clear_refresh_cookie() -> Result<(), ApiError> {
    cookies().await?.add(refresh_cookie(String::new(), 0));
    Ok(())
}

fn refresh_cookie(value: String, max_age: i64) -> Cookie<'static> {
    Cookie::build((REFRESH_COOKIE, value))
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(max_age.max(0)))
        .build()
}
