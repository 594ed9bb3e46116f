use http::{Request, StatusCode};

use crate::both_engines;
use crate::support::*;

both_engines!(
    healthz_is_200_when_the_database_answers_and_503_when_it_does_not,
    |app: TestApp| async move {
        let ok = app
            .send(
                Request::get("/healthz")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        app.pool().close().await;
        let down = app
            .send(
                Request::get("/healthz")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(down.json()["code"], "database_unavailable");
    }
);

both_engines!(
    migrations_apply_and_the_pool_answers,
    |app: TestApp| async move {
        let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(tables, 0);
        // Connecting again to a migrated database is a no-op, not an error.
        latchkey::db::Db::connect(&app.state.config.database_url)
            .await
            .expect("second connect");
    }
);

both_engines!(jwks_publishes_the_signing_key, |app: TestApp| async move {
    let response = app
        .send(
            Request::get("/.well-known/jwks.json")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let keys = response.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["crv"], "Ed25519");
    assert_eq!(keys[0]["alg"], "EdDSA");
    assert!(keys[0]["kid"].as_str().unwrap().len() >= 40);
    assert!(
        keys[0].get("d").is_none(),
        "private part must never be published"
    );
});

#[tokio::test]
async fn sqlite_pool_uses_wal_and_foreign_keys() {
    let db = test_db(Dialect::Sqlite).await.unwrap();
    let pool = latchkey::db::Db::connect(&db.url).await.unwrap().pool;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
}

#[tokio::test]
async fn unreachable_database_fails_start_up_with_a_message() {
    let err = latchkey::db::Db::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("could not connect"), "{err}");
}
