//! An access token never outlives its session, nor the configured TTL (SECURITY.md, "The
//! security review's findings (issue 7)", item 10).

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

// Named so that SECURITY.md's `token_lifetime.rs::access_tokens_end_with_the_session_on_*`
// (review finding 10) still finds it.
both_engines!(
    access_tokens_end_with_the_session_on_both_engines,
    &[
        ("LATCHKEY_ACCESS_TTL", "600"),
        ("LATCHKEY_REFRESH_IDLE_TTL", "100"),
        ("LATCHKEY_REFRESH_ABSOLUTE_TTL", "100"),
    ],
    |app: TestApp| async move {
        let response = app
            .post(
                "/api/auth/register",
                json!({"email": "short-session@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.json()["expires_in"], 100);
        let claims = claims(response.json()["access_token"].as_str().unwrap());
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            100
        );
    }
);

both_engines!(
    a_token_minted_under_a_longer_ttl_is_refused_after_the_ttl_is_lowered,
    |app: TestApp| async move {
        let long = app
            .restart_with(&[("LATCHKEY_ACCESS_TTL", "3600")])
            .await
            .unwrap();
        let alice = long.register("long-ttl@example.com").await;
        assert_eq!(
            long.list_sessions(&alice.access).await.status,
            StatusCode::OK
        );
        let short = app
            .restart_with(&[("LATCHKEY_ACCESS_TTL", "600")])
            .await
            .unwrap();
        let refused = short.list_sessions(&alice.access).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert_eq!(refused.code(), "invalid_token");
    }
);
