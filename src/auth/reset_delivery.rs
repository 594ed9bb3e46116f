//! How a password reset link reaches the account's owner. Today the one way is to hand it to
//! whoever issued it (the administrator's page shows it, the CLI prints it), who passes it on
//! by a channel they trust. An email sender plugs in by implementing `ResetLinkDelivery` and
//! being given to `EngineBackend::with_reset_link_delivery` (README, "Password resets").

use secrecy::{ExposeSecret, SecretString};

use super::error::AuthError;

/// A freshly issued link. The URL opens the account for 30 minutes, so it has no `Debug` or
/// `Display` that could print it: a delivery must never log it.
pub struct ResetLink {
    /// The account's email: where a sender would deliver it.
    pub email: String,
    url: SecretString,
    /// When the link stops working (seconds since the epoch).
    pub expires_at: i64,
}

impl ResetLink {
    pub(super) fn new(email: String, url: String, expires_at: i64) -> Self {
        Self {
            email,
            url: url.into(),
            expires_at,
        }
    }

    pub fn url(&self) -> &str {
        self.url.expose_secret()
    }
}

impl std::fmt::Debug for ResetLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetLink")
            .field("email", &self.email)
            .field("url", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where the link went.
#[derive(Debug)]
pub enum Delivered {
    /// Back to whoever issued it, to pass on themselves.
    ToIssuer(ResetLink),
    /// Straight to the account's owner (an email sender, say); the issuer never sees it.
    ToOwner { expires_at: i64 },
}

#[async_trait::async_trait]
pub trait ResetLinkDelivery: Send + Sync + 'static {
    /// Called after the link was committed; a failure leaves it unused, and issuing again voids
    /// it. Must never log the link.
    async fn deliver(&self, link: ResetLink) -> Result<Delivered, AuthError>;
}

/// Without email infrastructure: the administrator gets the link and passes it on.
pub struct HandToIssuer;

#[async_trait::async_trait]
impl ResetLinkDelivery for HandToIssuer {
    async fn deliver(&self, link: ResetLink) -> Result<Delivered, AuthError> {
        Ok(Delivered::ToIssuer(link))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_link() {
        let link = ResetLink::new(
            "a@example.com".into(),
            "https://auth.example.com/reset-password#secret-token".into(),
            1,
        );
        let shown = format!("{:?}", Delivered::ToIssuer(link));
        assert!(!shown.contains("secret-token"), "{shown}");
    }
}
