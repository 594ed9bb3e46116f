use sqlx::{Any, Executor};

use super::ids::UserId;

/// A reset link as stored: never the token, only its digest's row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetLinkRow {
    pub id: String,
    pub user_id: UserId,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_by: Option<UserId>,
}

pub struct NewResetLink<'a> {
    pub id: &'a str,
    pub user_id: &'a UserId,
    pub digest: &'a [u8],
    pub created_at: i64,
    pub expires_at: i64,
    pub created_by: Option<&'a UserId>,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    link: &NewResetLink<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO password_reset_links (id, user_id, token_hash, created_at, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(link.id)
    .bind(link.user_id)
    .bind(link.digest)
    .bind(link.created_at)
    .bind(link.expires_at)
    .bind(link.created_by)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Forgets the account's links that were never used: only the newest link may work.
pub async fn void_unused<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM password_reset_links WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .execute(ex)
        .await
        .map(|done| done.rows_affected())
}

pub async fn find<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &[u8],
) -> sqlx::Result<Option<ResetLinkRow>> {
    sqlx::query_as(
        "SELECT id, user_id, expires_at, used_at, created_by
         FROM password_reset_links WHERE token_hash = $1",
    )
    .bind(digest)
    .fetch_optional(ex)
    .await
}

/// Marks the link used if, and only if, it is still unused and unexpired: one conditional
/// UPDATE, so of two concurrent redemptions exactly one wins (PostgreSQL serialises them on
/// the row lock, SQLite on its write lock). `false` when it was not.
pub async fn consume<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE password_reset_links SET used_at = $2
         WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Retention: the statement behind `delete_expired`, public so a test can check its plan.
pub const DELETE_EXPIRED: &str = "DELETE FROM password_reset_links WHERE id IN (
    SELECT id FROM password_reset_links WHERE expires_at < $1 LIMIT $2)";

/// Retention: deletes up to `limit` links that expired before `before`, used or not: neither
/// can open anything any more.
pub async fn delete_expired<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(ex, DELETE_EXPIRED, before, limit).await
}
