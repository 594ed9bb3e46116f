//! Security events, shown to the account's owner on the activity page.

use serde::{Deserialize, Serialize};

use crate::session::RevokeReason;
use crate::user::Role;
use crate::wire_enum::wire_enum;

wire_enum! {
    pub enum EventKind {
        Registered = "registered",
        LoginSucceeded = "login_succeeded",
        LoginFailed = "login_failed",
        RefreshReused = "refresh_reused",
        RefreshGraceReplay = "refresh_grace_replay",
        SessionRevoked = "session_revoked",
        PasswordChanged = "password_changed",
        AccountDisabled = "account_disabled",
        AccountEnabled = "account_enabled",
        RoleChanged = "role_changed",
        PasswordReset = "password_reset",
        /// An administrator (`by_admin`) or the operator's CLI issued a password reset link.
        ResetLinkIssued = "reset_link_issued",
        /// The owner set a new password through a reset link; every session ended.
        PasswordResetByLink = "password_reset_by_link",
        /// A device-bound session's refresh cookie came with another key's proof.
        UsedFromAnotherDevice = "used_from_another_device",
        /// A refresh came from a browser or operating system other than the session's.
        DeviceChanged = "device_changed",
        /// A refresh came from a network the session had not been used from.
        NewNetwork = "new_network",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDto {
    pub kind: EventKind,
    pub at: i64,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub session_id: Option<String>,
    /// Why the session ended, for `session_revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RevokeReason>,
    /// The role the account was given, for `role_changed` and an administrator's `registered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// An administrator did it (the owner is not told which one).
    #[serde(default)]
    pub by_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    pub events: Vec<EventDto>,
    /// Every event of the account, for paging.
    pub total: i64,
}
