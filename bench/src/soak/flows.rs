//! The steps a simulated user takes, each with the answers it must get. Where a step races two
//! calls on purpose (a revocation against refreshes of the session it ends), every outcome
//! either order allows is accepted, and nothing else.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};
use tokio::task::{JoinHandle, JoinSet};

use super::api::{Answer, Api, CookieChange, Signin};
use super::user::{Device, PasswordCall, User, USER_AGENTS, WRONG_PASSWORDS};

/// Tabs refreshing at once: mostly one, up to four (fewer than the server's grace-replay
/// allowance of ten per token, `MAX_GRACE_REPLAYS`, with a late tab on top).
const TABS: [usize; 10] = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4];

const WORDS: [&str; 16] = [
    "amber", "falcon", "quietly", "orbit", "lantern", "meadow", "copper", "violet", "tractor",
    "marble", "harbor", "pepper", "glacier", "thimble", "walnut", "sparrow",
];

/// What a burst of refreshes of one cookie came to.
struct Burst {
    /// The successor every successful tab received (they must agree).
    successor: Option<Signin>,
    ok: usize,
    /// Every answer was one the script allows.
    clean: bool,
}

impl User {
    /// Several tabs refresh the same cookie at the same moment: every tab must get the same
    /// successor from the grace window, and none may be taken for reuse. Sometimes one more
    /// tab comes late with the old cookie (a lost response), within the window.
    pub(super) async fn refresh_burst(&mut self, d: usize) {
        let Some((cookie, _)) = self.cookie_and_access(d) else {
            return;
        };
        let tabs = TABS.choose(&mut self.rng).copied().unwrap_or(1);
        let started = Instant::now();
        let answers = spawn_burst(&self.plan.api, self.devices[d].ua, &cookie, tabs);
        let answers = answers.await.unwrap_or_default();
        let took = started.elapsed();
        if tabs > 1 {
            self.out.tally.parallel_bursts += 1;
        }
        let burst = self.judge_burst(d, answers, tabs, None, took);
        let clean = burst.clean;
        let Some(successor) = burst.successor.filter(|_| clean) else {
            self.abandon(d);
            return;
        };
        self.advance(d, successor.clone());
        // Only well inside the window: a late tab after it would rightly be reuse.
        if took < self.plan.grace / 4 && self.rng.gen_bool(0.15) {
            let ua = self.devices[d].ua;
            let plan = self.plan.clone();
            let late = plan.api.refresh(ua, &cookie).await;
            let Some(answer) = self.answered("refresh (late tab)", late) else {
                return;
            };
            match answer.signin() {
                Some(again) if answer.status == 200 && again.cookie == successor.cookie => {
                    self.out.tally.count("refresh (late tab)");
                    self.out.tally.grace_replays += 1;
                    self.advance_access(d, again.access);
                }
                _ => {
                    self.fail(
                        "refresh (late tab)",
                        format!(
                            "expected 200 with the same successor, got {}",
                            answer.describe()
                        ),
                    );
                    self.abandon(d);
                }
            }
        }
    }

