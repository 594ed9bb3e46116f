use sqlx::{Any, Executor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub public_x: String,
    pub created_at: i64,
    pub sign_until: i64,
    pub publish_until: i64,
}

pub async fn published<'c>(
    ex: impl Executor<'c, Database = Any>,
    now: i64,
) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_der, public_x, created_at, sign_until, publish_until
         FROM signing_keys WHERE publish_until > $1 ORDER BY created_at",
    )
    .bind(now)
    .fetch_all(ex)
    .await
}

pub async fn insert<'c>(ex: impl Executor<'c, Database = Any>, key: &KeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_der, public_x, created_at, sign_until, publish_until)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&key.kid)
    .bind(&key.private_der)
    .bind(&key.public_x)
    .bind(key.created_at)
    .bind(key.sign_until)
    .bind(key.publish_until)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn delete_unpublished<'c>(
    ex: impl Executor<'c, Database = Any>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM signing_keys WHERE publish_until <= $1")
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}
