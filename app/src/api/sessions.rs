use leptos::prelude::*;
use server_fn::codec::Json;

use super::client::AuthClient;
use super::dto::{Done, RevokedCount, SessionsResponse};
use super::error::ApiError;
#[cfg(feature = "ssr")]
use super::transport;

#[server(prefix = "/api", endpoint = "sessions/list", input = Json, client = AuthClient)]
pub async fn list_sessions() -> Result<SessionsResponse, ApiError> {
    transport::run(|backend, req| async move { backend.list_sessions(&req).await }).await
}

#[server(prefix = "/api", endpoint = "sessions/revoke", input = Json, client = AuthClient)]
pub async fn revoke_session(session_id: String) -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        backend.revoke_session(&req, session_id).await?;
        Ok(Done { ok: true })
    })
    .await
}

/// "Sign out everywhere" in one call, so its failure is one answer the page can show.
#[server(prefix = "/api", endpoint = "sessions/revoke_all", input = Json, client = AuthClient)]
pub async fn revoke_all_sessions() -> Result<RevokedCount, ApiError> {
    transport::run(|backend, req| async move {
        let revoked = backend.revoke_all_sessions(&req).await?;
        transport::clear_refresh_cookie().await?;
        Ok(revoked)
    })
    .await
}

#[server(prefix = "/api", endpoint = "sessions/revoke_others", input = Json, client = AuthClient)]
pub async fn revoke_other_sessions() -> Result<RevokedCount, ApiError> {
    transport::run(|backend, req| async move { backend.revoke_other_sessions(&req).await }).await
}
