use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

both_engines!(
    sessions_list_shows_own_devices_with_the_current_one_marked,
    |app: TestApp| async move {
        let a = app.register("alice@example.com").await;
        let b = app.login("alice@example.com").await;
        app.register("other@example.com").await;
        let sessions = app.sessions(&a.access).await.sessions;
        assert_eq!(sessions.len(), 2, "only the caller's sessions");
        let current: Vec<_> = sessions.iter().filter(|s| s.current).collect();
        assert_eq!(current.len(), 1);
        // `a` signed in first, so by recency it would be last: the current device leads.
        assert!(sessions[0].current, "the current device is listed first");
        assert_eq!(sessions[0].device, "Firefox on Linux");
        assert_eq!(sessions[0].ip, PROXY_PEER);
        assert_eq!(sessions[0].user_agent, UA_FIREFOX);
        for (field, at) in [
            ("created_at", sessions[0].created_at),
            ("last_active_at", sessions[0].last_active_at),
            ("expires_at", sessions[0].expires_at),
        ] {
            assert!(at > 1_700_000_000, "{field}");
        }
        let _ = b;
    }
);

both_engines!(
    revoking_one_session_kills_its_tokens_at_once,
    |app: TestApp| async move {
        let a = app.register("alice@example.com").await;
        let b = app.login("alice@example.com").await;
        let list = app.sessions(&a.access).await;
        let b_session = list.sessions.iter().find(|s| !s.current).unwrap();
        let r = app.revoke(&a.access, &b_session.id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let denied = app.list_sessions(&b.access).await;
        assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
        assert_eq!(denied.code(), "session_revoked");
        assert_eq!(app.refresh(&b.refresh).await.code(), "session_revoked");
        // A still works, and sees why B ended.
        let list = app.sessions(&a.access).await;
        assert_eq!(list.sessions.len(), 1);
        assert_eq!(wire(&list.ended[0].reason), "user_revoked");
    }
);

both_engines!(
    revoking_another_users_session_answers_like_an_unknown_id,
    |app: TestApp| async move {
        let mallory = app.register("mallory@example.com").await;
        let victim = app.register("victim@example.com").await;
        let victim_sessions = app.sessions(&victim.access).await;
        let victim_id = &victim_sessions.sessions[0].id;

        let idor = app.revoke(&mallory.access, victim_id).await;
        let unknown = app
            .revoke(&mallory.access, &uuid::Uuid::now_v7().to_string())
            .await;
        let junk = app.revoke(&mallory.access, "' OR 1=1 --").await;
        assert_eq!(idor.status, StatusCode::NOT_FOUND);
        assert_eq!((idor.status, &idor.body), (unknown.status, &unknown.body));
        assert_eq!((idor.status, &idor.body), (junk.status, &junk.body));
        let still = app.list_sessions(&victim.access).await;
        assert_eq!(still.status, StatusCode::OK, "victim stays signed in");
        assert_eq!(app.refresh(&victim.refresh).await.status, StatusCode::OK);
    }
);

both_engines!(
    sign_out_other_devices_keeps_the_current_one,
    |app: TestApp| async move {
        let a = app.register("alice@example.com").await;
        let b = app.login("alice@example.com").await;
        let c = app.login("alice@example.com").await;
        let r = app
            .post_bearer("/api/sessions/revoke_others", &a.access, json!({}))
            .await;
        assert_eq!(r.json()["revoked"], 2);
        assert_eq!(app.list_sessions(&a.access).await.status, StatusCode::OK);
        for other in [&b, &c] {
            assert_eq!(
                app.list_sessions(&other.access).await.status,
                StatusCode::UNAUTHORIZED
            );
            assert_eq!(app.refresh(&other.refresh).await.code(), "session_revoked");
        }
        assert_eq!(app.refresh(&a.refresh).await.status, StatusCode::OK);
    }
);

both_engines!(
    sign_out_everywhere_is_one_call_that_ends_every_session_and_clears_the_cookie,
    |app: TestApp| async move {
        let a = app.register("everywhere@example.com").await;
        let b = app.login("everywhere@example.com").await;
        let r = app
            .post_with(
                "/api/sessions/revoke_all",
                json!({}),
                &[
                    ("authorization", &format!("Bearer {}", a.access)),
                    ("cookie", &cookie_header(&a.refresh)),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["revoked"], 2);
        assert_eq!(
            r.refresh_cookie().as_deref(),
            Some(""),
            "the cookie is cleared"
        );
        for device in [&a, &b] {
            assert_eq!(
                app.list_sessions(&device.access).await.status,
                StatusCode::UNAUTHORIZED
            );
            let refreshed = app.refresh(&device.refresh).await;
            assert_eq!(refreshed.code(), "session_revoked");
            assert_eq!(refreshed.json()["reason"], "signed_out_everywhere");
        }
        // Without a bearer token nothing happens.
        let anonymous = app.post("/api/sessions/revoke_all", json!({})).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
);

both_engines!(
    password_change_requires_the_current_password_and_ends_other_sessions,
    |app: TestApp| async move {
        let a = app.register("pw@example.com").await;
        let b = app.login("pw@example.com").await;
        let wrong = app
        .post_bearer(
            "/api/account/password",
            &a.access,
            json!({"current_password": "nope nope", "new_password": "a new password", "revoke_other_sessions": true}),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert_eq!(wrong.code(), "invalid_current_password");
        let ok = app
        .post_bearer(
            "/api/account/password",
            &a.access,
            json!({"current_password": PASSWORD, "new_password": "a new password", "revoke_other_sessions": true}),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(
            app.list_sessions(&b.access).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(app.refresh(&b.refresh).await.code(), "session_revoked");
        assert_eq!(app.list_sessions(&a.access).await.status, StatusCode::OK);
        let old = app
            .post(
                "/api/auth/login",
                json!({"email": "pw@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED);
        let new = app
            .post(
                "/api/auth/login",
                json!({"email": "pw@example.com", "password": "a new password"}),
            )
            .await;
        assert_eq!(new.status, StatusCode::OK);
        let events = app.events(&a.access).await.events;
        let kinds: Vec<_> = events.iter().map(|e| wire(&e.kind)).collect();
        assert!(kinds.contains(&"password_changed".to_owned()), "{kinds:?}");
    }
);
