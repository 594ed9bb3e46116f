//! One simulated person: an account signed in on one to three devices (separate sessions), each
//! device a browser whose tabs share one cookie jar. The person acts one step at a time with
//! random pauses, so every outcome is known in advance except where two calls race on purpose;
//! the steps themselves are in `flows.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::api::{Answer, Api, CookieChange, Signin};
use super::tally::{Ended, Held, UserOutcome};
use crate::PASSWORD;

/// What every user shares: the server, the clock, and where failures are printed.
pub struct Plan {
    pub api: Api,
    pub deadline: Instant,
    pub grace: Duration,
    pub max_pause: Duration,
    /// Makes this run's emails unique, so a reused PostgreSQL server never sees a taken one.
    pub run_id: String,
    /// Failures printed as they happen; the rest are only counted (a broken server would
    /// otherwise print one line per request).
    pub printed: AtomicU64,
    /// Recent sessions of all users, for probing that another user's session cannot be revoked.
    pub sightings: Mutex<VecDeque<(usize, String)>>,
}

const PRINT_LIMIT: u64 = 40;
const SIGHTINGS: usize = 2000;
/// Rotated cookies remembered per session, for deliberate replays.
const OLDER_COOKIES: usize = 6;
/// Wrong-password sign-ins per account, well under the per-account failure limit (10 an hour).
pub(super) const WRONG_PASSWORDS: u32 = 3;

/// Browsers the devices claim to be. A session's refreshes always carry its own device's user
/// agent: another browser family would be refused as `device_changed`.
pub(super) const USER_AGENTS: [&str; 5] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
];

/// A session as the device holds it.
pub(super) struct Live {
    pub id: String,
    pub access: String,
    pub cookie: String,
    /// Cookies this session rotated away from, oldest first, with when they were replaced.
    pub older: VecDeque<(String, Instant)>,
}

pub(super) struct Device {
    pub ua: &'static str,
    pub live: Option<Live>,
}

pub struct User {
    pub(super) n: usize,
    pub(super) email: String,
    pub(super) password: String,
    pub(super) rng: StdRng,
    pub(super) devices: Vec<Device>,
    pub(super) plan: Arc<Plan>,
    pub(super) out: UserOutcome,
    pub(super) wrong_passwords: u32,
}

/// The calls that check a password, and so may meet 503 `busy`.
pub(super) enum PasswordCall<'a> {
    Register,
    Login {
        password: &'a str,
    },
    Change {
        access: &'a str,
        new: &'a str,
        revoke_others: bool,
    },
}

#[derive(Clone, Copy)]
enum Step {
    Refresh,
    List,
    Events,
    AddDevice,
    ProbeForeign,
    Logout,
    RevokeOther,
    Replay,
    RevokeOthers,
    SignOutEverywhere,
    ChangePassword,
}

/// How often each step is taken, in percent. Steps that end sessions are rare: each costs a
/// sign-in (a password hash) afterwards, and real people mostly refresh and look.
const STEPS: [(Step, f64); 11] = [
    (Step::Refresh, 67.3),
    (Step::List, 20.0),
    (Step::Events, 4.0),
    (Step::AddDevice, 1.0),
    (Step::ProbeForeign, 1.0),
    (Step::Logout, 1.0),
    (Step::RevokeOther, 2.0),
    (Step::Replay, 1.5),
    (Step::RevokeOthers, 0.7),
    (Step::SignOutEverywhere, 0.7),
    (Step::ChangePassword, 0.8),
];

impl User {
    pub fn new(n: usize, plan: Arc<Plan>, seed: u64) -> User {
        let mut rng = StdRng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let devices = (0..rng.gen_range(1..=3))
            .map(|_| Device {
                ua: pick_user_agent(&mut rng),
                live: None,
            })
            .collect();
        User {
            n,
            email: format!("u{n}-{}@soak.test", plan.run_id),
            password: PASSWORD.to_owned(),
            rng,
            devices,
            plan,
            out: UserOutcome::default(),
            wrong_passwords: 0,
        }
    }

    /// Starts after `delay` (users arrive spread out), acts until the deadline, and hands back
    /// what it did and the sessions it holds.
    pub async fn run(mut self, delay: Duration) -> UserOutcome {
        tokio::time::sleep(delay).await;
        if self.sign_up().await {
            while Instant::now() < self.plan.deadline {
                self.step().await;
                let pause = self.rng.gen_range(Duration::ZERO..=self.plan.max_pause);
                let left = self.plan.deadline.saturating_duration_since(Instant::now());
                tokio::time::sleep(pause.min(left)).await;
            }
        }
        for d in 0..self.devices.len() {
            if let Some(held) = self.held(d) {
                self.out.alive.push(held);
            }
        }
        self.out
    }

