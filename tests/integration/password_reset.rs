//! One-time password reset links (README, "Password resets"): issued by an administrator or
//! the CLI, stored only as a digest, single use, 30 minutes, and redeeming one ends every
//! session of the account.

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const NEW_PASSWORD: &str = "a fresh start for the account 42";

/// A link issued by `admin` for `user_id`, and the token in its fragment.
async fn issue(app: &TestApp, admin: &str, user_id: &str) -> (String, String) {
    let answer = app
        .post_bearer("/api/admin/reset_link", admin, json!({"user_id": user_id}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = answer.json();
    let link = body["link"].as_str().expect("a link").to_owned();
    let expires_at = body["expires_at"].as_i64().expect("expires_at");
    assert_eq!(expires_at, app.clock_now() + 30 * 60);
    let (page, token) = link.split_once('#').expect("the token is in the fragment");
    assert_eq!(page, format!("{ORIGIN}/reset-password"));
    (link.clone(), token.to_owned())
}

async fn redeem(app: &TestApp, token: &str, password: &str) -> TestResponse {
    app.post(
        "/api/account/reset_password",
        json!({"token": token, "new_password": password}),
    )
    .await
}

async fn login_with(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.post(
        "/api/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

both_engines!(a_link_works_exactly_once, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("forgetful@example.com").await;
    let (_, token) = issue(&app, &admin.access, &user.user_id).await;

    let first = redeem(&app, &token, NEW_PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["ok"], true);
    assert_eq!(
        login_with(&app, "forgetful@example.com", NEW_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login_with(&app, "forgetful@example.com", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );

    let second = redeem(&app, &token, "yet another password 77").await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST, "{}", second.body);
    assert_eq!(second.code(), "invalid_reset_link");
    let unknown = redeem(&app, &"A".repeat(43), NEW_PASSWORD).await;
    assert_eq!(
        unknown.json(),
        second.json(),
        "used and unknown links are answered alike"
    );

    // The owner's activity records both the issuing (by an administrator) and the reset.
    let again = login_with(&app, "forgetful@example.com", NEW_PASSWORD).await;
    let events = app.events(&Signin::from(&again).access).await.events;
    let kinds: Vec<_> = events.iter().map(|e| wire(&e.kind)).collect();
    assert!(
        kinds.contains(&"password_reset_by_link".to_owned()),
        "{kinds:?}"
    );
    let issued = events
        .iter()
        .find(|e| wire(&e.kind) == "reset_link_issued")
        .expect("issuing is recorded");
    assert!(issued.by_admin);
});

both_engines!(a_link_expires_after_30_minutes, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("slow@example.com").await;
    let (_, token) = issue(&app, &admin.access, &user.user_id).await;
    app.clock.advance(30 * 60);
    let late = redeem(&app, &token, NEW_PASSWORD).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
    assert_eq!(late.code(), "invalid_reset_link");

    let admin = app.login("root@example.com").await;
    let (_, fresh) = issue(&app, &admin.access, &user.user_id).await;
    app.clock.advance(30 * 60 - 1);
    assert_eq!(
        redeem(&app, &fresh, NEW_PASSWORD).await.status,
        StatusCode::OK
    );
});

both_engines!(only_the_digest_is_stored, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("stored@example.com").await;
    let (link, token) = issue(&app, &admin.access, &user.user_id).await;
    let rows: Vec<(String, String, Vec<u8>)> =
        sqlx::query_as("SELECT id, user_id, token_hash FROM password_reset_links")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let (id, owner, digest) = &rows[0];
    assert_eq!(owner, &user.user_id);
    use sha2::Digest as _;
    assert_eq!(
        digest.as_slice(),
        sha2::Sha256::digest(token.as_bytes()).as_slice()
    );
    for stored in [id.as_bytes(), digest.as_slice()] {
        assert!(!stored.windows(token.len()).any(|w| w == token.as_bytes()));
    }
    // Nor in any event row.
    let texts: Vec<(String,)> = sqlx::query_as(
        "SELECT COALESCE(ip, '') || COALESCE(device, '') || COALESCE(detail, '') FROM security_events",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(texts
        .iter()
        .all(|(t,)| !t.contains(&token) && !t.contains(&link)));
});

both_engines!(
    redeeming_ends_every_session_at_once,
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        let user = app.register("owned@example.com").await;
        let laptop = app.login("owned@example.com").await;
        let (_, token) = issue(&app, &admin.access, &user.user_id).await;
        assert_eq!(
            redeem(&app, &token, NEW_PASSWORD).await.status,
            StatusCode::OK
        );

        // The access token is refused on its very next use, not when it expires.
        let bearer = app.list_sessions(&laptop.access).await;
        assert_eq!(bearer.status, StatusCode::UNAUTHORIZED, "{}", bearer.body);
        assert_eq!(bearer.code(), "session_revoked");
        for old in [&user, &laptop] {
            let refresh = app.refresh(&old.refresh).await;
            assert_eq!(refresh.status, StatusCode::UNAUTHORIZED, "{}", refresh.body);
            assert_eq!(refresh.code(), "session_revoked");
            assert_eq!(refresh.json()["reason"], "password_reset");
        }
    }
);

both_engines!(
    a_new_link_voids_the_previous_one,
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        let user = app.register("twice@example.com").await;
        let (_, first) = issue(&app, &admin.access, &user.user_id).await;
        let (_, second) = issue(&app, &admin.access, &user.user_id).await;
        let old = redeem(&app, &first, NEW_PASSWORD).await;
        assert_eq!(old.code(), "invalid_reset_link", "{}", old.body);
        assert_eq!(
            redeem(&app, &second, NEW_PASSWORD).await.status,
            StatusCode::OK
        );
    }
);

both_engines!(only_admins_issue_links, |app: TestApp| async move {
    let user = app.register("plain@example.com").await;
    let victim = app.register("victim@example.com").await;
    let answer = app
        .post_bearer(
            "/api/admin/reset_link",
            &user.access,
            json!({"user_id": victim.user_id}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(answer.code(), "forbidden");
    let anonymous = app
        .post("/api/admin/reset_link", json!({"user_id": victim.user_id}))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_reset_links")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was issued");
});

both_engines!(disabled_accounts_cannot_redeem, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("locked@example.com").await;
    let (_, token) = issue(&app, &admin.access, &user.user_id).await;
    let disabled = app.set_disabled(&admin.access, &user.user_id, true).await;
    assert_eq!(disabled.status, StatusCode::OK);
    let refused = redeem(&app, &token, NEW_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(refused.code(), "account_disabled");
    app.set_disabled(&admin.access, &user.user_id, false).await;
    assert_eq!(
        login_with(&app, "locked@example.com", PASSWORD)
            .await
            .status,
        StatusCode::OK,
        "the password did not change"
    );
});

both_engines!(
    a_weak_password_is_refused_and_the_link_stays_usable,
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        let user = app.register("weak@example.com").await;
        let (_, token) = issue(&app, &admin.access, &user.user_id).await;
        for weak in ["short", "weak@example.com", "password123"] {
            let refused = redeem(&app, &token, weak).await;
            assert_eq!(
                refused.status,
                StatusCode::BAD_REQUEST,
                "{weak}: {}",
                refused.body
            );
            assert_eq!(refused.code(), "invalid_password", "{weak}");
        }
        assert_eq!(
            app.refresh(&user.refresh).await.status,
            StatusCode::OK,
            "nothing ended"
        );
        assert_eq!(
            redeem(&app, &token, NEW_PASSWORD).await.status,
            StatusCode::OK
        );
    }
);

both_engines!(
    of_two_concurrent_redemptions_exactly_one_wins,
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        for round in 0..4 {
            let email = format!("race{round}@example.com");
            let user = app.register(&email).await;
            let (_, token) = issue(&app, &admin.access, &user.user_id).await;
            let (a, b) = futures::join!(
                redeem(&app, &token, "first racer password 1"),
                redeem(&app, &token, "second racer password 2"),
            );
            let won = [&a, &b]
                .iter()
                .filter(|r| r.status == StatusCode::OK)
                .count();
            assert_eq!(won, 1, "round {round}: {} / {}", a.body, b.body);
            let loser = if a.status == StatusCode::OK { &b } else { &a };
            assert_eq!(loser.code(), "invalid_reset_link", "{}", loser.body);
            let winner = if a.status == StatusCode::OK {
                "first racer password 1"
            } else {
                "second racer password 2"
            };
            assert_eq!(
                login_with(&app, &email, winner).await.status,
                StatusCode::OK
            );
        }
    }
);

