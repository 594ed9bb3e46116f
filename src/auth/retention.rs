//! Storage that stays bounded: a sweep, every few minutes, deletes what no rule needs any more.
//!
//! - Refresh tokens rotated more than the reuse-detection window ago. Kept, such a token is
//!   what turns a replay into "session ended as stolen"; deleted, the same replay is an unknown
//!   token (401, it can never refresh) and the session lives on. The window is never shorter
//!   than the grace window, so the immediate parent is kept while it may still be answered with
//!   its successor; the live token (never used) is never a candidate.
//! - Sessions that ended (revoked or expired) more than the ended retention ago, with their
//!   refresh tokens and addresses. Never sooner than the revocation list's window: a restart
//!   rebuilds that list from the ended sessions whose access tokens may still be presented.
//! - Security events older than the event retention.
//! - DPoP proof ids whose proofs would be refused as stale anyway.
//!
//! Every batch is its own short write transaction of at most `BATCH_ROWS` rows, so on SQLite
//! the requests queued for the writer's turn wait for one batch, not for the whole sweep. The
//! deletes are idempotent; on PostgreSQL an advisory lock keeps other instances from sweeping
//! the same rows at the same time (they skip their pass).

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::store;
use crate::store::SessionId;

use super::error::AuthError;
use super::service::{AuthService, Tx};

/// Rows one batch deletes at most: a few milliseconds of SQLite's write lock.
pub const BATCH_ROWS: i64 = 500;
const SWEEP_EVERY_SECS: u64 = 300;
/// Soon after start, so a server that restarts often still sweeps.
const FIRST_SWEEP_AFTER_SECS: u64 = 30;
/// Spreads the passes of instances started together.
const JITTER_SECS: u64 = 60;

/// What one sweep deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub sessions: u64,
    /// Rotated tokens past the reuse-detection window, and every token of a deleted session.
    pub refresh_tokens: u64,
    pub session_addresses: u64,
    pub events: u64,
    pub dpop_proofs: u64,
    /// Password reset links past their expiry.
    pub reset_links: u64,
    /// Records of deleted accounts older than the event retention.
    pub account_deletions: u64,
    /// Write transactions used.
    pub batches: u64,
}

impl SweepReport {
    pub fn rows(&self) -> u64 {
        self.sessions
            + self.refresh_tokens
            + self.session_addresses
            + self.events
            + self.dpop_proofs
            + self.reset_links
            + self.account_deletions
    }
}

/// One kind of batch delete, run until a batch deletes fewer rows than it may.
enum Batch<'a> {
    RotatedTokens { used_before: i64 },
    EndedSessionTokens { ids: &'a [SessionId], cutoff: i64 },
    EndedSessionAddresses { ids: &'a [SessionId], cutoff: i64 },
    Events { before: i64 },
    DpopProofs { now: i64 },
    ResetLinks { expired_before: i64 },
    AccountDeletions { before: i64 },
}

impl Batch<'_> {
    async fn run(&self, tx: &mut Tx, limit: i64) -> sqlx::Result<u64> {
        match *self {
            Batch::RotatedTokens { used_before } => {
                store::refresh_tokens::delete_rotated_before(&mut **tx, used_before, limit).await
            }
            Batch::EndedSessionTokens { ids, cutoff } => {
                store::refresh_tokens::delete_for_ended_sessions(&mut **tx, ids, cutoff, limit)
                    .await
            }
            Batch::EndedSessionAddresses { ids, cutoff } => {
                store::session_addresses::delete_for_ended_sessions(&mut **tx, ids, cutoff, limit)
                    .await
            }
            Batch::Events { before } => {
                store::events::delete_before(&mut **tx, before, limit).await
            }
            Batch::DpopProofs { now } => {
                store::dpop_proofs::forget_expired(&mut **tx, now, limit).await
            }
            Batch::ResetLinks { expired_before } => {
                store::reset_links::delete_expired(&mut **tx, expired_before, limit).await
            }
            Batch::AccountDeletions { before } => {
                store::account_deletions::delete_before(&mut **tx, before, limit).await
            }
        }
    }
}

impl AuthService {
    /// One sweep at `now`, in batches of `BATCH_ROWS`; `None` when another sweep holds the lock.
    pub async fn sweep(&self, now: i64) -> Result<Option<SweepReport>, AuthError> {
        self.sweep_in_batches(now, BATCH_ROWS).await
    }

    /// `sweep` with another batch size (tests use small ones to cross batch boundaries).
    pub async fn sweep_in_batches(
        &self,
        now: i64,
        batch_rows: i64,
    ) -> Result<Option<SweepReport>, AuthError> {
        let Some(lock) = self.db.try_sweep_lock().await? else {
            return Ok(None);
        };
        let mut report = SweepReport::default();
        let swept = self.sweep_locked(now, batch_rows.max(1), &mut report).await;
        lock.release().await;
        swept.map(|()| Some(report))
    }

