//! Sessions as the sessions page and the admin page see them, and why one ended.

use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Why a session ended; stored with the session and shown to its owner.
    pub enum RevokeReason {
        Logout = "logout",
        UserRevoked = "user_revoked",
        RevokedOthers = "revoked_others",
        AdminForced = "admin_forced",
        PasswordChanged = "password_changed",
        AccountDisabled = "account_disabled",
        RefreshReused = "refresh_reused",
        /// Written by earlier versions for either expiry; new rows say which.
        Expired = "expired",
        /// Not used for longer than the idle lifetime.
        IdleExpired = "idle_expired",
        /// Reached the absolute lifetime, however active it was.
        LifetimeExpired = "lifetime_expired",
        /// The account was made an administrator (`latchkey admin promote`): whoever held a
        /// session before must prove the password again.
        PromotedToAdmin = "promoted_to_admin",
        /// An operator reset the password (`latchkey admin reset-password`).
        PasswordReset = "password_reset",
        /// The user chose "Sign out everywhere", this device included.
        SignedOutEverywhere = "signed_out_everywhere",
        /// The refresh cookie of a device-bound session came with a proof made by another
        /// key: the cookie left the browser it was issued to.
        UsedFromAnotherDevice = "used_from_another_device",
        /// The account was deleted, by its owner or an administrator.
        AccountDeleted = "account_deleted",
    }
}

impl RevokeReason {
    /// Which lifetime a session that is no longer alive ran out of. The idle expiry is never
    /// later than the absolute one, so reaching the absolute expiry is what makes them equal.
    pub fn expiry(idle_expires_at: i64, absolute_expires_at: i64, now: i64) -> Self {
        if now >= absolute_expires_at || idle_expires_at >= absolute_expires_at {
            Self::LifetimeExpired
        } else {
            Self::IdleExpired
        }
    }

    /// The reasons the person should act on rather than just sign in again.
    pub fn is_theft(self) -> bool {
        matches!(self, Self::RefreshReused | Self::UsedFromAnotherDevice)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDto {
    pub id: String,
    pub device: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: i64,
    pub last_active_at: i64,
    pub expires_at: i64,
    pub current: bool,
    /// Bound to a key its browser holds (DPoP): its refresh cookie is useless anywhere else.
    #[serde(default)]
    pub bound: bool,
    /// Where it signed in from.
    #[serde(default)]
    pub first_ip: String,
    /// The distinct addresses it was used from, most recent first (bounded).
    #[serde(default)]
    pub addresses: Vec<SessionAddressDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAddressDto {
    pub ip: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    /// Its network (IPv4 /24, IPv6 /64) was not one the session had been used from before.
    pub new_network: bool,
}

/// A session that ended recently, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedSessionDto {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub created_at: i64,
    pub ended_at: i64,
    pub reason: RevokeReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsResponse {
    pub sessions: Vec<SessionDto>,
    #[serde(default)]
    pub ended: Vec<EndedSessionDto>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedCount {
    pub revoked: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_serde_names() {
        for reason in RevokeReason::ALL {
            let json = serde_json::to_string(reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
            assert_eq!(RevokeReason::parse(reason.as_str()), Some(*reason));
        }
        assert_eq!(RevokeReason::parse("made_up"), None);
    }

    #[test]
    fn an_expired_session_says_which_lifetime_ran_out() {
        // Idle expiry at 100, absolute at 1000.
        assert_eq!(
            RevokeReason::expiry(100, 1000, 150),
            RevokeReason::IdleExpired
        );
        assert_eq!(
            RevokeReason::expiry(100, 1000, 1000),
            RevokeReason::LifetimeExpired
        );
        // Activity slid the idle expiry up to the absolute one.
        assert_eq!(
            RevokeReason::expiry(1000, 1000, 1000),
            RevokeReason::LifetimeExpired
        );
    }
}
