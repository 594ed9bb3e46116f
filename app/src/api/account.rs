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

/// How many events the activity page shows at a time.
pub const EVENTS_PAGE: i64 = 50;