    async fn sweep_locked(
        &self,
        now: i64,
        limit: i64,
        report: &mut SweepReport,
    ) -> Result<(), AuthError> {
        let settings = &self.settings;
        // Configuration already keeps these apart; the floors hold for any `AuthSettings`.
        let reuse_window = settings.reuse_detection_secs.max(settings.grace_secs);
        let ended_retention = settings
            .ended_retention_secs
            .max(self.revocations.window_secs());

        report.refresh_tokens += self
            .until_done(
                Batch::RotatedTokens {
                    used_before: now - reuse_window,
                },
                limit,
                report,
            )
            .await?;
        self.delete_ended_sessions(now - ended_retention, limit, report)
            .await?;
        report.events += self
            .until_done(
                Batch::Events {
                    before: now - settings.event_retention_secs,
                },
                limit,
                report,
            )
            .await?;
        report.dpop_proofs += self
            .until_done(Batch::DpopProofs { now }, limit, report)
            .await?;
        report.reset_links += self
            .until_done(
                Batch::ResetLinks {
                    expired_before: now,
                },
                limit,
                report,
            )
            .await?;
        // A deletion record is an audit record, kept like events; and at least as long as the
        // deleted account's access tokens could be presented, since a restart rebuilds their
        // refusal from it.
        let deletions_before = now
            - settings
                .event_retention_secs
                .max(self.revocations.window_secs());
        report.account_deletions += self
            .until_done(
                Batch::AccountDeletions {
                    before: deletions_before,
                },
                limit,
                report,
            )
            .await?;
        Ok(())
    }

    /// Sessions that ended before `cutoff`, a batch at a time: their tokens and addresses
    /// (themselves in batches, since an ended session may hold many rotated tokens when the
    /// reuse window is the longer one), then the session rows.
    async fn delete_ended_sessions(
        &self,
        cutoff: i64,
        limit: i64,
        report: &mut SweepReport,
    ) -> Result<(), AuthError> {
        loop {
            // A plain read: a session that ended before `cutoff` stays ended, so the ids are
            // still right when the deletes below run.
            let ids = store::sessions::ended_before_batch(&self.db.pool, cutoff, limit).await?;
            if ids.is_empty() {
                return Ok(());
            }
            report.refresh_tokens += self
                .until_done(
                    Batch::EndedSessionTokens { ids: &ids, cutoff },
                    limit,
                    report,
                )
                .await?;
            report.session_addresses += self
                .until_done(
                    Batch::EndedSessionAddresses { ids: &ids, cutoff },
                    limit,
                    report,
                )
                .await?;
            let mut tx = self.begin().await?;
            let deleted = store::sessions::delete_ended(&mut *tx, &ids, cutoff).await?;
            tx.commit().await?;
            report.batches += 1;
            report.sessions += deleted;
            // `deleted == 0` cannot happen (the ids were chosen by the same condition), but if
            // it did the same ids would come back forever.
            if (ids.len() as i64) < limit || deleted == 0 {
                return Ok(());
            }
            tokio::task::yield_now().await;
        }
    }

    /// Runs `batch` in transactions of at most `limit` rows until one deletes fewer.
    async fn until_done(
        &self,
        batch: Batch<'_>,
        limit: i64,
        report: &mut SweepReport,
    ) -> Result<u64, AuthError> {
        let mut deleted = 0;
        loop {
            let mut tx = self.begin().await?;
            let rows = batch.run(&mut tx, limit).await?;
            tx.commit().await?;
            report.batches += 1;
            deleted += rows;
            if rows < limit as u64 {
                return Ok(deleted);
            }
            // Lets the writers queued behind this batch go before the next one.
            tokio::task::yield_now().await;
        }
    }

    /// Sweeps every few minutes until the service is dropped. A failed pass (the database is
    /// away) is logged and tried again at the next one.
    pub fn spawn_retention(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let service = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut wait = jittered(FIRST_SWEEP_AFTER_SECS);
            loop {
                tokio::time::sleep(wait).await;
                let Some(service) = service.upgrade() else {
                    return;
                };
                service.sweep_and_log().await;
                wait = jittered(SWEEP_EVERY_SECS);
            }
        })
    }

    async fn sweep_and_log(&self) {
        match self.sweep(self.now()).await {
            Ok(Some(report)) if report.rows() > 0 => tracing::info!(
                sessions = report.sessions,
                refresh_tokens = report.refresh_tokens,
                session_addresses = report.session_addresses,
                events = report.events,
                dpop_proofs = report.dpop_proofs,
                reset_links = report.reset_links,
                account_deletions = report.account_deletions,
                batches = report.batches,
                "retention sweep deleted {} rows",
                report.rows()
            ),
            Ok(Some(_)) => tracing::debug!("retention sweep: nothing to delete"),
            Ok(None) => tracing::debug!("retention sweep skipped: another one is running"),
            Err(err) => {
                tracing::warn!(error = %err, "retention sweep failed; trying again at the next pass")
            }
        }
    }
}

fn jittered(secs: u64) -> Duration {
    Duration::from_secs(secs + rand::thread_rng().gen_range(0..=JITTER_SECS))
}
