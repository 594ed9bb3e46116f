//! The engine behind the server functions: implements `app::api::backend::AuthBackend` with
//! `AuthService`, adding rate limits and request metadata (errors map in `super::error`).

use std::sync::Arc;

use app::api::backend::AuthBackend;
use app::api::backend::IssuedSession;
use app::api::{
    AdminUsersResponse, ApiError, AuthResponse, EventsResponse, ResetLinkResponse, RevokedCount,
    SessionsResponse,
};
use http::request::Parts;
use ipnet::IpNet;

use crate::auth::domain::SessionId;
use crate::auth::{
    AuthError, AuthService, Delivered, HandToIssuer, Issued, Principal, ResetLinkDelivery,
};
use crate::config::Config;
use crate::telemetry::metrics::RateLimit;

use super::rate_limit::Limiter;
use super::request_meta::{bearer, client_info, client_ip};

pub struct EngineBackend {
    auth: Arc<AuthService>,
    trusted_proxies: Vec<IpNet>,
    /// DPoP proofs name the URL the browser used: this origin and the request's path.
    public_origin: String,
    login_limit: Limiter,
    refresh_limit: Limiter,
    reset_link_delivery: Arc<dyn ResetLinkDelivery>,
}

impl EngineBackend {
    pub fn new(auth: Arc<AuthService>, config: &Config) -> Self {
        Self {
            auth,
            trusted_proxies: config.trusted_proxies.clone(),
            public_origin: config.public_origin.clone(),
            login_limit: Limiter::per_minute(RateLimit::Login, config.rate_login_per_min),
            refresh_limit: Limiter::per_minute(RateLimit::Refresh, config.rate_refresh_per_min),
            reset_link_delivery: Arc::new(HandToIssuer),
        }
    }

    /// Sends password reset links another way than back to the administrator (an email
    /// sender, say; README, "Password resets").
    pub fn with_reset_link_delivery(mut self, delivery: Arc<dyn ResetLinkDelivery>) -> Self {
        self.reset_link_delivery = delivery;
        self
    }

    pub fn forget_idle_limits(&self) {
        self.login_limit.forget_idle();
        self.refresh_limit.forget_idle();
    }

    async fn caller(&self, req: &Parts) -> Result<Principal, AuthError> {
        self.auth
            .authenticate(bearer(req).ok_or(AuthError::Unauthenticated)?)
            .await
    }
}

#[async_trait::async_trait]
impl AuthBackend for EngineBackend {
    fn registration_open(&self) -> bool {
        self.auth.registration_open()
    }

    async fn register(
        &self,
        req: &Parts,
        email: String,
        password: String,
    ) -> Result<IssuedSession, ApiError> {
        let client = client_info(req, &self.trusted_proxies, &self.public_origin);
        self.login_limit.check(&client.ip)?;
        Ok(issued(
            self.auth.register(&email, &password, &client).await?,
        ))
    }

    async fn login(
        &self,
        req: &Parts,
        email: String,
        password: String,
    ) -> Result<IssuedSession, ApiError> {
        let client = client_info(req, &self.trusted_proxies, &self.public_origin);
        self.login_limit.check(&client.ip)?;
        Ok(issued(self.auth.login(&email, &password, &client).await?))
    }

    async fn refresh(
        &self,
        req: &Parts,
        refresh_token: Option<String>,
    ) -> Result<IssuedSession, ApiError> {
        let client = client_info(req, &self.trusted_proxies, &self.public_origin);
        self.refresh_limit.check(&client.ip)?;
        Ok(issued(
            self.auth.refresh(refresh_token.as_deref(), &client).await?,
        ))
    }

    /// Not rate limited: signing out must always work.
    async fn logout(&self, req: &Parts, refresh_token: Option<String>) -> Result<(), ApiError> {
        let client = client_info(req, &self.trusted_proxies, &self.public_origin);
        Ok(self.auth.logout(refresh_token.as_deref(), &client).await?)
    }

    async fn list_sessions(&self, req: &Parts) -> Result<SessionsResponse, ApiError> {
        let who = self.caller(req).await?;
        Ok(self
            .auth
            .list_sessions(&who.user_id, Some(&who.session_id))
            .await?)
    }

    async fn revoke_session(&self, req: &Parts, session_id: String) -> Result<(), ApiError> {
        let who = self.caller(req).await?;
        let session_id = SessionId::parse(&session_id).ok_or(AuthError::NotFound)?;
        Ok(self.auth.revoke_session(&who, &session_id).await?)
    }

