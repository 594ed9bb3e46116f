//! One retention sweep at a time. Its deletes are idempotent, so two sweeps at once would be
//! correct, only wasteful: on PostgreSQL every instance would scan and delete the same rows.

use sqlx::pool::PoolConnection;
use sqlx::Any;

use super::{Db, Dialect};

/// The PostgreSQL advisory lock the sweep holds: "latchkey" in ASCII, recognisable in
/// `pg_locks` (`objid` and `classid` are its halves).
pub const SWEEP_LOCK_KEY: i64 = 0x6c61_7463_686b_6579;

/// Held while a sweep runs.
pub struct SweepLock {
    _turn: tokio::sync::OwnedMutexGuard<()>,
    /// PostgreSQL: the connection holding the session-level advisory lock. It is closed, not
    /// returned to the pool, when dropped: a pooled connection still holding the lock would
    /// block every instance's sweep until it happened to close.
    held: Option<PoolConnection<Any>>,
}

impl SweepLock {
    /// Lets the next sweep (here or on another instance) start at once. Dropping the lock also
    /// releases it, as soon as its connection has closed.
    pub async fn release(mut self) {
        if let Some(conn) = self.held.as_mut() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(SWEEP_LOCK_KEY)
                .execute(&mut **conn)
                .await;
            if let Err(err) = unlocked {
                tracing::debug!(error = %err, "releasing the sweep lock failed; closing its connection releases it");
            }
        }
    }
}

impl Db {
    /// The sweep lock, or `None` while a sweep holds it: in this process, or on PostgreSQL in any
    /// instance. SQLite needs no lock across processes: one server owns the file
    /// (`claim_single_server`), and the admin CLI never sweeps.
    pub async fn try_sweep_lock(&self) -> sqlx::Result<Option<SweepLock>> {
        let Ok(turn) = self.sweeper.clone().try_lock_owned() else {
            return Ok(None);
        };
        let held = match self.dialect {
            Dialect::Sqlite => None,
            Dialect::Postgres => {
                let mut conn = self.pool.acquire().await?;
                conn.close_on_drop();
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(SWEEP_LOCK_KEY)
                    .fetch_one(&mut *conn)
                    .await?;
                if !locked {
                    return Ok(None);
                }
                Some(conn)
            }
        };
        Ok(Some(SweepLock { _turn: turn, held }))
    }
}
