use leptos::prelude::*;
use server_fn::codec::Json;

use super::client::AuthClient;
use super::dto::{AdminUsersResponse, Done, ResetLinkResponse, RevokedCount, SessionsResponse};
use super::error::ApiError;
#[cfg(feature = "ssr")]
use super::transport;

#[server(prefix = "/api", endpoint = "admin/users", input = Json, client = AuthClient)]
pub async fn admin_users(
    query: String,
    offset: i64,
    limit: i64,
) -> Result<AdminUsersResponse, ApiError> {
    transport::run(
        |backend, req| async move { backend.admin_users(&req, query, offset, limit).await },
    )
    .await
}

#[server(prefix = "/api", endpoint = "admin/user_sessions", input = Json, client = AuthClient)]
pub async fn admin_user_sessions(user_id: String) -> Result<SessionsResponse, ApiError> {
    transport::run(|backend, req| async move { backend.admin_user_sessions(&req, user_id).await })
        .await
}

#[server(prefix = "/api", endpoint = "admin/force_logout", input = Json, client = AuthClient)]
pub async fn admin_force_logout(user_id: String) -> Result<RevokedCount, ApiError> {
    transport::run(|backend, req| async move { backend.admin_force_logout(&req, user_id).await })
        .await
}

#[server(prefix = "/api", endpoint = "admin/set_disabled", input = Json, client = AuthClient)]
pub async fn admin_set_disabled(user_id: String, disabled: bool) -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        backend.admin_set_disabled(&req, user_id, disabled).await?;
        Ok(Done { ok: true })
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/reset_link", input = Json, client = AuthClient)]
pub async fn admin_reset_link(user_id: String) -> Result<ResetLinkResponse, ApiError> {
    transport::run(|backend, req| async move { backend.admin_reset_link(&req, user_id).await })
        .await
}

#[server(prefix = "/api", endpoint = "admin/delete_user", input = Json, client = AuthClient)]
pub async fn admin_delete_user(user_id: String) -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        backend.admin_delete_user(&req, user_id).await?;
        Ok(Done { ok: true })
    })
    .await
}
