//! Cross-site request forgery and transport rules (SECURITY.md, "C. Cookies, CSRF, fixation";
//! the oversized and malformed bodies are attacks 41 and 43 of "E. Login and passwords").

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const COOKIE_ENDPOINTS: [&str; 4] = [
    "/api/auth/login",
    "/api/auth/register",
    "/api/auth/refresh",
    "/api/auth/logout",
];

both_engines!(
    non_json_bodies_are_refused_with_415,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        for path in COOKIE_ENDPOINTS.iter().chain(&["/api/account/password"]) {
            for content_type in [
                "application/x-www-form-urlencoded",
                "text/plain",
                "multipart/form-data; boundary=x",
            ] {
                let request = Request::post(*path)
                    .header("content-type", content_type)
                    .header("cookie", cookie_header(&alice.refresh))
                    .body(Body::from("email=a%40b.c&password=xxxxxxxxx"))
                    .unwrap();
                let r = app.send(request).await;
                assert_eq!(
                    r.status,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "{path} with {content_type}"
                );
                assert_eq!(r.code(), "unsupported_media_type");
            }
        }
        assert_eq!(
            app.refresh(&alice.refresh).await.status,
            StatusCode::OK,
            "nothing was consumed"
        );
    }
);

both_engines!(
    foreign_origins_and_cross_site_fetches_are_refused_with_403,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let cookie = cookie_header(&alice.refresh);
        for path in COOKIE_ENDPOINTS {
            let evil = app
                .post_with(
                    path,
                    json!({}),
                    &[("origin", "https://evil.example"), ("cookie", &cookie)],
                )
                .await;
            assert_eq!(evil.status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(evil.code(), "forbidden");
            let cross = app
                .post_with(
                    path,
                    json!({}),
                    &[("sec-fetch-site", "cross-site"), ("cookie", &cookie)],
                )
                .await;
            assert_eq!(cross.status, StatusCode::FORBIDDEN, "{path}");
        }
        assert_eq!(
            app.refresh(&alice.refresh).await.status,
            StatusCode::OK,
            "nothing was consumed"
        );
    }
);

both_engines!(
    get_on_state_changing_endpoints_changes_nothing,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        for path in COOKIE_ENDPOINTS {
            let request = Request::get(path)
                .header("cookie", cookie_header(&alice.refresh))
                .body(Body::empty())
                .unwrap();
            let r = app.send(request).await;
            assert!(
                matches!(r.status.as_u16(), 404 | 405),
                "{path}: {}",
                r.status
            );
            assert!(r.refresh_cookie().is_none());
        }
        assert_eq!(app.refresh(&alice.refresh).await.status, StatusCode::OK);
    }
);

both_engines!(
    oversized_bodies_are_refused_before_hashing,
    |app: TestApp| async move {
        let huge = "x".repeat(1024 * 1024);
        let started = std::time::Instant::now();
        let r = app
            .post(
                "/api/auth/login",
                json!({"email": "a@example.com", "password": huge}),
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.code(), "payload_too_large");
        let _ = started;
        let mid = app
            .post(
                "/api/auth/register",
                json!({"email": "a@example.com", "password": "x".repeat(10_000)}),
            )
            .await;
        assert_eq!(mid.status, StatusCode::BAD_REQUEST);
    }
);

both_engines!(
    malformed_json_is_a_400_not_a_500,
    |app: TestApp| async move {
        let missing = app
            .post("/api/auth/login", json!({"email": "a@example.com"}))
            .await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.body);
        assert_eq!(missing.code(), "invalid_input");
        let request = Request::post("/api/auth/login")
            .header("content-type", "application/json")
            .body(Body::from("{not json"))
            .unwrap();
        assert_eq!(app.send(request).await.status, StatusCode::BAD_REQUEST);
    }
);

both_engines!(
    every_api_answer_is_no_store_and_cors_is_never_granted,
    |app: TestApp| async move {
        let ok = app
            .post(
                "/api/auth/register",
                json!({"email": "a@example.com", "password": PASSWORD}),
            )
            .await;
        let err = app
            .post(
                "/api/auth/login",
                json!({"email": "a@example.com", "password": "wrong one"}),
            )
            .await;
        let refused = app
            .post_with(
                "/api/auth/refresh",
                json!({}),
                &[("origin", "https://evil.example")],
            )
            .await;
        for r in [&ok, &err, &refused] {
            assert_eq!(r.headers["cache-control"], "no-store");
            assert!(r.headers.get("access-control-allow-origin").is_none());
            assert!(r.headers.get("access-control-allow-credentials").is_none());
        }
    }
);
