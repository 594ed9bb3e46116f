//! The log as operators read it (issue "operations"): `LATCHKEY_LOG_FORMAT=json` writes one
//! JSON object per line, every request gets one `latchkey::access` line whose request id is
//! the one in the answer's `X-Request-Id`, and no token, cookie, password or query string ever
//! reaches the log.

use http::StatusCode;
use serde_json::{json, Value};

use crate::process::{command, Server};
use crate::support::*;

/// What a request was answered with, to find its access line by.
struct Sent {
    method: &'static str,
    path: &'static str,
    status: StatusCode,
    request_id: String,
}

impl Sent {
    fn of(method: &'static str, path: &'static str, response: &TestResponse) -> Self {
        let request_id = response
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{method} {path}: no x-request-id in the answer"))
            .to_owned();
        Sent {
            method,
            path,
            status: response.status,
            request_id,
        }
    }
}

fn access_line_of<'a>(lines: &'a [Value], sent: &Sent) -> &'a Value {
    let matching: Vec<&Value> = lines
        .iter()
        .filter(|line| line["request_id"] == sent.request_id.as_str())
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "{} {}: one access line with its request id, found {matching:?}",
        sent.method,
        sent.path
    );
    matching[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_has_one_access_line_per_request_and_no_secrets() {
    let Some(db) = test_db(Dialect::Sqlite).await else {
        return;
    };
    let server = Server::start(&db, &[("LATCHKEY_LOG_FORMAT", "json")]).await;
    const QUERY_SECRET: &str = "qs-value-that-must-not-be-logged";
    const QUERY_SECRET_2: &str = "probe-value-that-must-not-be-logged";
    let credentials = json!({"email": "logs@example.com", "password": PASSWORD});
    let mut sent = Vec::new();
    let mut secrets = vec![PASSWORD.to_owned()];

    let registered = server
        .post("/api/auth/register", credentials.clone(), &[])
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);
    sent.push(Sent::of("POST", "/api/auth/register", &registered));
    let first = Signin::from(&registered);

    let login = server.post("/api/auth/login", credentials, &[]).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    sent.push(Sent::of("POST", "/api/auth/login", &login));
    let second = Signin::from(&login);

    let refreshed = server.refresh(&first.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    sent.push(Sent::of("POST", "/api/auth/refresh", &refreshed));
    let rotated = Signin::from(&refreshed);

    // A request id chosen by a client that is not a trusted proxy is not taken.
    let bearer = format!("Bearer {}", rotated.access);
    let listed = server
        .post(
            &format!("/api/sessions/list?token={QUERY_SECRET}"),
            json!({}),
            &[
                ("authorization", &bearer),
                ("x-request-id", "chosen-by-the-client"),
            ],
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    sent.push(Sent::of("POST", "/api/sessions/list", &listed));
    assert_ne!(sent.last().unwrap().request_id, "chosen-by-the-client");

    let probe = server.get(&format!("/livez?probe={QUERY_SECRET_2}")).await;
    sent.push(Sent::of("GET", "/livez", &probe));

    let logout = server.logout(&rotated.refresh).await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.body);
    sent.push(Sent::of("POST", "/api/auth/logout", &logout));

    for signin in [&first, &second, &rotated] {
        secrets.push(signin.access.clone());
        secrets.push(signin.refresh.clone());
    }
    secrets.extend([QUERY_SECRET.to_owned(), QUERY_SECRET_2.to_owned()]);

    let last = sent.last().unwrap().request_id.clone();
    server
        .wait_for_log("the last request's access line", |s| {
            s.json_lines_at("latchkey::access")
                .iter()
                .any(|l| l["request_id"] == last.as_str())
        })
        .await;
    let access = server.json_lines_at("latchkey::access");
    for request in &sent {
        let line = access_line_of(&access, request);
        assert_eq!(line["method"], request.method, "{line}");
        assert_eq!(line["path"], request.path, "no query string: {line}");
        assert_eq!(line["status"], request.status.as_u16(), "{line}");
        assert!(
            line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
        assert_eq!(line["client_ip"], "127.0.0.1", "{line}");
        assert_eq!(line["level"], "INFO", "{line}");
    }
    assert!(
        access.len() > sent.len(),
        "the start-up health checks are logged too: {access:?}"
    );

    let log = server.log_text();
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{secret:?} appears in the log:\n{log}"
        );
    }
    assert!(!log.contains("chosen-by-the-client"), "{log}");
    assert!(!log.contains("logs@example.com"), "{log}");
}

#[test]
fn a_bad_log_format_stops_start_up_naming_the_variable() {
    let output = command(
        "sqlite:///nonexistent/never-used.db",
        &[("LATCHKEY_LOG_FORMAT", "xml")],
    )
    .output()
    .expect("run latchkey");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LATCHKEY_LOG_FORMAT: expected text or json, got \"xml\""),
        "{stderr}"
    );
}
