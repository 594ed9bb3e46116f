//! Security events, kept per user and shown on their activity page.

use contract::{EventDto, EventKind, RevokeReason, Role};
use sqlx::{Any, Executor};

use crate::store;
use crate::store::events::EventRow;

use super::domain::new_id;
use super::service::AuthService;

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

    /// Why a session ended.
    pub fn reason(mut self, reason: RevokeReason) -> Self {
        self.0.reason = Some(reason.as_str().to_owned());
        self
    }

    /// The role an account was given.
    pub fn role(mut self, role: Role) -> Self {
        self.0.role = Some(role.as_str().to_owned());
        self
    }

    /// The administrator who acted, if one did.
    pub fn by(mut self, actor: Option<&str>) -> Self {
        self.0.actor_id = actor.map(str::to_owned);
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

/// What the account's owner sees of a stored event: `None` for a kind this version does not
/// know (written by a newer one), which the activity page leaves out.
pub(super) fn event_dto(row: EventRow) -> Option<EventDto> {
    Some(EventDto {
        kind: EventKind::parse(&row.kind)?,
        at: row.at,
        ip: row.ip,
        device: row.device,
        session_id: row.session_id,
        reason: row.reason.as_deref().and_then(RevokeReason::parse),
        role: row.role.as_deref().and_then(Role::parse),
        by_admin: row.actor_id.is_some(),
    })
}