    /// Checks a burst's answers. With `ended` set, the session was being revoked for that
    /// reason meanwhile, so a refusal naming it is allowed too. Every success beyond the first
    /// was served from the grace window (only the first can have rotated).
    fn judge_burst(
        &mut self,
        d: usize,
        answers: Vec<reqwest::Result<Answer>>,
        tabs: usize,
        ended: Option<&'static str>,
        took: Duration,
    ) -> Burst {
        let expected_session = self.devices[d]
            .live
            .as_ref()
            .map(|l| l.id.clone())
            .unwrap_or_default();
        let mut burst = Burst {
            successor: None,
            ok: 0,
            clean: answers.len() == tabs,
        };
        if answers.len() != tabs {
            self.fail(
                "refresh",
                format!("{} of {tabs} tabs got no answer", tabs - answers.len()),
            );
        }
        for sent in answers {
            let Some(answer) = self.answered("refresh", sent) else {
                burst.clean = false;
                continue;
            };
            if let Some(reason) = ended {
                if answer.status == 401 {
                    let op = "refresh racing a revocation";
                    // On PostgreSQL a refresh that read the session before the revocation
                    // committed is stopped at its last write (`src/auth/rotation.rs`, the
                    // `touch` check), which must name the reason too.
                    if !self.expect_refusal(op, &answer, 401, "session_revoked", Some(reason)) {
                        burst.clean = false;
                        continue;
                    }
                    if answer.cookie != CookieChange::Cleared {
                        self.fail(op, "the refusal did not clear the refresh cookie".into());
                    }
                    continue;
                }
            }
            match answer.signin() {
                Some(next) if answer.status == 200 && next.session_id == expected_session => {
                    if let Some(first) = &burst.successor {
                        if first.cookie != next.cookie {
                            self.fail(
                                "refresh",
                                format!("{tabs} parallel refreshes of one cookie got different successors"),
                            );
                            burst.clean = false;
                            continue;
                        }
                    }
                    self.out.tally.count("refresh");
                    burst.ok += 1;
                    burst.successor = Some(next);
                }
                _ => {
                    self.fail(
                        "refresh",
                        format!(
                            "expected 200 with a successor for session {expected_session} ({tabs} tabs, burst took {:.0} ms, grace {} s), got {}",
                            took.as_secs_f64() * 1000.0,
                            self.plan.grace.as_secs(),
                            answer.describe()
                        ),
                    );
                    burst.clean = false;
                }
            }
        }
        self.out.tally.grace_replays += burst.ok.saturating_sub(1) as u64;
        if burst.successor.is_none() && ended.is_none() {
            burst.clean = false;
        }
        burst
    }

    fn advance_access(&mut self, d: usize, access: String) {
        if let Some(live) = self.devices[d].live.as_mut() {
            live.access = access;
        }
    }

    fn cookie_and_access(&self, d: usize) -> Option<(String, String)> {
        let live = self.devices[d].live.as_ref()?;
        Some((live.cookie.clone(), live.access.clone()))
    }

