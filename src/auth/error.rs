//! Every way an auth operation can fail. The machine code of each is decided once, in
//! `crate::http::error`; its text is a sentence for a person, shown as is.

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Enter a valid email address.")]
    InvalidEmail,
    /// The sentence comes from the shared rules, so the page and the server say the same.
    #[error("{0}")]
    WeakPassword(contract::password::Problem),
    #[error("{0}")]
    InvalidInput(&'static str),
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    #[error("This service does not take new accounts. Ask an administrator for one.")]
    RegistrationClosed,
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("The current password is incorrect.")]
    WrongCurrentPassword,
    #[error("This account is disabled. Contact an administrator.")]
    AccountDisabled,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("Your sign-in is not valid. Sign in again.")]
    InvalidToken,
    #[error("Your sign-in has expired. It is renewed automatically; try again.")]
    TokenExpired,
    /// `reason` is known on the refresh path; a bearer check only knows the session is gone.
    #[error("This session has been signed out. Sign in again.")]
    SessionRevoked {
        reason: Option<super::domain::RevokeReason>,
    },
    #[error("This session has expired. Sign in again.")]
    SessionExpired,
    #[error("This sign-in was used twice, so the session was ended to protect the account. Sign in, then change your password.")]
    RefreshReused,
    #[error("Your sign-in is no longer valid. Sign in again.")]
    InvalidRefreshToken,
    #[error("This password reset link is not valid: it may have been used, replaced by a newer one, or expired. Ask an administrator for a new link.")]
    InvalidResetLink,
    #[error("{}", proof_sentence(*.0))]
    ProofInvalid(super::dpop::ProofError),
    #[error("This server accepts only sign-ins bound to a device key (DPoP). Send a DPoP proof.")]
    ProofRequired,
    #[error("This session belongs to another browser or operating system. Sign in again on this device.")]
    DeviceChanged,
    #[error("This session cannot be used from a new network. Sign in again.")]
    NewNetworkRefused,
    #[error("You are not allowed to do this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    #[error("The server is busy. Try again in {retry_after} seconds.")]
    Busy { retry_after: u64 },
    #[error("The service is unavailable right now. Try again in a moment.")]
    Unavailable(#[source] sqlx::Error),
    #[error("Something went wrong on our side. Try again in a moment.")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthError {
    fn from(err: sqlx::Error) -> Self {
        match crate::db::Unavailable::of(&err) {
            Some(_) => AuthError::Unavailable(err),
            None => AuthError::Internal(err.into()),
        }
    }
}

fn proof_sentence(err: super::dpop::ProofError) -> &'static str {
    use super::dpop::ProofError;
    match err {
        ProofError::Stale => {
            "This device's clock differs from the server's by more than a minute. Correct the clock, then try again."
        }
        ProofError::Missing => "This session is bound to a device key; send a DPoP proof.",
        ProofError::Malformed
        | ProofError::BadSignature
        | ProofError::WrongTarget
        | ProofError::Replayed => "The device proof was not valid. Try again.",
    }
}
