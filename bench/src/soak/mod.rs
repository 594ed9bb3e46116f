//! `latchkey-bench soak`: simulated users drive a real server process (loopback only) for a
//! fixed time through sign-in, parallel refreshes from several tabs, session listing,
//! revocations, password changes and deliberate token replays; then the database and the
//! server's answers are checked against what they did, and the server's memory over the run is
//! judged. Stops by itself; a non-zero exit means an invariant broke.

mod api;
mod fault;
mod flows;
mod invariants;
mod memory;
mod summary;
mod tally;
mod user;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::task::JoinSet;

use crate::report::{Database, Engine};
use crate::server::Server;

#[derive(clap::Args)]
pub struct Args {
    /// Seconds of load per database.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// Simulated users, each with one to three devices.
    #[arg(long, default_value_t = 200)]
    users: usize,
    #[arg(long, value_enum, default_value = "both")]
    db: Databases,
    /// The server binary (release for the long soak, target/debug/latchkey in the test command).
    #[arg(long, default_value = "target/release/latchkey")]
    server: String,
    #[arg(long, default_value = "target/site")]
    site_root: String,
    /// Where PostgreSQL runs; the soak creates its own database there and drops it after.
    /// Unreachable: skipped with a message, or a failure under CI=true.
    #[arg(
        long,
        env = "LATCHKEY_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// argon2id at 8 MiB and one pass instead of the production 19 MiB and two (the short
    /// pass against a debug build).
    #[arg(long)]
    fast_hashing: bool,
    /// The server's refresh grace window in seconds (LATCHKEY_REFRESH_GRACE); short, so
    /// deliberate replays of old tokens come soon.
    #[arg(long, default_value_t = 2)]
    grace: u64,
    /// Longest pause between one user's steps, in milliseconds (pauses are uniform from 0).
    #[arg(long, default_value_t = 2000)]
    max_pause_ms: u64,
    /// Connections to the server, shared by all users (like a reverse proxy's pool).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds between memory samples; by default a sixtieth of the run, 1 to 10 s.
    #[arg(long)]
    rss_every: Option<u64>,
    /// Seed for the users' choices (printed with every run).
    #[arg(long)]
    seed: Option<u64>,
    /// Damages the database after the load, to see the checks fail (see bench/SOAK.md).
    #[arg(long, value_enum, hide = true)]
    inject: Option<fault::Fault>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Databases {
    Sqlite,
    Postgres,
    Both,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.users > 0 && args.seconds > 0,
        "--users and --seconds must be above 0"
    );
    anyhow::ensure!(
        std::path::Path::new(&args.server).is_file(),
        "no server binary at {} (build it first: cargo build -p latchkey, or cargo leptos build --release)",
        args.server
    );
    let engines = match args.db {
        Databases::Sqlite => vec![Engine::Sqlite],
        Databases::Postgres => vec![Engine::Postgres],
        Databases::Both => vec![Engine::Sqlite, Engine::Postgres],
    };
    let mut results = Vec::new();
    for engine in engines {
        if engine == Engine::Postgres {
            if let Err(why) = reachable(&args.postgres).await {
                anyhow::ensure!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "PostgreSQL at {} is unreachable ({why}); under CI=true the soak must run on it",
                    args.postgres
                );
                println!(
                    "== soak PostgreSQL: SKIPPED, cannot connect to {} ({why}). Start it, or point LATCHKEY_BENCH_POSTGRES_URL at one.",
                    args.postgres
                );
                results.push(("PostgreSQL", "SKIPPED"));
                continue;
            }
        }
        let name = match engine {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        };
        let db = Database::create(engine, &args.postgres).await?;
        let outcome = soak_one(&args, name, &db.url).await;
        db.drop_it().await;
        results.push((name, if outcome? { "PASS" } else { "FAIL" }));
    }
    let line = results
        .iter()
        .map(|(name, verdict)| format!("{name} {verdict}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!("\nsoak: {line}");
    if results.iter().any(|(_, v)| *v == "FAIL") {
        // A verdict, not an error: the report above says where, a backtrace would not.
        eprintln!("soak failed ({line}); the report above says where");
        std::process::exit(1);
    }
    Ok(())
}

async fn reachable(url: &str) -> Result<(), String> {
    let connect = sqlx::PgConnection::connect(url);
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("no answer in 5 s".into()),
    }
}

