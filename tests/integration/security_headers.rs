//! Browser hardening headers on pages: a Content-Security-Policy whose nonce is the one on the
//! page's inline scripts, COOP, HSTS for https origins only, and the older framing/sniffing ones.

use std::collections::HashMap;

use axum::body::Body;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{Request, StatusCode};

use crate::support::*;

async fn get(app: &TestApp, path: &str) -> TestResponse {
    let request = Request::get(path)
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

fn header<'a>(response: &'a TestResponse, name: &str) -> Option<&'a str> {
    response.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Directive name → its sources.
fn directives(policy: &str) -> HashMap<String, Vec<String>> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

/// Checks the policy and returns its nonce.
fn check_policy(response: &TestResponse) -> String {
    let policy = header(response, "content-security-policy").expect("a CSP header");
    let d = directives(policy);
    let script_src = &d["script-src"];
    let nonces: Vec<&str> = script_src
        .iter()
        .filter_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .collect();
    assert_eq!(nonces.len(), 1, "one nonce in script-src: {policy}");
    let nonce = nonces[0].to_owned();
    assert!(
        STANDARD.decode(&nonce).is_ok_and(|b| b.len() >= 16),
        "nonce {nonce} is base64 of 128+ bits"
    );
    assert_eq!(
        script_src,
        &["'self'", &format!("'nonce-{nonce}'"), "'wasm-unsafe-eval'"],
        "{policy}"
    );
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    for (name, sources) in [
        ("default-src", vec!["'self'"]),
        ("style-src", vec!["'self'"]),
        ("img-src", vec!["'self'", "data:"]),
        ("connect-src", vec!["'self'"]),
        ("frame-ancestors", vec!["'none'"]),
        ("base-uri", vec!["'none'"]),
        ("object-src", vec!["'none'"]),
        ("form-action", vec!["'self'"]),
    ] {
        assert_eq!(
            d.get(name),
            Some(&sources.iter().map(|s| s.to_string()).collect()),
            "{name} in {policy}"
        );
    }
    nonce
}

/// The `nonce` attribute of every inline `<script>` (None where it has none).
fn inline_script_nonces(html: &str) -> Vec<Option<String>> {
    html.match_indices("<script")
        .map(|(at, _)| &html[at..at + html[at..].find('>').expect("script tag ends")])
        .filter(|tag| !tag.contains(" src="))
        .map(|tag| {
            let (_, rest) = tag.split_once(" nonce=\"")?;
            rest.split_once('"').map(|(nonce, _)| nonce.to_owned())
        })
        .collect()
}

fn check_page(response: &TestResponse) -> String {
    let nonce = check_policy(response);
    let scripts = inline_script_nonces(&response.body);
    assert!(
        !scripts.is_empty(),
        "the page has Leptos' inline hydration script"
    );
    for script in scripts {
        assert_eq!(
            script.as_deref(),
            Some(nonce.as_str()),
            "every inline script carries the header's nonce"
        );
    }
    assert_eq!(
        header(response, "cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(header(response, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(response, "x-frame-options"), Some("DENY"));
    assert_eq!(header(response, "referrer-policy"), Some("same-origin"));
    nonce
}

#[tokio::test]
async fn pages_have_a_csp_whose_fresh_nonce_is_on_every_inline_script() {
    let app = TestApp::spawn(Dialect::Sqlite).await.unwrap();
    let mut seen = Vec::new();
    for (path, status) in [
        ("/login", StatusCode::OK),
        ("/login", StatusCode::OK),
        ("/", StatusCode::OK),
        ("/sessions", StatusCode::OK),
        ("/no-such-page", StatusCode::NOT_FOUND),
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status, status, "{path}");
        let nonce = check_page(&response);
        assert!(!seen.contains(&nonce), "{path} reused nonce {nonce}");
        seen.push(nonce);
        assert!(
            header(&response, "strict-transport-security").is_none(),
            "no HSTS for an http origin"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_origin_is_https() {
    let app = TestApp::spawn_with(
        Dialect::Sqlite,
        &[("LATCHKEY_PUBLIC_ORIGIN", "https://auth.example.com")],
    )
    .await
    .unwrap();
    let response = get(&app, "/login").await;
    assert_eq!(response.status, StatusCode::OK);
    check_page(&response);
    assert_eq!(
        header(&response, "strict-transport-security"),
        Some("max-age=63072000; includeSubDomains")
    );
}

#[tokio::test]
async fn other_answers_carry_the_same_policy_without_a_nonce() {
    let app = TestApp::spawn(Dialect::Sqlite).await.unwrap();
    let (a, b) = (get(&app, "/healthz").await, get(&app, "/healthz").await);
    let policy = header(&a, "content-security-policy").expect("a CSP header");
    assert_eq!(Some(policy), header(&b, "content-security-policy"));
    let d = directives(policy);
    assert_eq!(d["script-src"], ["'self'", "'wasm-unsafe-eval'"]);
    assert_eq!(d["frame-ancestors"], ["'none'"]);
    assert_eq!(
        header(&a, "cross-origin-opener-policy"),
        Some("same-origin")
    );
}
