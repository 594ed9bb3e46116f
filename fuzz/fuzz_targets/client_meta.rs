//! Who is calling: `X-Forwarded-For`, the peer address, the trusted proxies and the user agent
//! through `request_meta::client_info` / `client_ip`, `device::device_label`, `network_of` and
//! `same_kind_of_device`. The input is lines: the peer address, the trusted networks
//! (comma-separated), the user agent, a second user agent, then one `X-Forwarded-For` header per
//! remaining line (any bytes).
//!
//! Asserts: the client is always an address, never an IPv4-mapped IPv6 one; an untrusted peer is
//! the client whatever the header says; otherwise the client is the peer or one of the listed
//! hops, never text that does not parse; several header lines mean the same as one joined with
//! commas; the user agent is bounded and free of control characters; labels are never empty;
//! "same kind of device" is reflexive and symmetric.

#![no_main]

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;
use ipnet::IpNet;
use latchkey::auth::device::{self, canonical};
use latchkey::http::request_meta;
use latchkey_fuzz::server::ORIGIN;
use libfuzzer_sys::fuzz_target;

/// The peer when the first line is not an address: inside the networks seeds tend to trust.
const FALLBACK_PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
const MAX_USER_AGENT_CHARS: usize = 512;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|b| *b == b'\n');
    let peer = text(lines.next())
        .and_then(|p| p.trim().parse::<IpAddr>().ok())
        .unwrap_or(FALLBACK_PEER);
    let trusted: Vec<IpNet> = text(lines.next())
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| {
            let n = n.trim();
            n.parse::<IpNet>()
                .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                .ok()
                .map(|net| net.trunc())
        })
        .take(8)
        .collect();
    let user_agent = lines.next().unwrap_or_default();
    let other_user_agent = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let forwarded: Vec<&[u8]> = lines.take(8).collect();

    let Some(parts) = request(peer, user_agent, &forwarded) else {
        return;
    };
    let info = request_meta::client_info(&parts, &trusted, ORIGIN);
    let client: IpAddr = match info.ip.parse() {
        Ok(ip) => ip,
        Err(_) => panic!("the client is not an address: {:?}", info.ip),
    };
    assert_eq!(request_meta::client_ip(&parts, &trusted), info.ip);
    assert_eq!(client, canonical(client), "an IPv4-mapped client: {client}");
    if !trusted.iter().any(|net| net.contains(&canonical(peer))) {
        assert_eq!(
            client,
            canonical(peer),
            "an untrusted peer's header was believed"
        );
    } else if client != canonical(peer) {
        let listed = forwarded
            .iter()
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .filter_map(hop)
            .any(|ip| canonical(ip) == client);
        assert!(listed, "{client} is neither the peer nor a listed hop");
    }
    if forwarded.len() > 1 && forwarded.iter().all(|v| visible_ascii(v)) {
        let joined = forwarded.join(&b","[..]);
        if let Some(single) = request(peer, user_agent, &[&joined]) {
            assert_eq!(
                request_meta::client_ip(&single, &trusted),
                info.ip,
                "header lines and their comma-joined form disagree"
            );
        }
    }

    assert!(info.user_agent.chars().count() <= MAX_USER_AGENT_CHARS);
    assert!(!info.user_agent.chars().any(char::is_control));
    let label = info.device_label();
    assert!(
        !label.trim().is_empty() && !label.chars().any(char::is_control),
        "{label:?}"
    );
    let network = device::network_of(&info.ip);
    assert!(
        network.ends_with("/24") || network.ends_with("/64"),
        "{network}"
    );
    assert_eq!(device::network_of(&canonical(client).to_string()), network);
    assert!(device::same_kind_of_device(
        &info.user_agent,
        &info.user_agent
    ));
    assert_eq!(
        device::same_kind_of_device(&info.user_agent, &other_user_agent),
        device::same_kind_of_device(&other_user_agent, &info.user_agent),
        "same_kind_of_device is not symmetric"
    );
    let _ = device::device_label(&other_user_agent);
});

fn text(line: Option<&[u8]>) -> Option<&str> {
    line.and_then(|l| std::str::from_utf8(l).ok())
}

fn visible_ascii(value: &[u8]) -> bool {
    value.iter().all(|b| (0x20..0x7f).contains(b))
}

/// A hop as the README documents them: an address, with or without a port.
fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The request head production would see, or `None` when HTTP cannot carry these values.
fn request(peer: IpAddr, user_agent: &[u8], forwarded: &[&[u8]]) -> Option<Parts> {
    let mut builder = http::Request::post("/api/auth/login");
    if !user_agent.is_empty() {
        builder = builder.header(http::header::USER_AGENT, user_agent);
    }
    for value in forwarded {
        builder = builder.header("x-forwarded-for", *value);
    }
    let (mut parts, ()) = builder.body(()).ok()?.into_parts();
    parts
        .extensions
        .insert(ConnectInfo(SocketAddr::new(peer, 40_000)));
    Some(parts)
}
