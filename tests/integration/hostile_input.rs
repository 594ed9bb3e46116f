//! Input nobody writes by hand (issue 11, "Limits"): absurd paging, bytes that are not UTF-8,
//! control characters in credentials, JSON nested thousands deep, numbers out of range. Each
//! gets a clear 4xx, and nothing is changed by it. (Oversized heads and cookies are refused
//! by the HTTP layer itself: `slow_clients::oversized_request_heads_get_431_and_garbage_gets_400`.)

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;

use crate::both_engines;
use crate::support::*;

async fn raw_post(app: &TestApp, path: &str, body: Vec<u8>, bearer: Option<&str>) -> TestResponse {
    let mut request = Request::post(path)
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .header("user-agent", UA_FIREFOX)
        .header("content-length", body.len());
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    app.send(request.body(Body::from(body)).expect("request"))
        .await
}

both_engines!(
    absurd_paging_values_are_clamped_or_refused,
    |app: TestApp| async move {
        let admin = app.admin("admin@example.com").await;
        for i in 0..3 {
            app.register(&format!("user{i}@example.com")).await;
        }
        // Out-of-range but well-typed values are clamped: a page is 1..=100 rows from offset ≥ 0.
        let far = app.admin_users(&admin.access, "", i64::MAX, i64::MAX).await;
        assert!(far.users.is_empty());
        let negative = app.admin_users(&admin.access, "", i64::MIN, -5).await;
        assert_eq!(negative.users.len(), 1);
        let huge_limit = app.admin_users(&admin.access, "", 0, i64::MAX).await;
        assert_eq!(huge_limit.users.len(), 4);
        // Values that are not an i64 at all are refused, not guessed.
        for (offset, limit) in [
            ("0", "1e300"),
            ("0", "18446744073709551616"),
            ("0", "\"ten\""),
            ("-0.5", "10"),
            ("null", "10"),
        ] {
            let body = format!(r#"{{"query":"","offset":{offset},"limit":{limit}}}"#);
            let r = raw_post(
                &app,
                "/api/admin/users",
                body.into_bytes(),
                Some(&admin.access),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{offset} {limit}: {}",
                r.body
            );
            assert_eq!(r.code(), "invalid_input");
        }
        // Search terms are data: LIKE wildcards match themselves, not everything.
        let wildcard = app.admin_users(&admin.access, "%", 0, 100).await;
        assert!(wildcard.users.is_empty(), "{:?}", wildcard.users.len());
        let underscore = app.admin_users(&admin.access, "user_", 0, 100).await;
        assert!(underscore.users.is_empty());
    }
);

both_engines!(
    bytes_that_are_not_utf8_are_a_400,
    |app: TestApp| async move {
        for path in ["/api/auth/register", "/api/auth/login"] {
            let mut body = br#"{"email":"al"#.to_vec();
            body.extend_from_slice(b"\xff\xfe");
            body.extend_from_slice(
                br#"ice@example.com","password":"correct horse battery staple"}"#,
            );
            let r = raw_post(&app, path, body, None).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
            assert_eq!(r.code(), "invalid_input");
            // A lone surrogate escape is not a character either.
            let r = raw_post(
                &app,
                path,
                br#"{"email":"a\ud800@example.com","password":"correct horse battery staple"}"#
                    .to_vec(),
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        }
    }
);

both_engines!(
    control_characters_in_emails_are_refused,
    |app: TestApp| async move {
        for email in [
            "alice\u{0}@example.com",
            "alice@example.com\r\nBcc: mallory@example.com",
            "\u{1b}[31malice@example.com",
            "alice\u{202e}@example.com",
            "alice\u{85}@example.com",
            "alice@exa\tmple.com",
            "ali\u{200b}ce@example.com",
        ] {
            let r = app
                .post(
                    "/api/auth/register",
                    json!({"email": email, "password": PASSWORD}),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{email:?}: {}", r.body);
            assert_eq!(r.code(), "invalid_email", "{email:?}");
            let login = app
                .post(
                    "/api/auth/login",
                    json!({"email": email, "password": PASSWORD}),
                )
                .await;
            assert!(
                login.status == StatusCode::BAD_REQUEST || login.status == StatusCode::UNAUTHORIZED,
                "{email:?}: {}",
                login.body
            );
        }
    }
);

both_engines!(
    control_characters_in_new_passwords_are_refused_and_harmless_at_sign_in,
    |app: TestApp| async move {
        for password in [
            "correct horse\u{0}battery staple",
            "correct horse battery staple\u{7}",
            "correct\u{1b}[2Jhorse battery staple",
            "correct horse\u{9b}battery staple",
            "correct\thorse battery staple",
        ] {
            let r = app
                .post(
                    "/api/auth/register",
                    json!({"email": "bob@example.com", "password": password}),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{password:?}: {}",
                r.body
            );
            assert_eq!(r.code(), "invalid_password", "{password:?}");
        }
        // Letters of any script are fine.
        let r = app
            .post(
                "/api/auth/register",
                json!({"email": "carol@example.com", "password": "ünïcödé pässwörd wörks"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let alice = app.register("alice@example.com").await;
        let wrong = app
            .post(
                "/api/auth/login",
                json!({"email": "alice@example.com", "password": "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}"}),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
        assert_eq!(app.refresh(&alice.refresh).await.status, StatusCode::OK);
    }
);

both_engines!(
    deeply_nested_json_is_refused_or_ignored_and_harmless,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let depth = 7_000; // under the 16 KiB body limit, far over serde_json's 128 levels
        let nested =
            |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
        // Where the nesting is a field's value, parsing stops at 128 levels: 400.
        let in_a_field = format!(r#"{{"email":{},"password":"x"}}"#, nested("[", "]", depth));
        for path in [
            "/api/auth/login",
            "/api/auth/register",
            "/api/account/password",
        ] {
            let r = raw_post(
                &app,
                path,
                in_a_field.clone().into_bytes(),
                Some(&alice.access),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
            assert_eq!(r.code(), "invalid_input", "{path}");
        }
        // In an unknown field it is skipped or refused; either way the server stays up and the
        // request changes nothing.
        for extra in [nested("[", "]", depth), nested(r#"{"a":"#, "}", depth / 5)] {
            let body = format!(r#"{{"email":"alice@example.com","password":"x","extra":{extra}}}"#);
            let r = raw_post(&app, "/api/auth/login", body.into_bytes(), None).await;
            assert!(
                r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::UNAUTHORIZED,
                "{}",
                r.body
            );
        }
        assert_eq!(app.refresh(&alice.refresh).await.status, StatusCode::OK);
    }
);
