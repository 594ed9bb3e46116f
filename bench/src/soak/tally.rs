//! What the simulated users did and saw: operations by kind, the refusals they expected, every
//! answer they did not expect, and the sessions they know to be alive or ended. Each user keeps
//! its own and they are merged at the end, so the load never waits on a shared lock.

use std::collections::BTreeMap;
use std::time::Duration;

use super::api::Answer;

#[derive(Default)]
pub struct Tally {
    /// Successful calls by kind.
    pub ops: BTreeMap<&'static str, u64>,
    /// Refusals the script caused and expected, by call and answer.
    pub refusals: BTreeMap<String, u64>,
    /// Latencies of answered calls by kind, in microseconds.
    pub latencies: BTreeMap<&'static str, Vec<u32>>,
    pub failures: Vec<String>,
    /// 503 `busy` answers to password checks, retried after `Retry-After` (documented
    /// back-pressure, not an error).
    pub busy_retries: u64,
    /// Old refresh tokens presented on purpose; each must end its session as reuse.
    pub deliberate_reuse: u64,
    /// Refreshes answered from the grace window (parallel tabs, a late tab).
    pub grace_replays: u64,
    /// Parallel refreshes of one cookie (bursts of two tabs or more).
    pub parallel_bursts: u64,
    /// Bursts of refreshes sent while the same session was being revoked.
    pub races: u64,
}

impl Tally {
    pub fn count(&mut self, op: &'static str) {
        *self.ops.entry(op).or_default() += 1;
    }

    pub fn latency(&mut self, op: &'static str, latency: Duration) {
        let micros = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        self.latencies.entry(op).or_default().push(micros);
    }

    pub fn refused(&mut self, op: &'static str, answer: &Answer) {
        let reason = answer
            .reason()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let key = format!("{op} → {} {}{reason}", answer.status, answer.code());
        *self.refusals.entry(key).or_default() += 1;
    }

    pub fn fail(&mut self, what: String) {
        self.failures.push(what);
    }

    pub fn merge(&mut self, other: Tally) {
        for (op, n) in other.ops {
            *self.ops.entry(op).or_default() += n;
        }
        for (key, n) in other.refusals {
            *self.refusals.entry(key).or_default() += n;
        }
        for (op, mut list) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut list);
        }
        self.failures.extend(other.failures);
        self.busy_retries += other.busy_retries;
        self.deliberate_reuse += other.deliberate_reuse;
        self.grace_replays += other.grace_replays;
        self.parallel_bursts += other.parallel_bursts;
        self.races += other.races;
    }

    /// (p50, p99, max) in milliseconds, per kind.
    pub fn latency_summary(&mut self) -> Vec<(&'static str, usize, f64, f64, f64)> {
        self.latencies
            .iter_mut()
            .filter(|(_, list)| !list.is_empty())
            .map(|(op, list)| {
                list.sort_unstable();
                let at = |q: f64| {
                    let i = ((list.len() - 1) as f64 * q).round() as usize;
                    f64::from(list[i]) / 1000.0
                };
                (*op, list.len(), at(0.5), at(0.99), at(1.0))
            })
            .collect()
    }
}

/// A session as its device holds it.
#[derive(Debug, Clone)]
pub struct Held {
    pub user: usize,
    pub ua: &'static str,
    pub session_id: String,
    pub access: String,
    pub cookie: String,
}

/// A session the script ended (or saw end), and the reason the server must have stored.
#[derive(Debug, Clone)]
pub struct Ended {
    pub held: Held,
    pub reason: &'static str,
}

/// Everything one user hands back when the load stops.
#[derive(Default)]
pub struct UserOutcome {
    pub tally: Tally,
    pub alive: Vec<Held>,
    pub ended: Vec<Ended>,
    /// Sessions whose state the script lost track of after an unexpected answer (already a
    /// failure); left out of the comparisons with the database.
    pub abandoned: Vec<String>,
}
