//! Every way an auth operation can fail. The HTTP status and machine code of each are decided
//! once, in `crate::http::backend`.

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("enter a valid email address")]
    InvalidEmail,
    #[error("passwords must be 8 to 128 characters long")]
    InvalidPassword,
    #[error("{0}")]
    InvalidInput(&'static str),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the email or password is incorrect")]
    InvalidCredentials,
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("sign in to continue")]
    Unauthenticated,
    #[error("the access token is invalid")]
    InvalidToken,
    #[error("the access token has expired")]
    TokenExpired,
    #[error("the session has been signed out")]
    SessionRevoked,
    /// Like `SessionRevoked`, when the reason is known (refresh path).
    #[error("the session has been signed out")]
    SessionEnded(super::domain::RevokeReason),
    #[error("the session has expired; sign in again")]
    SessionExpired,
    #[error("this sign-in was used twice, so the session was ended to protect the account")]
    RefreshReused,
    #[error("the refresh token is invalid")]
    InvalidRefreshToken,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("too many attempts; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("the server is busy; try again in {retry_after} seconds")]
    Busy { retry_after: u64 },
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                AuthError::Unavailable(err)
            }
            other => AuthError::Internal(other.into()),
        }
    }
}