    async fn revoke_other_sessions(&self, req: &Parts) -> Result<RevokedCount, ApiError> {
        let who = self.caller(req).await?;
        Ok(RevokedCount {
            revoked: self.auth.revoke_other_sessions(&who).await?,
        })
    }

    async fn revoke_all_sessions(&self, req: &Parts) -> Result<RevokedCount, ApiError> {
        let who = self.caller(req).await?;
        Ok(RevokedCount {
            revoked: self.auth.revoke_all_sessions(&who).await?,
        })
    }

    async fn change_password(
        &self,
        req: &Parts,
        current_password: String,
        new_password: String,
        revoke_other_sessions: bool,
    ) -> Result<(), ApiError> {
        let who = self.caller(req).await?;
        // Guessing the current password costs an argon2 verify: limit it like a login.
        self.login_limit
            .check(&client_ip(req, &self.trusted_proxies))?;
        self.auth
            .change_password(
                &who,
                &current_password,
                &new_password,
                revoke_other_sessions,
            )
            .await?;
        Ok(())
    }

    async fn events(
        &self,
        req: &Parts,
        offset: i64,
        limit: i64,
    ) -> Result<EventsResponse, ApiError> {
        let who = self.caller(req).await?;
        let (events, total) = self.auth.events(&who.user_id, offset, limit).await?;
        Ok(EventsResponse { events, total })
    }

    async fn delete_account(&self, req: &Parts, password: String) -> Result<(), ApiError> {
        let who = self.caller(req).await?;
        // Guessing the password costs an argon2 verify: limited like a password change.
        self.login_limit
            .check(&client_ip(req, &self.trusted_proxies))?;
        Ok(self.auth.delete_own_account(&who, &password).await?)
    }

    async fn reset_password(
        &self,
        req: &Parts,
        token: String,
        new_password: String,
    ) -> Result<(), ApiError> {
        let client = client_info(req, &self.trusted_proxies, &self.public_origin);
        // Guessing tokens is hopeless (256 bits), but each try with a valid one costs an
        // argon2 hash: limit it like a login.
        self.login_limit.check(&client.ip)?;
        Ok(self
            .auth
            .redeem_reset_link(&token, &new_password, &client)
            .await?)
    }

    async fn admin_users(
        &self,
        req: &Parts,
        query: String,
        offset: i64,
        limit: i64,
    ) -> Result<AdminUsersResponse, ApiError> {
        let who = self.caller(req).await?;
        Ok(self.auth.admin_users(&who, &query, offset, limit).await?)
    }

    async fn admin_user_sessions(
        &self,
        req: &Parts,
        user_id: String,
    ) -> Result<SessionsResponse, ApiError> {
        let who = self.caller(req).await?;
        Ok(self.auth.admin_user_sessions(&who, &user_id).await?)
    }

    async fn admin_force_logout(
        &self,
        req: &Parts,
        user_id: String,
    ) -> Result<RevokedCount, ApiError> {
        let who = self.caller(req).await?;
        Ok(RevokedCount {
            revoked: self.auth.admin_force_logout(&who, &user_id).await?,
        })
    }

    async fn admin_set_disabled(
        &self,
        req: &Parts,
        user_id: String,
        disabled: bool,
    ) -> Result<(), ApiError> {
        let who = self.caller(req).await?;
        Ok(self
            .auth
            .admin_set_disabled(&who, &user_id, disabled)
            .await?)
    }

    async fn admin_reset_link(
        &self,
        req: &Parts,
        user_id: String,
    ) -> Result<ResetLinkResponse, ApiError> {
        let who = self.caller(req).await?;
        let delivered = self
            .auth
            .admin_reset_link(&who, &user_id, self.reset_link_delivery.as_ref())
            .await?;
        Ok(match delivered {
            Delivered::ToIssuer(link) => ResetLinkResponse {
                link: Some(link.url().to_owned()),
                expires_at: link.expires_at,
            },
            Delivered::ToOwner { expires_at } => ResetLinkResponse {
                link: None,
                expires_at,
            },
        })
    }

    async fn admin_delete_user(&self, req: &Parts, user_id: String) -> Result<(), ApiError> {
        let who = self.caller(req).await?;
        Ok(self.auth.admin_delete_user(&who, &user_id).await?)
    }
}

fn issued(issued: Issued) -> IssuedSession {
    IssuedSession {
        body: AuthResponse {
            access_token: issued.access_token,
            token_type: "Bearer".into(),
            expires_in: issued.expires_in,
            user: issued.user,
        },
        refresh_token: issued.refresh_token.into_string(),
        refresh_max_age: issued.refresh_max_age,
    }
}
