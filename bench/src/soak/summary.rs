//! The report of one soak run on one database, and its verdict.

use std::collections::BTreeSet;

use super::invariants::Check;
use super::memory::Series;
use super::tally::Tally;
use crate::server::Log;

pub struct Run<'a> {
    pub engine: &'a str,
    pub users: usize,
    pub load_secs: f64,
    pub total_secs: f64,
    pub seed: u64,
    pub server: &'a str,
    pub tally: Tally,
    pub checks: Vec<Check>,
    pub series: Series,
    pub log: Log,
    /// `Some` when the server process died during the run.
    pub exited: Option<String>,
    /// What `--inject` damaged, if anything.
    pub injected: Option<String>,
    pub held: usize,
    pub ended: usize,
}

const SHOWN: usize = 20;

/// Prints the report; true when everything held.
pub fn print(mut run: Run<'_>) -> bool {
    let mut passed = true;
    println!();
    println!(
        "== soak {}: {} users, {:.0} s of load ({:.0} s with start-up and checks), seed {}, server {}",
        run.engine, run.users, run.load_secs, run.total_secs, run.seed, run.server
    );
    if let Some(what) = &run.injected {
        println!("   INJECTED FAULT (the checks below must fail): {what}");
    }

    println!("operations answered as expected (latency p50 / p99 / max, ms):");
    let latencies = run.tally.latency_summary();
    let kinds: BTreeSet<&str> = run.tally.ops.keys().copied().collect();
    for op in kinds {
        let n = run.tally.ops.get(op).copied().unwrap_or(0);
        let timing = latencies
            .iter()
            .find(|(kind, ..)| *kind == op)
            .map(|(_, _, p50, p99, max)| format!("{p50:>7.1} {p99:>7.1} {max:>8.1}"))
            .unwrap_or_default();
        println!("  {op:<36} {n:>8}  {timing}");
    }
    let t = &run.tally;
    println!(
        "  sessions: {} held at the end, {} ended by the script; {} parallel bursts, {} grace replays, {} bursts racing a revocation, {} deliberate reuses, {} busy retries",
        run.held,
        run.ended,
        t.parallel_bursts,
        t.grace_replays,
        t.races,
        t.deliberate_reuse,
        t.busy_retries
    );

    println!("refusals the script caused and expected:");
    for (what, n) in &t.refusals {
        println!("  {what:<72} {n:>6}");
    }

    if t.failures.is_empty() {
        println!("unexpected answers: none");
    } else {
        passed = false;
        println!("unexpected answers: {}", t.failures.len());
        for line in t.failures.iter().take(SHOWN) {
            println!("  {line}");
        }
    }

    println!("invariants:");
    if let Some(status) = &run.exited {
        passed = false;
        println!("  FAIL the server exited during the run ({status}); nothing checked");
    }
    for check in &run.checks {
        let ok = check.problems.is_empty();
        passed &= ok;
        println!(
            "  {} {} ({})",
            if ok { "ok  " } else { "FAIL" },
            check.name,
            check.detail
        );
        for problem in check.problems.iter().take(SHOWN) {
            println!("       {problem}");
        }
        if check.problems.len() > SHOWN {
            println!("       … and {} more", check.problems.len() - SHOWN);
        }
    }

    println!(
        "server memory (RSS, MB, by seconds since start):{}",
        run.series.render()
    );
    match run.series.verdict() {
        Some(verdict) => {
            passed &= !verdict.failed;
            println!("  {}", verdict.sentence());
        }
        None => println!("  too few samples for a verdict"),
    }

    let log = &run.log;
    println!(
        "server log: {} warnings (one per deliberate reuse expected: {}), {} errors, {} panics",
        log.warnings, t.deliberate_reuse, log.errors, log.panics
    );
    if log.warnings != t.deliberate_reuse {
        for line in log.warning_lines.iter().take(5) {
            println!("  {line}");
        }
    }
    if log.errors + log.panics > 0 {
        passed = false;
        for line in &log.bad_lines {
            println!("  {line}");
        }
    }
    println!(
        "== soak {}: {}",
        run.engine,
        if passed { "PASS" } else { "FAIL" }
    );
    passed
}
