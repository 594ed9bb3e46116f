//! The revocation list when other processes revoke too: a stale list is never trusted, and on
//! SQLite the server picks up what the admin CLI (another process) revoked.

use std::time::{Duration, Instant};

use http::{Request, StatusCode};

use crate::both_engines;
use crate::support::*;

async fn healthz(app: &TestApp) -> serde_json::Value {
    app.send(
        Request::get("/healthz")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .json()
}

both_engines!(
    while_the_list_is_stale_the_bearer_check_asks_the_database,
    |a: TestApp| async move {
        // B is a second instance that hears nothing from A (no feed runs in these tests).
        let b = a.restart_with(&[]).await.expect("second instance");
        let alice = a.register("alice@example.com").await;
        let bob = a.register("bob@example.com").await;
        let ended = a.post_cookie("/api/auth/logout", &alice.refresh).await;
        assert_eq!(ended.status, StatusCode::OK);
        assert_eq!(
            b.list_sessions(&alice.access).await.status,
            StatusCode::OK,
            "an unfed list is blind to A's revocation: this is what the feed is for"
        );
        assert_eq!(healthz(&b).await["revocations"], "current");

        b.state.auth.revocation_list().mark_stale();
        let refused = b.list_sessions(&alice.access).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert_eq!(refused.code(), "session_revoked");
        assert_eq!(
            b.list_sessions(&bob.access).await.status,
            StatusCode::OK,
            "live sessions still work, checked in the database"
        );
        let health = healthz(&b).await;
        assert_eq!(health["status"], "degraded");
        assert!(health["revocations"]
            .as_str()
            .unwrap()
            .contains("checking the database"));

        // A stale instance whose database is gone refuses rather than trusting its list.
        b.pool().close().await;
        let down = b.list_sessions(&bob.access).await;
        assert_eq!(
            down.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            down.body
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_server_hears_revocations_made_by_the_admin_cli() {
    let server = TestApp::spawn(Dialect::Sqlite).await.expect("SQLite");
    server.state.auth.spawn_revocation_feed();
    let walter = server.register("walter@example.com").await;
    // `latchkey admin reset-password` runs as its own process with its own engine.
    let cli = server.restart_with(&[]).await.expect("CLI engine");
    cli.state
        .auth
        .reset_password(
            "walter@example.com",
            &"violet kettle under the stairs".to_owned().into(),
        )
        .await
        .expect("reset");
    let start = Instant::now();
    while server.list_sessions(&walter.access).await.status == StatusCode::OK {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "the server never heard of the CLI's revocation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        server.list_sessions(&walter.access).await.code(),
        "session_revoked"
    );
}

#[test]
fn only_one_server_claims_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/latchkey.db", dir.path().display());
    let first = latchkey::db::claim_single_server(&url)
        .expect("first claim")
        .expect("SQLite files are claimed");
    let err = latchkey::db::claim_single_server(&url)
        .err()
        .expect("second claim refused");
    let message = err.to_string();
    assert!(message.contains("another latchkey server"), "{message}");
    assert!(
        message.contains(&std::process::id().to_string()),
        "{message}"
    );
    drop(first);
    assert!(
        latchkey::db::claim_single_server(&url).is_ok(),
        "released with the server"
    );
    assert!(latchkey::db::claim_single_server("postgres://127.0.0.1/x")
        .unwrap()
        .is_none());
}
