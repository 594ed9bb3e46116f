//! An access token never outlives its session, nor the configured TTL (issue 7, L4).

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

#[tokio::test]
async fn access_tokens_end_with_the_session_on_sqlite() {
    ends_with_the_session(Engine::Sqlite).await;
}

#[tokio::test]
async fn access_tokens_end_with_the_session_on_postgres() {
    ends_with_the_session(Engine::Postgres).await;
}

async fn ends_with_the_session(engine: Engine) {
    let Some(app) = TestApp::spawn_with(
        engine,
        &[
            ("LATCHKEY_ACCESS_TTL", "600"),
            ("LATCHKEY_REFRESH_IDLE_TTL", "100"),
            ("LATCHKEY_REFRESH_ABSOLUTE_TTL", "100"),
        ],
    )
    .await
    else {
        return;
    };
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

both_engines!(
    a_token_minted_under_a_longer_ttl_is_refused_after_the_ttl_is_lowered,
    |app: TestApp| async move {
        let long = app
            .restart_with(&[("LATCHKEY_ACCESS_TTL", "3600")])
            .await
            .unwrap();
        let alice = long.register("long-ttl@example.com").await;
        assert_eq!(
            long.post_bearer("/api/sessions/list", &alice.access, json!({}))
                .await
                .status,
            StatusCode::OK
        );
        let short = app
            .restart_with(&[("LATCHKEY_ACCESS_TTL", "600")])
            .await
            .unwrap();
        let refused = short
            .post_bearer("/api/sessions/list", &alice.access, json!({}))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert_eq!(refused.code(), "invalid_token");
    }
);
