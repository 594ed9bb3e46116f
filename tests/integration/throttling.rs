//! Failed sign-ins are throttled per account without locking the owner out; clients are keyed by
//! network; proxies are believed only when listed; the argon2 queue is bounded (SECURITY.md,
//! "The security review's findings (issue 7)", items 6 and 7, and attacks 39 and 42).

use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

const OWNER: Client = Client {
    user_agent: UA_FIREFOX,
    ip: "198.51.100.10",
};
const OWNER_LATER: Client = Client {
    user_agent: UA_FIREFOX,
    ip: "198.51.100.77",
};
const NEW_DEVICE: Client = Client {
    user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
    ip: "203.0.113.200",
};
const GUESSERS: [Client; 5] = [
    Client {
        user_agent: UA_CURL,
        ip: "192.0.2.1",
    },
    Client {
        user_agent: UA_CURL,
        ip: "192.0.2.2",
    },
    Client {
        user_agent: UA_CURL,
        ip: "2001:db8:aa::1",
    },
    Client {
        user_agent: UA_CURL,
        ip: "2001:db8:bb::1",
    },
    Client {
        user_agent: UA_CURL,
        ip: "192.0.2.5",
    },
];

async fn login_from(app: &TestApp, client: &Client, email: &str, password: &str) -> TestResponse {
    app.post_from(
        client,
        "/api/auth/login",
        json!({"email": email, "password": password}),
        &[],
    )
    .await
}

both_engines!(
    guessing_one_account_from_many_addresses_is_throttled_but_the_owner_gets_in,
    |app: TestApp| async move {
        let app = app
            .restart_with(&[
                BEHIND_PROXY,
                ("LATCHKEY_RATE_ACCOUNT_FAILURES_PER_HOUR", "3"),
            ])
            .await
            .unwrap();
        let registered = app
            .post_from(
                &OWNER,
                "/api/auth/register",
                json!({"email": "target@example.com", "password": PASSWORD}),
                &[],
            )
            .await;
        assert_eq!(registered.status, StatusCode::OK);

        for (email, owner_exists) in [("target@example.com", true), ("ghost@example.com", false)] {
            // Each guess comes from a different address, so no per-IP limit applies.
            let mut statuses = Vec::new();
            for guesser in &GUESSERS {
                let answer = login_from(&app, guesser, email, "wrong password 1").await;
                statuses.push((answer.status, answer.code()));
            }
            let refused = (StatusCode::TOO_MANY_REQUESTS, "rate_limited".to_owned());
            let wrong = (StatusCode::UNAUTHORIZED, "invalid_credentials".to_owned());
            assert_eq!(
                statuses,
                [wrong.clone(), wrong.clone(), wrong.clone(), wrong, refused],
                "{email}"
            );
            let blocked = login_from(&app, &NEW_DEVICE, email, PASSWORD).await;
            assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
            assert!(blocked.headers.contains_key("retry-after"));
            if owner_exists {
                // The owner's browser, even on another address of its network, is exempt.
                let owner = login_from(&app, &OWNER_LATER, email, PASSWORD).await;
                assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
            }
        }
    }
);

both_engines!(
    an_ipv6_slash_64_shares_one_bucket,
    |app: TestApp| async move {
        let app = app
            .restart_with(&[BEHIND_PROXY, ("LATCHKEY_RATE_LOGIN_PER_MIN", "2")])
            .await
            .unwrap();
        let mut statuses = Vec::new();
        for ip in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
            let client = Client {
                user_agent: UA_CURL,
                ip: Box::leak(ip.to_owned().into_boxed_str()),
            };
            statuses.push(
                login_from(&app, &client, "nobody@example.com", "wrong password 1")
                    .await
                    .status,
            );
        }
        assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
        let other = Client {
            user_agent: UA_CURL,
            ip: "2001:db8:1:3::1",
        };
        assert_eq!(
            login_from(&app, &other, "nobody@example.com", "wrong password 1")
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "another /64 has its own bucket"
        );
    }
);

both_engines!(
    an_unreadable_forwarded_entry_is_never_the_client,
    |app: TestApp| async move {
        let app = app
            .restart_with(&[BEHIND_PROXY, ("LATCHKEY_RATE_LOGIN_PER_MIN", "2")])
            .await
            .unwrap();
        let mut statuses = Vec::new();
        for n in 1..=3 {
            // The client wrote a fresh address each time; the proxy appended junk.
            let forwarded = format!("9.9.9.{n}, unknown");
            statuses.push(
                app.post_with(
                    "/api/auth/login",
                    json!({"email": "nobody@example.com", "password": "wrong password 1"}),
                    &[("x-forwarded-for", &forwarded)],
                )
                .await
                .status,
            );
        }
        assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_password_queue_answers_503_busy_with_retry_after() {
    let Some(app) = TestApp::spawn_with(
        Dialect::Sqlite,
        &[
            ("LATCHKEY_ARGON2_QUEUE", "0"),
            ("LATCHKEY_ARGON2_M_KIB", "65536"),
            ("LATCHKEY_ARGON2_T", "3"),
        ],
    )
    .await
    else {
        return;
    };
    let answers = futures::future::join_all((0..12).map(|i| {
        app.post(
            "/api/auth/login",
            json!({"email": format!("flood{i}@example.com"), "password": "wrong password 1"}),
        )
    }))
    .await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "twelve hashes on a full queue all waited");
    for answer in busy {
        assert_eq!(answer.code(), "busy", "{}", answer.body);
        assert!(answer.headers.contains_key("retry-after"));
    }
    assert!(answers
        .iter()
        .all(|r| matches!(r.status.as_u16(), 401 | 503)));
}
