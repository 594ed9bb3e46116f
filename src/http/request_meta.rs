//! Who is calling: client IP (through `X-Forwarded-For` only from trusted proxies), user agent,
//! and the bearer token. Query-string tokens are never read.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::header::{AUTHORIZATION, USER_AGENT};
use http::request::Parts;
use ipnet::IpNet;

use crate::auth::device::canonical;
use crate::auth::dpop::{self, PresentedProof, ProofTarget};
use crate::auth::ClientInfo;

pub fn client_info(parts: &Parts, trusted_proxies: &[IpNet], public_origin: &str) -> ClientInfo {
    let user_agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let client = ClientInfo::new(client_ip(parts, trusted_proxies), user_agent);
    match dpop_proof(parts, public_origin) {
        Some(proof) => client.with_proof(proof),
        None => client,
    }
}

/// The request's `DPoP` header and what it must have been made for: this method and the public
/// URL of this path (what the browser sees, whatever proxies sit in between). More than one
/// header, or one that is not text, is passed on empty so that it fails as malformed.
fn dpop_proof(parts: &Parts, public_origin: &str) -> Option<PresentedProof> {
    let mut headers = parts.headers.get_all(dpop::HEADER).iter();
    let first = headers.next()?;
    let jwt = match (first.to_str(), headers.next()) {
        (Ok(jwt), None) => jwt.to_owned(),
        _ => String::new(),
    };
    Some(PresentedProof {
        jwt,
        target: ProofTarget {
            method: parts.method.as_str().to_owned(),
            url: format!("{public_origin}{}", parts.uri.path()),
        },
    })
}

pub fn client_ip(parts: &Parts, trusted_proxies: &[IpNet]) -> String {
    let Some(peer) = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
    else {
        return "unknown".into();
    };
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .collect::<Vec<_>>()
        .join(",");
    resolve_client(peer, &forwarded, trusted_proxies).to_string()
}

/// Walks the chain from the nearest hop outwards: while the hop we trust vouches for the one
/// before it, step back. The client is the first address not in the trusted list. An entry
/// that does not parse stops the walk at the trusted hop that passed it on: an address we
/// cannot read is never taken as the client, so garbage cannot buy a fresh rate-limit bucket.
pub fn resolve_client(peer: IpAddr, forwarded_for: &str, trusted: &[IpNet]) -> IpAddr {
    let mut client = canonical(peer);
    if forwarded_for.trim().is_empty() {
        return client;
    }
    for entry in forwarded_for.rsplit(',') {
        if !trusted.iter().any(|net| net.contains(&client)) {
            break;
        }
        match parse_hop(entry.trim()) {
            Some(ip) => client = canonical(ip),
            None => break,
        }
    }
    client
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The token from `Authorization: Bearer <token>`, exactly as sent.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(
            resolve_client(ip("203.0.113.9"), "1.1.1.1", &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client wrote "6.6.6.6" itself; the proxy appended what it saw.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "6.6.6.6, 198.51.100.4", &trusted),
            ip("198.51.100.4")
        );
        // Two trusted hops (CDN edge then load balancer).
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "6.6.6.6, 198.51.100.4, 10.1.2.3", &trusted),
            ip("198.51.100.4")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            resolve_client(ip("198.51.100.9"), "6.6.6.6", &trusted),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn ports_and_brackets_are_read_and_garbage_is_never_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "6.6.6.6, 198.51.100.4:5555", &trusted),
            ip("198.51.100.4")
        );
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "[2001:db8::7]:443", &trusted),
            ip("2001:db8::7")
        );
        // An unreadable right-most entry stops at the proxy: the spoofed one is not used.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "6.6.6.6, unknown", &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "6.6.6.6,", &trusted),
            ip("10.0.0.2")
        );
        // A chain made only of trusted hops ends at the left-most one.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), "10.9.9.9", &trusted),
            ip("10.9.9.9")
        );
    }
}
