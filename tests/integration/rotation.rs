use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

async fn live_tokens(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE used_at IS NULL")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

both_engines!(
    refresh_rotates_and_the_old_token_dies_after_the_grace_window,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let first = app.refresh(&alice.refresh).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        let next = first.refresh_cookie().unwrap();
        assert_ne!(next, alice.refresh);
        assert_eq!(first.json()["user"]["email"], "alice@example.com");
        assert!(first.json()["access_token"].as_str().unwrap().len() > 100);

        app.clock.advance(11);
        let replay = app.refresh(&alice.refresh).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        assert_eq!(replay.code(), "refresh_reused");
        // The whole session died: the newest token too, and its access tokens.
        assert_eq!(app.refresh(&next).await.code(), "refresh_reused");
        let list = app.list_sessions(&alice.access).await;
        assert_eq!(list.status, StatusCode::UNAUTHORIZED);
        assert_eq!(list.code(), "session_revoked");
        // And the user can see why.
        let fresh = app.login("alice@example.com").await;
        let sessions = app.sessions(&fresh.access).await;
        assert_eq!(
            wire(&sessions.ended[0].reason),
            "refresh_reused",
            "{sessions:?}"
        );
        let events = app.events(&fresh.access).await;
        assert!(events
            .events
            .iter()
            .any(|e| wire(&e.kind) == "refresh_reused"));
    }
);

