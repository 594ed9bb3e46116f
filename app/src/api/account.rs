use leptos::prelude::*;
use server_fn::codec::Json;

use super::client::AuthClient;
use super::dto::{Done, EventsResponse};
use super::error::ApiError;
#[cfg(feature = "ssr")]
use super::transport;

#[server(prefix = "/api", endpoint = "account/password", input = Json, client = AuthClient)]
pub async fn change_password(
    current_password: String,
    new_password: String,
    revoke_other_sessions: bool,
) -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        backend
            .change_password(&req, current_password, new_password, revoke_other_sessions)
            .await?;
        Ok(Done { ok: true })
    })
    .await
}

/// Without `offset` and `limit`, the newest page of 50.
#[server(prefix = "/api", endpoint = "account/events", input = Json, client = AuthClient)]
pub async fn security_events(
    offset: Option<i64>,
    limit: Option<i64>,
) -> Result<EventsResponse, ApiError> {
    transport::run(|backend, req| async move {
        backend
            .events(&req, offset.unwrap_or(0), limit.unwrap_or(EVENTS_PAGE))
            .await
    })
    .await
}

/// The token comes from the link's fragment, read by the page: it travels only in this body.
#[server(prefix = "/api", endpoint = "account/reset_password", input = Json, client = AuthClient)]
pub async fn reset_password(token: String, new_password: String) -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        backend.reset_password(&req, token, new_password).await?;
        Ok(Done { ok: true })
    })
    .await
}

#[server(prefix = "/api", endpoint = "account/delete", input = Json, client = AuthClient)]
pub async fn delete_account(password: String) -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        backend.delete_account(&req, password).await?;
        // The cookie's session no longer exists; the browser need not keep sending it.
        transport::clear_refresh_cookie().await?;
        Ok(Done { ok: true })
    })
    .await
}

/// How many events the activity page shows at a time.
pub const EVENTS_PAGE: i64 = 50;
