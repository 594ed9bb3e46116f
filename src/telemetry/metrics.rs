//! Every metric the server exports: its name, its labels' values and its buckets, written once
//! here, and the functions the code records through.
//!
//! Recording goes through the `metrics` facade, whose calls do nothing until a recorder is
//! installed: `install` runs only in `latchkey serve` with `LATCHKEY_METRICS_ADDR` set, so a
//! server without metrics, the admin CLI and the in-process tests (many apps in one process)
//! never share or fight over a global recorder. Labels are static strings, except the HTTP
//! histogram's route and status, which are built only while a recorder is installed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use contract::RevokeReason;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

pub const LOGINS: &str = "latchkey_logins_total";
pub const REFRESHES: &str = "latchkey_refreshes_total";
pub const REVOCATIONS: &str = "latchkey_revocations_total";
pub const RATE_LIMITED: &str = "latchkey_rate_limited_total";
pub const ARGON2_QUEUE_WAIT: &str = "latchkey_argon2_queue_wait_seconds";
pub const HTTP_REQUEST_DURATION: &str = "latchkey_http_request_duration_seconds";
pub const DB_POOL_SIZE: &str = "latchkey_db_pool_size";
pub const DB_POOL_IDLE: &str = "latchkey_db_pool_idle";
pub const DB_POOL_MAX: &str = "latchkey_db_pool_max";

/// Request latency, from well under a millisecond (a bearer call) to the 10 s timeouts.
const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// A hash waits at most 3 s for a core before the caller is told `busy`.
const ARGON2_WAIT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0,
];

/// Whether a recorder is installed: the HTTP histogram builds its labels only then.
static INSTALLED: AtomicBool = AtomicBool::new(false);

macro_rules! label_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
    };
}

label_enum! {
    /// How a sign-in ended (`latchkey_logins_total{outcome}`).
    LoginOutcome {
        Success = "success",
        /// Unknown email or wrong password (one answer for both).
        InvalidCredentials = "invalid_credentials",
        AccountDisabled = "account_disabled",
        /// The account's failure budget was spent (per-account throttle).
        Throttled = "throttled",
        /// A DPoP proof was invalid, or required and missing.
        ProofRefused = "proof_refused",
        /// No core was free for the password check in time.
        Busy = "busy",
        /// The database was unavailable, or a bug.
        Error = "error",
    }
}

label_enum! {
    /// How a refresh ended (`latchkey_refreshes_total{outcome}`).
    RefreshOutcome {
        /// A new refresh token was issued.
        Rotated = "rotated",
        /// The immediate parent came back inside the grace window and got the same successor.
        GraceReplay = "grace_replay",
        /// A rotated token came back: the session ended as stolen (or had already).
        Reused = "reused",
        /// A bound session's cookie came with another key's proof: the session ended.
        OtherDevice = "other_device",
        Expired = "expired",
        Revoked = "revoked",
        AccountDisabled = "account_disabled",
        /// No such token, or not a token at all.
        Invalid = "invalid",
        /// Another browser, a refused new network, or a missing or invalid DPoP proof.
        Refused = "refused",
        /// The database was unavailable, or a bug.
        Error = "error",
    }
}

label_enum! {
    /// Which limit refused a request (`latchkey_rate_limited_total{limit}`).
    RateLimit {
        /// Per client: login, register and password-change attempts.
        Login = "login",
        /// Per client: refreshes.
        Refresh = "refresh",
        /// Per account: failed sign-ins.
        Account = "account",
    }
}

pub fn count_login(outcome: LoginOutcome) {
    counter!(LOGINS, "outcome" => outcome.as_str()).increment(1);
}

pub fn count_refresh(outcome: RefreshOutcome) {
    counter!(REFRESHES, "outcome" => outcome.as_str()).increment(1);
}

/// `sessions` sessions ended for `reason` (counted once their transaction committed).
pub fn count_revocations(reason: RevokeReason, sessions: u64) {
    counter!(REVOCATIONS, "reason" => reason.as_str()).increment(sessions);
}

