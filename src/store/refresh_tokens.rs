use sqlx::{Any, Executor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub session_id: String,
    pub used_at: Option<i64>,
    pub successor_sealed: Option<Vec<u8>>,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
    session_id: &str,
    digest: &[u8],
    parent_id: Option<&str>,
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
pub async fn consume<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &[u8],
    now: i64,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL RETURNING id, session_id",
    )
    .bind(digest)
    .bind(now)
    .fetch_optional(ex)
    .await
}

pub async fn find<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &[u8],
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as("SELECT id, session_id, used_at, successor_sealed FROM refresh_tokens WHERE token_hash = $1")
        .bind(digest)
        .fetch_optional(ex)
        .await
}

pub async fn set_successor<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
    sealed: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("UPDATE refresh_tokens SET successor_sealed = $2 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .execute(ex)
        .await
        .map(|_| ())
}

/// True when the token's successor has not been rotated yet, i.e. the token is the immediate
/// parent of the session's live refresh token.
pub async fn successor_unused<'c>(
    ex: impl Executor<'c, Database = Any>,
    parent_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE parent_id = $1 AND used_at IS NULL",
    )
    .bind(parent_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}
