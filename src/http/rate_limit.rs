//! Per-client-IP rate limits (governor's GCRA), answered with 429 and `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::AuthError;

#[derive(Clone)]
pub struct Limiter(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl Limiter {
    /// `per_minute == 0` disables the limit.
    pub fn per_minute(per_minute: u32) -> Self {
        Self(
            NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
        )
    }

    /// Unparseable addresses (no peer known) share one bucket rather than escaping the limit.
    pub fn check(&self, ip: &str) -> Result<(), AuthError> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        let key = ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AuthError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
        }
    }
}