    async fn sign_up(&mut self) -> bool {
        let Some(answer) = self.password_call(0, PasswordCall::Register).await else {
            return false;
        };
        if !self.expect_ok("register", &answer) {
            return false;
        }
        match answer.signin() {
            Some(signin) => self.start_session(0, signin),
            None => {
                self.fail("register", format!("no session in {}", answer.describe()));
                return false;
            }
        }
        for d in 1..self.devices.len() {
            self.sign_in(d).await;
        }
        true
    }

    async fn step(&mut self) {
        // A device whose sign-in failed earlier tries again first.
        for d in 0..self.devices.len() {
            if self.devices[d].live.is_none() {
                self.sign_in(d).await;
            }
        }
        let live = self.live_devices();
        let Some(&d) = live.choose(&mut self.rng) else {
            return;
        };
        let Ok(weights) = WeightedIndex::new(STEPS.iter().map(|(_, w)| *w)) else {
            return;
        };
        match STEPS[weights.sample(&mut self.rng)].0 {
            Step::Refresh => self.refresh_burst(d).await,
            Step::List => self.list(d).await,
            Step::Events => self.events(d).await,
            Step::AddDevice => self.add_device().await,
            Step::ProbeForeign => self.probe_foreign(d).await,
            Step::Logout => self.logout(d).await,
            Step::RevokeOther => self.revoke_other(d).await,
            Step::Replay => self.deliberate_replay(d).await,
            Step::RevokeOthers => self.revoke_others(d).await,
            Step::SignOutEverywhere => self.sign_out_everywhere(d).await,
            Step::ChangePassword => self.change_password(d).await,
        }
    }

    pub(super) fn live_devices(&self) -> Vec<usize> {
        (0..self.devices.len())
            .filter(|&d| self.devices[d].live.is_some())
            .collect()
    }

    pub(super) fn held(&self, d: usize) -> Option<Held> {
        let device = &self.devices[d];
        let live = device.live.as_ref()?;
        Some(Held {
            user: self.n,
            ua: device.ua,
            session_id: live.id.clone(),
            access: live.access.clone(),
            cookie: live.cookie.clone(),
        })
    }

    /// Signs device `d` in with the current password (a new session).
    pub(super) async fn sign_in(&mut self, d: usize) {
        let password = self.password.clone();
        let Some(answer) = self
            .password_call(
                d,
                PasswordCall::Login {
                    password: &password,
                },
            )
            .await
        else {
            return;
        };
        if !self.expect_ok("login", &answer) {
            return;
        }
        match answer.signin() {
            Some(signin) => self.start_session(d, signin),
            None => self.fail("login", format!("no session in {}", answer.describe())),
        }
    }

    fn start_session(&mut self, d: usize, signin: Signin) {
        if let Ok(mut seen) = self.plan.sightings.lock() {
            if seen.len() >= SIGHTINGS {
                seen.pop_front();
            }
            seen.push_back((self.n, signin.session_id.clone()));
        }
        self.devices[d].live = Some(Live {
            id: signin.session_id,
            access: signin.access,
            cookie: signin.cookie,
            older: VecDeque::new(),
        });
    }

    /// The session rotated to `next`: remember the cookie it replaced, for deliberate replays.
    pub(super) fn advance(&mut self, d: usize, next: Signin) {
        let Some(live) = self.devices[d].live.as_mut() else {
            return;
        };
        let old = std::mem::replace(&mut live.cookie, next.cookie);
        live.older.push_back((old, Instant::now()));
        if live.older.len() > OLDER_COOKIES {
            live.older.pop_front();
        }
        live.access = next.access;
    }

    /// After an answer the script did not expect, the session's state is unknown: stop using
    /// it and sign the device in again at the next step.
    pub(super) fn abandon(&mut self, d: usize) {
        if let Some(live) = self.devices[d].live.take() {
            self.out.abandoned.push(live.id);
        }
    }

