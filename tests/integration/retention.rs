//! The retention sweep (`src/auth/retention.rs`): storage stays bounded under endless
//! rotations, reuse stays detectable for the configured window, live sessions are never
//! touched, batches add up to everything, and only one sweep runs at a time.

use http::StatusCode;
use latchkey::auth::retention::SweepReport;

use crate::both_engines;
use crate::support::*;

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn count_for_session(app: &TestApp, table: &str, session: &str) -> i64 {
    let column = if table == "sessions" {
        "id"
    } else {
        "session_id"
    };
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
        .bind(session)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn sweep(app: &TestApp) -> SweepReport {
    app.state
        .auth
        .sweep(app.clock_now())
        .await
        .unwrap()
        .expect("no other sweep is running")
}

async fn rotate(app: &TestApp, refresh: &str) -> Signin {
    let response = app.refresh(refresh).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    Signin::from(&response)
}

fn session_id(signin: &Signin) -> String {
    claims(&signin.access)["sid"].as_str().unwrap().to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    sessions: i64,
    refresh_tokens: i64,
    session_addresses: i64,
    events: i64,
    dpop_proofs: i64,
}

async fn counts(app: &TestApp) -> Counts {
    Counts {
        sessions: count(app, "sessions").await,
        refresh_tokens: count(app, "refresh_tokens").await,
        session_addresses: count(app, "session_addresses").await,
        events: count(app, "security_events").await,
        dpop_proofs: count(app, "dpop_proofs").await,
    }
}

const STEP_SECS: i64 = 20;
const ROUNDS: usize = 720;
/// A sweep every 300 simulated seconds, as the background task does.
const SWEEP_EVERY_ROUNDS: usize = 15;
/// A sign-in and sign-out every 200 simulated seconds.
const SIGN_IN_EVERY_ROUNDS: usize = 10;

both_engines!(
    tables_stay_flat_under_a_long_run_of_rotations,
    &[
        ("LATCHKEY_ACCESS_TTL", "60"),
        ("LATCHKEY_REFRESH_GRACE", "2"),
        ("LATCHKEY_REFRESH_IDLE_TTL", "600"),
        ("LATCHKEY_REUSE_DETECTION", "120"),
        ("LATCHKEY_ENDED_RETENTION", "300"),
        ("LATCHKEY_EVENT_RETENTION", "600"),
    ],
    |app: TestApp| async move {
        // Three long-lived sessions rotating all the time, one of them bound to a device key
        // (so every rotation also stores a DPoP proof id), and short sessions that start and
        // end (sessions, tokens, addresses and events that must go once past retention).
        let key = DeviceKey::generate();
        let mut plain = vec![
            app.register("flat-a@example.com").await.refresh,
            app.register("flat-b@example.com").await.refresh,
        ];
        let mut bound = app.register_bound("flat-c@example.com", &key).await.refresh;
        app.register("flat-d@example.com").await;
        let mut rotations = 0_i64;
        let mut sign_ins = 4_i64;
        let mut deleted = SweepReport::default();
        let mut after_sweeps = Vec::new();

        for round in 1..=ROUNDS {
            app.clock.advance(STEP_SECS);
            for refresh in plain.iter_mut() {
                *refresh = rotate(&app, refresh).await.refresh;
                rotations += 1;
            }
            let response = app.refresh_bound(&bound, Some(&key)).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
            bound = response.refresh_cookie().unwrap();
            rotations += 1;

            if round % SIGN_IN_EVERY_ROUNDS == 0 {
                let short = app.login("flat-d@example.com").await;
                sign_ins += 1;
                let out = app.post_cookie("/api/auth/logout", &short.refresh).await;
                assert_eq!(out.status, StatusCode::OK, "{}", out.body);
            }
            if round % SWEEP_EVERY_ROUNDS == 0 {
                let before = counts(&app).await;
                let report = sweep(&app).await;
                let after = counts(&app).await;
                assert_eq!(
                    before.refresh_tokens - after.refresh_tokens,
                    report.refresh_tokens as i64
                );
                assert_eq!(before.sessions - after.sessions, report.sessions as i64);
                deleted.refresh_tokens += report.refresh_tokens;
                deleted.sessions += report.sessions;
                deleted.events += report.events;
                deleted.dpop_proofs += report.dpop_proofs;
                after_sweeps.push(after);
            }
        }

        // Every token and session ever made is either still there or was deleted by a sweep.
        let last = counts(&app).await;
        assert_eq!(
            last.refresh_tokens + deleted.refresh_tokens as i64,
            sign_ins + rotations
        );
        assert_eq!(last.sessions + deleted.sessions as i64, sign_ins);
        assert!(rotations >= 2_000, "{rotations} rotations");

        // After every sweep, each table holds what its window allows, whatever the number of
        // rotations so far: per rotating session the tokens of the last 120 s (one per 20 s)
        // and its live one; the sessions ended in the last 300 s; the events of the last 600 s;
        // the proofs of the last minute.
        let limits = Counts {
            sessions: 4 + 3,
            refresh_tokens: 3 * (120 / STEP_SECS + 2) + 3 + 1,
            session_addresses: 4 + 3,
            events: 2 * (600 / (SIGN_IN_EVERY_ROUNDS as i64 * STEP_SECS) + 1) + 4,
            dpop_proofs: 60 / STEP_SECS + 2,
        };
        for (i, after) in after_sweeps.iter().enumerate() {
            assert!(after.sessions <= limits.sessions, "sweep {i}: {after:?}");
            assert!(
                after.refresh_tokens <= limits.refresh_tokens,
                "sweep {i}: {after:?}"
            );
            assert!(
                after.session_addresses <= limits.session_addresses,
                "sweep {i}: {after:?}"
            );
            assert!(after.events <= limits.events, "sweep {i}: {after:?}");
            assert!(
                after.dpop_proofs <= limits.dpop_proofs,
                "sweep {i}: {after:?}"
            );
        }
        // Flat, not merely slow: the second half of the run ends no higher than the first.
        let half = after_sweeps.len() / 2;
        let peak = |sweeps: &[Counts]| {
            sweeps
                .iter()
                .map(|c| c.refresh_tokens + c.sessions + c.events + c.dpop_proofs)
                .max()
                .unwrap_or_default()
        };
        assert!(
            peak(&after_sweeps[half..]) <= peak(&after_sweeps[..half]),
            "{after_sweeps:?}"
        );
        assert!(
            limits.refresh_tokens * 50 < rotations,
            "the bound is far below the rotations"
        );
        assert!(deleted.events > 0 && deleted.dpop_proofs > 0, "{deleted:?}");

        // The three long-lived sessions are still alive after all those sweeps.
        for refresh in &plain {
            rotate(&app, refresh).await;
        }
        let response = app.refresh_bound(&bound, Some(&key)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    }
);

both_engines!(
    reuse_stays_detectable_for_the_configured_window,
    &[
        ("LATCHKEY_REFRESH_GRACE", "2"),
        ("LATCHKEY_REUSE_DETECTION", "600"),
    ],
    |app: TestApp| async move {
        // Rotated 110 s before the sweep: inside the window, the replay still ends the session.
        let alice = app.register("recent-theft@example.com").await;
        let first = rotate(&app, &alice.refresh).await;
        app.clock.advance(100);
        let live = rotate(&app, &first.refresh).await;
        app.clock.advance(10);
        sweep(&app).await;
        let replay = app.refresh(&alice.refresh).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.body);
        assert_eq!(replay.code(), "refresh_reused");
        assert_eq!(app.refresh(&live.refresh).await.code(), "refresh_reused");

        // Rotated 700 s before the sweep: past the window, the token is gone. Its replay is an
        // unknown token that cannot refresh, and no longer a theft signal.
        let bob = app.register("old-theft@example.com").await;
        let first = rotate(&app, &bob.refresh).await;
        app.clock.advance(700);
        let live = rotate(&app, &first.refresh).await;
        let report = sweep(&app).await;
        assert!(report.refresh_tokens >= 1, "{report:?}");
        let replay = app.refresh(&bob.refresh).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.body);
        assert_eq!(replay.code(), "invalid_refresh_token");
        // The token rotated just now is kept: replayed after the grace window, it still ends
        // the session.
        app.clock.advance(5);
        sweep(&app).await;
        assert_eq!(app.refresh(&first.refresh).await.code(), "refresh_reused");
        assert_eq!(app.refresh(&live.refresh).await.code(), "refresh_reused");
    }
);