/// The server's settings beyond the bench's (no per-IP limits, a fixed key-encryption key).
fn server_env(args: &Args) -> Vec<(String, String)> {
    let mut env = vec![("LATCHKEY_REFRESH_GRACE".to_owned(), args.grace.to_string())];
    if args.fast_hashing {
        env.push(("LATCHKEY_ARGON2_M_KIB".into(), "8192".into()));
        env.push(("LATCHKEY_ARGON2_T".into(), "1".into()));
    }
    env
}

/// One database: start the server, run the users, check, report. `Ok(false)` is a soak that
/// ran and found a problem; `Err` one that could not run.
async fn soak_one(args: &Args, engine: &str, database_url: &str) -> anyhow::Result<bool> {
    let started = Instant::now();
    println!(
        "== soak {engine}: starting {} with {} users for {} s",
        args.server, args.users, args.seconds
    );
    let mut server = Server::start_with(
        &args.server,
        &args.site_root,
        database_url,
        &server_env(args),
    )
    .await?;
    let api = api::Api::new(&server.base, args.connections)?;
    let every = Duration::from_secs(args.rss_every.unwrap_or((args.seconds / 60).clamp(1, 10)));
    let sampler = memory::Sampler::start(server.pid(), every);
    let seed = args.seed.unwrap_or_else(rand::random);
    let span = Duration::from_secs(args.seconds);
    let load_start = Instant::now();
    let plan = Arc::new(user::Plan {
        api: api.clone(),
        deadline: load_start + span,
        grace: Duration::from_secs(args.grace),
        max_pause: Duration::from_millis(args.max_pause_ms),
        run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        printed: AtomicU64::new(0),
        sightings: Mutex::default(),
    });
    // Users arrive over the first fifth of the run (at most 10 s), not all in one instant:
    // 200 simultaneous registrations would only measure the password-hashing queue.
    let ramp = (span / 5).min(Duration::from_secs(10));
    let mut users = JoinSet::new();
    for n in 0..args.users {
        let delay = ramp.mul_f64(n as f64 / args.users as f64);
        users.spawn(user::User::new(n, plan.clone(), seed).run(delay));
    }
    let mut outcome = tally::UserOutcome::default();
    let mut progress = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(30),
        Duration::from_secs(30),
    );
    loop {
        tokio::select! {
            joined = users.join_next() => match joined {
                Some(Ok(user)) => {
                    outcome.tally.merge(user.tally);
                    outcome.alive.extend(user.alive);
                    outcome.ended.extend(user.ended);
                    outcome.abandoned.extend(user.abandoned);
                }
                Some(Err(err)) => outcome.tally.fail(format!("a simulated user's task failed: {err}")),
                None => break,
            },
            _ = progress.tick() => println!(
                "soak {engine}: {:.0}/{} s, server RSS {:.1} MB, {} unexpected answers so far",
                load_start.elapsed().as_secs_f64(),
                args.seconds,
                server.rss_mb(),
                plan.printed.load(Ordering::Relaxed)
            ),
        }
    }
    let load_secs = load_start.elapsed().as_secs_f64();
    let series = sampler.finish().await;
    let exited = server.exited().map(|status| status.to_string());

    let expected = invariants::Expected {
        abandoned: outcome.abandoned.iter().cloned().collect::<BTreeSet<_>>(),
        alive: outcome.alive,
        ended: outcome.ended,
        deliberate_reuse: outcome.tally.deliberate_reuse,
        grace_replays: outcome.tally.grace_replays,
    };
    let pool = invariants::connect(database_url).await?;
    let injected = match args.inject {
        Some(fault) => Some(fault::inject(fault, &pool, &expected).await?),
        None => None,
    };
    let checks = if exited.is_none() {
        invariants::check_all(&api, &pool, &expected).await?
    } else {
        Vec::new()
    };
    pool.close().await;
    let log = server.log();
    drop(server);
    Ok(summary::print(summary::Run {
        engine,
        users: args.users,
        load_secs,
        total_secs: started.elapsed().as_secs_f64(),
        seed,
        server: &args.server,
        tally: outcome.tally,
        checks,
        series,
        log,
        exited,
        injected,
        held: expected.alive.len(),
        ended: expected.ended.len(),
    }))
}