    /// The sessions page: exactly the sessions this user holds, this device marked current,
    /// and every ended session one the script ended, for the reason it ended it.
    pub(super) async fn list(&mut self, d: usize) {
        let Some(body) = self
            .bearer_ok(d, "sessions/list", "/api/sessions/list", json!({}))
            .await
        else {
            return;
        };
        let abandoned: BTreeSet<&str> = self.out.abandoned.iter().map(String::as_str).collect();
        let ids = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|s| s["id"].as_str())
                        .filter(|id| !abandoned.contains(id))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let listed: BTreeSet<String> = ids(&body["sessions"]).into_iter().collect();
        let held: BTreeSet<String> = self
            .live_devices()
            .into_iter()
            .filter_map(|e| self.devices[e].live.as_ref().map(|l| l.id.clone()))
            .collect();
        let current: Vec<String> = body["sessions"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|s| s["current"] == true)
                    .filter_map(|s| s["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mine = self.devices[d].live.as_ref().map(|l| l.id.clone());
        let mut problems = Vec::new();
        if listed != held {
            problems.push(format!("lists {listed:?} but the devices hold {held:?}"));
        }
        if current.len() != 1 || mine.as_ref() != current.first() {
            problems.push(format!(
                "current is {current:?}, this device holds {mine:?}"
            ));
        }
        for ended in body["ended"].as_array().into_iter().flatten() {
            let id = ended["id"].as_str().unwrap_or("");
            if abandoned.contains(id) {
                continue;
            }
            let reason = ended["reason"].as_str().unwrap_or("");
            match self.out.ended.iter().find(|e| e.held.session_id == id) {
                Some(known) if known.reason == reason => {}
                Some(known) => problems.push(format!(
                    "session {id} ended for {reason}, the script ended it for {}",
                    known.reason
                )),
                None => problems.push(format!(
                    "session {id} ended for {reason} without the script ending it"
                )),
            }
        }
        for problem in problems {
            self.fail("sessions/list", problem);
        }
    }

    /// The activity page: no theft signal the script did not cause.
    pub(super) async fn events(&mut self, d: usize) {
        let Some(body) = self
            .bearer_ok(d, "account/events", "/api/account/events", json!({}))
            .await
        else {
            return;
        };
        let mut reuse = 0u64;
        let mut problems = Vec::new();
        for event in body["events"].as_array().into_iter().flatten() {
            match event["kind"].as_str().unwrap_or("") {
                "refresh_reused" => reuse += 1,
                kind @ ("used_from_another_device" | "device_changed" | "new_network") => {
                    problems.push(format!("an event {kind} the script did not cause: {event}"))
                }
                _ => {}
            }
        }
        let caused = self
            .out
            .ended
            .iter()
            .filter(|e| e.reason == "refresh_reused")
            .count() as u64;
        if reuse > caused {
            problems.push(format!(
                "{reuse} refresh_reused events, the script replayed on purpose {caused} times"
            ));
        }
        for problem in problems {
            self.fail("account/events", problem);
        }
    }

    pub(super) async fn add_device(&mut self) {
        if self.devices.len() >= 3 {
            return;
        }
        let ua = USER_AGENTS
            .choose(&mut self.rng)
            .copied()
            .unwrap_or(USER_AGENTS[0]);
        self.devices.push(Device { ua, live: None });
        self.sign_in(self.devices.len() - 1).await;
    }

    /// Another user's session id is answered like an unknown one, and stays alive (its owner
    /// checks that in its own steps and at the end).
    pub(super) async fn probe_foreign(&mut self, d: usize) {
        let target = self.plan.sightings.lock().ok().and_then(|seen| {
            let others: Vec<&(usize, String)> =
                seen.iter().filter(|(owner, _)| *owner != self.n).collect();
            others.choose(&mut self.rng).map(|(_, id)| id.clone())
        });
        let Some(target) = target else {
            return;
        };
        let Some((_, access)) = self.cookie_and_access(d) else {
            return;
        };
        let ua = self.devices[d].ua;
        let plan = self.plan.clone();
        let sent = plan
            .api
            .bearer(
                "/api/sessions/revoke",
                ua,
                &access,
                &json!({"session_id": target}),
            )
            .await;
        if let Some(answer) = self.answered("sessions/revoke (another user's)", sent) {
            self.expect_refusal(
                "sessions/revoke (another user's)",
                &answer,
                404,
                "not_found",
                None,
            );
        }
    }

    pub(super) async fn logout(&mut self, d: usize) {
        let Some((cookie, _)) = self.cookie_and_access(d) else {
            return;
        };
        let ua = self.devices[d].ua;
        let plan = self.plan.clone();
        let sent = plan.api.logout(ua, &cookie).await;
        let Some(answer) = self.answered("logout", sent) else {
            self.abandon(d);
            return;
        };
        if !self.expect_ok("logout", &answer) {
            self.abandon(d);
            return;
        }
        if answer.cookie != CookieChange::Cleared {
            self.fail(
                "logout",
                "the answer did not clear the refresh cookie".into(),
            );
        }
        self.confirm_ended(d, "logout").await;
        self.sign_in(d).await;
    }

    /// Ends another device's session from this one, half the time while that device's tabs
    /// are refreshing.
    pub(super) async fn revoke_other(&mut self, d: usize) {
        let others: Vec<usize> = self
            .live_devices()
            .into_iter()
            .filter(|&e| e != d)
            .collect();
        let Some(&e) = others.choose(&mut self.rng) else {
            return self.refresh_burst(d).await;
        };
        let Some(target) = self.devices[e].live.as_ref().map(|l| l.id.clone()) else {
            return;
        };
        let race = self.start_race(e);
        let answer = self
            .bearer_ok(
                d,
                "sessions/revoke",
                "/api/sessions/revoke",
                json!({"session_id": target}),
            )
            .await;
        self.finish_race(e, race, "user_revoked").await;
        if answer.is_none() {
            self.abandon(e);
            return;
        }
        self.confirm_ended(e, "user_revoked").await;
        self.sign_in(e).await;
    }

    /// "Sign out other devices".
    pub(super) async fn revoke_others(&mut self, d: usize) {
        let others: Vec<usize> = self
            .live_devices()
            .into_iter()
            .filter(|&e| e != d)
            .collect();
        let raced = others.choose(&mut self.rng).copied();
        let race = raced.and_then(|e| self.start_race(e));
        let answer = self
            .bearer_ok(
                d,
                "sessions/revoke_others",
                "/api/sessions/revoke_others",
                json!({}),
            )
            .await;
        if let Some(e) = raced {
            self.finish_race(e, race, "revoked_others").await;
        }
        let Some(body) = answer else {
            // Whether the others ended is unknown now.
            for e in others {
                self.abandon(e);
            }
            return;
        };
        if body["revoked"].as_u64() != Some(others.len() as u64) {
            self.fail(
                "sessions/revoke_others",
                format!("expected {} revoked, got {body}", others.len()),
            );
        }
        for e in others {
            self.confirm_ended(e, "revoked_others").await;
            self.sign_in(e).await;
        }
    }

    /// "Sign out everywhere": every session ends, this one included, and every device signs in
    /// again (in the same second, which a per-account "not before" must allow).
    pub(super) async fn sign_out_everywhere(&mut self, d: usize) {
        let all = self.live_devices();
        let raced = all.iter().copied().filter(|&e| e != d).collect::<Vec<_>>();
        let raced = raced.choose(&mut self.rng).copied();
        let race = raced.and_then(|e| self.start_race(e));
        let Some((_, access)) = self.cookie_and_access(d) else {
            return;
        };
        let ua = self.devices[d].ua;
        let plan = self.plan.clone();
        let sent = plan
            .api
            .bearer("/api/sessions/revoke_all", ua, &access, &json!({}))
            .await;
        if let Some(e) = raced {
            self.finish_race(e, race, "signed_out_everywhere").await;
        }
        let answer = self.answered("sessions/revoke_all", sent);
        let Some(answer) = answer.filter(|a| self.expect_ok("sessions/revoke_all", a)) else {
            // Whether the sessions ended is unknown now.
            for e in all {
                self.abandon(e);
            }
            return;
        };
        if answer.body["revoked"].as_u64() != Some(all.len() as u64) {
            self.fail(
                "sessions/revoke_all",
                format!("expected {} revoked, got {}", all.len(), answer.describe()),
            );
        }
        if answer.cookie != CookieChange::Cleared {
            self.fail(
                "sessions/revoke_all",
                "the answer did not clear the refresh cookie".into(),
            );
        }
        for e in &all {
            self.confirm_ended(*e, "signed_out_everywhere").await;
        }
        for e in all {
            self.sign_in(e).await;
        }
    }

    /// A password change, mostly ending the other sessions (which must then sign in with the
    /// new password; now and then one tries the old one first and is refused).
    pub(super) async fn change_password(&mut self, d: usize) {
        let Some((_, access)) = self.cookie_and_access(d) else {
            return;
        };
        let new = loop {
            let mut words: Vec<&str> = WORDS.choose_multiple(&mut self.rng, 4).copied().collect();
            let number = self.rng.gen_range(1000..10000).to_string();
            words.insert(2, &number);
            let candidate = words.join(" ");
            if candidate != self.password {
                break candidate;
            }
        };
        let revoke_others = self.rng.gen_bool(0.8);
        let others: Vec<usize> = self
            .live_devices()
            .into_iter()
            .filter(|&e| e != d)
            .collect();
        let raced = if revoke_others {
            others.choose(&mut self.rng).copied()
        } else {
            None
        };
        let race = raced.and_then(|e| self.start_race(e));
        let call = PasswordCall::Change {
            access: &access,
            new: &new,
            revoke_others,
        };
        let answer = self.password_call(d, call).await;
        if let Some(e) = raced {
            self.finish_race(e, race, "password_changed").await;
        }
        let Some(answer) = answer.filter(|a| self.expect_ok("account/password", a)) else {
            // The password may or may not have changed, the others may or may not have ended:
            // start this account over on fresh ground.
            for e in self.live_devices() {
                self.abandon(e);
            }
            return;
        };
        if answer.body["ok"] != true {
            let got = answer.describe();
            self.fail(
                "account/password",
                format!("expected {{\"ok\":true}}, got {got}"),
            );
        }
        let old = std::mem::replace(&mut self.password, new);
        if revoke_others {
            for e in others {
                self.confirm_ended(e, "password_changed").await;
                if self.wrong_passwords < WRONG_PASSWORDS && self.rng.gen_bool(0.3) {
                    self.wrong_passwords += 1;
                    let refused = self
                        .password_call(e, PasswordCall::Login { password: &old })
                        .await;
                    if let Some(answer) = refused {
                        self.expect_refusal(
                            "login with the old password",
                            &answer,
                            401,
                            "invalid_credentials",
                            None,
                        );
                    }
                }
                self.sign_in(e).await;
            }
        }
        // The device that changed the password keeps its session.
        self.list(d).await;
    }

    /// Presents a refresh token this session rotated away from long ago (its successor has
    /// been used since, so no grace window applies): the server must take it for theft and end
    /// the session. Most replays refresh; some sign out with the old token, which is the same
    /// signal.
    pub(super) async fn deliberate_replay(&mut self, d: usize) {
        let grace = self.plan.grace + Duration::from_millis(1500);
        let candidates: Vec<String> = match self.devices[d].live.as_ref() {
            Some(live) if live.older.len() >= 2 => live
                .older
                .iter()
                .take(live.older.len() - 1)
                .filter(|(_, replaced)| replaced.elapsed() > grace)
                .map(|(cookie, _)| cookie.clone())
                .collect(),
            _ => Vec::new(),
        };
        let Some(old) = candidates.choose(&mut self.rng).cloned() else {
            return self.refresh_burst(d).await;
        };
        let ua = self.devices[d].ua;
        let plan = self.plan.clone();
        let as_expected = if self.rng.gen_bool(0.7) {
            let op = "deliberate replay (refresh)";
            let sent = plan.api.refresh(ua, &old).await;
            let Some(answer) = self.answered(op, sent) else {
                return self.abandon(d);
            };
            self.expect_refusal(op, &answer, 401, "refresh_reused", None)
        } else {
            let op = "deliberate replay (logout)";
            let sent = plan.api.logout(ua, &old).await;
            let Some(answer) = self.answered(op, sent) else {
                return self.abandon(d);
            };
            self.expect_ok(op, &answer)
        };
        if !as_expected {
            return self.abandon(d);
        }
        self.out.tally.deliberate_reuse += 1;
        self.confirm_ended(d, "refresh_reused").await;
        self.sign_in(d).await;
    }

    /// A bearer call from device `d` that must answer 200; its body.
    async fn bearer_ok(
        &mut self,
        d: usize,
        op: &'static str,
        path: &str,
        body: Value,
    ) -> Option<Value> {
        let (_, access) = self.cookie_and_access(d)?;
        let ua = self.devices[d].ua;
        let plan = self.plan.clone();
        let sent = plan.api.bearer(path, ua, &access, &body).await;
        let answer = self.answered(op, sent)?;
        self.expect_ok(op, &answer).then_some(answer.body)
    }

    /// Half the time, starts a burst of refreshes on device `e` that runs while the caller
    /// revokes its session.
    fn start_race(
        &mut self,
        e: usize,
    ) -> Option<(JoinHandle<Vec<reqwest::Result<Answer>>>, usize)> {
        if !self.rng.gen_bool(0.5) {
            return None;
        }
        let (cookie, _) = self.cookie_and_access(e)?;
        let tabs = self.rng.gen_range(1..=3);
        self.out.tally.races += 1;
        Some((
            spawn_burst(&self.plan.api, self.devices[e].ua, &cookie, tabs),
            tabs,
        ))
    }

    /// Each raced refresh either rotated before the revocation (200, one successor) or met the
    /// ended session (401 naming `reason`). The newest cookie is kept so the end checks
    /// present it.
    async fn finish_race(
        &mut self,
        e: usize,
        race: Option<(JoinHandle<Vec<reqwest::Result<Answer>>>, usize)>,
        reason: &'static str,
    ) {
        let Some((handle, tabs)) = race else {
            return;
        };
        let answers = handle.await.unwrap_or_default();
        let burst = self.judge_burst(e, answers, tabs, Some(reason), Duration::ZERO);
        if let Some(successor) = burst.successor {
            self.advance(e, successor);
        }
        if !burst.clean {
            self.abandon(e);
        }
    }
}

/// `tabs` refreshes of one cookie sent at the same moment, each on its own task.
fn spawn_burst(
    api: &Api,
    ua: &'static str,
    cookie: &str,
    tabs: usize,
) -> JoinHandle<Vec<reqwest::Result<Answer>>> {
    let (api, cookie) = (api.clone(), cookie.to_owned());
    tokio::spawn(async move {
        let mut set = JoinSet::new();
        for _ in 0..tabs {
            let (api, cookie) = (api.clone(), cookie.clone());
            set.spawn(async move { api.refresh(ua, &cookie).await });
        }
        let mut answers = Vec::with_capacity(tabs);
        while let Some(joined) = set.join_next().await {
            // A tab's task cannot panic short of a bug in reqwest; a missing answer is
            // reported by the caller, which compares the count.
            if let Ok(answer) = joined {
                answers.push(answer);
            }
        }
        answers
    })
}