both_engines!(
    the_immediate_parent_survives_a_sweep_inside_its_grace_window,
    &[
        ("LATCHKEY_REFRESH_GRACE", "5"),
        ("LATCHKEY_REUSE_DETECTION", "5"),
    ],
    |app: TestApp| async move {
        let alice = app.register("lost-response@example.com").await;
        let rotated = rotate(&app, &alice.refresh).await;
        app.clock.advance(4);
        sweep(&app).await;
        // The response was lost; the same browser retries with the parent and gets the same
        // successor.
        let retried = rotate(&app, &alice.refresh).await;
        assert_eq!(retried.refresh, rotated.refresh);
        // Past the grace (and the window), the parent goes; the live token stays.
        app.clock.advance(10);
        assert_eq!(sweep(&app).await.refresh_tokens, 1);
        assert_eq!(
            app.refresh(&alice.refresh).await.code(),
            "invalid_refresh_token"
        );
        rotate(&app, &rotated.refresh).await;
    }
);

const DAY: i64 = 86_400;

both_engines!(
    live_sessions_survive_and_ended_ones_go_after_the_retention,
    &[
        ("LATCHKEY_REUSE_DETECTION", "600"),
        ("LATCHKEY_ENDED_RETENTION", "3600"),
        ("LATCHKEY_EVENT_RETENTION", "86400"),
    ],
    |app: TestApp| async move {
        let start = app.clock_now();
        // Live for a week of idleness, untouched for two days: older than every retention.
        let live = app.register("keeper@example.com").await;
        // Signed out at the start.
        let old_logout = app.login("keeper@example.com").await;
        let out = app
            .post_cookie("/api/auth/logout", &old_logout.refresh)
            .await;
        assert_eq!(out.status, StatusCode::OK);
        // Expired without anyone noticing (never revoked), on an instance with a short idle TTL.
        let short = app
            .restart_with(&[("LATCHKEY_REFRESH_IDLE_TTL", "100")])
            .await
            .unwrap();
        let old_expired = short.login("keeper@example.com").await;

        app.clock.advance(2 * DAY - 1000);
        let recent_logout = app.login("keeper@example.com").await;
        let out = app
            .post_cookie("/api/auth/logout", &recent_logout.refresh)
            .await;
        assert_eq!(out.status, StatusCode::OK);
        app.clock.advance(1000);

        let report = sweep(&app).await;
        assert_eq!(report.sessions, 2, "{report:?}");
        assert!(
            sweep(&app).await.rows() == 0,
            "a second sweep finds nothing"
        );

        for gone in [&old_logout, &old_expired] {
            let id = session_id(gone);
            for table in ["sessions", "refresh_tokens", "session_addresses"] {
                assert_eq!(count_for_session(&app, table, &id).await, 0, "{table}");
            }
        }
        for kept in [&live, &recent_logout] {
            assert_eq!(
                count_for_session(&app, "sessions", &session_id(kept)).await,
                1
            );
        }

        // The live session's token still refreshes, after this sweep and the next ones.
        let renewed = rotate(&app, &live.refresh).await;
        app.clock.advance(700);
        sweep(&app).await;
        let renewed = rotate(&app, &renewed.refresh).await;

        // The recently ended session is still listed with its reason; the old ones are not.
        let page = app.sessions(&renewed.access).await;
        let ended: Vec<(String, String)> = page
            .ended
            .iter()
            .map(|s| (s.id.clone(), wire(&s.reason)))
            .collect();
        assert_eq!(ended, [(session_id(&recent_logout), "logout".to_owned())]);

        // Events: what happened at the start is gone, the recent sign-in and sign-out stay.
        let events = app.events(&renewed.access).await.events;
        assert!(
            events.iter().all(|e| e.at > start + DAY),
            "{:?}",
            events
                .iter()
                .map(|e| (e.kind, e.at - start))
                .collect::<Vec<_>>()
        );
        let recent = session_id(&recent_logout);
        let kinds: Vec<String> = events
            .iter()
            .filter(|e| e.session_id.as_deref() == Some(recent.as_str()))
            .map(|e| wire(&e.kind))
            .collect();
        assert!(kinds.contains(&"login_succeeded".to_owned()), "{kinds:?}");
        assert!(kinds.contains(&"session_revoked".to_owned()), "{kinds:?}");
    }
);

