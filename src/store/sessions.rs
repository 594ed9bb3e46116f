use contract::RevokeReason;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, FromRow, Row};

use super::decode::optional_enum;
use super::ids::{SessionId, UserId};
use super::placeholders;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: i64,
    pub last_active_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub user_agent: String,
    pub device: String,
    pub ip: String,
    pub revoked_at: Option<i64>,
    /// `None` while live, or when a newer version wrote a reason this one does not know.
    pub revoke_reason: Option<RevokeReason>,
    /// The administrator who ended it.
    pub revoked_by: Option<UserId>,
    /// The thumbprint of the device key the session is bound to (DPoP); `None`: unbound.
    pub dpop_jkt: Option<String>,
    /// The address it signed in from (`ip` is the latest).
    pub first_ip: String,
}

impl<'r> FromRow<'r, AnyRow> for SessionRow {
    fn from_row(row: &'r AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            created_at: row.try_get("created_at")?,
            last_active_at: row.try_get("last_active_at")?,
            idle_expires_at: row.try_get("idle_expires_at")?,
            absolute_expires_at: row.try_get("absolute_expires_at")?,
            user_agent: row.try_get("user_agent")?,
            device: row.try_get("device")?,
            ip: row.try_get("ip")?,
            revoked_at: row.try_get("revoked_at")?,
            revoke_reason: optional_enum(row, "revoke_reason")?,
            revoked_by: row.try_get("revoked_by")?,
            dpop_jkt: row.try_get("dpop_jkt")?,
            first_ip: row.try_get("first_ip")?,
        })
    }
}

impl SessionRow {
    /// When the session stops being usable if nothing else happens: the earlier of its idle
    /// and absolute expiry. Computed here and nowhere else.
    pub fn expires_at(&self) -> i64 {
        self.idle_expires_at.min(self.absolute_expires_at)
    }
}

/// The SQL twin of the engine's `Liveness::of`: a session of table alias `table` is live at
/// the bound parameter `now` (e.g. `"$2"`). Every query that means "live" uses this.
pub fn live(table: &str, now: &str) -> String {
    let prefix = if table.is_empty() {
        String::new()
    } else {
        format!("{table}.")
    };
    format!(
        "{prefix}revoked_at IS NULL AND {prefix}idle_expires_at > {now} \
         AND {prefix}absolute_expires_at > {now}"
    )
}

/// Sessions that ended before the bound parameter `cutoff`: revoked before it, or idle- or
/// absolute-expired before it (what `SessionRow::expires_at` takes the earlier of). Once true
/// it stays true: a revoked session is never un-revoked and `touch` extends only live ones. Each
/// term of the OR has its own index (migrations 0001 and 0006).
pub fn ended_before(cutoff: &str) -> String {
    format!(
        "(revoked_at IS NOT NULL AND revoked_at < {cutoff}) \
         OR idle_expires_at < {cutoff} OR absolute_expires_at < {cutoff}"
    )
}

/// Retention: the query behind `ended_before_batch`, public so a test can check its plan.
pub fn ended_before_batch_sql() -> String {
    format!(
        "SELECT id FROM sessions WHERE {} LIMIT $2",
        ended_before("$1")
    )
}

/// Retention: up to `limit` sessions that ended before `cutoff`.
pub async fn ended_before_batch<'c>(
    ex: impl Executor<'c, Database = Any>,
    cutoff: i64,
    limit: i64,
) -> sqlx::Result<Vec<SessionId>> {
    sqlx::query_scalar(&ended_before_batch_sql())
        .bind(cutoff)
        .bind(limit)
        .fetch_all(ex)
        .await
}