    /// Checks that device `d`'s session is over for `reason`: its newest refresh cookie and its
    /// access token are refused, and the session is recorded as ended.
    pub(super) async fn confirm_ended(&mut self, d: usize, reason: &'static str) {
        let Some(live) = self.devices[d].live.take() else {
            return;
        };
        let ua = self.devices[d].ua;
        let plan = self.plan.clone();
        let refreshed = plan.api.refresh(ua, &live.cookie).await;
        if let Some(answer) = self.answered("refresh of an ended session", refreshed) {
            // A session ended as reuse answers with its own code; every other reason is a
            // `session_revoked` that names it.
            let (code, named) = if reason == "refresh_reused" {
                ("refresh_reused", None)
            } else {
                ("session_revoked", Some(reason))
            };
            if self.expect_refusal("refresh of an ended session", &answer, 401, code, named)
                && answer.cookie != CookieChange::Cleared
            {
                self.fail(
                    "refresh of an ended session",
                    "the refusal did not clear the refresh cookie".into(),
                );
            }
        }
        let listed = plan
            .api
            .bearer("/api/sessions/list", ua, &live.access, &json!({}))
            .await;
        if let Some(answer) = self.answered("bearer call of an ended session", listed) {
            self.expect_refusal(
                "bearer call of an ended session",
                &answer,
                401,
                "session_revoked",
                None,
            );
        }
        self.out.ended.push(Ended {
            held: Held {
                user: self.n,
                ua,
                session_id: live.id,
                access: live.access,
                cookie: live.cookie,
            },
            reason,
        });
    }

    /// A call that checks a password, retried after `Retry-After` while the server answers
    /// 503 `busy` (its documented back-pressure when hashing queues up).
    pub(super) async fn password_call(
        &mut self,
        d: usize,
        call: PasswordCall<'_>,
    ) -> Option<Answer> {
        let ua = self.devices[d].ua;
        let (op, api) = (password_op(&call), self.plan.api.clone());
        for attempt in 0..6 {
            let sent = match &call {
                PasswordCall::Register => api.register(ua, &self.email, &self.password).await,
                PasswordCall::Login { password } => api.login(ua, &self.email, password).await,
                PasswordCall::Change {
                    access,
                    new,
                    revoke_others,
                } => {
                    let body = json!({
                        "current_password": self.password,
                        "new_password": new,
                        "revoke_other_sessions": revoke_others,
                    });
                    api.bearer("/api/account/password", ua, access, &body).await
                }
            };
            let answer = self.answered(op, sent)?;
            if answer.status == 503 && answer.code() == "busy" && attempt < 5 {
                self.out.tally.busy_retries += 1;
                let wait = answer.body["retry_after"].as_u64().unwrap_or(2).clamp(1, 5);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            return Some(answer);
        }
        None
    }

    /// The answer, or a failure if the call got none; records its latency.
    pub(super) fn answered(
        &mut self,
        op: &'static str,
        sent: reqwest::Result<Answer>,
    ) -> Option<Answer> {
        match sent {
            Ok(answer) => {
                self.out.tally.latency(op, answer.latency);
                Some(answer)
            }
            Err(err) => {
                self.fail(op, format!("no answer: {err}"));
                None
            }
        }
    }

    pub(super) fn expect_ok(&mut self, op: &'static str, answer: &Answer) -> bool {
        if answer.status == 200 {
            self.out.tally.count(op);
            true
        } else {
            self.fail(op, format!("expected 200, got {}", answer.describe()));
            false
        }
    }

    pub(super) fn expect_refusal(
        &mut self,
        op: &'static str,
        answer: &Answer,
        status: u16,
        code: &str,
        reason: Option<&str>,
    ) -> bool {
        if answer.status == status
            && answer.code() == code
            && (reason.is_none() || answer.reason() == reason)
        {
            self.out.tally.refused(op, answer);
            true
        } else {
            let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            self.fail(
                op,
                format!(
                    "expected {status} {code}{reason}, got {}",
                    answer.describe()
                ),
            );
            false
        }
    }

    pub(super) fn fail(&mut self, op: &str, what: String) {
        let line = format!("user {} ({}) {op}: {what}", self.n, self.email);
        if self.plan.printed.fetch_add(1, Ordering::Relaxed) < PRINT_LIMIT {
            eprintln!("soak: UNEXPECTED {line}");
        }
        self.out.tally.fail(line);
    }
}

fn password_op(call: &PasswordCall<'_>) -> &'static str {
    match call {
        PasswordCall::Register => "register",
        PasswordCall::Login { .. } => "login",
        PasswordCall::Change { .. } => "account/password",
    }
}

fn pick_user_agent(rng: &mut StdRng) -> &'static str {
    USER_AGENTS.choose(rng).copied().unwrap_or(USER_AGENTS[0])
}
