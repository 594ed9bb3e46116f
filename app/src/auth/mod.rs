//! Client-side auth state. The access token lives in this tab's memory only, in the
//! server-function client (`api::set_access_token`); the refresh token is an httpOnly cookie the
//! page cannot read.
//!
//! After hydration the app refreshes once to learn whether a session exists, refreshes again
//! shortly before the token expires, and retries a call once after `token_expired`. Refreshes
//! are single-flight across tabs (Web Locks), and signing out in one tab signs out the others
//! (BroadcastChannel); both live in `crate::platform`.

mod reasons;

use std::time::Duration;

use leptos::prelude::*;

use crate::api::{self, ApiError, AuthResponse, ErrorCode, UserDto};
use crate::platform;

pub use reasons::{ended_reason_text, SignedOutReason};

#[derive(Debug, Clone, PartialEq)]
pub enum AuthStatus {
    /// Not known yet: the page was rendered on the server, or the first refresh is in flight.
    Checking,
    SignedIn(UserDto),
    /// With the reason when the session ended without the user asking.
    SignedOut(Option<SignedOutReason>),
}

/// Who is signed in in this tab, shared through context (`use_auth`).
#[derive(Clone, Copy)]
pub struct AuthState {
    pub status: RwSignal<AuthStatus>,
    /// Bumped on every new access token, so concurrent refreshes within a tab coalesce.
    generation: RwSignal<u64>,
}

pub fn provide_auth() -> AuthState {
    let auth = AuthState {
        status: RwSignal::new(AuthStatus::Checking),
        generation: RwSignal::new(0),
    };
    provide_context(auth);
    platform::on_sign_out_elsewhere(move || {
        auth.forget(Some(SignedOutReason::ElsewhereInThisBrowser))
    });
    // Effects run only in the browser, once hydrated: the server never refreshes while it
    // renders (its cookies could not reach the browser).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let _ = auth.refresh().await;
        });
    });
    auth
}

pub fn use_auth() -> AuthState {
    expect_context::<AuthState>()
}

