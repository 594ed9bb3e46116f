//! Password-hash writes are compare-and-swap, and a password change re-checks the caller's
//! session under the user's lock (SECURITY.md, "The security review's findings (issue 7)",
//! item 5).

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const NEW_PASSWORD: &str = "a brand new password 42";

both_engines!(
    a_stale_rehash_never_brings_the_old_password_back,
    |weak: TestApp| async move {
        // Accounts hashed with weaker parameters than the server now uses need a rehash at
        // their next login; the rehash must not overwrite a password change that won the race.
        let mut users = Vec::new();
        for i in 0..16 {
            users.push(weak.register(&format!("race{i}@example.com")).await);
        }
        let app = weak
            .restart_with(&[("LATCHKEY_ARGON2_T", "2")])
            .await
            .unwrap();
        let mut races = Vec::new();
        for (i, user) in users.iter().enumerate() {
            let email = format!("race{i}@example.com");
            let login = app.post(
                "/api/auth/login",
                json!({"email": email, "password": PASSWORD}),
            );
            let change = app.post_bearer(
                "/api/account/password",
                &user.access,
                json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                       "revoke_other_sessions": true}),
            );
            races.push((email, futures::join!(login, change)));
        }
        for (email, (login, change)) in races {
            assert_eq!(change.status, StatusCode::OK, "{email}: {}", change.body);
            let old = app
                .post(
                    "/api/auth/login",
                    json!({"email": email, "password": PASSWORD}),
                )
                .await;
            assert_eq!(
                old.status,
                StatusCode::UNAUTHORIZED,
                "{email}: the old password works again after the change"
            );
            let new = app
                .post(
                    "/api/auth/login",
                    json!({"email": email, "password": NEW_PASSWORD}),
                )
                .await;
            assert_eq!(new.status, StatusCode::OK, "{email}: {}", new.body);
            // A login that won the race was seen by "sign out other devices".
            if login.status == StatusCode::OK {
                let racer = Signin::from(&login);
                assert_eq!(
                    app.refresh(&racer.refresh).await.status,
                    StatusCode::UNAUTHORIZED,
                    "{email}: a session from the old password survived the change"
                );
            }
        }
    }
);

both_engines!(
    a_password_change_from_a_revoked_session_is_refused,
    |app: TestApp| async move {
        let alice = app.register("revoked-changer@example.com").await;
        // Another instance revoked this session; this instance has not heard of it yet, so
        // the bearer check passes and only the database knows.
        let sid = claims(&alice.access)["sid"].as_str().unwrap().to_owned();
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoke_reason = 'admin_forced' WHERE id = $1",
        )
        .bind(&sid)
        .bind(app.clock_now())
        .execute(app.pool())
        .await
        .unwrap();
        let change = app
            .post_bearer(
                "/api/account/password",
                &alice.access,
                json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                       "revoke_other_sessions": true}),
            )
            .await;
        assert_eq!(change.status, StatusCode::UNAUTHORIZED, "{}", change.body);
        assert_eq!(change.code(), "session_revoked");
        let login = app
            .post(
                "/api/auth/login",
                json!({"email": "revoked-changer@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            login.status,
            StatusCode::OK,
            "the password was changed anyway"
        );
    }
);

both_engines!(
    two_logins_that_both_rehash_both_succeed,
    |weak: TestApp| async move {
        weak.register("double-rehash@example.com").await;
        let app = weak
            .restart_with(&[("LATCHKEY_ARGON2_T", "2")])
            .await
            .unwrap();
        let body = json!({"email": "double-rehash@example.com", "password": PASSWORD});
        let (a, b) = futures::join!(
            app.post("/api/auth/login", body.clone()),
            app.post("/api/auth/login", body.clone())
        );
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(b.status, StatusCode::OK, "{}", b.body);
        let hash: String = sqlx::query_scalar(
            "SELECT password_hash FROM users WHERE email = 'double-rehash@example.com'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        assert!(hash.contains("t=2"), "{hash}");
    }
);
