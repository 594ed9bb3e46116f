//! Plain words for why a session ended.

pub fn ended_reason_text(reason: &str) -> &'static str {
    match reason {
        "logout" => "Signed out",
        "user_revoked" => "Signed out from another device",
        "revoked_others" => "Signed out with \u{201c}Sign out all other devices\u{201d}",
        "admin_forced" => "Ended by an administrator",
        "password_changed" => "Signed out after a password change",
        "account_disabled" => "Account disabled by an administrator",
        "refresh_reused" => "Signed out because this token was used twice \u{2014} possible theft",
        "expired" => "Expired",
        "promoted_to_admin" => "Signed out when the account was made an administrator",
        "password_reset" => "Signed out because the password was reset",
        "signed_out_everywhere" => "Signed out with \u{201c}Sign out everywhere\u{201d}",
        _ => "Ended",
    }
}

/// The sign-in page's explanation after being sent there.
pub fn signed_out_text(reason: &str) -> &'static str {
    match reason {
        "signed_out_elsewhere" => "You signed out in another tab.",
        "session_revoked" => "Your session was ended. Sign in again.",
        other => match ended_reason_text(other) {
            "Ended" => "Your session ended. Sign in again.",
            text => text,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_revoke_reason_has_plain_words() {
        for reason in [
            "logout",
            "user_revoked",
            "revoked_others",
            "admin_forced",
            "password_changed",
            "account_disabled",
            "refresh_reused",
            "expired",
            "promoted_to_admin",
            "password_reset",
            "signed_out_everywhere",
        ] {
            assert_ne!(ended_reason_text(reason), "Ended", "{reason}");
        }
        assert!(ended_reason_text("refresh_reused").contains("possible theft"));
        assert_eq!(signed_out_text("admin_forced"), "Ended by an administrator");
        assert_eq!(
            signed_out_text("made_up"),
            "Your session ended. Sign in again."
        );
    }
}
