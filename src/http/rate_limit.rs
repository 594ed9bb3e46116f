//! Per-client rate limits (governor's GCRA), answered with 429 and `Retry-After`. IPv4 clients
//! are keyed by address; IPv6 clients by their /64, since one household or phone holds a whole
//! /64 and could otherwise take a fresh bucket per request.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::device::canonical;
use crate::auth::AuthError;
use crate::telemetry::metrics::{self, RateLimit};

#[derive(Clone)]
pub struct Limiter {
    buckets: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    /// Which limit this is, in `latchkey_rate_limited_total{limit}`.
    name: RateLimit,
}

impl Limiter {
    /// `per_minute == 0` disables the limit.
    pub fn per_minute(name: RateLimit, per_minute: u32) -> Self {
        Self {
            buckets: NonZeroU32::new(per_minute)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            name,
        }
    }

    /// Unparseable addresses (no peer known) share one bucket rather than escaping the limit.
    pub fn check(&self, ip: &str) -> Result<(), AuthError> {
        let Some(limiter) = &self.buckets else {
            return Ok(());
        };
        let key = bucket(ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        limiter.check_key(&key).map_err(|not_until| {
            metrics::count_rate_limited(self.name);
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AuthError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.buckets {
            limiter.retain_recent();
        }
    }
}

fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_slash_64_is_one_client() {
        let limiter = Limiter::per_minute(RateLimit::Login, 2);
        assert!(limiter.check("2001:db8:1:2::1").is_ok());
        assert!(limiter.check("2001:db8:1:2::ffff").is_ok());
        assert!(matches!(
            limiter.check("2001:db8:1:2:abcd::1"),
            Err(AuthError::RateLimited { .. })
        ));
        assert!(limiter.check("2001:db8:1:3::1").is_ok(), "another /64");
    }

    #[test]
    fn ipv4_addresses_are_separate_and_mapped_addresses_are_ipv4() {
        let limiter = Limiter::per_minute(RateLimit::Login, 1);
        assert!(limiter.check("198.51.100.1").is_ok());
        assert!(limiter.check("::ffff:198.51.100.1").is_err());
        assert!(limiter.check("198.51.100.2").is_ok());
    }
}
