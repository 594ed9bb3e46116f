use contract::Role;
use sqlx::{Any, Executor};

use super::ids::UserId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub active_sessions: i64,
}

const COLUMNS: &str = "id, email, password_hash, role, disabled_at, created_at";

/// Inserts the user; `Ok(false)` when the email is taken.
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    user: &UserRow,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO users (id, email, password_hash, role, disabled_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(user.disabled_at)
    .bind(user.created_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_email<'c>(
    ex: impl Executor<'c, Database = Any>,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(ex)
        .await
}

pub async fn by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Takes the user's row lock (PostgreSQL) or the write lock (SQLite) if the password hash is
/// still `hash` and the account is enabled; false otherwise.
pub async fn lock_if_unchanged<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
    hash: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET updated_at = updated_at
         WHERE id = $1 AND password_hash = $2 AND disabled_at IS NULL",
    )
    .bind(id)
    .bind(hash)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the user's row lock (PostgreSQL; SQLite already holds its write lock), so every path
/// that creates or ends a user's sessions is serialised per user.
pub async fn lock<'c>(ex: impl Executor<'c, Database = Any>, id: &UserId) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the password hash only if it is still the one the caller verified against
/// (compare-and-swap), so a stale write can never bring back an old password.
pub async fn replace_password_hash<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
    verified: &str,
    new: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $3, updated_at = $4 WHERE id = $1 AND password_hash = $2",
    )
    .bind(id)
    .bind(verified)
    .bind(new)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password_hash<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
    hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

/// Sets the password hash unless the account is disabled (checked in the same statement, so
/// a disabling that commits first wins); false when it was not set.
pub async fn set_password_hash_if_enabled<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
    hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 AND disabled_at IS NULL",
    )
    .bind(id)
    .bind(hash)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_role<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
    role: Role,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET role = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(role.as_str())
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

pub async fn set_disabled_at<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
    disabled_at: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(disabled_at)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the account; its sessions (with their refresh tokens and addresses), events and
/// reset links go with it (ON DELETE CASCADE).
pub async fn delete<'c>(ex: impl Executor<'c, Database = Any>, id: &UserId) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes every administrator's row lock (PostgreSQL; SQLite holds its write lock), so changes
/// that could leave no administrator are serialised.
pub async fn lock_admins<'c>(ex: impl Executor<'c, Database = Any>) -> sqlx::Result<u64> {
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE role = 'admin'")
        .execute(ex)
        .await
        .map(|done| done.rows_affected())
}

/// Enabled administrators other than `id`.
pub async fn other_enabled_admins<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &UserId,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
    )
    .bind(id)
    .fetch_one(ex)
    .await
}

/// Users disabled since `since`, to rebuild the revocation list at start-up.
pub async fn disabled_since<'c>(
    ex: impl Executor<'c, Database = Any>,
    since: i64,
) -> sqlx::Result<Vec<(UserId, i64)>> {
    sqlx::query_as(
        "SELECT id, disabled_at FROM users WHERE disabled_at IS NOT NULL AND disabled_at >= $1",
    )
    .bind(since)
    .fetch_all(ex)
    .await
}

/// A page of users whose email contains `query`, newest first, with their live session count.
pub async fn search(
    pool: &sqlx::AnyPool,
    query: &str,
    offset: i64,
    limit: i64,
    now: i64,
) -> sqlx::Result<(Vec<UserSummary>, i64)> {
    let pattern = format!("%{}%", escape_like(&query.trim().to_lowercase()));
    let users = sqlx::query_as(&format!(
        "SELECT u.id, u.email, u.role, u.disabled_at, u.created_at,
                (SELECT COUNT(*) FROM sessions s
                  WHERE s.user_id = u.id AND {}) AS active_sessions
         FROM users u WHERE u.email LIKE $1 ESCAPE '\\'
         ORDER BY u.created_at DESC, u.id DESC LIMIT $2 OFFSET $3",
        super::sessions::live("s", "$4")
    ))
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .bind(now)
    .fetch_all(pool)
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email LIKE $1 ESCAPE '\\'")
            .bind(&pattern)
            .fetch_one(pool)
            .await?;
    Ok((users, total))
}

fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
