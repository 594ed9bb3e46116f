//! Security events, kept per user and shown on their activity page, and logged for operators
//! (`super::audit`).

use contract::{EventDto, EventKind, RevokeReason, Role};
use sqlx::AnyPool;

use crate::db::WriteTx;
use crate::store;
use crate::store::events::EventRow;
use crate::store::{EventId, SessionId, UserId};

use super::audit;
use super::service::AuthService;

/// An event being described; `save` writes it in the caller's transaction.
pub struct NewEvent(EventRow);

impl NewEvent {
    pub fn session(mut self, id: &SessionId) -> Self {
        self.0.session_id = Some(id.clone());
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
        self.0.reason = Some(reason);
        self
    }

    /// The role an account was given.
    pub fn role(mut self, role: Role) -> Self {
        self.0.role = Some(role);
        self
    }

    /// The administrator who acted, if one did.
    pub fn by(mut self, actor: Option<&UserId>) -> Self {
        self.0.actor_id = actor.cloned();
        self
    }

    /// Writes the event in `tx`; its audit line follows once `tx` commits.
    pub async fn save(self, tx: &mut WriteTx) -> sqlx::Result<()> {
        store::events::insert(&mut **tx, &self.0).await?;
        let event = self.0;
        tx.after_commit(move || audit::log_event(&event));
        Ok(())
    }

    /// Writes the event on its own (it commits by itself), then its audit line.
    pub async fn save_alone(self, pool: &AnyPool) -> sqlx::Result<()> {
        store::events::insert(pool, &self.0).await?;
        audit::log_event(&self.0);
        Ok(())
    }

    /// For an event that must not hold up the answer: the audit line now, the row after.
    /// A failed sign-in is logged whether or not its row is ever written.
    pub fn log_now_save_later(self, pool: &AnyPool) {
        audit::log_event(&self.0);
        let pool = pool.clone();
        tokio::spawn(async move {
            if let Err(err) = store::events::insert(&pool, &self.0).await {
                tracing::warn!(error = %err, event_id = %self.0.id, "could not store a security event");
            }
        });
    }
}

impl AuthService {
    pub(super) fn event(&self, user_id: &UserId, kind: EventKind, now: i64) -> NewEvent {
        NewEvent(EventRow {
            id: EventId::generate(),
            user_id: user_id.clone(),
            kind,
            at: now,
            ip: None,
            device: None,
            session_id: None,
            reason: None,
            role: None,
            actor_id: None,
        })
    }
}

/// What the account's owner sees of a stored event: which administrator acted stays private.
pub(super) fn event_dto(row: EventRow) -> EventDto {
    EventDto {
        kind: row.kind,
        at: row.at,
        ip: row.ip,
        device: row.device,
        session_id: row.session_id.map(SessionId::into_string),
        reason: row.reason,
        role: row.role,
        by_admin: row.actor_id.is_some(),
    }
}
