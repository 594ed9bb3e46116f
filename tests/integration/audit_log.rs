//! Security events as log lines at target `latchkey::audit`, for fail2ban or a SIEM: one line
//! per committed event, failed sign-ins with the caller's address whether or not the account
//! exists, and nothing for an operation whose transaction rolled back.

use http::StatusCode;
use serde_json::{json, Value};

use crate::process::Server;
use crate::support::*;

fn audit_lines(server: &Server, kind: &str) -> Vec<Value> {
    server
        .json_lines_at("latchkey::audit")
        .into_iter()
        .filter(|line| line["kind"] == kind)
        .collect()
}

fn session_of(signin: &Signin) -> String {
    claims(&signin.access)["sid"]
        .as_str()
        .expect("sid")
        .to_owned()
}

/// Refuses to store `refresh_reused` events, so that ending a session for reuse fails after its
/// `session_revoked` event was written in the same transaction, which then rolls back.
async fn refuse_reuse_events(db: &TestDb) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("database");
    let statements: &[&str] = if db.url.starts_with("sqlite:") {
        &[
            "CREATE TRIGGER refuse_reuse_events BEFORE INSERT ON security_events
           WHEN NEW.kind = 'refresh_reused'
           BEGIN SELECT RAISE(ABORT, 'test: refresh_reused events refused'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION refuse_reuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.kind = 'refresh_reused' THEN
                     RAISE EXCEPTION 'test: refresh_reused events refused';
                 END IF;
                 RETURN NEW;
             END $$",
            "CREATE TRIGGER refuse_reuse_events BEFORE INSERT ON security_events
             FOR EACH ROW EXECUTE FUNCTION refuse_reuse_events()",
        ]
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    pool.close().await;
}

/// Refresh `first` twice, then present it again: reuse.
async fn reuse(server: &Server, signin: &Signin) -> TestResponse {
    let second = Signin::from(server.refresh(&signin.refresh).await);
    let third = server.refresh(&second.refresh).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.body);
    server.refresh(&signin.refresh).await
}

async fn audit_lines_follow_commits(engine: Dialect) {
    let Some(db) = test_db(engine).await else {
        return;
    };
    let server = Server::start(&db, &[("LATCHKEY_LOG_FORMAT", "json")]).await;

    // Reuse: one line for the theft, one for the session it ended.
    let victim = server.register("victim@example.com").await;
    let reused = reuse(&server, &victim).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "{}", reused.body);
    let session = session_of(&victim);
    server
        .wait_for_log("refresh_reused", |s| {
            !audit_lines(s, "refresh_reused").is_empty()
        })
        .await;
    let theft = audit_lines(&server, "refresh_reused");
    assert_eq!(theft.len(), 1, "{theft:?}");
    assert_eq!(theft[0]["session_id"], session.as_str(), "{}", theft[0]);
    assert_eq!(theft[0]["user_id"], victim.user_id.as_str(), "{}", theft[0]);
    assert_eq!(theft[0]["ip"], "127.0.0.1", "{}", theft[0]);
    assert!(theft[0]["event_id"].as_str().is_some(), "{}", theft[0]);
    let ended: Vec<Value> = audit_lines(&server, "session_revoked")
        .into_iter()
        .filter(|line| line["session_id"] == session.as_str())
        .collect();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0]["reason"], "refresh_reused", "{}", ended[0]);

    // Failed sign-ins carry the caller's address, with or without an account.
    for (email, user_id) in [
        ("victim@example.com", Some(victim.user_id.as_str())),
        ("nobody@example.com", None),
    ] {
        let before = audit_lines(&server, "login_failed").len();
        let failed = server
            .post(
                "/api/auth/login",
                json!({"email": email, "password": "not the password at all"}),
                &[],
            )
            .await;
        assert_eq!(failed.status, StatusCode::UNAUTHORIZED, "{}", failed.body);
        server
            .wait_for_log("login_failed", |s| {
                audit_lines(s, "login_failed").len() > before
            })
            .await;
        let lines = audit_lines(&server, "login_failed");
        assert_eq!(lines.len(), before + 1, "{lines:?}");
        let line = &lines[before];
        assert_eq!(line["ip"], "127.0.0.1", "{line}");
        assert_eq!(line["device"], "Firefox on Linux", "{line}");
        match user_id {
            Some(id) => assert_eq!(line["user_id"], id, "{line}"),
            None => assert!(line.get("user_id").is_none(), "{line}"),
        }
    }

    // A reuse whose transaction fails after the session's end was written: nothing committed,
    // so nothing is logged for that session and it is still live.
    refuse_reuse_events(&db).await;
    let other = server.register("other@example.com").await;
    let failed = reuse(&server, &other).await;
    assert_eq!(
        failed.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        failed.body
    );
    let session = session_of(&other);
    // The error line comes after the transaction has been abandoned.
    server
        .wait_for_log("the failed reuse's error", |s| {
            s.log_contains("internal error")
        })
        .await;
    let about_it: Vec<Value> = server
        .json_lines_at("latchkey::audit")
        .into_iter()
        .filter(|line| line["session_id"] == session.as_str())
        .filter(|line| line["kind"] != "registered")
        .collect();
    assert!(about_it.is_empty(), "rolled back, yet logged: {about_it:?}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("database");
    let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at FROM sessions WHERE id = $1")
        .bind(&session)
        .fetch_one(&pool)
        .await
        .expect("the session row");
    assert_eq!(revoked, None, "the revocation was rolled back");

    // No audit line names an email: the user id is the account's name in the log.
    for line in server.json_lines_at("latchkey::audit") {
        assert!(!line.to_string().contains("@example.com"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_lines_follow_commits_sqlite() {
    audit_lines_follow_commits(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_lines_follow_commits_postgres() {
    audit_lines_follow_commits(Dialect::Postgres).await;
}

/// The README's fail2ban filter, `latchkey::audit: security event kind=login_failed .*\bip=<HOST>`,
/// against the default text log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_log_failed_sign_ins_match_the_fail2ban_filter() {
    let Some(db) = test_db(Dialect::Sqlite).await else {
        return;
    };
    let server = Server::start(&db, &[]).await;
    let failed = server
        .post(
            "/api/auth/login",
            json!({"email": "nobody@example.com", "password": "not the password at all"}),
            &[],
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let matches = |line: &str| {
        let Some(start) = line.find(" latchkey::audit: security event kind=login_failed ") else {
            return false;
        };
        let fields = &line[start..];
        // fail2ban's `\bip=<HOST>`: an `ip=` not preceded by a word character.
        fields.match_indices("ip=").any(|(at, _)| {
            let before = fields.as_bytes()[at - 1];
            !(before.is_ascii_alphanumeric() || before == b'_')
                && fields[at + 3..].starts_with("127.0.0.1")
        })
    };
    server
        .wait_for_log("a login_failed line fail2ban matches", |s| {
            s.log.lock().unwrap().iter().any(|l| matches(l))
        })
        .await;
}
