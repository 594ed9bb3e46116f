//! `latchkey-bench` (what `./scripts/bench` calls): measures every hot path of a release
//! server process from outside, next to its ceiling measured in the same run, and writes
//! BENCHMARKS.md. `latchkey-bench soak` (what `./scripts/soak` calls) drives simulated users
//! through a server for a fixed time and checks the invariants afterwards (`soak/`).

mod limits;
mod load;
mod report;
mod server;
mod soak;
mod wrk;

use std::time::Duration;

use clap::Parser;
use serde_json::json;

pub const PASSWORD: &str = "correct horse battery staple";
pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
pub const ORIGIN: &str = "http://127.0.0.1:3000";
const KEK: &str = "YmVuY2gta2V5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=";

#[derive(Parser)]
#[command(
    about = "Runs latchkey's benchmarks and writes BENCHMARKS.md; `soak` runs the soak",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    bench: Args,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Simulated users against a server for a fixed time, then the invariants in its database.
    Soak(soak::Args),
}

#[derive(clap::Args)]
struct Args {
    /// The release server binary.
    #[arg(long, default_value = "target/release/latchkey")]
    server: String,
    /// The site the server serves (WASM sizes are read here too).
    #[arg(long, default_value = "target/site")]
    site_root: String,
    /// Seconds per load run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Where PostgreSQL runs; each run creates and drops its own database.
    #[arg(
        long,
        env = "LATCHKEY_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// Skip PostgreSQL.
    #[arg(long)]
    sqlite_only: bool,
    /// Skip the better-auth comparison (bench/better-auth, Node and npm).
    #[arg(long)]
    without_better_auth: bool,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: String,
}

/// The server's settings for every run: production defaults except that the per-IP limits
/// are off (all load comes from one address) and the key-encryption key is fixed.
pub fn server_env(database_url: &str) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url),
        ("LATCHKEY_PUBLIC_ORIGIN", ORIGIN),
        ("LATCHKEY_RATE_LOGIN_PER_MIN", "0"),
        ("LATCHKEY_RATE_REFRESH_PER_MIN", "0"),
        ("LATCHKEY_KEY_ENCRYPTION_KEY", KEK),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Soak(soak)) = cli.command {
        return soak::run(soak).await;
    }
    let args = cli.bench;
    let span = Duration::from_secs(args.seconds);
    let mut report = report::Report::new(&args.postgres, !args.sqlite_only).await;

    eprintln!("bench: ceilings in this process");
    report.ed25519_per_sec = limits::ed25519_verify_per_sec(Duration::from_secs(2));
    report.argon2_per_sec = limits::argon2_per_sec(19_456, 2, 1, Duration::from_secs(3));
    {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/hello.db", dir.path().display());
        let service = limits::engine(&url).await?;
        let client = latchkey::auth::ClientInfo::new("127.0.0.1", USER_AGENT);
        let issued = service
            .register("hello@bench.test", PASSWORD, &client)
            .await?;
        report.token_verify_per_sec =
            limits::token_verify_per_sec(&service, &issued.access_token, Duration::from_secs(2))
                .await;
        let base = server::hello_with_verification(service.clone()).await?;
        report.hello = Some(wrk::run(
            &bearer_request(&base, "/hello", &issued.access_token),
            64,
            span,
        )?);
    }

    let mut engines = vec![report::Engine::Sqlite];
    if report.postgres_version.is_some() {
        engines.push(report::Engine::Postgres);
    }
    for engine in engines {
        eprintln!("bench: {engine:?} over HTTP");
        let db = report::Database::create(engine, &args.postgres).await?;
        let mut figures = report::EngineFigures::new(engine);
        {
            let server = server::Server::start(&args.server, &args.site_root, &db.url).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            figures.rss_idle = server.rss_mb();
            let jwks = wrk::Request {
                method: "GET",
                url: format!("{}/.well-known/jwks.json", server.base),
                headers: vec![],
                body: None,
            };
            figures.jwks = Some(wrk::run(&jwks, 64, span)?);
            let http = load::http_client();
            let (access, _) =
                load::register(&http, &server.base, ORIGIN, "bearer@bench.test").await?;
            figures.bearer = Some(wrk::run(
                &bearer_request(&server.base, "/api/sessions/list", &access),
                64,
                span,
            )?);
            figures.rss_bearer = server.rss_mb();
            figures.rotation_64 =
                Some(load::rotations(&server.base, ORIGIN, 64, span, None).await?);
            figures.rotation_1 = Some(load::rotations(&server.base, ORIGIN, 1, span, None).await?);
            figures.rss_rotation = server.rss_mb();
            load::register(&http, &server.base, ORIGIN, "login@bench.test").await?;
            let login = wrk::Request {
                method: "POST",
                url: format!("{}/api/auth/login", server.base),
                headers: browser_headers(),
                body: Some(json!({"email": "login@bench.test", "password": PASSWORD}).to_string()),
            };
            let flood = login.clone();
            figures.login =
                Some(tokio::task::spawn_blocking(move || wrk::run(&flood, 8, span)).await??);
            // The same flood again, with 16 sessions refreshing 10 times a second each meanwhile.
            let base = server.base.clone();
            let during = tokio::spawn(async move {
                load::rotations(&base, ORIGIN, 16, span, Some(Duration::from_millis(100))).await
            });
            tokio::task::spawn_blocking(move || wrk::run(&login, 8, span)).await??;
            figures.rotation_during_logins = Some(during.await??);
            figures.rss_login = server.rss_mb();
            if engine == report::Engine::Sqlite {
                report.assets = report::Assets::measure(&args.site_root, &server.base).await;
            }
        }
        eprintln!("bench: {engine:?} engine without HTTP");
        let raw = report::Database::create(engine, &args.postgres).await?;
        let service = limits::engine(&raw.url).await?;
        figures.engine_64 = Some(limits::engine_rotations(service.clone(), 64, span).await?);
        figures.engine_1 = Some(limits::engine_rotations(service, 1, span).await?);
        raw.drop_it().await;
        db.drop_it().await;
        report.engines.push(figures);
    }
    if !args.without_better_auth {
        eprintln!("bench: better-auth (bench/better-auth/run.sh)");
        report.better_auth = better_auth(args.seconds);
    }
    let markdown = report.render(&args);
    std::fs::write(&args.out, &markdown)?;
    println!("{markdown}");
    Ok(())
}

/// The last stdout line of `bench/better-auth/run.sh`: one JSON object, or `None` (said why).
fn better_auth(seconds: u64) -> Option<serde_json::Value> {
    let output = std::process::Command::new("bash")
        .arg("bench/better-auth/run.sh")
        .arg(seconds.to_string())
        .stderr(std::process::Stdio::inherit())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let parsed = text
                .lines()
                .last()
                .and_then(|l| serde_json::from_str(l).ok());
            if parsed.is_none() {
                eprintln!("bench: better-auth printed no JSON: {text}");
            }
            parsed
        }
        Ok(out) => {
            eprintln!("bench: better-auth run failed ({})", out.status);
            None
        }
        Err(err) => {
            eprintln!("bench: could not run bench/better-auth/run.sh: {err}");
            None
        }
    }
}

fn browser_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json".into()),
        ("Origin", ORIGIN.into()),
        ("User-Agent", USER_AGENT.into()),
    ]
}

fn bearer_request(base: &str, path: &str, access: &str) -> wrk::Request<'static> {
    let mut headers = browser_headers();
    headers.push(("Authorization", format!("Bearer {access}")));
    wrk::Request {
        method: "POST",
        url: format!("{base}{path}"),
        headers,
        body: Some("{}".into()),
    }
}
