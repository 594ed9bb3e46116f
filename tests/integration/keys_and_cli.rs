use http::StatusCode;
use serde_json::Value;

use crate::both_engines;
use crate::support::*;

fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

// The old key stays published until its tokens have expired; a new key is published before
// it signs anything.
both_engines!(
    signing_keys_rotate,
    &[("LATCHKEY_KEY_ROTATION", "1200")],
    |app: TestApp| async move {
        let alice = app.register("keys@example.com").await;
        let old_kid = kid_of(&alice.access);
        let now = || app.clock_now();

        // Close to the end of the key's signing life, the next key is created and published first.
        app.clock.advance(1200 - 200);
        app.state.auth.sync_keys(now()).await.unwrap();
        let jwks: Value = app.state.auth.jwks().parse().unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        let still_old = app.login("keys@example.com").await;
        assert_eq!(
            kid_of(&still_old.access),
            old_kid,
            "a fresh key does not sign before every instance knows it"
        );

        // After the pre-publication delay the new key signs; tokens of the old one still verify.
        app.clock.advance(100);
        app.state.auth.sync_keys(now()).await.unwrap();
        let fresh = app.login("keys@example.com").await;
        assert_ne!(kid_of(&fresh.access), old_kid);
        assert_eq!(
            app.list_sessions(&still_old.access).await.status,
            StatusCode::OK
        );

        // Once every token of the old key has expired, the key is no longer published.
        app.clock.advance(100 + 600 + 61);
        app.state.auth.sync_keys(now()).await.unwrap();
        let jwks: Value = app.state.auth.jwks().parse().unwrap();
        let kids: Vec<_> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert!(!kids.contains(&old_kid), "{kids:?}");
    }
);

#[test]
fn cli_creates_an_admin_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["admin", "create", "--email", "Cli@Example.com"])
        .env("DATABASE_URL", &url)
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
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin cli@example.com created"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = latchkey::db::Db::connect(&url).await.unwrap();
        let role: String =
            sqlx::query_scalar("SELECT role FROM users WHERE email = 'cli@example.com'")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(role, "admin");
    });

    // A password that breaks the policy is refused with a message, not a panic.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["admin", "create", "--email", "short@example.com"])
        .env("DATABASE_URL", &url)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(contract::password::Problem::TooShort.sentence()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_configuration_stops_start_up_naming_the_variable() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .env("LATCHKEY_ACCESS_TTL", "ten minutes")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LATCHKEY_ACCESS_TTL"), "{stderr}");
}
