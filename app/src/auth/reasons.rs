//! Plain words for why a session ended. Every match is exhaustive: a new `RevokeReason`
//! without words does not compile.

use contract::RevokeReason;

/// Why this tab was sent to the sign-in page; travels in its `?reason=` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOutReason {
    /// The server ended the session and said why.
    Ended(RevokeReason),
    /// Another tab of this browser signed out.
    ElsewhereInThisBrowser,
    /// The session is gone and the server did not say why.
    Unknown,
}

const ELSEWHERE: &str = "signed_out_elsewhere";
const UNKNOWN: &str = "session_ended";

impl SignedOutReason {
    pub fn as_query(self) -> &'static str {
        match self {
            Self::Ended(reason) => reason.as_str(),
            Self::ElsewhereInThisBrowser => ELSEWHERE,
            Self::Unknown => UNKNOWN,
        }
    }

    pub fn from_query(raw: &str) -> Self {
        match RevokeReason::parse(raw) {
            Some(reason) => Self::Ended(reason),
            None if raw == ELSEWHERE => Self::ElsewhereInThisBrowser,
            None => Self::Unknown,
        }
    }

    pub fn is_theft(self) -> bool {
        matches!(self, Self::Ended(reason) if reason.is_theft())
    }

    /// The sign-in page's explanation: what happened, in full sentences, and what to do next.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::ElsewhereInThisBrowser => "You signed out in another tab.",
            Self::Unknown => "Your session ended. Sign in again to continue.",
            Self::Ended(reason) => match reason {
                RevokeReason::Logout => "You signed out.",
                RevokeReason::UserRevoked => "This device was signed out from another of your devices. Sign in again to continue.",
                RevokeReason::RevokedOthers => "This device was signed out with \u{201c}Sign out all other devices\u{201d}. Sign in again to continue.",
                RevokeReason::AdminForced => "An administrator ended your session. Sign in again to continue.",
                RevokeReason::PasswordChanged => "Your password was changed, so this device was signed out. Sign in with the new password.",
                RevokeReason::AccountDisabled => "Your account has been disabled by an administrator. Contact them to get access again.",
                RevokeReason::RefreshReused => THEFT,
                RevokeReason::Expired => "Your session expired. Sign in again to continue.",
                RevokeReason::IdleExpired => "You were signed out after a long time without use. Sign in again to continue.",
                RevokeReason::LifetimeExpired => "This session reached its maximum lifetime. Sign in again to continue.",
                RevokeReason::PromotedToAdmin => "Your account was made an administrator, so every session ended. Sign in again to continue.",
                RevokeReason::PasswordReset => "Your password was reset, so every session ended. Sign in with the new password.",
                RevokeReason::SignedOutEverywhere => "You signed out everywhere: every device, this one included. Sign in again to continue.",
                RevokeReason::UsedFromAnotherDevice => STOLEN_COOKIE,
                RevokeReason::AccountDeleted => "This account has been deleted.",
            },
        }
    }
}

/// A short label for an ended session on the devices and admin pages.
pub fn ended_reason_text(reason: RevokeReason) -> &'static str {
    match reason {
        RevokeReason::Logout => "Signed out",
        RevokeReason::UserRevoked => "Signed out from another device",
        RevokeReason::RevokedOthers => "Signed out with \u{201c}Sign out all other devices\u{201d}",
        RevokeReason::AdminForced => "Ended by an administrator",
        RevokeReason::PasswordChanged => "Signed out after a password change",
        RevokeReason::AccountDisabled => "Account disabled by an administrator",
        RevokeReason::RefreshReused => {
            "Signed out because this token was used twice \u{2014} possible theft"
        }
        RevokeReason::Expired => "Expired",
        RevokeReason::IdleExpired => "Expired after a long time without use",
        RevokeReason::LifetimeExpired => "Reached its maximum lifetime",
        RevokeReason::PromotedToAdmin => "Signed out when the account was made an administrator",
        RevokeReason::PasswordReset => "Signed out because the password was reset",
        RevokeReason::SignedOutEverywhere => "Signed out with \u{201c}Sign out everywhere\u{201d}",
        RevokeReason::UsedFromAnotherDevice => {
            "Signed out because its refresh token was used from another device \u{2014} possible theft"
        }
        RevokeReason::AccountDeleted => "The account was deleted",
    }
}

/// Shown when a refresh token came back after it had been replaced: the one case where the
/// person should act, not just sign in again.
pub const THEFT: &str = "Your session was ended to protect your account: the same sign-in was used from two places, which can mean someone copied it. Sign in, then change your password and review your devices.";

/// Shown when this browser's sign-in was presented by another device (it did not hold this
/// browser's key): the cookie was copied.
pub const STOLEN_COOKIE: &str = "Your session was ended to protect your account: its refresh token was used from another device, which means it was copied from this browser. Sign in, then change your password and review your devices.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_round_trips_and_unknown_text_stays_harmless() {
        for reason in RevokeReason::ALL {
            let shown = SignedOutReason::Ended(*reason);
            assert_eq!(SignedOutReason::from_query(shown.as_query()), shown);
        }
        for other in [
            SignedOutReason::ElsewhereInThisBrowser,
            SignedOutReason::Unknown,
        ] {
            assert_eq!(SignedOutReason::from_query(other.as_query()), other);
        }
        assert_eq!(
            SignedOutReason::from_query("<script>"),
            SignedOutReason::Unknown
        );
        assert!(SignedOutReason::from_query("refresh_reused").is_theft());
    }

    #[test]
    fn every_explanation_is_sentences_with_a_next_step() {
        let all = RevokeReason::ALL
            .iter()
            .map(|r| SignedOutReason::Ended(*r))
            .chain([
                SignedOutReason::ElsewhereInThisBrowser,
                SignedOutReason::Unknown,
            ]);
        for reason in all {
            let text = reason.sentence();
            assert!(
                text.starts_with(|c: char| c.is_uppercase()),
                "{reason:?}: {text}"
            );
            assert!(text.ends_with('.'), "{reason:?}: {text}");
        }
        assert!(ended_reason_text(RevokeReason::RefreshReused).contains("possible theft"));
    }
}
