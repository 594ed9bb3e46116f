//! Prometheus metrics on their own listener (`LATCHKEY_METRICS_ADDR`): the counters move by
//! exactly what happened, the histograms exist with bounded labels, the public port has no
//! `/metrics`, and without the variable nothing more listens. A real process each: the
//! recorder is global to a process, which in-process tests share.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use crate::process::{command, Server};
use crate::support::*;

/// A counter, its labels, and by how much it must have moved.
type Moved<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

/// One scrape: each series (`name{label="value",…}`, labels sorted) and its value.
struct Scrape(BTreeMap<String, f64>);

impl Scrape {
    async fn of(server: &Server) -> Scrape {
        let url = server.metrics_url().expect("the metrics address is logged");
        let response = server.http.get(&url).send().await.expect("metrics answer");
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.expect("metrics body");
        Scrape(
            text.lines()
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .map(|line| {
                    let (series, value) = line.rsplit_once(' ').expect("series value");
                    (normalised(series), value.parse().expect("a number"))
                })
                .collect(),
        )
    }

    /// The value of `name` with exactly `labels`; 0 when the series does not exist yet.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0.get(&series(name, labels)).copied().unwrap_or(0.0)
    }

    fn names(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

fn series(name: &str, labels: &[(&str, &str)]) -> String {
    let mut labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    labels.sort();
    if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", labels.join(","))
    }
}

