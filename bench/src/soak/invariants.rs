//! After the load stops: what the database holds and what the server answers must agree with
//! what the simulated users did. Over HTTP first (every ended session's last tokens refused,
//! every held session still refreshing), then in the database, so the checks' own calls are
//! part of what the database is checked for.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use tokio::task::JoinSet;

use super::api::{Answer, Api};
use super::tally::{Ended, Held};

/// What the users believe, gathered from all of them.
pub struct Expected {
    pub alive: Vec<Held>,
    pub ended: Vec<Ended>,
    pub abandoned: BTreeSet<String>,
    pub deliberate_reuse: u64,
    pub grace_replays: u64,
}

pub struct Check {
    pub name: &'static str,
    /// What was checked, in numbers.
    pub detail: String,
    pub problems: Vec<String>,
}

impl Check {
    fn new(name: &'static str) -> Check {
        Check {
            name,
            detail: String::new(),
            problems: Vec::new(),
        }
    }
}

pub async fn connect(database_url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(2)
        .connect(database_url)
        .await
        .map_err(|err| anyhow::anyhow!("could not open the soak's database {database_url}: {err}"))
}

pub async fn check_all(
    api: &Api,
    pool: &AnyPool,
    expected: &Expected,
) -> anyhow::Result<Vec<Check>> {
    let mut checks = vec![
        ended_sessions_refused(api, &expected.ended).await,
        held_sessions_alive(api, &expected.alive).await,
    ];
    checks.push(one_live_token_per_session(pool).await?);
    checks.push(sessions_match(pool, expected).await?);
    checks.push(events_match(pool, expected).await?);
    Ok(checks)
}

/// Every session the script ended: its newest refresh cookie and its last access token are
/// refused, with the code its reason calls for.
async fn ended_sessions_refused(api: &Api, ended: &[Ended]) -> Check {
    let mut check = Check::new("ended sessions refuse their last refresh cookie and access token");
    let mut calls = JoinSet::new();
    for session in ended.iter().cloned() {
        let api = api.clone();
        calls.spawn(async move {
            let held = &session.held;
            let refreshed = api.refresh(held.ua, &held.cookie).await;
            let listed = api
                .bearer("/api/sessions/list", held.ua, &held.access, &json!({}))
                .await;
            let (code, reason) = if session.reason == "refresh_reused" {
                ("refresh_reused", None)
            } else {
                ("session_revoked", Some(session.reason))
            };
            let mut problems = Vec::new();
            match refreshed {
                Ok(a)
                    if a.status == 401
                        && a.code() == code
                        && (reason.is_none() || a.reason() == reason) => {}
                Ok(a) => problems.push(format!(
                    "user {}'s session {} (ended for {}): refresh answered {}",
                    held.user,
                    held.session_id,
                    session.reason,
                    a.describe()
                )),
                Err(err) => problems.push(format!(
                    "session {}: refresh got no answer: {err}",
                    held.session_id
                )),
            }
            match listed {
                Ok(a) if a.status == 401 && a.code() == "session_revoked" => {}
                Ok(a) => problems.push(format!(
                    "user {}'s session {} (ended for {}): its access token answered {}",
                    held.user,
                    held.session_id,
                    session.reason,
                    a.describe()
                )),
                Err(err) => problems.push(format!(
                    "session {}: bearer call got no answer: {err}",
                    held.session_id
                )),
            }
            problems
        });
    }
    while let Some(joined) = calls.join_next().await {
        check
            .problems
            .extend(joined.unwrap_or_else(|err| vec![format!("a check task failed: {err}")]));
    }
    check.detail = format!("{} ended sessions, 2 calls each", ended.len());
    check
}

/// No session lost: every session a device holds refreshes once more, and its new access
/// token works.
async fn held_sessions_alive(api: &Api, alive: &[Held]) -> Check {
    let mut check = Check::new("every held session still refreshes and its access token works");
    let mut calls = JoinSet::new();
    for held in alive.iter().cloned() {
        let api = api.clone();
        calls.spawn(async move {
            let refreshed = api.refresh(held.ua, &held.cookie).await;
            let signin = refreshed
                .as_ref()
                .ok()
                .filter(|a| a.status == 200)
                .and_then(Answer::signin);
            let Some(access) = signin
                .filter(|s| s.session_id == held.session_id)
                .map(|s| s.access)
            else {
                return Some(format!(
                    "user {}'s session {}: refresh answered {}",
                    held.user,
                    held.session_id,
                    describe(&refreshed)
                ));
            };
            match api
                .bearer("/api/sessions/list", held.ua, &access, &json!({}))
                .await
            {
                Ok(a) if a.status == 200 => None,
                other => Some(format!(
                    "session {}: its new access token answered {}",
                    held.session_id,
                    describe(&other)
                )),
            }
        });
    }
    while let Some(joined) = calls.join_next().await {
        match joined {
            Ok(Some(problem)) => check.problems.push(problem),
            Ok(None) => {}
            Err(err) => check.problems.push(format!("a check task failed: {err}")),
        }
    }
    check.detail = format!("{} held sessions", alive.len());
    check
}

