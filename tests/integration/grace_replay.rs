//! The grace window serves a lost response again only to the client that consumed the token,
//! a few times, on the record; sealed successors do not outlive their use (SECURITY.md, "The
//! security review's findings (issue 7)", items 3 and 4).

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const VICTIM: Client = Client {
    user_agent: UA_FIREFOX,
    ip: "198.51.100.20",
};
const THIEF: Client = Client {
    user_agent: UA_CURL,
    ip: "192.0.2.66",
};

async fn refresh_from(app: &TestApp, client: &Client, refresh: &str) -> TestResponse {
    app.post_from(
        client,
        "/api/auth/refresh",
        json!({}),
        &[("cookie", &cookie_header(refresh))],
    )
    .await
}

both_engines!(
    a_grace_replay_from_another_client_ends_the_session,
    |app: TestApp| async move {
        let app = app.restart_with(&[BEHIND_PROXY]).await.unwrap();
        let signin = app
            .post_from(
                &VICTIM,
                "/api/auth/register",
                json!({"email": "shadowed@example.com", "password": PASSWORD}),
                &[],
            )
            .await;
        let victim = Signin::from(&signin);
        let rotated = refresh_from(&app, &VICTIM, &victim.refresh).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
        let live = rotated.refresh_cookie().unwrap();

        // Seconds later, inside the grace window, a copy of the parent comes from elsewhere.
        app.clock.advance(2);
        let shadow = refresh_from(&app, &THIEF, &victim.refresh).await;
        assert_eq!(shadow.status, StatusCode::UNAUTHORIZED, "{}", shadow.body);
        assert_eq!(shadow.code(), "refresh_reused");
        assert_eq!(
            refresh_from(&app, &VICTIM, &live).await.code(),
            "refresh_reused",
            "the whole session ended"
        );
    }
);

both_engines!(
    grace_replays_are_capped_and_each_is_recorded,
    |app: TestApp| async move {
        let alice = app.register("retries@example.com").await;
        let live = app.refresh(&alice.refresh).await.refresh_cookie().unwrap();
        for attempt in 1..=10 {
            let replay = app.refresh(&alice.refresh).await;
            assert_eq!(
                replay.status,
                StatusCode::OK,
                "replay {attempt}: {}",
                replay.body
            );
            assert_eq!(replay.refresh_cookie().unwrap(), live);
        }
        let eleventh = app.refresh(&alice.refresh).await;
        assert_eq!(eleventh.code(), "refresh_reused", "{}", eleventh.body);

        let fresh = app.login("retries@example.com").await;
        let events = app.events(&fresh.access).await.events;
        let replays = events
            .iter()
            .filter(|e| wire(&e.kind) == "refresh_grace_replay")
            .count();
        assert_eq!(replays, 10, "{events:?}");
    }
);

both_engines!(
    sealed_successors_are_cleared_once_they_cannot_be_served,
    |app: TestApp| async move {
        let alice = app.register("chain@example.com").await;
        let r1 = app.refresh(&alice.refresh).await.refresh_cookie().unwrap();
        let r2 = app.refresh(&r1).await.refresh_cookie().unwrap();
        assert_eq!(app.refresh(&r2).await.status, StatusCode::OK);

        // Every sealed successor left belongs to a token whose grace window is still open:
        // only the newest rotated token's.
        let sealed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM refresh_tokens WHERE successor_sealed IS NOT NULL",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        assert_eq!(sealed, 1, "rotated parents still hold their successors");

        // After the grace window, maintenance clears that one too.
        app.clock.advance(11);
        let cleared = app
            .state
            .auth
            .clear_stale_successors(app.clock_now())
            .await
            .unwrap();
        assert_eq!(cleared, 1);
        let sealed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM refresh_tokens WHERE successor_sealed IS NOT NULL",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        assert_eq!(sealed, 0);
    }
);

both_engines!(
    an_old_token_and_a_dump_do_not_lead_to_the_live_token,
    |app: TestApp| async move {
        let alice = app.register("walk@example.com").await;
        let mut tokens = vec![alice.refresh.clone()];
        for _ in 0..3 {
            let next = app
                .refresh(tokens.last().unwrap())
                .await
                .refresh_cookie()
                .unwrap();
            tokens.push(next);
        }
        let dump: Vec<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT successor_sealed FROM refresh_tokens")
                .fetch_all(app.pool())
                .await
                .unwrap();
        // The attacker holds R0 (an old cookie) and the dump: nothing R0 opens.
        let old = latchkey::auth::refresh_tokens::RefreshToken::parse(&tokens[0]).unwrap();
        assert!(dump
            .iter()
            .flatten()
            .all(|sealed| old.open_successor(sealed).is_none()));
    }
);
