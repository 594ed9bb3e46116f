use sqlx::{Any, Executor};

use super::ids::{SessionId, TokenId};
use super::placeholders;
use super::sessions::ended_before;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: TokenId,
    pub session_id: SessionId,
    pub parent_id: Option<TokenId>,
    pub used_at: Option<i64>,
    pub successor_sealed: Option<Vec<u8>>,
    /// Who consumed the token (see `auth::binding`); NULL for rows consumed by older versions.
    pub consumer_fingerprint: Option<Vec<u8>>,
    pub grace_replays: i64,
}

/// The token a successful `consume` marked used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consumed {
    pub id: TokenId,
    pub session_id: SessionId,
    pub parent_id: Option<TokenId>,
}

const COLUMNS: &str =
    "id, session_id, parent_id, used_at, successor_sealed, consumer_fingerprint, grace_replays";

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &TokenId,
    session_id: &SessionId,
    digest: &[u8],
    parent_id: Option<&TokenId>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(session_id)
    .bind(digest)
    .bind(parent_id)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Marks the token used if, and only if, nobody has yet. This conditional update is what makes
/// rotation single-winner: PostgreSQL serialises it on the row lock, SQLite on its write lock.
/// Marks the token used and stores its successor sealed under it, in one statement; `None`
/// if it was already used (or never existed).
pub async fn consume<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &[u8],
    now: i64,
    consumer_fingerprint: &[u8],
    sealed_successor: &[u8],
) -> sqlx::Result<Option<Consumed>> {
    sqlx::query_as(
        "UPDATE refresh_tokens SET used_at = $2, consumer_fingerprint = $3, successor_sealed = $4
         WHERE token_hash = $1 AND used_at IS NULL
         RETURNING id, session_id, parent_id",
    )
    .bind(digest)
    .bind(now)
    .bind(consumer_fingerprint)
    .bind(sealed_successor)
    .fetch_optional(ex)
    .await
}

pub async fn find<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &[u8],
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM refresh_tokens WHERE token_hash = $1"
    ))
    .bind(digest)
    .fetch_optional(ex)
    .await
}

/// Stores the sealed successor of `id`, or clears it with `None`: once the successor has itself
/// been rotated nobody may replay `id` any more, and a sealed value kept longer would only let
/// a database dump plus an old token walk the chain to the live one.
pub async fn set_successor<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &TokenId,
    sealed: Option<&[u8]>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE refresh_tokens SET successor_sealed = $2 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .execute(ex)
        .await
        .map(|_| ())
}

/// Maintenance: sealed successors whose grace window has passed can never be served again.
pub async fn clear_stale_successors<'c>(
    ex: impl Executor<'c, Database = Any>,
    used_before: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE refresh_tokens SET successor_sealed = NULL
         WHERE successor_sealed IS NOT NULL AND used_at < $1",
    )
    .bind(used_before)
    .execute(ex)
    .await
    .map(|done| done.rows_affected())
}

/// Counts one more grace replay of `id`; false once `max` replays were served.
pub async fn count_grace_replay<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &TokenId,
    max: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET grace_replays = grace_replays + 1
         WHERE id = $1 AND grace_replays < $2",
    )
    .bind(id)
    .bind(max)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// True when the token's successor has not been rotated yet, i.e. the token is the immediate
/// parent of the session's live refresh token.
pub async fn successor_unused<'c>(
    ex: impl Executor<'c, Database = Any>,
    parent_id: &TokenId,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE parent_id = $1 AND used_at IS NULL",
    )
    .bind(parent_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Retention: the statement behind `delete_rotated_before`, public so a test can check its plan.
/// `used_at IS NOT NULL` keeps every session's live token out, whatever the cutoff.
pub const DELETE_ROTATED_BEFORE: &str = "DELETE FROM refresh_tokens WHERE id IN (
    SELECT id FROM refresh_tokens WHERE used_at IS NOT NULL AND used_at < $1 LIMIT $2)";

/// Retention: deletes up to `limit` tokens rotated before `used_before`. A deleted token is
/// unknown from then on: presented again it is refused as invalid, no longer detected as reuse.
pub async fn delete_rotated_before<'c>(
    ex: impl Executor<'c, Database = Any>,
    used_before: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(DELETE_ROTATED_BEFORE)
        .bind(used_before)
        .bind(limit)
        .execute(ex)
        .await
        .map(|done| done.rows_affected())
}

/// Retention: deletes up to `limit` tokens of those of `sessions` that ended before `cutoff`
/// (checked again here, so a live session's tokens can never go this way). Explicit rather than
/// left to `ON DELETE CASCADE` so each batch's work stays bounded (see `session_addresses`).
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
        "DELETE FROM refresh_tokens WHERE id IN (
             SELECT id FROM refresh_tokens WHERE session_id IN (
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
