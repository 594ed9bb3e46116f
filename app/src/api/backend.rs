//! What the server must provide to the server functions. The `latchkey` crate implements this
//! with its auth engine; the app never sees SQL or crypto.

use std::sync::Arc;

use http::request::Parts;

use super::dto::*;
use super::error::ApiError;

/// What a refresh cookie must carry; built once by the transport layer. Not a JSON body, and
/// its `Debug` never shows the token.
pub struct IssuedSession {
    pub body: AuthResponse,
    pub refresh_token: String,
    pub refresh_max_age: i64,
}

impl std::fmt::Debug for IssuedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSession")
            .field("body", &self.body)
            .field("refresh_token", &"[redacted]")
            .field("refresh_max_age", &self.refresh_max_age)
            .finish()
    }
}

/// Each method receives the request head: the implementation reads the bearer token, client
/// IP and user agent from it under its own policy (trusted proxies, rate limits).
#[async_trait::async_trait]
pub trait AuthBackend: Send + Sync + 'static {
    /// Whether anyone may create an account here (`LATCHKEY_REGISTRATION`).
    fn registration_open(&self) -> bool;
    async fn register(
        &self,
        req: &Parts,
        email: String,
        password: String,
    ) -> Result<IssuedSession, ApiError>;
    async fn login(
        &self,
        req: &Parts,
        email: String,
        password: String,
    ) -> Result<IssuedSession, ApiError>;
    async fn refresh(
        &self,
        req: &Parts,
        refresh_token: Option<String>,
    ) -> Result<IssuedSession, ApiError>;
    async fn logout(&self, req: &Parts, refresh_token: Option<String>) -> Result<(), ApiError>;

    async fn list_sessions(&self, req: &Parts) -> Result<SessionsResponse, ApiError>;
    async fn revoke_session(&self, req: &Parts, session_id: String) -> Result<(), ApiError>;
    async fn revoke_other_sessions(&self, req: &Parts) -> Result<RevokedCount, ApiError>;
    /// Every session of the caller, this one included.
    async fn revoke_all_sessions(&self, req: &Parts) -> Result<RevokedCount, ApiError>;
    async fn change_password(
        &self,
        req: &Parts,
        current_password: String,
        new_password: String,
        revoke_other_sessions: bool,
    ) -> Result<(), ApiError>;
    /// A page of the caller's security events, newest first.
    async fn events(
        &self,
        req: &Parts,
        offset: i64,
        limit: i64,
    ) -> Result<EventsResponse, ApiError>;
    /// Deletes the caller's account once the password is confirmed.
    async fn delete_account(&self, req: &Parts, password: String) -> Result<(), ApiError>;
    /// Sets a new password through a reset link (no sign-in: the link's token is the proof).
    async fn reset_password(
        &self,
        req: &Parts,
        token: String,
        new_password: String,
    ) -> Result<(), ApiError>;

    async fn admin_users(
        &self,
        req: &Parts,
        query: String,
        offset: i64,
        limit: i64,
    ) -> Result<AdminUsersResponse, ApiError>;
    async fn admin_user_sessions(
        &self,
        req: &Parts,
        user_id: String,
    ) -> Result<SessionsResponse, ApiError>;
    async fn admin_force_logout(
        &self,
        req: &Parts,
        user_id: String,
    ) -> Result<RevokedCount, ApiError>;
    async fn admin_set_disabled(
        &self,
        req: &Parts,
        user_id: String,
        disabled: bool,
    ) -> Result<(), ApiError>;
    async fn admin_reset_link(
        &self,
        req: &Parts,
        user_id: String,
    ) -> Result<ResetLinkResponse, ApiError>;
    async fn admin_delete_user(&self, req: &Parts, user_id: String) -> Result<(), ApiError>;
}

/// How the backend reaches server functions: `provide_context(backend)` per request.
pub type SharedBackend = Arc<dyn AuthBackend>;