impl AuthState {
    pub fn user(&self) -> Option<UserDto> {
        match self.status.get() {
            AuthStatus::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    /// Takes a fresh access token: memory, UI state, and the timer for the next refresh.
    pub fn accept(&self, response: AuthResponse) {
        api::set_access_token(Some(response.access_token));
        self.generation.update(|g| *g += 1);
        // A renewal changes the token, not who is signed in: setting an equal status would
        // still notify every subscriber and rebuild the page (typed input, notices, scroll).
        let signed_in = AuthStatus::SignedIn(response.user);
        if self.status.get_untracked() != signed_in {
            self.status.set(signed_in);
        }
        self.schedule_refresh(response.expires_in);
    }

    /// Forgets the token in this tab. `reason` is shown on the sign-in page.
    pub fn forget(&self, reason: Option<SignedOutReason>) {
        api::set_access_token(None);
        self.status.set(AuthStatus::SignedOut(reason));
    }

    /// Gets a new access token from the refresh cookie. Single-flight: callers that arrive while
    /// another refresh (in this tab or another) runs wait for it instead of rotating again.
    pub async fn refresh(&self) -> Result<(), ApiError> {
        let seen = self.generation.get_untracked();
        let auth = *self;
        platform::with_refresh_lock(async move {
            if auth.generation.get_untracked() != seen && api::holds_access_token() {
                return Ok(()); // another caller in this tab refreshed while we waited
            }
            // A lost response or a blip is retried inside the grace window, where the server
            // hands back the successor it already minted; waiting longer would look like theft.
            let mut attempt = 0;
            let result = loop {
                match api::refresh().await {
                    Err(err) if is_transient(&err) && attempt < 3 => {
                        attempt += 1;
                        platform::sleep_ms(1_000 * attempt).await;
                    }
                    other => break other,
                }
            };
            match result {
                Ok(response) => {
                    auth.accept(response);
                    Ok(())
                }
                Err(err) => {
                    if err.code.ends_session() {
                        // Theft is worth saying even on a fresh page load: this browser held
                        // the session, and its owner should act.
                        let held_a_session = err.code == ErrorCode::RefreshReused
                            || api::holds_access_token()
                            || matches!(auth.status.get_untracked(), AuthStatus::SignedIn(_));
                        let reason = match err.reason {
                            Some(reason) => Some(SignedOutReason::Ended(reason)),
                            None => held_a_session.then(|| signed_out_reason(err.code)),
                        };
                        auth.forget(reason);
                    } else if api::holds_access_token() {
                        auth.retry_refresh_in(15);
                    } else if auth.status.get_untracked() == AuthStatus::Checking {
                        // No session could be confirmed: offer sign-in rather than wait forever.
                        auth.forget(None);
                    }
                    Err(err)
                }
            }
        })
        .await
    }

    /// Runs a protected call; on `token_expired` refreshes once and retries once. A dead session
    /// signs this tab out, which sends protected pages to the sign-in page.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let first = call().await;
        let err = match first {
            Err(err)
                if matches!(
                    err.code,
                    ErrorCode::TokenExpired
                        | ErrorCode::SessionRevoked
                        | ErrorCode::Unauthenticated
                ) =>
            {
                err
            }
            other => return other,
        };
        // Expired: renew. Revoked: the refresh tells us why (and fails), signing this tab out.
        self.refresh().await.map_err(|refresh_err| {
            if err.code == ErrorCode::TokenExpired {
                refresh_err
            } else {
                err
            }
        })?;
        call().await
    }

    /// Ends the session in every tab of this browser at once, and on the server. The server's
    /// answer is returned: if it could not be reached the session may still be alive there (and
    /// the cookie still set), which the caller must say and offer to retry.
    pub async fn sign_out(&self) -> Result<(), ApiError> {
        self.forget(None);
        platform::broadcast_sign_out();
        api::logout().await.map(|_| ())
    }

    /// After the server ended every session of the account ("Sign out everywhere").
    pub fn signed_out_everywhere(&self) {
        self.forget(Some(SignedOutReason::Ended(
            contract::RevokeReason::SignedOutEverywhere,
        )));
        platform::broadcast_sign_out();
    }

    /// Refreshes when 80 % of the token's life has passed (at least 2 s before it expires).
    fn schedule_refresh(self, expires_in: i64) {
        let lead = (expires_in / 5).max(2);
        let delay = (expires_in - lead).max(1) as u64;
        let generation = self.generation.get_untracked();
        platform::after(Duration::from_secs(delay), move || {
            // A newer token has its own timer.
            if self.generation.get_untracked() == generation && api::holds_access_token() {
                leptos::task::spawn_local(async move {
                    let _ = self.refresh().await;
                });
            }
        });
    }

    /// After a refresh failed for a passing reason, tries again later rather than never.
    fn retry_refresh_in(self, seconds: u64) {
        let generation = self.generation.get_untracked();
        platform::after(Duration::from_secs(seconds), move || {
            if self.generation.get_untracked() == generation {
                leptos::task::spawn_local(async move {
                    let _ = self.refresh().await;
                });
            }
        });
    }
}

fn is_transient(err: &ApiError) -> bool {
    matches!(
        err.code,
        ErrorCode::Network
            | ErrorCode::Internal
            | ErrorCode::DatabaseUnavailable
            | ErrorCode::Busy
            | ErrorCode::Unknown
    )
}

/// Why the session ended when the server answered with an error but no revoke reason.
fn signed_out_reason(code: ErrorCode) -> SignedOutReason {
    use contract::RevokeReason;
    match code {
        ErrorCode::RefreshReused => SignedOutReason::Ended(RevokeReason::RefreshReused),
        ErrorCode::SessionExpired => SignedOutReason::Ended(RevokeReason::Expired),
        ErrorCode::AccountDisabled => SignedOutReason::Ended(RevokeReason::AccountDisabled),
        _ => SignedOutReason::Unknown,
    }
}