both_engines!(
    batches_add_up_to_everything,
    &[
        ("LATCHKEY_ACCESS_TTL", "60"),
        ("LATCHKEY_REFRESH_GRACE", "2"),
        ("LATCHKEY_REUSE_DETECTION", "30"),
        ("LATCHKEY_ENDED_RETENTION", "120"),
        ("LATCHKEY_EVENT_RETENTION", "120"),
    ],
    |app: TestApp| async move {
        let owner = app.register("batches@example.com").await;
        // Seven ended sessions of four tokens each (three rotated, one never used).
        for _ in 0..7 {
            let mut signin = app.login("batches@example.com").await;
            for _ in 0..3 {
                app.clock.advance(3);
                signin = rotate(&app, &signin.refresh).await;
            }
            let out = app.post_cookie("/api/auth/logout", &signin.refresh).await;
            assert_eq!(out.status, StatusCode::OK);
        }
        let events = count(&app, "security_events").await;
        app.clock.advance(1000);

        let report = app
            .state
            .auth
            .sweep_in_batches(app.clock_now(), 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.sessions, 7, "{report:?}");
        assert_eq!(report.refresh_tokens, 7 * 4, "{report:?}");
        assert_eq!(report.session_addresses, 7, "{report:?}");
        assert_eq!(report.events as i64, events, "{report:?}");
        assert!(report.batches > 30, "{report:?}");
        // The owner's first session, idle but live, and its token are all that is left.
        assert_eq!(count(&app, "sessions").await, 1);
        assert_eq!(count(&app, "refresh_tokens").await, 1);
        assert_eq!(count(&app, "security_events").await, 0);
        rotate(&app, &owner.refresh).await;

        // More old events than a default batch holds (500): several batches, all of them gone.
        let long_ago = app.clock_now() - 10 * DAY;
        for chunk in 0..12 {
            let rows: Vec<String> = (0..100)
                .map(|i| {
                    format!(
                        "('{}', '{}', 'login_failed', {})",
                        uuid::Uuid::new_v4(),
                        owner.user_id,
                        long_ago + chunk * 100 + i
                    )
                })
                .collect();
            sqlx::query(&format!(
                "INSERT INTO security_events (id, user_id, kind, at) VALUES {}",
                rows.join(", ")
            ))
            .execute(app.pool())
            .await
            .unwrap();
        }
        let report = sweep(&app).await;
        assert_eq!(report.events, 1_200, "{report:?}");
        assert!(report.batches >= 3, "{report:?}");
        assert_eq!(count(&app, "security_events").await, 0);
    }
);

