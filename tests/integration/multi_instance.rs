//! Several real `latchkey` processes on one database (issue 10): on PostgreSQL they act as one
//! service, revocations reaching every instance through LISTEN/NOTIFY; on SQLite a second
//! server refuses to start.

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;

use crate::process::{collect_output, command, Server};
use crate::support::*;

/// How long `server` took to refuse `access`; panics after `limit`.
async fn refused_within(server: &Server, access: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        match server.list_sessions(access).await {
            StatusCode::UNAUTHORIZED => return start.elapsed(),
            StatusCode::OK => {}
            other => panic!("unexpected status {other}"),
        }
        assert!(
            start.elapsed() < limit,
            "still accepted after {limit:?}:\n{}",
            server.log.lock().unwrap().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Two servers on one new PostgreSQL database, with a two-second grace window.
async fn two_instances() -> Option<(TestDb, Server, Server)> {
    let db = test_db(Dialect::Postgres).await?;
    let env = [("LATCHKEY_REFRESH_GRACE", "2")];
    let a = Server::start(&db, &env).await;
    let b = Server::start(&db, &env).await;
    Some((db, a, b))
}

#[tokio::test]
async fn a_session_revoked_on_one_instance_is_refused_by_the_other_within_a_second() {
    let Some((_db, a, b)) = two_instances().await else {
        return;
    };
    let alice = a.register("alice@example.com").await;
    // Keys are shared: B verifies what A signed.
    assert_eq!(b.list_sessions(&alice.access).await, StatusCode::OK);
    let response = a.logout(&alice.refresh).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let took = refused_within(&b, &alice.access, Duration::from_secs(1)).await;
    eprintln!("refused by the other instance after {took:?}");

    // Sign out everywhere (a user-wide revocation) travels the same way.
    let bob = a.register("bob@example.com").await;
    let bob_b = b
        .post(
            "/api/auth/login",
            json!({"email": "bob@example.com", "password": PASSWORD}),
            &[],
        )
        .await;
    let bob_b = Signin::from(&bob_b);
    let response = b
        .post(
            "/api/sessions/revoke_all",
            json!({}),
            &[("authorization", &format!("Bearer {}", bob_b.access))],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    refused_within(&a, &bob.access, Duration::from_secs(1)).await;
    refused_within(&a, &bob_b.access, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_token_rotated_on_one_instance_and_replayed_on_the_other_ends_the_session() {
    let Some((_db, a, b)) = two_instances().await else {
        return;
    };
    let alice = a.register("alice@example.com").await;
    let rotated = a.refresh(&alice.refresh).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let fresh = Signin::from(&rotated);
    // Past the two-second grace window the old token is a stolen one.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let replay = b.refresh(&alice.refresh).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.body);
    assert_eq!(replay.json()["code"], "refresh_reused");
    // The session is over everywhere: its newest refresh token and its access tokens.
    let after = a.refresh(&fresh.refresh).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.body);
    refused_within(&a, &fresh.access, Duration::from_secs(1)).await;
    refused_within(&b, &fresh.access, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn parallel_refreshes_split_across_instances_yield_one_successor() {
    let Some((db, a, b)) = two_instances().await else {
        return;
    };
    let alice = a.register("alice@example.com").await;
    // Eight tabs, fewer than the grace window's replay allowance (`MAX_GRACE_REPLAYS`).
    let attempts = (0..8).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        server.refresh(&alice.refresh)
    });
    let answers = futures::future::join_all(attempts).await;
    let mut successors = std::collections::BTreeSet::new();
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        successors.insert(answer.refresh_cookie().expect("a refresh cookie"));
    }
    assert_eq!(successors.len(), 1, "every tab got the same successor");
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE used_at IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(live, 1, "one live refresh token");
    let revoked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(revoked, 0, "no reuse was reported");
    let next = b.refresh(successors.first().unwrap()).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
}

#[tokio::test]
async fn a_revocation_made_while_the_listener_is_cut_off_still_arrives() {
    let Some((db, a, b)) = two_instances().await else {
        return;
    };
    let alice = a.register("alice@example.com").await;
    let carol = a.register("carol@example.com").await;
    assert_eq!(b.list_sessions(&alice.access).await, StatusCode::OK);
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = $1 AND datname = $2",
    )
    .bind(latchkey::auth::revocation_feed::APPLICATION_NAME)
    .bind(&name)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(terminated, vec![true, true], "both instances' listeners");
    // Revoked at once, before B's listener can be back.
    let response = a.logout(&alice.refresh).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    refused_within(&b, &alice.access, Duration::from_secs(1)).await;
    // The feed came back by itself and said so; what it missed is not lost.
    b.wait_until_current().await;
    assert!(b.log_contains("revocation feed lost"), "the loss is logged");
    assert_eq!(
        b.list_sessions(&alice.access).await,
        StatusCode::UNAUTHORIZED
    );
    // And the reconnected listener hears new revocations.
    let response = a.logout(&carol.refresh).await;
    assert_eq!(response.status, StatusCode::OK);
    refused_within(&b, &carol.access, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start() {
    let db = test_db(Dialect::Sqlite).await.expect("SQLite");
    let first = Server::start(&db, &[]).await;
    let mut second = command(&db.url, &[]).spawn().expect("start latchkey");
    let log = collect_output(&mut second);
    let status = second.wait().expect("second server exits");
    assert!(!status.success());
    // Give the reader threads a moment to drain the pipes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let output = log.lock().unwrap().join("\n");
    assert!(
        output.contains("another latchkey server is already serving"),
        "{output}"
    );
    assert!(output.contains(&first.child.id().to_string()), "{output}");
    // The first one is unaffected.
    assert_eq!(first.healthz().await["status"], "ok");
}
