//! The database goes away under a running server (issue 11): PostgreSQL stopped under load, an
//! SQLite file on a full disk, an SQLite file made immutable. Every call that needs the
//! database answers 503 `database_unavailable` within the pool timeout, with nothing internal
//! in the body; what needs no database keeps working; service resumes without a restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;

use crate::process::Server;
use crate::support::*;
use crate::throwaway_postgres::Cluster;

/// The pool's acquire timeout is 5 s; nothing may wait much longer than that.
const SLOWEST_ANSWER: Duration = Duration::from_secs(7);

/// What a 503 body may say: a code and a sentence for people, nothing about the machinery.
fn assert_no_internals(body: &str) {
    for leak in [
        "sqlx",
        "postgres",
        "sqlite",
        "os error",
        "refused",
        "127.0.0.1",
        "pool",
        "disk I/O",
    ] {
        assert!(
            !body.to_lowercase().contains(&leak.to_lowercase()),
            "{leak:?} in {body}"
        );
    }
}

async fn unavailable(server: &Server, response: impl std::future::Future<Output = TestResponse>) {
    let started = Instant::now();
    let response = response.await;
    let took = started.elapsed();
    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}\n{}",
        response.body,
        server.log_text()
    );
    assert_eq!(response.code(), "database_unavailable");
    assert_no_internals(&response.body);
    assert!(took < SLOWEST_ANSWER, "answered after {took:?}");
    assert!(!server.log_contains("panicked"), "{}", server.log_text());
    eprintln!("503 database_unavailable after {took:?}");
}

fn login_body(email: &str) -> serde_json::Value {
    json!({"email": email, "password": PASSWORD})
}

fn bearer(access: &str) -> String {
    format!("Bearer {access}")
}

/// `/api/sessions/list` with this `Authorization` value: the bearer call every test here uses.
async fn list_with(server: &Server, authorization: &str) -> TestResponse {
    server
        .post(
            "/api/sessions/list",
            json!({}),
            &[("authorization", authorization)],
        )
        .await
}

/// Clients refreshing and listing in a loop, each with its own session; every answer's status
/// and time is recorded.
struct Load {
    stop: Arc<AtomicBool>,
    answers: Arc<Mutex<Vec<(StatusCode, String, Duration)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(server: &Arc<Server>, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..clients {
            let signin = server.register(&format!("load{i}@example.com")).await;
            let (server, stop, answers) = (server.clone(), stop.clone(), answers.clone());
            tasks.push(tokio::spawn(async move {
                let mut cookie = signin.refresh;
                let mut access = signin.access;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let response = server.refresh(&cookie).await;
                    if response.status == StatusCode::OK {
                        let next = Signin::from(&response);
                        (cookie, access) = (next.refresh, next.access);
                    }
                    let list = list_with(&server, &bearer(&access)).await;
                    {
                        let mut answers = answers.lock().unwrap();
                        answers.push((response.status, response.code(), started.elapsed()));
                        answers.push((list.status, list.code(), started.elapsed()));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }));
        }
        Load {
            stop,
            answers,
            tasks,
        }
    }

    async fn finish(self) -> Vec<(StatusCode, String, Duration)> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("load task");
        }
        let answers = self.answers.lock().unwrap();
        answers.clone()
    }
}