both_engines!(one_sweep_runs_at_a_time, |app: TestApp| async move {
    let now = app.clock_now();
    let held = app.state.db.try_sweep_lock().await.unwrap().unwrap();
    assert!(app.state.auth.sweep(now).await.unwrap().is_none());
    if app.dialect() == Dialect::Postgres {
        // Another instance on the same database skips its pass while this one sweeps.
        let other = app.restart_with(&[]).await.unwrap();
        assert!(other.state.auth.sweep(now).await.unwrap().is_none());
        held.release().await;
        assert!(other.state.auth.sweep(now).await.unwrap().is_some());
        // A holder that goes away without releasing (a failed sweep) frees the lock with its
        // connection.
        drop(other.state.db.try_sweep_lock().await.unwrap().unwrap());
        let mut freed = false;
        for _ in 0..100 {
            if app.state.auth.sweep(now).await.unwrap().is_some() {
                freed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(freed, "the dropped lock was never released");
    } else {
        held.release().await;
    }
    assert!(app.state.auth.sweep(now).await.unwrap().is_some());
});

// Each batch finds its rows through an index, never by reading the whole table.
both_engines!(sweep_queries_use_indexes, |app: TestApp| async move {
    use latchkey::store;
    let statements = [
        store::refresh_tokens::DELETE_ROTATED_BEFORE.to_owned(),
        store::sessions::ended_before_batch_sql(),
        store::events::DELETE_BEFORE.to_owned(),
        store::dpop_proofs::FORGET_EXPIRED.to_owned(),
        store::reset_links::DELETE_EXPIRED.to_owned(),
        store::account_deletions::DELETE_BEFORE.to_owned(),
    ];
    for sql in statements {
        let plan: Vec<String> = match app.dialect() {
            Dialect::Sqlite => {
                let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .bind(0_i64)
                    .bind(10_i64)
                    .fetch_all(app.pool())
                    .await
                    .unwrap();
                rows.iter()
                    .map(|row| sqlx::Row::get::<String, _>(row, "detail"))
                    .collect()
            }
            Dialect::Postgres => {
                // Tables this small would be read whole anyway; forbid that to see whether an
                // index could serve.
                let mut tx = app.pool().begin().await.unwrap();
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                let rows = sqlx::query(&format!("EXPLAIN {sql}"))
                    .bind(0_i64)
                    .bind(10_i64)
                    .fetch_all(&mut *tx)
                    .await
                    .unwrap();
                rows.iter()
                    .map(|row| sqlx::Row::get::<String, _>(row, 0))
                    .collect()
            }
        };
        assert!(
            !plan
                .iter()
                .any(|line| line.starts_with("SCAN ") || line.contains("Seq Scan")),
            "{sql}\n{}",
            plan.join("\n")
        );
    }
});

both_engines!(
    an_ended_session_is_kept_while_its_access_tokens_could_be_presented,
    &[
        ("LATCHKEY_ACCESS_TTL", "600"),
        ("LATCHKEY_ENDED_RETENTION", "601"),
    ],
    |app: TestApp| async move {
        let alice = app.register("signed-out@example.com").await;
        let out = app.post_cookie("/api/auth/logout", &alice.refresh).await;
        assert_eq!(out.status, StatusCode::OK);
        // Past the retention, but the access token is still inside its lifetime and leeway.
        app.clock.advance(603);
        assert_eq!(sweep(&app).await.sessions, 0);
        // A restart rebuilds the revocation list from the ended sessions still stored.
        let restarted = app
            .restart_with(&[("LATCHKEY_ACCESS_TTL", "600")])
            .await
            .unwrap();
        let refused = restarted.list_sessions(&alice.access).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        app.clock.advance(60);
        assert_eq!(sweep(&app).await.sessions, 1);
    }
);

both_engines!(
    expired_reset_links_and_old_deletion_records_are_swept,
    &[("LATCHKEY_EVENT_RETENTION", "86400")],
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        let kept = app.register("keeps-a-link@example.com").await;
        let expiring = app.register("lets-a-link-expire@example.com").await;
        let leaving = app.register("leaves@example.com").await;
        let issue = |access: String, user_id: String| {
            let app = &app;
            async move {
                let issued = app
                    .post_bearer(
                        "/api/admin/reset_link",
                        &access,
                        serde_json::json!({ "user_id": user_id }),
                    )
                    .await;
                assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
            }
        };
        issue(admin.access.clone(), expiring.user_id.clone()).await;
        let deleted = app
            .post_bearer(
                "/api/account/delete",
                &leaving.access,
                serde_json::json!({ "password": PASSWORD }),
            )
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);

        // Past the first link's 30 minutes; the second is fresh. The deletion record is
        // younger than the event retention.
        app.clock.advance(31 * 60);
        let admin = app.login("root@example.com").await;
        issue(admin.access.clone(), kept.user_id.clone()).await;
        let report = sweep(&app).await;
        assert_eq!(report.reset_links, 1, "{report:?}");
        assert_eq!(report.account_deletions, 0, "{report:?}");
        assert_eq!(count(&app, "password_reset_links").await, 1);
        assert_eq!(count(&app, "account_deletions").await, 1);

        // A day on, the deletion record goes too (the fresh link has expired by then as well).
        app.clock.advance(86_400);
        let report = sweep(&app).await;
        assert_eq!(
            (report.reset_links, report.account_deletions),
            (1, 1),
            "{report:?}"
        );
        assert_eq!(count(&app, "password_reset_links").await, 0);
        assert_eq!(count(&app, "account_deletions").await, 0);
    }
);
