//! Account recovery and removal: password reset links.

use serde::{Deserialize, Serialize};

/// What the administrator who asked for a reset link gets back.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetLinkResponse {
    /// The link to hand to the account's owner; `None` when a delivery (an email sender, say)
    /// sent it to them directly, so it never passed through the administrator.
    pub link: Option<String>,
    /// When the link stops working (seconds since the epoch).
    pub expires_at: i64,
}

/// The link opens an account: it is never printed by accident.
impl std::fmt::Debug for ResetLinkResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetLinkResponse")
            .field("link", &self.link.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
