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
        "idle_expired" => "Expired after a long time without use",
        "lifetime_expired" => "Reached its maximum lifetime",
        "promoted_to_admin" => "Signed out when the account was made an administrator",
        "password_reset" => "Signed out because the password was reset",
        "signed_out_everywhere" => "Signed out with \u{201c}Sign out everywhere\u{201d}",
        _ => "Ended",
    }
}

/// The sign-in page's explanation after being sent there: what happened, in full sentences,
/// and what to do next.
pub fn signed_out_text(reason: &str) -> &'static str {
    match reason {
        "signed_out_elsewhere" => "You signed out in another tab.",
        "logout" => "You signed out.",
        "user_revoked" => "This device was signed out from another of your devices. Sign in again to continue.",
        "revoked_others" => "This device was signed out with \u{201c}Sign out all other devices\u{201d}. Sign in again to continue.",
        "admin_forced" => "An administrator ended your session. Sign in again to continue.",
        "password_changed" => "Your password was changed, so this device was signed out. Sign in with the new password.",
        "account_disabled" => "Your account has been disabled by an administrator. Contact them to get access again.",
        "refresh_reused" => THEFT,
        "expired" => "Your session expired. Sign in again to continue.",
        "idle_expired" => "You were signed out after a long time without use. Sign in again to continue.",
        "lifetime_expired" => "This session reached its maximum lifetime. Sign in again to continue.",
        "promoted_to_admin" => "Your account was made an administrator, so every session ended. Sign in again to continue.",
        "password_reset" => "Your password was reset by an operator. Sign in with the new password.",
        "signed_out_everywhere" => "You signed out everywhere: every device, this one included. Sign in again to continue.",
        _ => "Your session ended. Sign in again to continue.",
    }
}

/// Shown when a refresh token came back after it had been replaced: the one case where the
/// person should act, not just sign in again.
pub const THEFT: &str = "Your session was ended to protect your account: the same sign-in was used from two places, which can mean someone copied it. Sign in, then change your password and review your devices.";

pub fn is_theft(reason: &str) -> bool {
    reason == "refresh_reused"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason the server stores (`RevokeReason` in the engine).
    const REVOKE_REASONS: &[&str] = &[
        "logout",
        "user_revoked",
        "revoked_others",
        "admin_forced",
        "password_changed",
        "account_disabled",
        "refresh_reused",
        "expired",
        "idle_expired",
        "lifetime_expired",
        "promoted_to_admin",
        "password_reset",
        "signed_out_everywhere",
    ];

    #[test]
    fn every_revoke_reason_has_plain_words() {
        for reason in REVOKE_REASONS {
            assert_ne!(ended_reason_text(reason), "Ended", "{reason}");
        }
        assert!(ended_reason_text("refresh_reused").contains("possible theft"));
        assert_eq!(
            signed_out_text("made_up"),
            "Your session ended. Sign in again to continue."
        );
    }

    #[test]
    fn every_reason_the_sign_in_page_shows_is_sentences_with_a_next_step() {
        for reason in REVOKE_REASONS
            .iter()
            .chain(&["signed_out_elsewhere", "made_up"])
        {
            let text = signed_out_text(reason);
            assert!(
                text.starts_with(|c: char| c.is_uppercase()),
                "{reason}: {text}"
            );
            assert!(text.ends_with('.'), "{reason}: {text}");
        }
    }
}