/// Retention: deletes those of `ids` that ended before `cutoff` (checked again here, so a
/// caller's mistake can never delete a live session). Their tokens and addresses go first
/// (`refresh_tokens::delete_for_ended_sessions`, `session_addresses::…`).
pub async fn delete_ended<'c>(
    ex: impl Executor<'c, Database = Any>,
    ids: &[SessionId],
    cutoff: i64,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "DELETE FROM sessions WHERE id IN ({}) AND ({})",
        placeholders(2, ids.len()),
        ended_before("$1")
    );
    let mut query = sqlx::query(&sql).bind(cutoff);
    for id in ids {
        query = query.bind(id);
    }
    query.execute(ex).await.map(|done| done.rows_affected())
}

const COLUMNS: &str =
    "id, user_id, created_at, last_active_at, idle_expires_at, absolute_expires_at, \
                       user_agent, device, ip, revoked_at, revoke_reason, revoked_by, \
                       dpop_jkt, first_ip";

pub async fn insert<'c>(ex: impl Executor<'c, Database = Any>, s: &SessionRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_expires_at, absolute_expires_at,
                               user_agent, device, ip, dpop_jkt, first_ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9)",
    )
    .bind(&s.id)
    .bind(&s.user_id)
    .bind(s.created_at)
    .bind(s.last_active_at)
    .bind(s.idle_expires_at)
    .bind(s.absolute_expires_at)
    .bind(&s.user_agent)
    .bind(&s.device)
    .bind(&s.ip)
    .bind(&s.dpop_jkt)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn get<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &SessionId,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM sessions WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Sessions that are neither revoked nor expired, newest first.
pub async fn active_for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
    now: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 AND {}
         ORDER BY last_active_at DESC, id DESC",
        live("", "$2")
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(ex)
    .await
}

/// Sessions that ended (revoked, or expired without anyone noticing) since `since`.
pub async fn ended_for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
    now: i64,
    since: i64,
    limit: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sessions
         WHERE user_id = $1 AND (revoked_at IS NOT NULL OR idle_expires_at <= $2 OR absolute_expires_at <= $2)
           AND last_active_at >= $3
         ORDER BY COALESCE(revoked_at, idle_expires_at) DESC, id DESC LIMIT $4"
    ))
    .bind(user_id)
    .bind(now)
    .bind(since)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Marks one live session revoked; false when it was already ended.
pub async fn revoke<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &SessionId,
    reason: RevokeReason,
    by: Option<&UserId>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $2, revoke_reason = $3, revoked_by = $4
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(reason.as_str())
    .bind(by)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of a user except `keep`, returning the ids it ended.
pub async fn revoke_all_for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
    keep: Option<&SessionId>,
    reason: RevokeReason,
    by: Option<&UserId>,
    now: i64,
) -> sqlx::Result<Vec<SessionId>> {
    sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = $3, revoke_reason = $4, revoked_by = $5
         WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2
         RETURNING id",
    )
    .bind(user_id)
    .bind(keep.map_or("", SessionId::as_str))
    .bind(now)
    .bind(reason.as_str())
    .bind(by)
    .fetch_all(ex)
    .await
}

/// Records activity on a live session; false when the session is no longer live (revoked or
/// expired, possibly by a transaction that committed after the caller read it).
pub async fn touch<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &SessionId,
    now: i64,
    idle_expires_at: i64,
    ip: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(&format!(
        "UPDATE sessions SET last_active_at = $2, idle_expires_at = $3, ip = $4
         WHERE id = $1 AND {}",
        live("", "$2")
    ))
    .bind(id)
    .bind(now)
    .bind(idle_expires_at)
    .bind(ip)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sessions revoked since `since`, to rebuild the in-memory revocation list.
pub async fn revoked_since<'c>(
    ex: impl Executor<'c, Database = Any>,
    since: i64,
) -> sqlx::Result<Vec<(SessionId, i64)>> {
    sqlx::query_as(
        "SELECT id, revoked_at FROM sessions WHERE revoked_at IS NOT NULL AND revoked_at >= $1",
    )
    .bind(since)
    .fetch_all(ex)
    .await
}

/// The user agents and addresses of a user's most recent sessions, ended ones included.
pub async fn recent_clients<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: &UserId,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT user_agent, ip FROM sessions WHERE user_id = $1
         ORDER BY last_active_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}
