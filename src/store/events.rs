use contract::{EventKind, RevokeReason, Role};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::decode::optional_enum;
use super::ids::{EventId, SessionId, UserId};

/// A security event as stored. Rows written before migration 0003 keep their free text in
/// `detail`, which this version never reads.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: EventId,
    pub user_id: UserId,
    pub kind: EventKind,
    pub at: i64,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub session_id: Option<SessionId>,
    pub reason: Option<RevokeReason>,
    pub role: Option<Role>,
    /// The administrator who acted, if one did.
    pub actor_id: Option<UserId>,
}

impl EventRow {
    /// `None` for a kind this version does not know (written by a newer one during a rolling
    /// upgrade): such events are left out rather than failing the whole list.
    fn decode(row: &AnyRow) -> sqlx::Result<Option<Self>> {
        let Some(kind) = optional_enum(row, "kind")? else {
            return Ok(None);
        };
        Ok(Some(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            kind,
            at: row.try_get("at")?,
            ip: row.try_get("ip")?,
            device: row.try_get("device")?,
            session_id: row.try_get("session_id")?,
            reason: optional_enum(row, "reason")?,
            role: optional_enum(row, "role")?,
            actor_id: row.try_get("actor_id")?,
        }))
    }
}

pub async fn insert<'c>(ex: impl Executor<'c, Database = Any>, e: &EventRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO security_events
             (id, user_id, kind, at, ip, device, session_id, reason, role, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&e.id)
    .bind(&e.user_id)
    .bind(e.kind.as_str())
    .bind(e.at)
    .bind(&e.ip)
    .bind(&e.device)
    .bind(&e.session_id)
    .bind(e.reason.map(RevokeReason::as_str))
    .bind(e.role.map(Role::as_str))
    .bind(&e.actor_id)
    .execute(ex)
    .await
    .map(|_| ())
}

/// One page, newest first; ids are UUIDv7 so they break ties in creation order.
pub async fn for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    let rows = sqlx::query(
        "SELECT id, user_id, kind, at, ip, device, session_id, reason, role, actor_id
         FROM security_events
         WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(ex)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        events.extend(EventRow::decode(row)?);
    }
    Ok(events)
}

pub async fn count_for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(ex)
        .await
}

/// Retention: the statement behind `delete_before`, public so a test can check its plan.
pub const DELETE_BEFORE: &str = "DELETE FROM security_events WHERE id IN (
    SELECT id FROM security_events WHERE at < $1 LIMIT $2)";

/// Retention: deletes up to `limit` events that happened before `before`.
pub async fn delete_before<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(ex, DELETE_BEFORE, before, limit).await
}
