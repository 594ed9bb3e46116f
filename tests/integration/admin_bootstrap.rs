//! Admin accounts are created, never taken over: the env bootstrap leaves an existing account
//! alone, and the deliberate CLI paths end every session of the account (SECURITY.md, "The
//! security review's findings (issue 7)", item 2).

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const ATTACKER_PASSWORD: &str = "attacker-chose-this-1";
const ENV_PASSWORD: &str = "operator-env-password-1";

async fn login_with(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.post(
        "/api/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

both_engines!(
    env_bootstrap_never_promotes_a_pre_registered_account,
    |app: TestApp| async move {
        // The attacker registers the future admin's email first and keeps the session.
        let registered = app
            .post(
                "/api/auth/register",
                json!({"email": "ops@corp.example", "password": ATTACKER_PASSWORD}),
            )
            .await;
        let attacker = Signin::from(&registered);

        let restarted = app
            .restart_with(&[
                ("LATCHKEY_ADMIN_EMAIL", "Ops@Corp.example"),
                ("LATCHKEY_ADMIN_PASSWORD", ENV_PASSWORD),
            ])
            .await
            .expect("start-up with an existing account still starts");

        let refreshed = restarted.refresh(&attacker.refresh).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
        assert_eq!(
            refreshed.json()["user"]["role"],
            "user",
            "promoted at start-up"
        );
        let token = refreshed.json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let admin = restarted.list_users(&token, "", 0, 10).await;
        assert_eq!(admin.status, StatusCode::FORBIDDEN);
        // Neither was the password reset.
        assert_eq!(
            login_with(&restarted, "ops@corp.example", ENV_PASSWORD)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login_with(&restarted, "ops@corp.example", ATTACKER_PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
    }
);

both_engines!(
    env_bootstrap_never_resets_or_re_enables_an_existing_admin,
    |app: TestApp| async move {
        let first = app
            .restart_with(&[
                ("LATCHKEY_ADMIN_EMAIL", "root@example.com"),
                ("LATCHKEY_ADMIN_PASSWORD", ENV_PASSWORD),
            ])
            .await
            .unwrap();
        let root = Signin::from(login_with(&first, "root@example.com", ENV_PASSWORD).await);
        // The admin changes the password in the UI; another admin later disables the account.
        let changed = first
            .post_bearer(
                "/api/account/password",
                &root.access,
                json!({"current_password": ENV_PASSWORD, "new_password": "changed-in-the-ui-1",
                       "revoke_other_sessions": true}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        sqlx::query("UPDATE users SET disabled_at = 1 WHERE email = 'root@example.com'")
            .execute(app.pool())
            .await
            .unwrap();

        let again = app
            .restart_with(&[
                ("LATCHKEY_ADMIN_EMAIL", "root@example.com"),
                ("LATCHKEY_ADMIN_PASSWORD", ENV_PASSWORD),
            ])
            .await
            .unwrap();
        let old = login_with(&again, "root@example.com", ENV_PASSWORD).await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
        let disabled: Option<i64> =
            sqlx::query_scalar("SELECT disabled_at FROM users WHERE email = 'root@example.com'")
                .fetch_one(app.pool())
                .await
                .unwrap();
        assert!(disabled.is_some(), "start-up re-enabled a disabled admin");
    }
);

both_engines!(
    promotion_ends_every_session_of_the_account,
    |app: TestApp| async move {
        let registered = app
            .post(
                "/api/auth/register",
                json!({"email": "future-admin@example.com", "password": ATTACKER_PASSWORD}),
            )
            .await;
        let attacker = Signin::from(&registered);
        let change = app
            .state
            .auth
            .promote_to_admin("future-admin@example.com")
            .await
            .unwrap();
        assert_eq!(change.ended_sessions, 1);

        let refreshed = app.refresh(&attacker.refresh).await;
        assert_eq!(
            refreshed.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            refreshed.body
        );
        assert_eq!(refreshed.json()["reason"], "promoted_to_admin");
        assert_eq!(
            app.list_sessions(&attacker.access).await.status,
            StatusCode::UNAUTHORIZED,
            "the old access token died too"
        );
        // The owner, signing in with the password, sees why the old session ended.
        let owner =
            Signin::from(login_with(&app, "future-admin@example.com", ATTACKER_PASSWORD).await);
        let sessions = app.sessions(&owner.access).await;
        assert_eq!(
            wire(&sessions.ended[0].reason),
            "promoted_to_admin",
            "{sessions:?}"
        );
        let events = app
            .post_bearer("/api/account/events", &owner.access, json!({}))
            .await
            .json();
        assert!(
            events["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "role_changed" && e["role"] == "admin"),
            "{events}"
        );
    }
);

both_engines!(
    password_reset_ends_every_session_of_the_account,
    |app: TestApp| async move {
        let alice = app.register("reset@example.com").await;
        let change = app
            .state
            .auth
            .reset_password("reset@example.com", &ENV_PASSWORD.to_owned().into())
            .await
            .unwrap();
        assert_eq!(change.ended_sessions, 1);
        let refreshed = app.refresh(&alice.refresh).await;
        assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refreshed.json()["reason"], "password_reset");
        assert_eq!(
            login_with(&app, "reset@example.com", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login_with(&app, "reset@example.com", ENV_PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
    }
);

fn cli(args: &[&str], url: &str, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("LATCHKEY_ARGON2_M_KIB", "8192")
        .env("LATCHKEY_ARGON2_T", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn cli_create_refuses_an_existing_account_and_promote_and_reset_end_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = latchkey::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "LATCHKEY_ARGON2_M_KIB" => Some("8192".into()),
        "LATCHKEY_ARGON2_T" => Some("1".into()),
        _ => None,
    })
    .unwrap();
    let session_id = rt.block_on(async {
        let state = latchkey::startup::build_state(config.clone(), leptos_options())
            .await
            .unwrap();
        let client = latchkey::auth::ClientInfo::new("198.51.100.1", UA_FIREFOX);
        state
            .auth
            .register("taken@example.com", ATTACKER_PASSWORD, &client)
            .await
            .unwrap()
            .session_id
    });
    let live = |url: &str| {
        let url = url.to_owned();
        let id = session_id.clone();
        rt.block_on(async move {
            let db = latchkey::db::Db::connect(&url).await.unwrap();
            let revoked: Option<String> =
                sqlx::query_scalar("SELECT revoke_reason FROM sessions WHERE id = $1")
                    .bind(id)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            revoked
        })
    };

    let create = cli(
        &["admin", "create", "--email", "taken@example.com"],
        &url,
        &format!("{ENV_PASSWORD}\n"),
    );
    assert!(!create.status.success());
    let stderr = String::from_utf8_lossy(&create.stderr);
    assert!(stderr.contains("admin promote"), "{stderr}");
    assert_eq!(live(&url), None, "create changed the existing account");

    let promote = cli(
        &["admin", "promote", "--email", "Taken@Example.com"],
        &url,
        "",
    );
    assert!(
        promote.status.success(),
        "{}",
        String::from_utf8_lossy(&promote.stderr)
    );
    assert!(String::from_utf8_lossy(&promote.stdout).contains("1 session(s) ended"));
    assert_eq!(live(&url).as_deref(), Some("promoted_to_admin"));

    let reset = cli(
        &["admin", "reset-password", "--email", "taken@example.com"],
        &url,
        &format!("{ENV_PASSWORD}\n"),
    );
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );

    let unknown = cli(
        &["admin", "promote", "--email", "nobody@example.com"],
        &url,
        "",
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account"));
}
