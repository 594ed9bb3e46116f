//! A refresh or login racing a revocation never leaves a live session behind the revocation's
//! back, on PostgreSQL's READ COMMITTED as on SQLite (SECURITY.md, "The security review's
//! findings (issue 7)", items 8 and 9).

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use sqlx::Connection as _;

use crate::both_engines;
use crate::support::*;

/// A transaction on its own connection, as another instance would hold one.
async fn foreign_transaction(app: &TestApp) -> sqlx::AnyConnection {
    let mut conn = sqlx::AnyConnection::connect(app.database_url())
        .await
        .unwrap();
    let begin = match app.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    };
    sqlx::query(begin).execute(&mut conn).await.unwrap();
    conn
}

/// Lets the racing request reach the point where it waits for the foreign transaction's lock,
/// so the interleaving under test really happens however slow the machine is. PostgreSQL says
/// when a backend waits; SQLite's busy wait is invisible, so there a pause stands in.
async fn until_someone_waits_for_a_lock(app: &TestApp) {
    if app.dialect() == Dialect::Sqlite {
        tokio::time::sleep(Duration::from_millis(300)).await;
        return;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < deadline {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn commit(mut conn: sqlx::AnyConnection) {
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
}

both_engines!(
    a_refresh_that_read_the_session_before_a_revocation_committed_does_not_rotate,
    |app: TestApp| async move {
        let alice = app.register("refresh-race@example.com").await;
        let sid = claims(&alice.access)["sid"].as_str().unwrap().to_owned();
        // The revocation is written but not yet committed when the refresh starts.
        let mut revoker = foreign_transaction(&app).await;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoke_reason = 'user_revoked' WHERE id = $1",
        )
        .bind(&sid)
        .bind(app.clock_now())
        .execute(&mut revoker)
        .await
        .unwrap();
        let refresh = app.refresh(&alice.refresh);
        let commit_later = async {
            until_someone_waits_for_a_lock(&app).await;
            commit(revoker).await;
        };
        let (refreshed, ()) = futures::join!(refresh, commit_later);
        assert_eq!(
            refreshed.status,
            StatusCode::UNAUTHORIZED,
            "a revoked session was rotated: {}",
            refreshed.body
        );
    }
);

both_engines!(
    a_login_in_flight_during_a_force_logout_is_ended_by_it,
    |app: TestApp| async move {
        let admin = app.admin("race-admin@example.com").await;
        let victim = app.register("race-victim@example.com").await;
        // A login of the victim is mid-transaction: it holds the user's lock (as login does)
        // and has inserted its session, not yet committed.
        let mut login = foreign_transaction(&app).await;
        sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(&victim.user_id)
            .execute(&mut login)
            .await
            .unwrap();
        let now = app.clock_now();
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_expires_at,
                                   absolute_expires_at, user_agent, device, ip)
             VALUES ('in-flight-login', $1, $2, $2, $3, $3, 'ua', 'device', '192.0.2.1')",
        )
        .bind(&victim.user_id)
        .bind(now)
        .bind(now + 3600)
        .execute(&mut login)
        .await
        .unwrap();

        let force = app.force_logout(&admin.access, &victim.user_id);
        let commit_later = async {
            until_someone_waits_for_a_lock(&app).await;
            commit(login).await;
        };
        let (forced, ()) = futures::join!(force, commit_later);
        assert_eq!(forced.status, StatusCode::OK, "{}", forced.body);
        let reason: Option<String> =
            sqlx::query_scalar("SELECT revoke_reason FROM sessions WHERE id = 'in-flight-login'")
                .fetch_one(app.pool())
                .await
                .unwrap();
        assert_eq!(
            reason.as_deref(),
            Some("admin_forced"),
            "the force logout never saw the login's session"
        );
    }
);

both_engines!(
    refreshes_and_logins_racing_revocations_hundreds_of_times_leave_nothing_alive,
    |app: TestApp| async move {
        let admin = app.admin("loop-admin@example.com").await;
        let victim = app.register("loop-victim@example.com").await;
        for round in 0..150 {
            // A refresh against "sign out" of that very session.
            let device = app.login("loop-victim@example.com").await;
            let sid = claims(&device.access)["sid"].as_str().unwrap().to_owned();
            let (refreshed, revoked) = futures::join!(
                app.refresh(&device.refresh),
                app.revoke(&victim.access, &sid)
            );
            assert_eq!(
                revoked.status,
                StatusCode::OK,
                "round {round}: {}",
                revoked.body
            );
            assert!(
                matches!(refreshed.status.as_u16(), 200 | 401),
                "round {round}: {} {}",
                refreshed.status,
                refreshed.body
            );
            if refreshed.status == StatusCode::OK {
                let token = refreshed.json()["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let next = refreshed.refresh_cookie().unwrap();
                assert_eq!(
                    app.refresh(&next).await.status,
                    StatusCode::UNAUTHORIZED,
                    "round {round}: the rotated token outlived the revocation"
                );
                assert_eq!(
                    app.list_sessions(&token).await.status,
                    StatusCode::UNAUTHORIZED,
                    "round {round}: the new access token outlived the revocation"
                );
            }
        }
        for round in 0..150 {
            // A login against a force logout of the same user.
            let (login, forced) = futures::join!(
                app.post(
                    "/api/auth/login",
                    json!({"email": "loop-victim@example.com", "password": PASSWORD}),
                ),
                app.force_logout(&admin.access, &victim.user_id)
            );
            assert_eq!(
                forced.status,
                StatusCode::OK,
                "round {round}: {}",
                forced.body
            );
            assert!(
                matches!(login.status.as_u16(), 200 | 401),
                "round {round}: {} {}",
                login.status,
                login.body
            );
        }
        // Every session still alive was created after the last force logout's revocation.
        let alive: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(&victim.user_id)
        .fetch_one(app.pool())
        .await
        .unwrap();
        assert!(alive <= 1, "{alive} sessions survived the force logouts");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_refresh_tokens_never_wait_for_the_sqlite_write_lock() {
    let Some(app) = TestApp::spawn(Dialect::Sqlite).await else {
        return;
    };
    let writer = foreign_transaction(&app).await;
    let unknown = latchkey::auth::refresh_tokens::RefreshToken::generate().into_string();
    let refreshed = app.refresh(&unknown).await;
    assert_eq!(
        refreshed.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        refreshed.body
    );
    assert_eq!(refreshed.code(), "invalid_refresh_token");
    let logout = app.post_cookie("/api/auth/logout", &unknown).await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.body);
    commit(writer).await;
}
