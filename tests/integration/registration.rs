//! `LATCHKEY_REGISTRATION=closed`: nobody creates an account from outside, the answer reveals
//! nothing about which emails have accounts, and admins still can.

use http::{Request, StatusCode};
use serde_json::json;

use crate::both_engines;
use crate::support::*;

both_engines!(
    closed_registration_refuses_everyone_alike_and_creates_nothing,
    &[("LATCHKEY_REGISTRATION", "closed")],
    |app: TestApp| async move {
        let admin = app
            .state
            .auth
            .create_admin("root@example.com", &PASSWORD.to_owned().into())
            .await
            .unwrap();
        assert!(matches!(
            admin,
            latchkey::auth::AdminCreation::Created { .. }
        ));

        // A new email, a taken one, and one that is not an email all get the same answer: the
        // endpoint refuses before looking at the body.
        let mut bodies = Vec::new();
        for email in ["new@example.com", "root@example.com", "not an email"] {
            let refused = app
                .post(
                    "/api/auth/register",
                    json!({ "email": email, "password": PASSWORD }),
                )
                .await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{email}");
            assert_eq!(refused.json()["code"], "registration_closed", "{email}");
            assert!(refused.headers.get("set-cookie").is_none(), "{email}");
            bodies.push(refused.body);
        }
        assert!(
            bodies.windows(2).all(|pair| pair[0] == pair[1]),
            "{bodies:?}"
        );
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(users, 1, "only the admin exists");

        // The admin still signs in, and the page learns that registration is closed.
        let login = app
            .post(
                "/api/auth/login",
                json!({ "email": "root@example.com", "password": PASSWORD }),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        let status = app.post("/api/auth/registration", json!({})).await;
        assert_eq!(status.status, StatusCode::OK, "{}", status.body);
        assert_eq!(status.json(), json!({ "open": false }));
    }
);

both_engines!(
    the_register_page_says_registration_is_closed,
    &[("LATCHKEY_REGISTRATION", "closed")],
    |app: TestApp| async move {
        let page = app
            .send(
                Request::get("/register")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("does not take new accounts"),
            "{}",
            page.body
        );
        assert!(page.body.contains("registration-closed"));
        assert!(!page.body.contains("new-password"), "no form to fill in");
    }
);

both_engines!(
    open_registration_is_the_default,
    |app: TestApp| async move {
        let status = app.post("/api/auth/registration", json!({})).await;
        assert_eq!(status.json(), json!({ "open": true }));
        let page = app
            .send(
                Request::get("/register")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(!page.body.contains("registration-closed"));
        assert!(page.body.contains("new-password"), "{}", page.body);
        app.register("first@example.com").await;
    }
);
