//! The distinct addresses each session was used from, bounded per session.

use sqlx::{Any, Executor};

use super::ids::{SessionId, UserId};
use super::placeholders;
use super::sessions::ended_before;

/// Addresses kept per session; older ones give way to newer.
pub const MAX_PER_SESSION: i64 = 16;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AddressRow {
    pub ip: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
}

/// The addresses of every session of a user, for the sessions page.
pub async fn for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
) -> sqlx::Result<Vec<(SessionId, AddressRow)>> {
    let rows: Vec<(SessionId, String, i64, i64)> = sqlx::query_as(
        "SELECT a.session_id, a.ip, a.first_seen_at, a.last_seen_at
         FROM session_addresses a JOIN sessions s ON s.id = a.session_id
         WHERE s.user_id = $1",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(session, ip, first_seen_at, last_seen_at)| {
            (
                session,
                AddressRow {
                    ip,
                    first_seen_at,
                    last_seen_at,
                },
            )
        })
        .collect())
}

/// Newest first.
pub async fn for_session<'c>(
    ex: impl Executor<'c, Database = Any>,
    session_id: &SessionId,
) -> sqlx::Result<Vec<AddressRow>> {
    sqlx::query_as(
        "SELECT ip, first_seen_at, last_seen_at FROM session_addresses
         WHERE session_id = $1 ORDER BY last_seen_at DESC, ip",
    )
    .bind(session_id)
    .fetch_all(ex)
    .await
}

pub async fn record<'c>(
    ex: impl Executor<'c, Database = Any>,
    session_id: &SessionId,
    ip: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO session_addresses (session_id, ip, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $3)
         ON CONFLICT (session_id, ip) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(session_id)
    .bind(ip)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Keeps the `MAX_PER_SESSION` most recent addresses of a session.
pub async fn trim<'c>(
    ex: impl Executor<'c, Database = Any>,
    session_id: &SessionId,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM session_addresses WHERE session_id = $1 AND ip NOT IN (
             SELECT ip FROM session_addresses WHERE session_id = $1
             ORDER BY last_seen_at DESC, ip LIMIT $2)",
    )
    .bind(session_id)
    .bind(MAX_PER_SESSION)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Retention: deletes up to `limit` address rows of those of `sessions` that ended before
/// `cutoff`.
/// Explicit rather than left to `ON DELETE CASCADE`, which on SQLite holds only on connections
/// with `PRAGMA foreign_keys` on, and would make one session delete an unbounded amount of work.
pub async fn delete_for_ended_sessions<'c>(
    ex: impl Executor<'c, Database = Any>,
    sessions: &[SessionId],
    cutoff: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    if sessions.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "DELETE FROM session_addresses WHERE (session_id, ip) IN (
             SELECT session_id, ip FROM session_addresses WHERE session_id IN (
                 SELECT id FROM sessions WHERE id IN ({}) AND ({}))
             LIMIT $1)",
        placeholders(3, sessions.len()),
        ended_before("$2")
    );
    let mut query = sqlx::query(&sql).bind(limit).bind(cutoff);
    for id in sessions {
        query = query.bind(id);
    }
    query.execute(ex).await.map(|done| done.rows_affected())
}
