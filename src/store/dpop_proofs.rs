//! Proof ids (`jti`) already accepted, per device key, until they are too old to pass anyway.

use sqlx::{Any, Executor};

use super::ids::UserId;

/// Records a proof id; false when this key already used it (a replayed proof).
pub async fn remember<'c>(
    ex: impl Executor<'c, Database = Any>,
    jkt: &str,
    jti: &str,
    expires_at: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO dpop_proofs (jkt, jti, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (jkt, jti) DO NOTHING",
    )
    .bind(jkt)
    .bind(jti)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the proof ids of every device key the user's sessions were bound to.
pub async fn forget_for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM dpop_proofs WHERE jkt IN
             (SELECT dpop_jkt FROM sessions WHERE user_id = $1 AND dpop_jkt IS NOT NULL)",
    )
    .bind(user_id)
    .execute(ex)
    .await
    .map(|done| done.rows_affected())
}

/// Retention: the statement behind `forget_expired`, public so a test can check its plan.
pub const FORGET_EXPIRED: &str = "DELETE FROM dpop_proofs WHERE (jkt, jti) IN (
    SELECT jkt, jti FROM dpop_proofs WHERE expires_at < $1 LIMIT $2)";

/// Retention: forgets up to `limit` ids whose proofs would be refused as stale anyway.
pub async fn forget_expired<'c>(
    ex: impl Executor<'c, Database = Any>,
    now: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(ex, FORGET_EXPIRED, now, limit).await
}
