use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

both_engines!(
    register_signs_in_and_normalises_the_email,
    |app: TestApp| async move {
        let response = app
            .post(
                "/api/auth/register",
                json!({"email": "  Alice@Example.COM ", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let body = response.json();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 600);
        assert_eq!(body["user"]["email"], "alice@example.com");
        assert_eq!(body["user"]["role"], "user");
        assert!(
            body.get("refresh_token").is_none(),
            "refresh token must only travel in the cookie"
        );
        assert!(!response.body.contains(&response.refresh_cookie().unwrap()));
        app.login("ALICE@example.com").await;
    }
);

both_engines!(
    duplicate_email_is_refused_case_insensitively,
    |app: TestApp| async move {
        app.register("bob@example.com").await;
        let again = app
            .post(
                "/api/auth/register",
                json!({"email": "BOB@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.code(), "email_taken");
        assert!(again.refresh_cookie().is_none());
    }
);

both_engines!(
    register_ignores_a_role_in_the_body,
    |app: TestApp| async move {
        let response = app
            .post(
                "/api/auth/register",
                json!({"email": "mallory@example.com", "password": PASSWORD, "role": "admin"}),
            )
            .await;
        // Unknown fields are either ignored or refused; never honoured.
        if response.status == StatusCode::OK {
            assert_eq!(response.json()["user"]["role"], "user");
        } else {
            assert_eq!(response.status, StatusCode::BAD_REQUEST);
        }
    }
);

both_engines!(
    password_policy_is_enforced_and_long_passwords_are_not_truncated,
    |app: TestApp| async move {
        let short = app
            .post(
                "/api/auth/register",
                json!({"email": "c@example.com", "password": "1234567"}),
            )
            .await;
        assert_eq!(short.status, StatusCode::BAD_REQUEST);
        assert_eq!(short.code(), "invalid_password");
        let too_long = app
            .post(
                "/api/auth/register",
                json!({"email": "c@example.com", "password": "x".repeat(129)}),
            )
            .await;
        assert_eq!(too_long.code(), "invalid_password");
        let bad_email = app
            .post(
                "/api/auth/register",
                json!({"email": "not-an-email", "password": PASSWORD}),
            )
            .await;
        assert_eq!(bad_email.code(), "invalid_email");

        // No run, sequence or repeated chunk: the rules accept it on its length alone.
        let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789".chars().collect();
        let prefix_text: String = (0..127).map(|i| alphabet[(i * 7) % 36]).collect();
        let long = prefix_text.clone() + "!";
        let ok = app
            .post(
                "/api/auth/register",
                json!({"email": "d@example.com", "password": long}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        let prefix = app
            .post(
                "/api/auth/login",
                json!({"email": "d@example.com", "password": prefix_text}),
            )
            .await;
        assert_eq!(
            prefix.status,
            StatusCode::UNAUTHORIZED,
            "a truncating hash would accept the prefix"
        );
        let full = app
            .post(
                "/api/auth/login",
                json!({"email": "d@example.com", "password": long}),
            )
            .await;
        assert_eq!(full.status, StatusCode::OK);
    }
);

both_engines!(
    wrong_password_and_unknown_email_answer_identically,
    |app: TestApp| async move {
        app.register("carol@example.com").await;
        let wrong = app
            .post(
                "/api/auth/login",
                json!({"email": "carol@example.com", "password": "wrong password"}),
            )
            .await;
        let unknown = app
            .post(
                "/api/auth/login",
                json!({"email": "nobody@example.com", "password": "wrong password"}),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.body, unknown.body);
        assert_eq!(wrong.code(), "invalid_credentials");
        assert!(wrong.set_cookies().is_empty() && unknown.set_cookies().is_empty());
        // Every answer has its own request id; both have one, and nothing else differs.
        let headers = |response: &TestResponse| -> Vec<_> {
            assert!(response.headers.contains_key("x-request-id"));
            response
                .headers
                .iter()
                .filter(|(k, _)| k.as_str() != "x-request-id")
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect()
        };
        let mut a = headers(&wrong);
        let mut b = headers(&unknown);
        a.sort_by(|x, y| x.0.cmp(&y.0));
        b.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(a, b);
    }
);

both_engines!(
    refresh_cookie_attributes_are_exact,
    |app: TestApp| async move {
        let response = app
            .post(
                "/api/auth/register",
                json!({"email": "erin@example.com", "password": PASSWORD}),
            )
            .await;
        let cookies = response.set_cookies();
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        let token = response.refresh_cookie().unwrap();
        assert_eq!(token.len(), 43);
        // The cookie's name is part of the contract: this is the one place it is spelled out
        // (everywhere else uses `REFRESH_COOKIE`), so renaming it fails here.
        assert_eq!(
        cookies[0],
        format!("__Host-latchkey-refresh={token}; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=2592000")
    );
        assert_eq!(response.headers["cache-control"], "no-store");
    }
);

both_engines!(
    logout_revokes_the_session_and_clears_the_cookie,
    |app: TestApp| async move {
        let alice = app.register("frank@example.com").await;
        let out = app.post_cookie("/api/auth/logout", &alice.refresh).await;
        assert_eq!(out.status, StatusCode::OK);
        assert_eq!(
            out.set_cookies(),
            vec![format!(
                "{REFRESH_COOKIE}=; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=0"
            )]
        );
        let replay = app.refresh(&alice.refresh).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        assert_eq!(replay.code(), "session_revoked");
        let list = app.list_sessions(&alice.access).await;
        assert_eq!(
            list.status,
            StatusCode::UNAUTHORIZED,
            "access token dies with the session"
        );
        // Logging out again, or without a cookie, is harmless.
        assert_eq!(
            app.post_cookie("/api/auth/logout", &alice.refresh)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.post("/api/auth/logout", json!({})).await.status,
            StatusCode::OK
        );
    }
);

both_engines!(
    database_holds_no_plaintext_secrets,
    |app: TestApp| async move {
        let alice = app.register("grace@example.com").await;
        let next = app.refresh(&alice.refresh).await.refresh_cookie().unwrap();
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
        let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT token_hash, successor_sealed FROM refresh_tokens")
                .fetch_all(app.pool())
                .await
                .unwrap();
        for (digest, sealed) in rows {
            for token in [&alice.refresh, &next] {
                let needle = token.as_bytes();
                assert!(!digest.windows(needle.len()).any(|w| w == needle));
                assert!(!sealed
                    .clone()
                    .unwrap_or_default()
                    .windows(needle.len())
                    .any(|w| w == needle));
            }
            // A digest copied from the database and sent as the cookie is useless.
            use base64::Engine as _;
            let as_cookie = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest);
            assert_eq!(
                app.refresh(&as_cookie).await.code(),
                "invalid_refresh_token"
            );
        }
    }
);

both_engines!(disabled_accounts_cannot_log_in, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("henry@example.com").await;
    let r = app.set_disabled(&admin.access, &user.user_id, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let login = app
        .post(
            "/api/auth/login",
            json!({"email": "henry@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login.code(), "account_disabled");
    assert!(login.refresh_cookie().is_none());
});

#[tokio::test]
async fn login_is_rate_limited_per_ip_with_retry_after() {
    let app = TestApp::spawn_with(Dialect::Sqlite, &[("LATCHKEY_RATE_LOGIN_PER_MIN", "3")])
        .await
        .unwrap();
    for _ in 0..3 {
        let r = app
            .post(
                "/api/auth/login",
                json!({"email": "x@example.com", "password": "wrong password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app
        .post(
            "/api/auth/login",
            json!({"email": "x@example.com", "password": "wrong password"}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Without a trusted proxy, X-Forwarded-For does not buy a fresh bucket.
    let spoofed = app
        .post_with(
            "/api/auth/login",
            json!({"email": "x@example.com", "password": "wrong"}),
            &[("x-forwarded-for", "198.51.100.1")],
        )
        .await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
}