fn describe(answer: &reqwest::Result<Answer>) -> String {
    match answer {
        Ok(a) => a.describe(),
        Err(err) => format!("nothing ({err})"),
    }
}

/// Rotation's core promise: at most one unused refresh token per session, and exactly one
/// for every session that has not ended.
async fn one_live_token_per_session(pool: &AnyPool) -> anyhow::Result<Check> {
    let mut check =
        Check::new("no session has two live refresh tokens; every live session has one");
    let doubled: Vec<(String, i64)> = sqlx::query_as(
        "SELECT session_id, COUNT(*) FROM refresh_tokens WHERE used_at IS NULL
         GROUP BY session_id HAVING COUNT(*) > 1",
    )
    .fetch_all(pool)
    .await?;
    for (session, n) in doubled {
        check
            .problems
            .push(format!("session {session} has {n} unused refresh tokens"));
    }
    let without: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.id, (SELECT COUNT(*) FROM refresh_tokens t
                       WHERE t.session_id = s.id AND t.used_at IS NULL)
         FROM sessions s WHERE s.revoked_at IS NULL",
    )
    .fetch_all(pool)
    .await?;
    for (session, n) in &without {
        if *n != 1 {
            check.problems.push(format!(
                "live session {session} has {n} unused refresh tokens"
            ));
        }
    }
    let (sessions, tokens): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM refresh_tokens)",
    )
    .fetch_one(pool)
    .await?;
    check.detail = format!(
        "{sessions} sessions, {tokens} refresh tokens, {} live sessions",
        without.len()
    );
    Ok(check)
}

/// The database's live and ended sessions are exactly the script's, each ended one for the
/// reason the script ended it.
async fn sessions_match(pool: &AnyPool, expected: &Expected) -> anyhow::Result<Check> {
    let mut check = Check::new("the database's live and ended sessions are the script's");
    let rows: Vec<(String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT id, revoked_at, revoke_reason FROM sessions")
            .fetch_all(pool)
            .await?;
    let held: BTreeSet<&str> = expected
        .alive
        .iter()
        .map(|h| h.session_id.as_str())
        .collect();
    let ended: BTreeMap<&str, &str> = expected
        .ended
        .iter()
        .map(|e| (e.held.session_id.as_str(), e.reason))
        .collect();
    let mut seen = BTreeSet::new();
    for (id, revoked_at, reason) in &rows {
        seen.insert(id.as_str());
        if expected.abandoned.contains(id) {
            continue;
        }
        let reason = reason.as_deref().unwrap_or("");
        match (
            revoked_at,
            held.contains(id.as_str()),
            ended.get(id.as_str()),
        ) {
            (None, true, _) => {}
            (None, false, Some(want)) => check.problems.push(format!(
                "session {id} is live in the database, the script ended it ({want})"
            )),
            (None, false, None) => check.problems.push(format!(
                "session {id} is live in the database and unknown to the script"
            )),
            (Some(_), _, Some(want)) if *want == reason => {}
            (Some(_), _, Some(want)) => check.problems.push(format!(
                "session {id} ended for {reason:?}, the script ended it for {want}"
            )),
            (Some(_), true, None) => check.problems.push(format!(
                "session {id} is held by a device but ended in the database ({reason:?})"
            )),
            (Some(_), false, None) => check.problems.push(format!(
                "session {id} ended ({reason:?}) and is unknown to the script"
            )),
        }
    }
    for id in held.iter().chain(ended.keys()) {
        if !seen.contains(id) {
            check
                .problems
                .push(format!("session {id} is missing from the database"));
        }
    }
    check.detail = format!(
        "{} in the database: {} held, {} ended by the script, {} abandoned after a failure",
        rows.len(),
        held.len(),
        ended.len(),
        expected.abandoned.len()
    );
    Ok(check)
}

/// Security events: one reuse per deliberate replay and nothing else that signals theft; one
/// grace replay per tab that was served the successor again.
async fn events_match(pool: &AnyPool, expected: &Expected) -> anyhow::Result<Check> {
    let mut check = Check::new("security events are the ones the script caused");
    let kinds: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT kind, COUNT(*) FROM security_events GROUP BY kind",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let count = |kind: &str| kinds.get(kind).copied().unwrap_or(0);
    let reused_sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE revoke_reason = 'refresh_reused'")
            .fetch_one(pool)
            .await?;
    let want = |name: &str, got: i64, want: u64| {
        (got != want as i64).then(|| format!("{got} {name}, expected {want}"))
    };
    check.problems.extend(
        [
            want(
                "refresh_reused events",
                count("refresh_reused"),
                expected.deliberate_reuse,
            ),
            want(
                "sessions ended as refresh_reused",
                reused_sessions,
                expected.deliberate_reuse,
            ),
            want(
                "refresh_grace_replay events",
                count("refresh_grace_replay"),
                expected.grace_replays,
            ),
            want(
                "used_from_another_device events",
                count("used_from_another_device"),
                0,
            ),
            want("device_changed events", count("device_changed"), 0),
            want("new_network events", count("new_network"), 0),
        ]
        .into_iter()
        .flatten(),
    );
    check.detail = kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(check)
}
