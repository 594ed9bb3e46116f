use sqlx::{Any, Executor};

/// A security event as stored. `reason`, `role` and `actor_id` are typed by the engine;
/// `detail` holds the free text of rows written before migration 0003.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub at: i64,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub session_id: Option<String>,
    pub reason: Option<String>,
    pub role: Option<String>,
    pub actor_id: Option<String>,
}

pub async fn insert<'c>(ex: impl Executor<'c, Database = Any>, e: &EventRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO security_events
             (id, user_id, kind, at, ip, device, session_id, reason, role, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&e.id)
    .bind(&e.user_id)
    .bind(&e.kind)
    .bind(e.at)
    .bind(&e.ip)
    .bind(&e.device)
    .bind(&e.session_id)
    .bind(&e.reason)
    .bind(&e.role)
    .bind(&e.actor_id)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Newest first; ids are UUIDv7 so they break ties in creation order.
pub async fn for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, user_id, kind, at, ip, device, session_id, reason, role, actor_id
         FROM security_events
         WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}