pub fn count_rate_limited(limit: RateLimit) {
    counter!(RATE_LIMITED, "limit" => limit.as_str()).increment(1);
}

/// How long a password hash waited for a core (zero when one was free).
pub fn argon2_queue_wait(waited: Duration) {
    histogram!(ARGON2_QUEUE_WAIT).record(waited);
}

/// One answered HTTP request. `route` is the router's pattern (`/api/auth/login`), never the
/// path the client sent: paths are unbounded, and every distinct label set is a new series.
pub fn http_request(method: &http::Method, route: Option<&str>, status: u16, took: Duration) {
    if !INSTALLED.load(Ordering::Relaxed) {
        return;
    }
    histogram!(
        HTTP_REQUEST_DURATION,
        "method" => method_label(method),
        "route" => route.unwrap_or("fallback").to_owned(),
        "status" => status.to_string(),
    )
    .record(took);
}

/// The connection pool as it is now; set at scrape time.
pub fn db_pool(size: u32, idle: usize, max: u32) {
    gauge!(DB_POOL_SIZE).set(size);
    gauge!(DB_POOL_IDLE).set(idle as f64);
    gauge!(DB_POOL_MAX).set(max);
}

/// Methods outside the standard set share one label, so a client cannot mint series.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Installs the Prometheus recorder for the whole process; the handle renders `/metrics`. Its
/// owner must call `PrometheusHandle::run_upkeep` every few seconds (histograms are drained
/// into their buckets there).
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_DURATION.into()), HTTP_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(ARGON2_QUEUE_WAIT.into()), ARGON2_WAIT_BUCKETS)?
        .install_recorder()?;
    describe();
    start_counters_at_zero();
    INSTALLED.store(true, Ordering::Relaxed);
    Ok(handle)
}

fn describe() {
    describe_counter!(LOGINS, "Sign-in attempts by outcome.");
    describe_counter!(REFRESHES, "Refresh-token uses by outcome.");
    describe_counter!(REVOCATIONS, "Sessions ended, by reason.");
    describe_counter!(RATE_LIMITED, "Requests refused by a rate limit, by limit.");
    describe_histogram!(
        ARGON2_QUEUE_WAIT,
        metrics::Unit::Seconds,
        "Time a password hash waited for a free core."
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time to answer a request (until the response head), by method, route and status."
    );
    describe_gauge!(DB_POOL_SIZE, "Open database connections.");
    describe_gauge!(DB_POOL_IDLE, "Open database connections not in use.");
    describe_gauge!(DB_POOL_MAX, "The most database connections the pool opens.");
}

/// Every counter series exists from the start, so `rate()` and `increase()` see the first
/// event instead of a series appearing out of nothing.
fn start_counters_at_zero() {
    for outcome in LoginOutcome::ALL {
        counter!(LOGINS, "outcome" => outcome.as_str()).absolute(0);
    }
    for outcome in RefreshOutcome::ALL {
        counter!(REFRESHES, "outcome" => outcome.as_str()).absolute(0);
    }
    for reason in RevokeReason::ALL {
        counter!(REVOCATIONS, "reason" => reason.as_str()).absolute(0);
    }
    for limit in RateLimit::ALL {
        counter!(RATE_LIMITED, "limit" => limit.as_str()).absolute(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_their_labels() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            count_login(LoginOutcome::InvalidCredentials);
            count_login(LoginOutcome::InvalidCredentials);
            count_refresh(RefreshOutcome::GraceReplay);
            count_revocations(RevokeReason::RefreshReused, 3);
            count_rate_limited(RateLimit::Account);
        });
        let text = handle.render();
        for line in [
            "latchkey_logins_total{outcome=\"invalid_credentials\"} 2",
            "latchkey_refreshes_total{outcome=\"grace_replay\"} 1",
            "latchkey_revocations_total{reason=\"refresh_reused\"} 3",
            "latchkey_rate_limited_total{limit=\"account\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let custom = http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "other");
        assert_eq!(method_label(&http::Method::POST), "POST");
    }
}
