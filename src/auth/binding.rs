//! Which client a refresh token was consumed by. A grace-window replay of the parent is served
//! only to that same client; any other client presenting it is treated as a thief. Today the
//! client is recognised by a fingerprint of its user agent and network; device binding with a
//! key the browser holds (DPoP) replaces this module's two functions and nothing else.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::device::{network_of, ClientInfo};

/// A digest of the user agent and the network (IPv4 /24, IPv6 /64): stable across the retries
/// of one browser, different for a thief elsewhere.
pub fn consumer_fingerprint(client: &ClientInfo) -> Vec<u8> {
    fingerprint(&client.user_agent, &client.ip)
}

/// True when `client` is the one that consumed the token. Rows consumed before fingerprints
/// were recorded carry none; they are served as before until their short grace window ends.
pub fn same_consumer(stored: Option<&[u8]>, client: &ClientInfo) -> bool {
    match stored {
        None => true,
        Some(stored) => bool::from(stored.ct_eq(&consumer_fingerprint(client))),
    }
}

/// Whether a past session of the account came from what looks like this client; used to let
/// the owner sign in while the account is throttled.
pub fn seen_before(client: &ClientInfo, user_agent: &str, ip: &str) -> bool {
    bool::from(fingerprint(user_agent, ip).ct_eq(&consumer_fingerprint(client)))
}

fn fingerprint(user_agent: &str, ip: &str) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(b"latchkey/consumer/v1\0");
    hash.update(user_agent.as_bytes());
    hash.update(b"\0");
    hash.update(network_of(ip).as_bytes());
    hash.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_browser_on_the_same_network_matches_and_others_do_not() {
        let browser = ClientInfo::new("198.51.100.7", "Firefox/121.0");
        let print = consumer_fingerprint(&browser);
        assert!(same_consumer(Some(&print), &browser));
        assert!(same_consumer(
            Some(&print),
            &ClientInfo::new("198.51.100.200", "Firefox/121.0")
        ));
        assert!(!same_consumer(
            Some(&print),
            &ClientInfo::new("203.0.113.7", "Firefox/121.0")
        ));
        assert!(!same_consumer(
            Some(&print),
            &ClientInfo::new("198.51.100.7", "curl/8.0")
        ));
        assert!(same_consumer(None, &browser));
    }
}
