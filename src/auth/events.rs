//! Security events, kept per user and shown on their activity page.

use sqlx::{Any, Executor};

use crate::store;
use crate::store::events::EventRow;

use super::domain::new_id;
use super::service::AuthService;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Registered,
    LoginSucceeded,
    LoginFailed,
    RefreshReused,
    RefreshGraceReplay,
    SessionRevoked,
    PasswordChanged,
    AccountDisabled,
    AccountEnabled,
    RoleChanged,
    PasswordReset,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::RefreshReused => "refresh_reused",
            Self::RefreshGraceReplay => "refresh_grace_replay",
            Self::SessionRevoked => "session_revoked",
            Self::PasswordChanged => "password_changed",
            Self::AccountDisabled => "account_disabled",
            Self::AccountEnabled => "account_enabled",
            Self::RoleChanged => "role_changed",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// An event being described; `save` writes it with the caller's executor (often its transaction).
pub struct NewEvent(EventRow);

impl NewEvent {
    pub fn session(mut self, id: &str) -> Self {
        self.0.session_id = Some(id.to_owned());
        self
    }

    pub fn device(mut self, device: &str) -> Self {
        self.0.device = Some(device.to_owned());
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        self.0.ip = Some(ip.to_owned());
        self
    }

    /// The reason, for revocations; combined with `by` when an admin acted.
    pub fn detail(mut self, detail: &str) -> Self {
        self.0.detail = Some(detail.to_owned());
        self
    }

    pub fn by(mut self, actor: Option<&str>) -> Self {
        if let Some(actor) = actor {
            let detail = self.0.detail.take().unwrap_or_default();
            self.0.detail = Some(format!("{detail} by:{actor}"));
        }
        self
    }

    pub async fn save<'c>(self, ex: impl Executor<'c, Database = Any>) -> sqlx::Result<()> {
        store::events::insert(ex, &self.0).await
    }
}

impl AuthService {
    pub(super) fn event(&self, user_id: &str, kind: EventKind, now: i64) -> NewEvent {
        NewEvent(EventRow {
            id: new_id(),
            user_id: user_id.to_owned(),
            kind: kind.as_str().to_owned(),
            at: now,
            ..Default::default()
        })
    }
}
