//! Per-account throttling of failed sign-ins, so guessing one account's password from many
//! addresses is slowed as much as guessing it from one.
//!
//! Each account (by normalised email, whether or not it exists, so the throttle reveals
//! nothing) has a budget of failures (governor's GCRA: `per_hour` at once, then one more every
//! `3600 / per_hour` seconds). Once it is spent, sign-ins to that account are refused with 429
//! before any password check — except from a client that has held a session of the account
//! before (same browser and network, see `auth::binding`). The owner's own devices therefore
//! keep working during an attack; only a new device has to wait, which is the trade we choose
//! over letting a stranger lock the owner out entirely.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct AccountThrottle {
    failures: Option<DefaultKeyedRateLimiter<String>>,
    /// Accounts whose budget is spent, and until when.
    throttled: Mutex<HashMap<String, Instant>>,
}

impl AccountThrottle {
    /// `failures_per_hour == 0` turns the throttle off.
    pub fn new(failures_per_hour: u32) -> Self {
        Self {
            failures: NonZeroU32::new(failures_per_hour)
                .map(|n| RateLimiter::keyed(Quota::per_hour(n))),
            throttled: Mutex::default(),
        }
    }

    /// Seconds to wait when the account's failure budget is spent.
    pub fn retry_after(&self, account: &str) -> Option<u64> {
        let mut throttled = self.throttled.lock().unwrap_or_else(|e| e.into_inner());
        let until = *throttled.get(account)?;
        let now = Instant::now();
        if until <= now {
            throttled.remove(account);
            return None;
        }
        Some((until - now).as_secs().max(1))
    }

    pub fn record_failure(&self, account: &str) {
        let Some(limiter) = &self.failures else {
            return;
        };
        if let Err(not_until) = limiter.check_key(&account.to_owned()) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.throttled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(
                    account.to_owned(),
                    Instant::now() + wait.max(Duration::from_secs(1)),
                );
        }
    }

    /// Drops state for accounts that have been quiet; run from maintenance.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.failures {
            limiter.retain_recent();
        }
        let now = Instant::now();
        self.throttled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_per_account_and_only_failures_spend_it() {
        let throttle = AccountThrottle::new(3);
        for _ in 0..3 {
            assert_eq!(throttle.retry_after("a@example.com"), None);
            throttle.record_failure("a@example.com");
        }
        assert_eq!(throttle.retry_after("a@example.com"), None, "three allowed");
        throttle.record_failure("a@example.com");
        let wait = throttle.retry_after("a@example.com").expect("throttled");
        assert!((1..=1200).contains(&wait), "{wait}");
        assert_eq!(throttle.retry_after("b@example.com"), None);
    }

    #[test]
    fn zero_turns_it_off() {
        let throttle = AccountThrottle::new(0);
        for _ in 0..100 {
            throttle.record_failure("a@example.com");
        }
        assert_eq!(throttle.retry_after("a@example.com"), None);
    }
}
