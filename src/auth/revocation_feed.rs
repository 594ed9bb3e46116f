//! Keeps the in-memory revocation list complete when other processes revoke too.
//!
//! PostgreSQL: every instance `LISTEN`s on one channel and every revoking transaction
//! `NOTIFY`s in it (delivered at commit). A lost connection marks the list stale, so bearer
//! checks ask the database; the feed reconnects with back-off, reloads the access TTL's worth of
//! revocations and only then marks the list current. Listening starts before the reload, so a
//! revocation committed in between is heard or read, never missed. A heartbeat sent through the
//! channel itself catches a connection that died without a word.
//!
//! SQLite: one server per database file (see `db::claim_single_server`), but the admin CLI is a
//! second process, so the server polls for revocations committed in the last moments.

use std::sync::{Arc, Weak};
use std::time::Duration;

use rand::Rng;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use crate::db::Dialect;
use crate::store;
use crate::store::revocation_notices::{Notice, CHANNEL};

use super::service::AuthService;

/// How often an instance checks that its own listener still hears the channel; a dead
/// connection is noticed within two beats.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How the feed's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "latchkey-revocation-feed";
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(10);
const SQLITE_POLL: Duration = Duration::from_secs(1);
/// Longer than SQLite's busy timeout: a CLI revocation stamped at `t` may commit that much later.
const SQLITE_POLL_OVERLAP_SECS: i64 = 10;

impl AuthService {
    /// Starts the feed that fills the revocation list with other processes' revocations; it
    /// stops when the service is dropped.
    pub fn spawn_revocation_feed(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let service = Arc::downgrade(self);
        match self.db.dialect {
            Dialect::Postgres => tokio::spawn(listen(service, self.db.url().to_owned())),
            Dialect::Sqlite => tokio::spawn(poll(service)),
        }
    }

    fn apply(&self, notice: Notice) {
        match notice {
            Notice::Sessions { ids, at } => {
                for id in &ids {
                    self.revocations.revoke_session(id, at);
                }
            }
            Notice::UserTokensBefore { user, before } => {
                self.revocations.revoke_user_tokens_before(&user, before)
            }
            Notice::Heartbeat { .. } => {}
        }
    }
}

async fn listen(service: Weak<AuthService>, url: String) {
    // Between the start-up reload and the first LISTEN another instance may have revoked.
    if let Some(service) = service.upgrade() {
        service.revocations.mark_stale();
    }
    let instance = format!("{:016x}", rand::thread_rng().gen::<u64>());
    let mut retry = FIRST_RETRY;
    loop {
        let lost = match connect_and_reload(&service, &url).await {
            Ok(Some(listener)) => {
                retry = FIRST_RETRY;
                match follow(&service, listener, &instance).await {
                    Some(lost) => lost,
                    None => return,
                }
            }
            Ok(None) => return,
            Err(err) => err,
        };
        let Some(svc) = service.upgrade() else {
            return;
        };
        if svc.revocations.mark_stale() {
            tracing::error!(
                reason = %lost,
                "revocation feed lost: bearer checks ask the database until it is back"
            );
        } else {
            tracing::warn!(reason = %lost, retry_in = ?retry, "revocation feed still down");
        }
        drop(svc);
        tokio::time::sleep(jittered(retry)).await;
        retry = (retry * 2).min(MAX_RETRY);
    }
}

/// Listens, then reloads; `Ok(None)` when the service is gone.
async fn connect_and_reload(
    service: &Weak<AuthService>,
    url: &str,
) -> Result<Option<PgListener>, String> {
    let options: PgConnectOptions = url
        .parse::<PgConnectOptions>()
        .map_err(|e| e.to_string())?
        .application_name(APPLICATION_NAME);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(options)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let mut listener = PgListener::connect_with(&pool)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    // A lost connection is handled here (reload, then current), not silently inside sqlx.
    listener.eager_reconnect(false);
    listener
        .listen(CHANNEL)
        .await
        .map_err(|e| format!("LISTEN: {e}"))?;
    let Some(svc) = service.upgrade() else {
        return Ok(None);
    };
    svc.reload_revocations()
        .await
        .map_err(|e| format!("reloading revocations: {e}"))?;
    if svc.revocations.mark_current() {
        tracing::info!("revocation feed connected; the in-memory revocation list is current");
    }
    Ok(Some(listener))
}

/// Applies notices until the connection is lost (the reason) or the service is gone (`None`).
async fn follow(
    service: &Weak<AuthService>,
    mut listener: PgListener,
    instance: &str,
) -> Option<String> {
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await;
    let mut awaiting_echo = false;
    loop {
        tokio::select! {
            received = listener.try_recv() => {
                let notification = match received {
                    Ok(Some(notification)) => notification,
                    Ok(None) => return Some("the connection closed".into()),
                    Err(err) => return Some(err.to_string()),
                };
                let svc = service.upgrade()?;
                match Notice::parse(notification.payload()) {
                    Some(Notice::Heartbeat { from }) => {
                        if from == instance {
                            awaiting_echo = false;
                        }
                    }
                    Some(notice) => svc.apply(notice),
                    None => {
                        // A newer instance's notice: what it revoked is in the database.
                        tracing::warn!(payload = notification.payload(), "unknown revocation notice; reloading");
                        if let Err(err) = svc.reload_revocations().await {
                            return Some(format!("reloading revocations: {err}"));
                        }
                    }
                }
            }
            _ = beat.tick() => {
                if awaiting_echo {
                    return Some(format!("own heartbeat not heard within {HEARTBEAT:?}"));
                }
                let svc = service.upgrade()?;
                let heartbeat = Notice::Heartbeat { from: instance.to_owned() };
                let sent = tokio::time::timeout(
                    HEARTBEAT,
                    store::revocation_notices::publish(&svc.db.pool, &heartbeat),
                );
                match sent.await {
                    Ok(Ok(())) => awaiting_echo = true,
                    Ok(Err(err)) => return Some(format!("sending a heartbeat: {err}")),
                    Err(_) => return Some("sending a heartbeat timed out".into()),
                }
            }
        }
    }
}

/// Retries spread out so instances that lost the database together do not return together.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(rand::thread_rng().gen_range(0.8..1.2))
}

async fn poll(service: Weak<AuthService>) {
    let mut tick = tokio::time::interval(SQLITE_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(svc) = service.upgrade() else {
            return;
        };
        let since = svc.now() - SQLITE_POLL_OVERLAP_SECS;
        if let Err(err) = svc.load_revocations_since(since).await {
            tracing::warn!(error = %err, "polling for revocations failed");
        }
    }
}
