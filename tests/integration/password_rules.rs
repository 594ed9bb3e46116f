//! The shared password rules (`contract::password`) as the server applies them: every refusal
//! is a 400 `invalid_password` whose message is the sentence the page shows, and nothing is
//! written.

use contract::password::Problem;
use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

both_engines!(
    registration_refuses_weak_passwords_with_the_pages_sentence,
    |app: TestApp| async move {
        let refusals = [
            ("           ", Problem::OnlyWhitespace),
            ("sunshine", Problem::Common),
            ("  Baseball ", Problem::Common),
            ("Password123!", Problem::Predictable),
            ("aaaaaaaaaaaa", Problem::Predictable),
            ("i am dana.scully!", Problem::ContainsEmail),
        ];
        for (password, problem) in refusals {
            let refused = app
                .post(
                    "/api/auth/register",
                    json!({"email": "Dana.Scully@example.com", "password": password}),
                )
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{password:?}");
            assert_eq!(refused.code(), "invalid_password", "{password:?}");
            assert_eq!(
                refused.json()["message"],
                problem.sentence(),
                "{password:?}"
            );
            assert!(refused.refresh_cookie().is_none());
        }
        // Nothing was created: the address is still free.
        let ok = app
            .post(
                "/api/auth/register",
                json!({"email": "Dana.Scully@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    }
);

both_engines!(
    a_new_password_must_differ_from_the_current_one_and_the_email,
    |app: TestApp| async move {
        let first = app.register("fox.mulder@example.com").await;
        let other = app.login("fox.mulder@example.com").await;
        for (new, problem) in [
            (PASSWORD, Problem::SameAsCurrent),
            ("trust no one, fox.mulder", Problem::ContainsEmail),
            ("qwertyuiop", Problem::Common),
        ] {
            let refused = app
                .post_bearer(
                    "/api/account/password",
                    &first.access,
                    json!({"current_password": PASSWORD, "new_password": new, "revoke_other_sessions": true}),
                )
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{new:?}");
            assert_eq!(refused.json()["message"], problem.sentence(), "{new:?}");
        }
        // Refusals changed nothing: the other device is still signed in, the password stands.
        assert_eq!(
            app.list_sessions(&other.access).await.status,
            StatusCode::OK
        );
        let again = app
            .post(
                "/api/auth/login",
                json!({"email": "fox.mulder@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(again.status, StatusCode::OK);
    }
);

both_engines!(
    operators_cannot_set_weak_passwords_either,
    |app: TestApp| async move {
        let weak = secrecy::SecretString::from("password1".to_owned());
        let created = app.state.auth.create_admin("ops@example.com", &weak).await;
        assert!(
            matches!(
                created,
                Err(latchkey::auth::AuthError::WeakPassword(Problem::Common))
            ),
            "{created:?}"
        );
        app.register("walter@example.com").await;
        // An existing account is reported before the rules apply: a deployment whose
        // bootstrap password predates them still starts.
        let existing = app
            .state
            .auth
            .create_admin("walter@example.com", &weak)
            .await;
        assert!(
            matches!(
                existing,
                Ok(latchkey::auth::AdminCreation::AlreadyExists { .. })
            ),
            "{existing:?}"
        );
        let reset = app
            .state
            .auth
            .reset_password("walter@example.com", &weak)
            .await;
        assert!(
            matches!(
                reset,
                Err(latchkey::auth::AuthError::WeakPassword(Problem::Common))
            ),
            "{reset:?}"
        );
    }
);
