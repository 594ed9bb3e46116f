use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

fn admin_calls(user_id: &str) -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "/api/admin/users",
            json!({"query": "", "offset": 0, "limit": 10}),
        ),
        ("/api/admin/user_sessions", json!({"user_id": user_id})),
        ("/api/admin/force_logout", json!({"user_id": user_id})),
        (
            "/api/admin/set_disabled",
            json!({"user_id": user_id, "disabled": true}),
        ),
    ]
}

both_engines!(
    non_admins_get_403_on_every_admin_endpoint,
    |app: TestApp| async move {
        let user = app.register("user@example.com").await;
        let victim = app.register("victim@example.com").await;
        for (path, body) in admin_calls(&victim.user_id) {
            let r = app.post_bearer(path, &user.access, body.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
            assert_eq!(r.code(), "forbidden");
            let anonymous = app.post(path, body).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        }
        assert_eq!(
            app.refresh(&victim.refresh).await.status,
            StatusCode::OK,
            "nothing happened to the victim"
        );
    }
);

both_engines!(
    admin_lists_and_searches_users_with_paging,
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        for i in 0..5 {
            app.register(&format!("person{i}@example.com")).await;
        }
        app.register("odd_one%@example.org").await;
        let page = app.admin_users(&admin.access, "", 0, 3).await;
        assert_eq!(page.total, 7);
        assert_eq!(page.users.len(), 3);
        let search = app.admin_users(&admin.access, "PERSON", 0, 50).await;
        assert_eq!(search.total, 5);
        let literal = app.admin_users(&admin.access, "%", 0, 50).await;
        assert_eq!(literal.total, 1, "LIKE wildcards in the query are literal");
        let user = &search.users[0];
        assert_eq!(user.active_sessions, 1);
        assert!(!user.disabled);
    }
);

both_engines!(
    force_logout_kills_the_users_access_token_on_the_next_request,
    |app: TestApp| async move {
        let admin = app.admin("root@example.com").await;
        let user = app.register("target@example.com").await;
        assert_eq!(app.list_sessions(&user.access).await.status, StatusCode::OK);
        let r = app.force_logout(&admin.access, &user.user_id).await;
        assert_eq!(r.json()["revoked"], 1);
        let after = app.list_sessions(&user.access).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.refresh(&user.refresh).await.code(), "session_revoked");
        let sessions = app.admin_user_sessions(&admin.access, &user.user_id).await;
        assert_eq!(sessions.sessions.len(), 0);
        assert_eq!(wire(&sessions.ended[0].reason), "admin_forced");
        // The user can sign in again straight away.
        let again = app.login("target@example.com").await;
        assert_eq!(
            app.list_sessions(&again.access).await.status,
            StatusCode::OK
        );
    }
);

both_engines!(
    demoted_or_disabled_admin_loses_access_on_the_next_request,
    |app: TestApp| async move {
        let root = app.admin("root@example.com").await;
        let second = app.admin("second@example.com").await;
        let ok = app.list_users(&second.access, "", 0, 10).await;
        assert_eq!(ok.status, StatusCode::OK);
        sqlx::query("UPDATE users SET role = 'user' WHERE email = 'second@example.com'")
            .execute(app.pool())
            .await
            .unwrap();
        let demoted = app.list_users(&second.access, "", 0, 10).await;
        assert_eq!(
            demoted.status,
            StatusCode::FORBIDDEN,
            "role is re-read, not trusted from the token"
        );
        sqlx::query(
            "UPDATE users SET role = 'admin', disabled_at = 1 WHERE email = 'second@example.com'",
        )
        .execute(app.pool())
        .await
        .unwrap();
        let disabled = app.list_users(&second.access, "", 0, 10).await;
        assert_eq!(
            disabled.status,
            StatusCode::FORBIDDEN,
            "a disabled admin is refused even with a live token"
        );
        let me = app.set_disabled(&root.access, &root.user_id, true).await;
        assert_eq!(
            me.status,
            StatusCode::BAD_REQUEST,
            "an admin cannot lock themselves out"
        );
    }
);

both_engines!(unknown_user_ids_answer_404, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    for (path, body) in admin_calls(&uuid::Uuid::now_v7().to_string())
        .into_iter()
        .skip(1)
    {
        let r = app.post_bearer(path, &admin.access, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
});

#[tokio::test]
async fn admin_bootstrap_from_the_environment_creates_the_admin() {
    let app = TestApp::spawn_with(
        Dialect::Sqlite,
        &[
            ("LATCHKEY_ADMIN_EMAIL", "boot@example.com"),
            ("LATCHKEY_ADMIN_PASSWORD", PASSWORD),
        ],
    )
    .await
    .unwrap();
    let admin = app.login("boot@example.com").await;
    let r = app.list_users(&admin.access, "", 0, 10).await;
    assert_eq!(r.status, StatusCode::OK);
}