#[test]
fn cli_prints_a_link_and_refuses_an_unknown_email() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let cli = |email: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .args(["admin", "reset-link", "--email", email])
            .env("DATABASE_URL", &url)
            .env("LATCHKEY_PUBLIC_ORIGIN", "https://auth.example.com")
            .env("LATCHKEY_ARGON2_M_KIB", "8192")
            .env("LATCHKEY_ARGON2_T", "1")
            .output()
            .unwrap()
    };
    let mut create = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["admin", "create", "--email", "someone@example.com"])
        .env("DATABASE_URL", &url)
        .env("LATCHKEY_ARGON2_M_KIB", "8192")
        .env("LATCHKEY_ARGON2_T", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = create.stdin.take().unwrap();
        stdin.write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    }
    assert!(create.wait().unwrap().success());

    let out = cli("Someone@Example.com");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = stdout.lines().next().unwrap();
    let token = link
        .strip_prefix("https://auth.example.com/reset-password#")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(token.len(), 43);
    assert!(stdout.contains("expires in 30 minutes"), "{stdout}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(token),
        "the link never reaches the log"
    );

    let unknown = cli("nobody@example.com");
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no account has the email nobody@example.com"),
        "{stderr}"
    );
    assert!(unknown.stdout.is_empty());
}

both_engines!(
    redemptions_are_limited_per_client_like_sign_ins,
    &[("LATCHKEY_RATE_LOGIN_PER_MIN", "2")],
    |app: TestApp| async move {
        for _ in 0..2 {
            let guess = redeem(&app, &"A".repeat(43), NEW_PASSWORD).await;
            assert_eq!(guess.code(), "invalid_reset_link", "{}", guess.body);
        }
        let limited = redeem(&app, &"B".repeat(43), NEW_PASSWORD).await;
        assert_eq!(
            limited.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            limited.body
        );
        assert!(limited.headers.contains_key("retry-after"));
    }
);
