//! Who is calling: client IP (from `X-Forwarded-For` only behind a trusted proxy), user agent,
//! and the bearer token. Query-string tokens are never read.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::header::{AUTHORIZATION, USER_AGENT};
use http::request::Parts;

use crate::auth::ClientInfo;

pub fn client_info(parts: &Parts, trust_proxy: bool) -> ClientInfo {
    let user_agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    ClientInfo::new(client_ip(parts, trust_proxy), user_agent)
}

pub fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy {
        // The proxy appends the address it saw; the right-most entry is the one it vouches for.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The token from `Authorization: Bearer <token>`, exactly as sent.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}
