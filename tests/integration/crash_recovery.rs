//! SIGKILL in the middle of a burst of refreshes (issue 11), on both databases. Rotation is one
//! transaction, so a kill can only land before or after its commit; either way, after a restart
//! every client continues: with the token it last received, or, when the answer to its last
//! refresh was lost, with the token it sent (the grace window hands it the committed successor).
//! Nobody is taken for a thief and nothing is left half-rotated.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::process::Server;
use crate::support::*;

const CLIENTS: usize = 24;

/// What a client knows after the kill: the last token it may still use.
struct Client {
    access: String,
    /// The newest refresh token the client has reason to hold: the last one it received, or the
    /// one it sent when the answer never came.
    refresh: String,
    /// For a client that plays "the answer got lost": the successor the server sent it, which
    /// it never adopted.
    lost_successor: Option<String>,
    rotations: usize,
}

/// Refreshes until the server dies; a client with `lose_answer_after` instead sends one last
/// refresh at that point and discards its answer, as if the network had lost it.
async fn refresh_until_killed(
    server: Arc<Server>,
    mut client: Client,
    lose_answer_after: Option<Duration>,
) -> Client {
    let started = std::time::Instant::now();
    loop {
        let request = server
            .http
            .post(format!("{}/api/auth/refresh", server.base))
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .header("user-agent", UA_FIREFOX)
            .header("cookie", cookie_header(&client.refresh))
            .body("{}")
            .timeout(Duration::from_secs(10));
        let response = match request.send().await {
            Ok(response) => response,
            Err(_) => return client, // the server died under this request
        };
        let status = response.status();
        let headers = response.headers().clone();
        let Ok(body) = response.text().await else {
            return client;
        };
        let response = TestResponse {
            status,
            headers,
            body,
        };
        assert_eq!(
            response.status,
            StatusCode::OK,
            "before the kill: {}",
            response.body
        );
        let next = Signin::from(&response);
        client.rotations += 1;
        if lose_answer_after.is_some_and(|after| started.elapsed() > after) {
            client.lost_successor = Some(next.refresh);
            return client;
        }
        client.access = next.access;
        client.refresh = next.refresh;
    }
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn killed_mid_rotation(engine: Dialect) {
    let Some(db) = test_db(engine).await else {
        return;
    };
    let server = Server::start(&db, &[]).await;
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let signin = server.register(&format!("user{i}@example.com")).await;
        clients.push(Client {
            access: signin.access,
            refresh: signin.refresh,
            lost_successor: None,
            rotations: 0,
        });
    }

    let pid = server.child.id() as libc::pid_t;
    let shared = Arc::new(server);
    let burst: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, client)| {
            let lose_answer_after = (i % 2 == 0).then_some(Duration::from_millis(1_000));
            tokio::spawn(refresh_until_killed(
                shared.clone(),
                client,
                lose_answer_after,
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet (the Server
    // that waits for it is still alive), so the pid cannot have been reused.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0, "SIGKILL");
    let mut clients = Vec::new();
    for task in burst {
        clients.push(task.await.expect("client task"));
    }
    drop(shared);
    let rotations: usize = clients.iter().map(|c| c.rotations).sum();
    assert!(rotations > CLIENTS, "the burst was under way ({rotations})");
    eprintln!("{engine:?}: killed after {rotations} rotations");

    let server = Server::start(&db, &[]).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("database");
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL"
        )
        .await,
        0,
        "no session ended"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM security_events WHERE kind = 'refresh_reused'"
        )
        .await,
        0,
        "no reuse reported"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM (SELECT session_id FROM refresh_tokens WHERE used_at IS NULL \
             GROUP BY session_id HAVING COUNT(*) > 1) AS doubled"
        )
        .await,
        0,
        "no session with two live refresh tokens"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t \
             WHERE t.session_id = s.id AND t.used_at IS NULL)"
        )
        .await,
        0,
        "every session still has its live refresh token"
    );

    let lost = clients
        .iter()
        .filter(|c| c.lost_successor.is_some())
        .count();
    assert_eq!(lost, CLIENTS / 2, "half the clients lost an answer");
    for client in &clients {
        // Access tokens issued before the crash are as good as before.
        assert_eq!(server.list_sessions(&client.access).await, StatusCode::OK);
        // Every client presents the last token it sent or received. Where the answer to it
        // was lost (on purpose, or because the kill cut it off), the token is already
        // consumed; inside the grace window (the default 10 s covers a restart) the server
        // hands out the successor it had committed.
        let first = server.refresh(&client.refresh).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        let next = Signin::from(&first);
        if let Some(successor) = &client.lost_successor {
            assert_eq!(&next.refresh, successor, "the committed successor, again");
        }
        let second = server.refresh(&next.refresh).await;
        assert_eq!(
            second.status,
            StatusCode::OK,
            "the chain goes on: {}",
            second.body
        );
        assert_eq!(server.list_sessions(&next.access).await, StatusCode::OK);
    }
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL"
        )
        .await,
        0,
        "continuing after the crash looked like theft to nobody"
    );
}

#[tokio::test]
async fn sigkill_mid_rotation_on_sqlite_loses_nothing() {
    killed_mid_rotation(Dialect::Sqlite).await;
}

#[tokio::test]
async fn sigkill_mid_rotation_on_postgres_loses_nothing() {
    killed_mid_rotation(Dialect::Postgres).await;
}
