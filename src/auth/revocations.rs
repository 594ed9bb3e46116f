//! The in-memory revocation list the bearer check consults, so a revoked session's access token
//! is refused on the very next request without a database query. Entries only need to outlive
//! the access tokens they block, so each is forgotten after one access TTL (plus leeway).
//!
//! With several instances the list is only as good as the feed that fills it (see
//! `revocation_feed`): while the feed is down the list is marked stale and the bearer check asks
//! the database instead of trusting it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use super::access_tokens::CLOCK_SKEW_SECS;
use super::domain::{SessionId, UserId};

pub struct Revocations {
    /// session id → when the entry may be forgotten
    sessions: RwLock<HashMap<SessionId, i64>>,
    /// user id → tokens issued before this instant are refused
    users_not_before: RwLock<HashMap<UserId, i64>>,
    retention_secs: i64,
    /// False while revocations made by other instances may be missing from the list.
    current: AtomicBool,
}

impl Revocations {
    pub fn new(access_ttl_secs: i64) -> Self {
        Self {
            sessions: RwLock::default(),
            users_not_before: RwLock::default(),
            retention_secs: access_ttl_secs + CLOCK_SKEW_SECS as i64 + 5,
            current: AtomicBool::new(true),
        }
    }

    /// Whether the list holds every revocation committed anywhere (see `mark_stale`).
    pub fn is_current(&self) -> bool {
        self.current.load(Ordering::Acquire)
    }

    /// The feed lost its connection: until `mark_current`, the list may be missing entries.
    /// Returns whether it was current before, so the transition is logged once.
    pub fn mark_stale(&self) -> bool {
        self.current.swap(false, Ordering::AcqRel)
    }

    /// The feed is connected again and the list was reloaded from the database after that.
    /// Returns whether it was stale before.
    pub fn mark_current(&self) -> bool {
        !self.current.swap(true, Ordering::AcqRel)
    }

    /// How far back the database must be read at start-up to rebuild the list.
    pub fn window_secs(&self) -> i64 {
        self.retention_secs
    }

    pub fn revoke_session(&self, session_id: &SessionId, revoked_at: i64) {
        write(&self.sessions).insert(session_id.clone(), revoked_at + self.retention_secs);
    }

    pub fn revoke_user_tokens_before(&self, user_id: &UserId, instant: i64) {
        let mut map = write(&self.users_not_before);
        let entry = map.entry(user_id.clone()).or_insert(instant);
        *entry = (*entry).max(instant);
    }

    pub fn is_revoked(&self, session_id: &SessionId, user_id: &UserId, issued_at: i64) -> bool {
        if read(&self.sessions).contains_key(session_id) {
            return true;
        }
        read(&self.users_not_before)
            .get(user_id)
            .is_some_and(|nb| issued_at < *nb)
    }

    /// Drops entries whose tokens have all expired.
    pub fn prune(&self, now: i64) {
        write(&self.sessions).retain(|_, forget_at| *forget_at > now);
        let retention = self.retention_secs;
        write(&self.users_not_before).retain(|_, nb| *nb + retention > now);
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_sessions_are_refused_until_their_tokens_expire() {
        let (s1, s2, u1) = (
            SessionId::generate(),
            SessionId::generate(),
            UserId::generate(),
        );
        let list = Revocations::new(600);
        list.revoke_session(&s1, 1_000);
        assert!(list.is_revoked(&s1, &u1, 990));
        assert!(!list.is_revoked(&s2, &u1, 990));
        list.prune(1_000 + 600);
        assert!(
            list.is_revoked(&s1, &u1, 990),
            "still inside the access TTL + leeway"
        );
        list.prune(1_000 + 700);
        assert!(!list.is_revoked(&s1, &u1, 990));
    }

    #[test]
    fn user_not_before_refuses_older_tokens_only() {
        let (s1, u1, u2) = (
            SessionId::generate(),
            UserId::generate(),
            UserId::generate(),
        );
        let list = Revocations::new(600);
        list.revoke_user_tokens_before(&u1, 2_000);
        assert!(list.is_revoked(&s1, &u1, 1_999));
        assert!(!list.is_revoked(&s1, &u1, 2_000));
        assert!(!list.is_revoked(&s1, &u2, 1_000));
    }
}