both_engines!(
    attacker_first_then_victim_both_end_signed_out,
    |app: TestApp| async move {
        let victim = app.register("victim@example.com").await;
        let attacker_next = app.refresh(&victim.refresh).await.refresh_cookie().unwrap();
        app.clock.advance(30);
        assert_eq!(app.refresh(&victim.refresh).await.code(), "refresh_reused");
        assert_eq!(
            app.refresh(&attacker_next).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
);

both_engines!(
    lost_response_replay_within_grace_returns_the_same_successor,
    |app: TestApp| async move {
        let alice = app.register("lost@example.com").await;
        let first = app.refresh(&alice.refresh).await.refresh_cookie().unwrap();
        app.clock.advance(5);
        let again = app.refresh(&alice.refresh).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.refresh_cookie().unwrap(), first);
        assert_eq!(live_tokens(&app).await, 1);
        // The successor keeps working normally.
        let second = app.refresh(&first).await;
        assert_eq!(second.status, StatusCode::OK);
        // Now the original is a grandparent: replaying it is theft even inside the window.
        let old = app.refresh(&alice.refresh).await;
        assert_eq!(old.code(), "refresh_reused");
    }
);

both_engines!(
    ten_parallel_refreshes_share_one_successor,
    |app: TestApp| async move {
        let alice = app.register("tabs@example.com").await;
        let app = std::sync::Arc::new(app);
        let calls = (0..10).map(|_| {
            let app = app.clone();
            let token = alice.refresh.clone();
            tokio::spawn(async move { app.refresh(&token).await })
        });
        let responses = futures::future::join_all(calls).await;
        let mut successors = std::collections::HashSet::new();
        for response in responses {
            let response = response.unwrap();
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
            successors.insert(response.refresh_cookie().unwrap());
        }
        assert_eq!(
            successors.len(),
            1,
            "every caller must get the same successor"
        );
        assert_eq!(live_tokens(&app).await, 1, "exactly one live token");
        let successor = successors.into_iter().next().unwrap();
        assert_eq!(app.refresh(&successor).await.status, StatusCode::OK);
    }
);

both_engines!(idle_sessions_expire, |app: TestApp| async move {
    let alice = app.register("idle@example.com").await;
    app.clock.advance(604_800 - 10);
    let next = app.refresh(&alice.refresh).await;
    assert_eq!(
        next.status,
        StatusCode::OK,
        "activity slides the idle window"
    );
    app.clock.advance(604_800 + 1);
    let late = app.refresh(&next.refresh_cookie().unwrap()).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
    assert_eq!(late.code(), "session_expired");
    let fresh = app.login("idle@example.com").await;
    let sessions = app.sessions(&fresh.access).await;
    assert_eq!(
        wire(&sessions.ended[0].reason),
        "idle_expired",
        "{sessions:?}"
    );
});

both_engines!(
    absolute_lifetime_is_never_extended,
    |app: TestApp| async move {
        let alice = app.register("abs@example.com").await;
        let mut token = alice.refresh.clone();
        // Refresh every 6 days: never idle, but 30 days is the hard limit.
        for _ in 0..4 {
            app.clock.advance(6 * 86_400);
            let r = app.refresh(&token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let max_age: i64 = r.set_cookies()[0]
                .rsplit("Max-Age=")
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                max_age <= 2_592_000 - 6 * 86_400,
                "cookie must not outlive the session: {max_age}"
            );
            token = r.refresh_cookie().unwrap();
        }
        app.clock.advance(6 * 86_400 + 1);
        let r = app.refresh(&token).await;
        assert_eq!(r.code(), "session_expired");
        let fresh = app.login("abs@example.com").await;
        let sessions = app.sessions(&fresh.access).await;
        assert_eq!(
            wire(&sessions.ended[0].reason),
            "lifetime_expired",
            "{sessions:?}"
        );
    }
);

both_engines!(
    malformed_and_unknown_refresh_tokens_get_one_uniform_answer,
    |app: TestApp| async move {
        let alice = app.register("junk@example.com").await;
        let mut bodies = Vec::new();
        for value in [
            "".to_owned(),
            "x".to_owned(),
            alice.refresh[..42].to_owned(),
            format!("{}A", alice.refresh),
            "A".repeat(43),
            "%00%FF".to_owned(),
            "a".repeat(4000),
        ] {
            let r = app.refresh(&value).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{value:?}");
            bodies.push(r.body);
        }
        for body in &bodies {
            assert_eq!(body, &bodies[1]);
        }
        let no_cookie = app.post("/api/auth/refresh", json!({})).await;
        assert_eq!(no_cookie.status, StatusCode::UNAUTHORIZED);
        assert_eq!(no_cookie.code(), "invalid_refresh_token");
    }
);

both_engines!(disabled_user_cannot_refresh, |app: TestApp| async move {
    let admin = app.admin("root@example.com").await;
    let user = app.register("ivan@example.com").await;
    app.set_disabled(&admin.access, &user.user_id, true).await;
    let r = app.refresh(&user.refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_revoked");
});

both_engines!(
    a_planted_cookie_never_becomes_valid_at_login,
    |app: TestApp| async move {
        app.register("judy@example.com").await;
        let planted = "A".repeat(43);
        let login = app
            .post_with(
                "/api/auth/login",
                json!({"email": "judy@example.com", "password": PASSWORD}),
                &[("cookie", &cookie_header(&planted))],
            )
            .await;
        assert_ne!(login.refresh_cookie().unwrap(), planted);
        assert_eq!(app.refresh(&planted).await.code(), "invalid_refresh_token");
    }
);

both_engines!(
    logout_with_an_old_rotated_token_is_treated_as_theft,
    |app: TestApp| async move {
        let alice = app.register("oldlogout@example.com").await;
        let next = app.refresh(&alice.refresh).await.refresh_cookie().unwrap();
        app.clock.advance(30);
        let out = app.post_cookie("/api/auth/logout", &alice.refresh).await;
        assert_eq!(out.status, StatusCode::OK);
        assert_eq!(app.refresh(&next).await.code(), "refresh_reused");
        let events: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM security_events WHERE kind = 'refresh_reused'")
                .fetch_all(app.pool())
                .await
                .unwrap();
        assert_eq!(events.len(), 1);
    }
);

both_engines!(
    logout_with_the_current_token_is_a_plain_logout,
    |app: TestApp| async move {
        let alice = app.register("plainlogout@example.com").await;
        let next = app.refresh(&alice.refresh).await.refresh_cookie().unwrap();
        app.clock.advance(30);
        assert_eq!(
            app.post_cookie("/api/auth/logout", &next).await.status,
            StatusCode::OK
        );
        let reason: String = sqlx::query_scalar("SELECT revoke_reason FROM sessions")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(reason, "logout");
    }
);

both_engines!(
    concurrent_logouts_and_refreshes_never_fail_with_500,
    |app: TestApp| async move {
        let app = std::sync::Arc::new(app);
        let mut users = Vec::new();
        for i in 0..6 {
            users.push(app.register(&format!("busy{i}@example.com")).await);
        }
        let calls = users.into_iter().enumerate().map(|(i, user)| {
            let app = app.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    app.post_cookie("/api/auth/logout", &user.refresh).await
                } else {
                    app.refresh(&user.refresh).await
                }
            })
        });
        for response in futures::future::join_all(calls).await {
            let response = response.unwrap();
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        }
    }
);
