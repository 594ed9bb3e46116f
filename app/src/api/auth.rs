use leptos::prelude::*;
use server_fn::codec::Json;

use super::client::AuthClient;
use super::dto::{AuthResponse, Done, RegistrationStatus};
use super::error::ApiError;
#[cfg(feature = "ssr")]
use super::transport;

#[server(prefix = "/api", endpoint = "auth/register", input = Json, client = AuthClient)]
pub async fn register(email: String, password: String) -> Result<AuthResponse, ApiError> {
    transport::run(|backend, req| async move {
        let issued = backend.register(&req, email, password).await?;
        transport::set_refresh_cookie(&issued).await?;
        Ok(issued.body)
    })
    .await
}

#[server(prefix = "/api", endpoint = "auth/registration", input = Json, client = AuthClient)]
pub async fn registration() -> Result<RegistrationStatus, ApiError> {
    transport::run(|backend, _req| async move {
        Ok(RegistrationStatus {
            open: backend.registration_open(),
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "auth/login", input = Json, client = AuthClient)]
pub async fn login(email: String, password: String) -> Result<AuthResponse, ApiError> {
    transport::run(|backend, req| async move {
        let issued = backend.login(&req, email, password).await?;
        transport::set_refresh_cookie(&issued).await?;
        Ok(issued.body)
    })
    .await
}

#[server(prefix = "/api", endpoint = "auth/refresh", input = Json, client = AuthClient)]
pub async fn refresh() -> Result<AuthResponse, ApiError> {
    transport::run(|backend, req| async move {
        let presented = transport::read_refresh_cookie().await?;
        match backend.refresh(&req, presented).await {
            Ok(issued) => {
                transport::set_refresh_cookie(&issued).await?;
                Ok(issued.body)
            }
            Err(err) => {
                // A dead session's cookie is useless; clear it so the browser stops sending it.
                if err.code.ends_session() {
                    transport::clear_refresh_cookie().await?;
                }
                Err(err)
            }
        }
    })
    .await
}

#[server(prefix = "/api", endpoint = "auth/logout", input = Json, client = AuthClient)]
pub async fn logout() -> Result<Done, ApiError> {
    transport::run(|backend, req| async move {
        let presented = transport::read_refresh_cookie().await?;
        // The browser forgets the cookie even if the server-side revocation fails.
        transport::clear_refresh_cookie().await?;
        backend.logout(&req, presented).await?;
        Ok(Done { ok: true })
    })
    .await
}
