//! Damage done to the database on purpose after the load (`--inject`), to show that each
//! invariant check fails when its invariant breaks. Never used in a normal run.

use sqlx::AnyPool;

use super::invariants::Expected;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Fault {
    /// A second unused refresh token for one live session.
    SecondLiveToken,
    /// One ended session made live again in the database.
    Unrevoke,
    /// One held session ended in the database behind the server's back.
    LoseSession,
    /// A reuse event nobody caused.
    ExtraReuseEvent,
}

pub async fn inject(fault: Fault, pool: &AnyPool, expected: &Expected) -> anyhow::Result<String> {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    let held = expected.alive.first();
    let ended = expected.ended.first();
    match fault {
        Fault::SecondLiveToken => {
            let session = held.ok_or_else(|| anyhow::anyhow!("no live session to damage"))?;
            let digest: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
            sqlx::query(
                "INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at)
                 VALUES ($1, $2, $3, NULL, $4)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&session.session_id)
            .bind(digest)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(format!(
                "a second live refresh token for session {}",
                session.session_id
            ))
        }
        Fault::Unrevoke => {
            let session = ended.ok_or_else(|| anyhow::anyhow!("no ended session to damage"))?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = NULL, revoke_reason = NULL WHERE id = $1",
            )
            .bind(&session.held.session_id)
            .execute(pool)
            .await?;
            Ok(format!(
                "session {} made live again",
                session.held.session_id
            ))
        }
        Fault::LoseSession => {
            let session = held.ok_or_else(|| anyhow::anyhow!("no live session to damage"))?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2, revoke_reason = 'user_revoked' WHERE id = $1",
            )
            .bind(&session.session_id)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(format!(
                "session {} ended behind the server's back",
                session.session_id
            ))
        }
        Fault::ExtraReuseEvent => {
            let user: String = sqlx::query_scalar("SELECT id FROM users LIMIT 1")
                .fetch_one(pool)
                .await?;
            sqlx::query(
                "INSERT INTO security_events (id, user_id, kind, at) VALUES ($1, $2, 'refresh_reused', $3)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&user)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(format!("a refresh_reused event for user {user}"))
        }
    }
}
