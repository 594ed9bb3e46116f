use sqlx::{Any, Executor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    /// Plain PKCS#8 as written before keys were sealed; emptied once sealed.
    pub private_der: Vec<u8>,
    /// PKCS#8 sealed under the key-encryption key (see `auth::key_encryption`).
    pub private_sealed: Option<Vec<u8>>,
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
        "SELECT kid, private_der, private_sealed, public_x, created_at, sign_until, publish_until
         FROM signing_keys WHERE publish_until > $1 ORDER BY created_at",
    )
    .bind(now)
    .fetch_all(ex)
    .await
}

pub async fn insert<'c>(ex: impl Executor<'c, Database = Any>, key: &KeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_der, private_sealed, public_x, created_at, sign_until, publish_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&key.kid)
    .bind(&key.private_der)
    .bind(&key.private_sealed)
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

/// Rows an older version wrote in plain text, across every key ever stored.
pub async fn unsealed<'c>(ex: impl Executor<'c, Database = Any>) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_der, private_sealed, public_x, created_at, sign_until, publish_until
         FROM signing_keys WHERE private_sealed IS NULL",
    )
    .fetch_all(ex)
    .await
}

/// Replaces a plain private key by its sealed form, unless another instance already did.
pub async fn seal<'c>(
    ex: impl Executor<'c, Database = Any>,
    kid: &str,
    sealed: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE signing_keys SET private_sealed = $2, private_der = $3
         WHERE kid = $1 AND private_sealed IS NULL",
    )
    .bind(kid)
    .bind(sealed)
    .bind(Vec::<u8>::new())
    .execute(ex)
    .await
    .map(|_| ())
}
