use sqlx::{Any, Executor};

use super::ids::UserId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeletionRow {
    pub user_id: UserId,
    pub deleted_at: i64,
    /// The administrator who deleted the account; `None` when its owner did.
    pub deleted_by: Option<UserId>,
    pub ended_sessions: i64,
}

pub async fn record<'c>(
    ex: impl Executor<'c, Database = Any>,
    deletion: &DeletionRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO account_deletions (user_id, deleted_at, deleted_by, ended_sessions)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&deletion.user_id)
    .bind(deletion.deleted_at)
    .bind(&deletion.deleted_by)
    .bind(deletion.ended_sessions)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn get<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
) -> sqlx::Result<Option<DeletionRow>> {
    sqlx::query_as(
        "SELECT user_id, deleted_at, deleted_by, ended_sessions FROM account_deletions
         WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(ex)
    .await
}

/// Accounts deleted since `since`, to rebuild the revocation list: their sessions' rows are
/// gone, so this is what still says their access tokens must be refused.
pub async fn deleted_since<'c>(
    ex: impl Executor<'c, Database = Any>,
    since: i64,
) -> sqlx::Result<Vec<(UserId, i64)>> {
    sqlx::query_as("SELECT user_id, deleted_at FROM account_deletions WHERE deleted_at >= $1")
        .bind(since)
        .fetch_all(ex)
        .await
}

/// Retention: the statement behind `delete_before`, public so a test can check its plan.
pub const DELETE_BEFORE: &str = "DELETE FROM account_deletions WHERE user_id IN (
    SELECT user_id FROM account_deletions WHERE deleted_at < $1 LIMIT $2)";

/// Retention: deletes up to `limit` records of accounts deleted before `before`.
pub async fn delete_before<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(ex, DELETE_BEFORE, before, limit).await
}
