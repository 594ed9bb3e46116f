//! Sessions bound to a device key (DPoP, RFC 9449): a copied refresh cookie is useless without
//! the browser's key, and used with another key it ends the session as stolen. Also the
//! policy for new devices and networks.

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const REFRESH: &str = "/api/auth/refresh";

async fn register_from(app: &TestApp, client: &Client, email: &str) -> Signin {
    let response = app
        .post_from(
            client,
            "/api/auth/register",
            json!({"email": email, "password": PASSWORD}),
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    Signin::from(&response)
}

async fn refresh_from(app: &TestApp, client: &Client, refresh: &str) -> TestResponse {
    app.post_from(
        client,
        REFRESH,
        json!({}),
        &[("cookie", &cookie_header(refresh))],
    )
    .await
}

fn code(response: &TestResponse) -> String {
    response.json()["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

both_engines!(
    a_bound_session_refreshes_with_its_key_and_carries_the_thumbprint,
    |app: TestApp| async move {
        let key = DeviceKey::generate();
        let signin = app.register_bound("bound@example.com", &key).await;
        assert_eq!(claims(&signin.access)["cnf"]["jkt"], key.thumbprint());
        let listed = app.sessions(&signin.access).await;
        assert!(
            listed.sessions[0].bound,
            "the sessions page says it is bound"
        );

        let refreshed = app.refresh_bound(&signin.refresh, Some(&key)).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
        let next = Signin::from(&refreshed);
        assert_eq!(claims(&next.access)["cnf"]["jkt"], key.thumbprint());
        assert_eq!(
            app.refresh_bound(&next.refresh, Some(&key)).await.status,
            StatusCode::OK
        );
    }
);

both_engines!(
    a_bound_session_without_a_valid_proof_is_refused_and_nothing_rotates,
    |app: TestApp| async move {
        let key = DeviceKey::generate();
        let signin = app.register_bound("noproof@example.com", &key).await;
        let origin = app.state.config.public_origin.clone();
        let now = app.clock_now();
        let url = format!("{origin}{REFRESH}");
        let bad = [
            ("missing", None),
            ("garbage", Some("not.a.proof".to_owned())),
            ("wrong method", Some(key.proof_with("GET", &url, now, "j1"))),
            (
                "wrong URL",
                Some(key.proof_with("POST", &format!("{origin}/api/auth/logout"), now, "j2")),
            ),
            (
                "another origin",
                Some(key.proof_with("POST", &format!("https://evil.example{REFRESH}"), now, "j3")),
            ),
            (
                "too old",
                Some(key.proof_with("POST", &url, now - 61, "j4")),
            ),
            (
                "from the future",
                Some(key.proof_with("POST", &url, now + 61, "j5")),
            ),
        ];
        for (what, proof) in bad {
            let mut headers = vec![("cookie".to_owned(), cookie_header(&signin.refresh))];
            if let Some(proof) = proof {
                headers.push(("dpop".to_owned(), proof));
            }
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let refused = app.post_with(REFRESH, json!({}), &headers).await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{what}");
            assert_eq!(code(&refused), "proof_invalid", "{what}: {}", refused.body);
        }
        // A forged signature: the payload of one proof under the signature of another.
        let genuine = key.proof(&app, REFRESH);
        let other = key.proof(&app, REFRESH);
        let (head, _) = genuine.rsplit_once('.').unwrap();
        let (_, signature) = other.rsplit_once('.').unwrap();
        let forged = app
            .post_with(
                REFRESH,
                json!({}),
                &[
                    ("cookie", &cookie_header(&signin.refresh)),
                    ("dpop", &format!("{head}.{signature}")),
                ],
            )
            .await;
        assert_eq!(code(&forged), "proof_invalid", "{}", forged.body);

        // Nothing was rotated and the session lives: the right proof still works.
        let ok = app.refresh_bound(&signin.refresh, Some(&key)).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert!(app
            .sessions(&Signin::from(&ok).access)
            .await
            .ended
            .is_empty());
    }
);

both_engines!(a_proof_is_accepted_once, |app: TestApp| async move {
    let key = DeviceKey::generate();
    let signin = app.register_bound("once@example.com", &key).await;
    let proof = key.proof(&app, REFRESH);
    let first = app
        .post_with(
            REFRESH,
            json!({}),
            &[
                ("cookie", &cookie_header(&signin.refresh)),
                ("dpop", &proof),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let next = Signin::from(&first);
    let replayed = app
        .post_with(
            REFRESH,
            json!({}),
            &[("cookie", &cookie_header(&next.refresh)), ("dpop", &proof)],
        )
        .await;
    assert_eq!(code(&replayed), "proof_invalid", "{}", replayed.body);
    assert_eq!(
        app.refresh_bound(&next.refresh, Some(&key)).await.status,
        StatusCode::OK
    );
});

both_engines!(
    a_cookie_used_with_another_key_ends_the_session_as_stolen,
    |app: TestApp| async move {
        let key = DeviceKey::generate();
        let victim = app.register_bound("victim@example.com", &key).await;
        let thief = DeviceKey::generate();
        let stolen = app.refresh_bound(&victim.refresh, Some(&thief)).await;
        assert_eq!(stolen.status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&stolen), "session_revoked");
        assert_eq!(stolen.json()["reason"], "used_from_another_device");

        // The victim's own next refresh is refused with the same reason.
        let back = app.refresh_bound(&victim.refresh, Some(&key)).await;
        assert_eq!(back.status, StatusCode::UNAUTHORIZED);
        assert_eq!(back.json()["reason"], "used_from_another_device");
        // Their access token stops working at once, and a new sign-in shows why.
        let listed = app
            .post_bearer("/api/sessions/list", &victim.access, json!({}))
            .await;
        assert_eq!(listed.status, StatusCode::UNAUTHORIZED);
        let again = app.login_bound("victim@example.com", &key).await;
        let sessions = app.sessions(&again.access).await;
        assert_eq!(
            sessions.ended[0].reason,
            contract::RevokeReason::UsedFromAnotherDevice
        );
        let events = app.events(&again.access).await;
        assert!(events
            .events
            .iter()
            .any(|e| e.kind == contract::EventKind::UsedFromAnotherDevice));
    }
);

both_engines!(
    unbound_sessions_work_without_proofs,
    |app: TestApp| async move {
        let signin = app.register("script@example.com").await;
        assert!(claims(&signin.access).get("cnf").is_none());
        assert!(!app.sessions(&signin.access).await.sessions[0].bound);
        let refreshed = app.refresh(&signin.refresh).await;
        assert_eq!(refreshed.status, StatusCode::OK);
        // A proof sent to an unbound session binds nothing and breaks nothing.
        let key = DeviceKey::generate();
        let next = Signin::from(&refreshed);
        let with_proof = app.refresh_bound(&next.refresh, Some(&key)).await;
        assert_eq!(with_proof.status, StatusCode::OK);
        assert!(claims(&Signin::from(&with_proof).access)
            .get("cnf")
            .is_none());
    }
);

both_engines!(
    a_sign_in_with_a_bad_proof_creates_nothing,
    |app: TestApp| async move {
        let key = DeviceKey::generate();
        let stale = key.proof_with(
            "POST",
            &format!("{}/api/auth/register", app.state.config.public_origin),
            app.clock_now() - 3600,
            "old",
        );
        let refused = app
            .post_with(
                "/api/auth/register",
                json!({"email": "late@example.com", "password": PASSWORD}),
                &[("dpop", &stale)],
            )
            .await;
        assert_eq!(code(&refused), "proof_invalid", "{}", refused.body);
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(users, 0);
    }
);

both_engines!(
    require_dpop_refuses_unbound_sign_ins,
    &[("LATCHKEY_REQUIRE_DPOP", "true")],
    |app: TestApp| async move {
        let refused = app
            .post(
                "/api/auth/register",
                json!({"email": "plain@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&refused), "proof_required");
        let key = DeviceKey::generate();
        let signin = app.register_bound("plain@example.com", &key).await;
        assert!(app.sessions(&signin.access).await.sessions[0].bound);
    }
);

both_engines!(
    the_grace_window_serves_only_the_sessions_key,
    |app: TestApp| async move {
        let key = DeviceKey::generate();
        let signin = app.register_bound("tabs@example.com", &key).await;
        let first = app.refresh_bound(&signin.refresh, Some(&key)).await;
        assert_eq!(first.status, StatusCode::OK);
        let successor = Signin::from(&first).refresh;

        // Another tab of the same browser lost the race: same key, same parent, same successor.
        let tab = app.refresh_bound(&signin.refresh, Some(&key)).await;
        assert_eq!(tab.status, StatusCode::OK, "{}", tab.body);
        assert_eq!(Signin::from(&tab).refresh, successor);

        // The parent without a proof: refused, and the session lives on.
        let bare = app.refresh_bound(&signin.refresh, None).await;
        assert_eq!(code(&bare), "proof_invalid");
        // The parent with another key: the cookie left the browser.
        let copied = app
            .refresh_bound(&signin.refresh, Some(&DeviceKey::generate()))
            .await;
        assert_eq!(copied.json()["reason"], "used_from_another_device");
        assert_eq!(
            app.refresh_bound(&successor, Some(&key)).await.json()["reason"],
            "used_from_another_device"
        );
    }
);

both_engines!(
    logout_of_a_bound_session_needs_its_key,
    |app: TestApp| async move {
        let key = DeviceKey::generate();
        let signin = app.register_bound("leave@example.com", &key).await;
        let path = "/api/auth/logout";
        let bare = app.post_cookie(path, &signin.refresh).await;
        assert_eq!(code(&bare), "proof_invalid", "{}", bare.body);
        let proof = key.proof(&app, path);
        let done = app
            .post_with(
                path,
                json!({}),
                &[
                    ("cookie", &cookie_header(&signin.refresh)),
                    ("dpop", &proof),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(
            app.refresh_bound(&signin.refresh, Some(&key)).await.json()["reason"],
            "logout"
        );
    }
);

const HOME: Client = Client {
    user_agent: UA_FIREFOX,
    ip: "198.51.100.20",
};
const CAFE: Client = Client {
    user_agent: UA_FIREFOX,
    ip: "203.0.113.99",
};
const UA_CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

both_engines!(
    a_refresh_from_another_browser_family_is_refused_and_recorded,
    &[BEHIND_PROXY],
    |app: TestApp| async move {
        let signin = register_from(&app, &HOME, "ua@example.com").await;
        let other = Client {
            user_agent: UA_CHROME_WINDOWS,
            ip: HOME.ip,
        };
        let refused = refresh_from(&app, &other, &signin.refresh).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&refused), "device_changed");
        let ok = refresh_from(&app, &HOME, &signin.refresh).await;
        assert_eq!(ok.status, StatusCode::OK, "the refusal rotated nothing");
        let events = app.events(&Signin::from(&ok).access).await;
        assert!(events
            .events
            .iter()
            .any(|e| e.kind == contract::EventKind::DeviceChanged));
    }
);

both_engines!(
    a_new_network_is_recorded_and_shown,
    &[BEHIND_PROXY],
    |app: TestApp| async move {
        let signin = register_from(&app, &HOME, "roam@example.com").await;
        let moved = refresh_from(&app, &CAFE, &signin.refresh).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
        let access = Signin::from(&moved).access;
        let session = app.sessions(&access).await.sessions.remove(0);
        assert_eq!(session.first_ip, HOME.ip);
        assert_eq!(session.ip, CAFE.ip);
        let cafe = session.addresses.iter().find(|a| a.ip == CAFE.ip).unwrap();
        assert!(cafe.new_network);
        let home = session.addresses.iter().find(|a| a.ip == HOME.ip).unwrap();
        assert!(!home.new_network);
        let events = app.events(&access).await;
        assert!(
            events
                .events
                .iter()
                .any(|e| e.kind == contract::EventKind::NewNetwork
                    && e.ip.as_deref() == Some(CAFE.ip))
        );
    }
);

both_engines!(
    the_refuse_policy_keeps_a_session_on_its_networks,
    &[BEHIND_PROXY, ("LATCHKEY_NEW_NETWORK_POLICY", "refuse")],
    |app: TestApp| async move {
        let signin = register_from(&app, &HOME, "stay@example.com").await;
        let refused = refresh_from(&app, &CAFE, &signin.refresh).await;
        assert_eq!(code(&refused), "new_network_refused", "{}", refused.body);
        let neighbour = Client {
            user_agent: UA_FIREFOX,
            ip: "198.51.100.77",
        };
        let same_network = refresh_from(&app, &neighbour, &signin.refresh).await;
        assert_eq!(same_network.status, StatusCode::OK, "{}", same_network.body);
    }
);
