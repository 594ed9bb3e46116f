//! One log line per request at target `latchkey::access`, a request id on every answer, and
//! the request-latency histogram.
//!
//! The line names the method, the path without its query string, the status, the time to the
//! response head, the request id and the client address (as `request_meta` resolves it). It
//! never carries a header value, a cookie, a body or a query string: tokens travel in those.
//!
//! The request id is the client's `X-Request-Id` only when the connection comes from a trusted
//! proxy and the value is short and plain (no spaces, quotes or control characters that could
//! forge a log line); otherwise a new UUIDv7. tower-http's request-id layer would trust every
//! caller's header, and this decision needs the peer and the trusted proxies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::request::Parts;
use http::{HeaderName, HeaderValue};
use ipnet::IpNet;
use tracing::Instrument;

use super::request_meta::client_ip;
use crate::auth::device::canonical;
use crate::telemetry::metrics;

pub const TARGET: &str = "latchkey::access";
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longer ids from a proxy are replaced: nothing a proxy makes needs more.
const MAX_REQUEST_ID_LEN: usize = 128;

pub struct AccessLog {
    pub trusted_proxies: Vec<IpNet>,
}

pub async fn log_request(
    State(log): State<Arc<AccessLog>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let request_id = request_id(&parts, &log.trusted_proxies);
    let client_ip = client_ip(&parts, &log.trusted_proxies);
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|route| route.as_str().to_owned());
    // Lines written while the request runs (audit lines, errors) carry its id too.
    let span = tracing::info_span!("request", request_id = %request_id);
    let mut response = next
        .run(Request::from_parts(parts, body))
        .instrument(span)
        .await;
    let took = started.elapsed();
    let duration_ms = took.as_micros() as f64 / 1000.0;
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(
        target: TARGET,
        method = %method,
        path = %path,
        status,
        duration_ms,
        request_id = %request_id,
        client_ip = %client_ip,
        "request"
    );
    metrics::http_request(&method, route.as_deref(), status, took);
    response
}

fn request_id(parts: &Parts, trusted_proxies: &[IpNet]) -> String {
    let from_proxy = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| {
            let peer = canonical(peer.ip());
            trusted_proxies.iter().any(|net| net.contains(&peer))
        });
    let mut sent = parts.headers.get_all(&REQUEST_ID).iter();
    match (sent.next(), sent.next()) {
        (Some(value), None) if from_proxy && well_formed(value.as_bytes()) => {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        }
        _ => uuid::Uuid::now_v7().to_string(),
    }
}

/// What request ids look like in practice (UUIDs, hex, base64, `Root=1-…` trace ids).
fn well_formed(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+/=".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, ids: &[&str]) -> Parts {
        let mut request = http::Request::builder().uri("/x");
        for id in ids {
            request = request.header("x-request-id", *id);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 1234)));
        parts
    }

    fn proxies() -> Vec<IpNet> {
        vec!["10.0.0.0/8".parse().unwrap()]
    }

    #[test]
    fn a_trusted_proxy_passes_its_id_on() {
        let id = request_id(&parts("10.1.2.3", &["edge-4b1c:77"]), &proxies());
        assert_eq!(id, "edge-4b1c:77");
    }

    #[test]
    fn anyone_else_gets_a_new_id() {
        let id = request_id(&parts("198.51.100.7", &["chosen-by-client"]), &proxies());
        assert_ne!(id, "chosen-by-client");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }

    #[test]
    fn ids_that_could_forge_a_log_line_are_replaced() {
        for bad in ["a b", "x\"y", "", &"a".repeat(129), "a\tb"] {
            let id = request_id(&parts("10.1.2.3", &[bad]), &proxies());
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:?} kept as {id}");
        }
        let two = request_id(&parts("10.1.2.3", &["one", "two"]), &proxies());
        assert!(uuid::Uuid::parse_str(&two).is_ok(), "two ids: {two}");
    }
}
