//! Browser hardening headers on every response, above all a Content-Security-Policy whose
//! per-response nonce (on pages) is the one Leptos writes on its inline scripts during server
//! rendering.
//!
//! The nonce is made here, before the handler runs, and travels to the renderer in the request's
//! extensions: Leptos would otherwise make its own inside the renderer, where the response
//! headers can no longer see it. `provide_nonce` (run in the Leptos context hooks) hands it over.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderName, HeaderValue};
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use rand::RngCore as _;

use crate::config::{is_loopback, Config};

const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");
/// Two years, the usual recommendation. No `preload`: that commits the operator's whole domain.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The nonce of the response being built.
#[derive(Clone, Debug)]
struct CspNonce(Arc<str>);

#[derive(Debug)]
pub struct SecurityHeaders {
    hsts: bool,
    /// `connect-src` sources besides `'self'`: the dev reload socket, on another port.
    extra_connect_src: String,
}

impl SecurityHeaders {
    pub fn new(config: &Config, leptos: &LeptosOptions) -> Self {
        // The same switch `AutoReload` uses: its script only exists under `cargo leptos watch`,
        // so release and test servers never allow the extra socket.
        let reload_port = std::env::var_os("LEPTOS_WATCH")
            .is_some()
            .then(|| leptos.reload_external_port.unwrap_or(leptos.reload_port));
        Self::for_origin(&config.public_origin, reload_port)
    }

    fn for_origin(public_origin: &str, reload_port: Option<u32>) -> Self {
        let url = url::Url::parse(public_origin).ok();
        let https = url.as_ref().is_some_and(|u| u.scheme() == "https");
        let mut extra_connect_src = String::new();
        if let (Some(port), Some(host)) = (reload_port, url.as_ref().and_then(|u| u.host_str())) {
            // The reload script connects to the page's own host name, and the Origin check lets
            // developers use any loopback name, so each needs its source. CSP has no syntax for
            // IPv6 literals (Chromium drops them with a warning): `[::1]` gets no live reload.
            let hosts: Vec<&str> = if is_loopback(host) {
                vec!["127.0.0.1", "localhost"]
            } else if host.starts_with('[') {
                vec![]
            } else {
                vec![host]
            };
            let scheme = if https { "wss" } else { "ws" };
            for host in hosts {
                extra_connect_src.push_str(&format!(" {scheme}://{host}:{port}"));
            }
        }
        Self {
            hsts: https,
            extra_connect_src,
        }
    }

    fn policy(&self, nonce: Option<&str>) -> String {
        let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
        // 'wasm-unsafe-eval' allows compiling the app's WASM, not eval(); no inline styles are
        // rendered (the SVG icons use presentation attributes, not `style`), so style-src needs
        // no nonce.
        format!(
            "default-src 'self'; \
             script-src 'self'{nonce} 'wasm-unsafe-eval'; \
             style-src 'self'; \
             img-src 'self' data:; \
             connect-src 'self'{}; \
             frame-ancestors 'none'; \
             base-uri 'none'; \
             object-src 'none'; \
             form-action 'self'",
            self.extra_connect_src
        )
    }
}

pub async fn set_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = new_nonce();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    // Only a page can hold an inline script. Elsewhere a nonce would just make answers that
    // must be identical differ (a wrong password and an unknown email), and defeat caching.
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let policy = HeaderValue::from_str(&headers.policy(is_html.then_some(&*nonce)))
        // Cannot fail (a base64 nonce, a host the URL parser serialised), but would fail closed.
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    let out = response.headers_mut();
    out.insert(CONTENT_SECURITY_POLICY, policy);
    out.insert(
        CROSS_ORIGIN_OPENER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if headers.hsts {
        out.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// 128 bits from the OS, as CSP asks of a nonce: unguessable and never reused.
fn new_nonce() -> Arc<str> {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    STANDARD.encode(bytes).into()
}

/// For Leptos' context hooks: replaces the nonce Leptos made with the one in the header. Does
/// nothing outside a request that passed the middleware (route listing, static files).
pub fn provide_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(Nonce::from_value(nonce));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_carries_the_nonce_and_no_unsafe_inline() {
        let headers = SecurityHeaders::for_origin("http://127.0.0.1:3000", None);
        let policy = headers.policy(Some("abc"));
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(policy.contains("connect-src 'self';"));
        assert!(!policy.contains("unsafe-inline"));
        let without = headers.policy(None);
        assert!(without.contains("script-src 'self' 'wasm-unsafe-eval';"));
    }

    #[test]
    fn hsts_only_for_https_origins() {
        assert!(!SecurityHeaders::for_origin("http://127.0.0.1:3000", None).hsts);
        assert!(SecurityHeaders::for_origin("https://auth.example.com", None).hsts);
    }

    #[test]
    fn dev_reload_socket_is_allowed_only_when_watching() {
        let watching = SecurityHeaders::for_origin("http://127.0.0.1:3000", Some(3001));
        assert!(watching
            .policy(None)
            .contains("connect-src 'self' ws://127.0.0.1:3001 ws://localhost:3001;"));
        let remote = SecurityHeaders::for_origin("https://auth.example.com", Some(3001));
        assert!(remote
            .policy(None)
            .contains("connect-src 'self' wss://auth.example.com:3001;"));
    }

    #[test]
    fn nonces_are_fresh_base64_of_128_bits() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(a.as_bytes()).unwrap().len(), 16);
    }
}