#[tokio::test]
async fn postgres_stopped_under_load_answers_503_quickly_and_resumes_without_a_restart() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let server = Arc::new(Server::start_on(&cluster.url(), &[]).await);
    let alice = server.register("alice@example.com").await;
    let bob = server.register("bob@example.com").await;
    assert_eq!(server.logout(&bob.refresh).await.status, StatusCode::OK);
    let load = Load::start(&server, 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    cluster.stop("fast");
    let pid = server.child.id();
    unavailable(
        &server,
        server.post("/api/auth/login", login_body("alice@example.com"), &[]),
    )
    .await;
    unavailable(&server, server.refresh(&alice.refresh)).await;
    // The bearer check itself needs no database: a valid token reaches the handler (which then
    // needs the database, so 503, and the client keeps its session), a revoked or forged one is
    // refused from memory.
    unavailable(&server, list_with(&server, &bearer(&alice.access))).await;
    let revoked = list_with(&server, &bearer(&bob.access)).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED, "{}", revoked.body);
    let forged = list_with(&server, "Bearer not.a.token").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    // What never needs the database keeps working.
    assert_eq!(
        server.get("/.well-known/jwks.json").await.status,
        StatusCode::OK
    );
    assert_eq!(server.get("/login").await.status, StatusCode::OK);
    assert_eq!(server.get("/livez").await.status, StatusCode::OK);
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["database"], "unreachable");
    assert_no_internals(&ready.body);
    assert!(
        server.log_contains("database unavailable: "),
        "{}",
        server.log_text()
    );

    cluster.start_again();
    let back = Instant::now();
    while server.get("/readyz").await.status != StatusCode::OK {
        assert!(
            back.elapsed() < Duration::from_secs(25),
            "not ready 25 s after the database came back:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "ready again {:?} after the database came back",
        back.elapsed()
    );
    // The refreshes refused during the outage consumed nothing: the same cookie still works.
    let refreshed = server.refresh(&alice.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let login = server
        .post("/api/auth/login", login_body("alice@example.com"), &[])
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.child.id(), pid, "the same process");

    let answers = load.finish().await;
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| {
            *status != StatusCode::OK && *status != StatusCode::SERVICE_UNAVAILABLE
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{unexpected:?}\n{}",
        server.log_text()
    );
    let slowest = answers
        .iter()
        .map(|(_, _, took)| *took)
        .max()
        .unwrap_or_default();
    assert!(
        slowest < SLOWEST_ANSWER * 2,
        "a refresh and list took {slowest:?}"
    );
    let refused = answers
        .iter()
        .filter(|(status, _, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(refused > 0, "the load saw the outage");
    assert_eq!(
        answers.last().map(|(status, _, _)| *status),
        Some(StatusCode::OK),
        "the load recovered"
    );
}

/// A small tmpfs of the test's own, so the disk can really fill up. Needs root (mount).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            eprintln!("SKIPPED: disk-full test, cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Takes every free byte.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path().join("filler")).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.write_all(&[0u8; 512]);
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.path().join("filler")).expect("remove filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .output();
    }
}

/// Empties the WAL, so the next write needs new disk space instead of reusing WAL pages.
async fn truncate_wal(url: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
}

#[tokio::test]
async fn sqlite_on_a_full_disk_answers_503_with_a_clear_log_line_and_recovers() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let url = format!("sqlite://{}/latchkey.db", disk.path().display());
    let server = Server::start_on(&url, &[]).await;
    let alice = server.register("alice@example.com").await;
    truncate_wal(&url).await;
    disk.fill();

    unavailable(
        &server,
        server.post("/api/auth/register", login_body("bob@example.com"), &[]),
    )
    .await;
    unavailable(&server, server.refresh(&alice.refresh)).await;
    // Reading needs no disk space.
    let list = list_with(&server, &bearer(&alice.access)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        server.log_contains("the disk holding the database is full"),
        "{}",
        server.log_text()
    );

    disk.free();
    let bob = server
        .post("/api/auth/register", login_body("bob@example.com"), &[])
        .await;
    assert_eq!(bob.status, StatusCode::OK, "{}", bob.body);
    let refreshed = server.refresh(&alice.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
}

/// `chattr +i` on the database files: even root cannot write them, and writes through files
/// SQLite already has open fail too (ext4). Undone on drop so the directory can be removed.
struct Immutable(Vec<std::path::PathBuf>);

impl Immutable {
    fn set(files: Vec<std::path::PathBuf>) -> Option<Immutable> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .args(&files)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("SKIPPED: read-only database test, chattr +i is not possible here");
            return None;
        }
        Some(Immutable(files))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .args(&self.0)
            .output();
    }
}

#[tokio::test]
async fn sqlite_file_made_read_only_answers_503_with_a_clear_log_line_and_recovers() {
    let db = test_db(Dialect::Sqlite).await.expect("SQLite");
    let server = Server::start(&db, &[]).await;
    let alice = server.register("alice@example.com").await;
    let path = latchkey::config::sqlite_path(&db.url).expect("a file");
    let wal = path.with_extension("db-wal");
    let Some(read_only) = Immutable::set(vec![path, wal]) else {
        return;
    };

    unavailable(
        &server,
        server.post("/api/auth/register", login_body("bob@example.com"), &[]),
    )
    .await;
    unavailable(&server, server.refresh(&alice.refresh)).await;
    assert!(
        server.log_contains("database unavailable: the database's storage failed"),
        "{}",
        server.log_text()
    );

    drop(read_only);
    let bob = server
        .post("/api/auth/register", login_body("bob@example.com"), &[])
        .await;
    assert_eq!(bob.status, StatusCode::OK, "{}", bob.body);
    let refreshed = server.refresh(&alice.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
}
