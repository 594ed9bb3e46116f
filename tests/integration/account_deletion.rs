//! Deleting an account (README, "Deleting an account"): by its owner with the password, or by
//! an administrator. Every session ends at once, the personal data goes, the email is free
//! again, and a record of the deletion remains.

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

async fn delete_own(app: &TestApp, access: &str, password: &str) -> TestResponse {
    app.post_bearer("/api/account/delete", access, json!({"password": password}))
        .await
}

async fn admin_delete(app: &TestApp, access: &str, user_id: &str) -> TestResponse {
    app.post_bearer(
        "/api/admin/delete_user",
        access,
        json!({"user_id": user_id}),
    )
    .await
}

async fn count(app: &TestApp, sql: &str, user_id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// Nothing of the account is left but its deletion record.
async fn assert_gone(app: &TestApp, user_id: &str) {
    for sql in [
        "SELECT COUNT(*) FROM users WHERE id = $1",
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
        "SELECT COUNT(*) FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1",
        "SELECT COUNT(*) FROM security_events WHERE user_id = $1",
        "SELECT COUNT(*) FROM password_reset_links WHERE user_id = $1",
    ] {
        assert_eq!(count(app, sql, user_id).await, 0, "{sql}");
    }
    let orphans: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM refresh_tokens WHERE session_id NOT IN (SELECT id FROM sessions))
              + (SELECT COUNT(*) FROM session_addresses WHERE session_id NOT IN (SELECT id FROM sessions))",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM account_deletions WHERE user_id = $1",
            user_id
        )
        .await,
        1,
        "the deletion is recorded"
    );
}

both_engines!(
    owners_delete_their_account_with_the_password,
    |app: TestApp| async move {
        let user = app.register("leaving@example.com").await;
        let phone = app.login("leaving@example.com").await;
        let wrong = delete_own(&app, &user.access, "not my password at all").await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
        assert_eq!(wrong.code(), "invalid_current_password");
        assert_eq!(
            app.list_sessions(&phone.access).await.status,
            StatusCode::OK
        );

        let deleted = delete_own(&app, &user.access, PASSWORD).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);

        // Every access token is refused on its next use, not when it expires.
        for old in [&user, &phone] {
            let bearer = app.list_sessions(&old.access).await;
            assert_eq!(bearer.status, StatusCode::UNAUTHORIZED, "{}", bearer.body);
            let refresh = app.refresh(&old.refresh).await;
            assert_eq!(refresh.status, StatusCode::UNAUTHORIZED, "{}", refresh.body);
        }
        let login = app
            .post(
                "/api/auth/login",
                json!({"email": "leaving@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(login.code(), "invalid_credentials");
        assert_gone(&app, &user.user_id).await;
        let by: Option<String> =
            sqlx::query_scalar("SELECT deleted_by FROM account_deletions WHERE user_id = $1")
                .bind(&user.user_id)
                .fetch_one(app.pool())
                .await
                .unwrap();
        assert_eq!(by, None, "the owner did it");

        // The email is free again, for a new account.
        let again = app.register("leaving@example.com").await;
        assert_ne!(again.user_id, user.user_id);
        // The new account's sessions are not refused for the old one's sake.
        assert_eq!(
            app.list_sessions(&again.access).await.status,
            StatusCode::OK
        );
    }
);

both_engines!(
    a_deleted_accounts_tokens_stay_refused_after_a_restart,
    |app: TestApp| async move {
        let user = app.register("gone@example.com").await;
        assert_eq!(
            delete_own(&app, &user.access, PASSWORD).await.status,
            StatusCode::OK
        );
        // A new instance rebuilds its revocation list from the database, where the sessions no
        // longer are: the deletion record is what still refuses the token.
        let restarted = app.restart_with(&[]).await.unwrap();
        let bearer = restarted.list_sessions(&user.access).await;
        assert_eq!(bearer.status, StatusCode::UNAUTHORIZED, "{}", bearer.body);
    }
);

both_engines!(admins_delete_accounts, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("removed@example.com").await;
    let reset = app
        .post_bearer(
            "/api/admin/reset_link",
            &admin.access,
            json!({"user_id": user.user_id}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);

    let deleted = admin_delete(&app, &admin.access, &user.user_id).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let bearer = app.list_sessions(&user.access).await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED, "{}", bearer.body);
    assert_eq!(
        app.refresh(&user.refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_gone(&app, &user.user_id).await;
    let by: Option<String> =
        sqlx::query_scalar("SELECT deleted_by FROM account_deletions WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(by.as_deref(), Some(admin.user_id.as_str()));
    let again = admin_delete(&app, &admin.access, &user.user_id).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
});

both_engines!(non_admins_cannot_delete_others, |app: TestApp| async move {
    let user = app.register("plain@example.com").await;
    let victim = app.register("victim@example.com").await;
    let refused = admin_delete(&app, &user.access, &victim.user_id).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.code(), "forbidden");
    assert_eq!(app.refresh(&victim.refresh).await.status, StatusCode::OK);
});

both_engines!(
    admins_cannot_delete_themselves_there_nor_the_last_admin,
    |app: TestApp| async move {
        let root = app.admin("root@example.com").await;
        let me = admin_delete(&app, &root.access, &root.user_id).await;
        assert_eq!(me.status, StatusCode::BAD_REQUEST, "{}", me.body);
        assert_eq!(app.list_sessions(&root.access).await.status, StatusCode::OK);

        // The only administrator may not leave the service without one.
        let last = delete_own(&app, &root.access, PASSWORD).await;
        assert_eq!(last.status, StatusCode::BAD_REQUEST, "{}", last.body);
        assert!(last.json()["message"]
            .as_str()
            .unwrap()
            .contains("last administrator"));
        assert_eq!(app.list_sessions(&root.access).await.status, StatusCode::OK);

        // With a second administrator, either may delete the other, but not both.
        let second = app.admin("second@example.com").await;
        let (a, b) = futures::join!(
            admin_delete(&app, &root.access, &second.user_id),
            admin_delete(&app, &second.access, &root.user_id),
        );
        let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(admins, 1, "{} / {}", a.body, b.body);
        assert_eq!(
            [&a, &b]
                .iter()
                .filter(|r| r.status == StatusCode::OK)
                .count(),
            1
        );
    }
);

both_engines!(
    password_guesses_are_limited_like_a_password_change,
    &[("LATCHKEY_RATE_LOGIN_PER_MIN", "3")],
    |app: TestApp| async move {
        // Registering took one of the three attempts this client has per minute.
        let user = app.register("guessed@example.com").await;
        for guess in ["first wrong guess", "second wrong guess"] {
            let wrong = delete_own(&app, &user.access, guess).await;
            assert_eq!(wrong.code(), "invalid_current_password", "{}", wrong.body);
        }
        let limited = delete_own(&app, &user.access, PASSWORD).await;
        assert_eq!(
            limited.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            limited.body
        );
        assert_eq!(app.list_sessions(&user.access).await.status, StatusCode::OK);
    }
);