/// The exporter's label order is not part of the contract; sort it.
fn normalised(series: &str) -> String {
    let Some((name, rest)) = series.split_once('{') else {
        return series.to_owned();
    };
    let labels = rest.trim_end_matches('}');
    let mut labels: Vec<&str> = labels.split("\",").collect();
    let last = labels.len() - 1;
    let mut owned: Vec<String> = labels
        .drain(..)
        .enumerate()
        .map(|(i, l)| {
            if i == last {
                l.to_owned()
            } else {
                format!("{l}\"")
            }
        })
        .collect();
    owned.sort();
    format!("{name}{{{}}}", owned.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_and_histograms_move_with_what_happens() {
    let Some(db) = test_db(Dialect::Sqlite).await else {
        return;
    };
    let server = Server::start(
        &db,
        &[
            ("LATCHKEY_METRICS_ADDR", "127.0.0.1:0"),
            ("LATCHKEY_RATE_LOGIN_PER_MIN", "6"),
        ],
    )
    .await;
    assert_eq!(server.listening_sockets(), 2, "the public port and metrics");
    let before = Scrape::of(&server).await;
    for outcome in ["success", "invalid_credentials", "throttled", "busy"] {
        assert!(
            before
                .0
                .contains_key(&series("latchkey_logins_total", &[("outcome", outcome)])),
            "{outcome}: counters start at zero"
        );
    }

    let email = "metrics@example.com";
    let first = server.register(email).await;
    let login = server
        .post(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
            &[],
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let second = Signin::from(&login);

    // Wrong passwords until the per-client login limit answers 429.
    let mut failed = 0.0;
    let mut limited = false;
    for attempt in 0..10 {
        let email = if attempt % 2 == 0 {
            email
        } else {
            "nobody@example.com"
        };
        let response = server
            .post(
                "/api/auth/login",
                json!({"email": email, "password": "not the password at all"}),
                &[],
            )
            .await;
        match response.status {
            StatusCode::UNAUTHORIZED => failed += 1.0,
            StatusCode::TOO_MANY_REQUESTS => {
                limited = true;
                break;
            }
            other => panic!("{other}: {}", response.body),
        }
    }
    assert!(
        limited && failed >= 1.0,
        "{failed} failures, limited: {limited}"
    );

    // Two rotations, then the first parent again inside the grace window (a replay), then the
    // other session revoked, then the oldest token (reuse).
    let r1 = Signin::from(server.refresh(&first.refresh).await);
    let r2 = server.refresh(&r1.refresh).await;
    assert_eq!(r2.status, StatusCode::OK, "{}", r2.body);
    let replay = server.refresh(&r1.refresh).await;
    assert_eq!(
        replay.status,
        StatusCode::OK,
        "grace replay: {}",
        replay.body
    );
    let revoke = server
        .post(
            "/api/sessions/revoke",
            json!({"session_id": claims(&second.access)["sid"]}),
            &[("authorization", &format!("Bearer {}", r1.access))],
        )
        .await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.body);
    let reused = server.refresh(&first.refresh).await;
    assert_eq!(reused.code(), "refresh_reused", "{}", reused.body);
    let missing = server.get("/no-such-page-7f3a").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let after = Scrape::of(&server).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let expected: &[Moved] = &[
        ("latchkey_logins_total", &[("outcome", "success")], 1.0),
        (
            "latchkey_logins_total",
            &[("outcome", "invalid_credentials")],
            failed,
        ),
        ("latchkey_rate_limited_total", &[("limit", "login")], 1.0),
        ("latchkey_refreshes_total", &[("outcome", "rotated")], 2.0),
        (
            "latchkey_refreshes_total",
            &[("outcome", "grace_replay")],
            1.0,
        ),
        ("latchkey_refreshes_total", &[("outcome", "reused")], 1.0),
        (
            "latchkey_revocations_total",
            &[("reason", "user_revoked")],
            1.0,
        ),
        (
            "latchkey_revocations_total",
            &[("reason", "refresh_reused")],
            1.0,
        ),
        ("latchkey_revocations_total", &[("reason", "logout")], 0.0),
    ];
    for (name, labels, by) in expected {
        assert_eq!(moved(name, labels), *by, "{}", series(name, labels));
    }

    // Latency by the matched route, never the path a client typed.
    let login_ok = series(
        "latchkey_http_request_duration_seconds_count",
        &[
            ("method", "POST"),
            ("route", "/api/auth/login"),
            ("status", "200"),
        ],
    );
    assert_eq!(after.value(&login_ok, &[]), 1.0, "{login_ok}");
    let not_found = series(
        "latchkey_http_request_duration_seconds_count",
        &[("method", "GET"), ("route", "fallback"), ("status", "404")],
    );
    assert!(after.value(&not_found, &[]) >= 1.0, "{not_found}");
    assert!(
        after.names().any(
            |s| s.starts_with("latchkey_http_request_duration_seconds_bucket{")
                && s.contains("le=\"0.005\"")
        ),
        "buckets, not a summary"
    );
    assert!(
        !after.names().any(|s| s.contains("no-such-page")),
        "raw paths"
    );
    // Every password check went through the queue: register, login and the failed logins.
    assert!(after.value("latchkey_argon2_queue_wait_seconds_count", &[]) >= 2.0 + failed);
    assert!(after.value("latchkey_db_pool_max", &[]) >= 1.0);
    assert!(after.0.contains_key("latchkey_db_pool_size"));
    assert!(after.0.contains_key("latchkey_db_pool_idle"));

    // Only GET /metrics there; never on the public port.
    let url = server.metrics_url().unwrap();
    let elsewhere = server
        .http
        .get(url.replace("/metrics", "/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.get("/metrics").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_variable_nothing_more_listens() {
    let Some(db) = test_db(Dialect::Sqlite).await else {
        return;
    };
    let server = Server::start(&db, &[]).await;
    assert_eq!(server.listening_sockets(), 1, "only the public port");
    assert_eq!(server.metrics_url(), None);
    assert_eq!(server.get("/metrics").await.status, StatusCode::NOT_FOUND);
}

#[test]
fn a_taken_metrics_port_stops_start_up_naming_the_variable() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/latchkey.db", dir.path().display());
    let output = command(&url, &[("LATCHKEY_METRICS_ADDR", &addr)])
        .output()
        .expect("run latchkey");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "LATCHKEY_METRICS_ADDR: could not listen on {addr}"
        )),
        "{stderr}"
    );
}
