//! What one run measured, the machine it ran on, and BENCHMARKS.md.

use std::fmt::Write as _;
use std::process::Command;

use sqlx::Connection;

use crate::load::Outcome;
use crate::wrk::WrkResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// A new database for one run: a temporary SQLite file or a new PostgreSQL database.
pub struct Database {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Database {
    pub async fn create(engine: Engine, admin_url: &str) -> anyhow::Result<Database> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir()?;
                Ok(Database {
                    url: format!("sqlite://{}/latchkey.db", dir.path().display()),
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Engine::Postgres => {
                let name = format!("latchkey_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(admin_url).await?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await?;
                let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
                Ok(Database {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    postgres: Some((admin_url.to_owned(), name)),
                })
            }
        }
    }

    pub async fn drop_it(self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

pub struct EngineFigures {
    pub engine: Engine,
    pub jwks: Option<WrkResult>,
    pub bearer: Option<WrkResult>,
    pub rotation_64: Option<Outcome>,
    pub rotation_1: Option<Outcome>,
    pub engine_64: Option<Outcome>,
    pub engine_1: Option<Outcome>,
    pub login: Option<WrkResult>,
    pub rotation_during_logins: Option<Outcome>,
    pub rss_idle: f64,
    pub rss_bearer: f64,
    pub rss_rotation: f64,
    pub rss_login: f64,
}

impl EngineFigures {
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            jwks: None,
            bearer: None,
            rotation_64: None,
            rotation_1: None,
            engine_64: None,
            engine_1: None,
            login: None,
            rotation_during_logins: None,
            rss_idle: f64::NAN,
            rss_bearer: f64::NAN,
            rss_rotation: f64::NAN,
            rss_login: f64::NAN,
        }
    }
}

#[derive(Default)]
pub struct Assets {
    /// (file, raw, gzip -9, brotli -q 11, what the server sent to a browser accepting br)
    pub files: Vec<(String, u64, u64, u64, String)>,
}

impl Assets {
    pub async fn measure(site_root: &str, base: &str) -> Assets {
        let mut assets = Assets::default();
        let pkg = std::path::Path::new(site_root).join("pkg");
        let Ok(entries) = std::fs::read_dir(&pkg) else {
            return assets;
        };
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".wasm") || n.ends_with(".js") || n.ends_with(".css"))
            .collect();
        names.sort();
        let http = reqwest::Client::new();
        for name in names {
            let path = pkg.join(&name);
            let raw = std::fs::metadata(&path).map_or(0, |m| m.len());
            let gzip = compressed_len("gzip", &["-9", "-c"], &path);
            let brotli = compressed_len("brotli", &["-q", "11", "-c"], &path);
            let served = http
                .get(format!("{base}/pkg/{name}"))
                .header("accept-encoding", "br, gzip")
                .send()
                .await
                .ok()
                .map(|r| {
                    r.headers()
                        .get("content-encoding")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("identity")
                        .to_owned()
                })
                .unwrap_or_else(|| "?".into());
            assets.files.push((name, raw, gzip, brotli, served));
        }
        assets
    }
}

fn compressed_len(tool: &str, args: &[&str], path: &std::path::Path) -> u64 {
    Command::new(tool)
        .args(args)
        .arg(path)
        .output()
        .map_or(0, |o| o.stdout.len() as u64)
}

pub struct Report {
    pub ed25519_per_sec: f64,
    pub token_verify_per_sec: f64,
    pub argon2_per_sec: f64,
    pub hello: Option<WrkResult>,
    pub engines: Vec<EngineFigures>,
    pub assets: Assets,
    pub postgres_version: Option<String>,
    pub better_auth: Option<serde_json::Value>,
    machine: Vec<(String, String)>,
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_else(|_| "not found".into())
}

fn proc_field(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default()
}

impl Report {
    pub async fn new(postgres_url: &str, with_postgres: bool) -> Report {
        let postgres_version = if with_postgres {
            match sqlx::PgConnection::connect(postgres_url).await {
                Ok(mut conn) => sqlx::query_scalar::<_, String>("SHOW server_version")
                    .fetch_one(&mut conn)
                    .await
                    .ok(),
                Err(err) => {
                    eprintln!("bench: PostgreSQL skipped, {postgres_url} is unreachable: {err}");
                    None
                }
            }
        } else {
            None
        };
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let machine = vec![
            (
                "CPU".into(),
                format!("{} × {}", cores, proc_field("/proc/cpuinfo", "model name")),
            ),
            ("memory".into(), proc_field("/proc/meminfo", "MemTotal")),
            ("kernel".into(), first_line("uname", &["-sr"])),
            ("rustc".into(), first_line("rustc", &["-V"])),
            ("wrk".into(), first_line("wrk", &["-v"])),
            (
                "PostgreSQL".into(),
                postgres_version
                    .clone()
                    .unwrap_or_else(|| "not measured".into()),
            ),
        ];
        Report {
            ed25519_per_sec: f64::NAN,
            token_verify_per_sec: f64::NAN,
            argon2_per_sec: f64::NAN,
            hello: None,
            engines: Vec::new(),
            assets: Assets::default(),
            postgres_version,
            better_auth: None,
            machine,
        }
    }

    pub fn render(&self, args: &crate::Args) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# latchkey benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `./scripts/bench` ({}); every figure comes from one run on one machine, \
             next to the ceiling measured in the same run. Load runs last {} s each; the server \
             is the release binary with production settings (argon2id m=19456 KiB, t=2, p=1) \
             except that per-IP rate limits are off, since all load comes from 127.0.0.1, and \
             so is the access log (`latchkey::access=off`). \
             Fixed requests come from `wrk` (a separate process); rotation comes from the bench \
             process itself, because each client must send the cookie its previous answer set, \
             which `wrk` cannot do.\n",
            chrono_like_now(),
            args.seconds
        );
        self.render_targets(&mut md);
        let _ = writeln!(md, "\n| machine | |\n|---|---|");
        for (k, v) in &self.machine {
            let _ = writeln!(md, "| {k} | {v} |");
        }
        let _ = writeln!(md, "\n## 1. Access-token verification (one core)\n");
        let _ = writeln!(md, "| what | per second | ratio |\n|---|---|---|");
        let _ = writeln!(
            md,
            "| raw Ed25519 verification | {} | 1 |",
            n(self.ed25519_per_sec)
        );
        let _ = writeln!(
            md,
            "| `AuthService::authenticate` (parse, Ed25519, claims, revocation list) | {} | {:.2} |",
            n(self.token_verify_per_sec),
            self.token_verify_per_sec / self.ed25519_per_sec
        );

        let _ = writeln!(md, "\n## 2. Bearer calls, 64 connections\n");
        let _ = writeln!(md, "| server | path | per second | p50 ms | p99 ms | non-2xx | vs hello-world |\n|---|---|---|---|---|---|---|");
        if let Some(h) = &self.hello {
            let _ = writeln!(md, "| axum hello-world + the same verification (in process) | `/hello` | {} | {:.2} | {:.2} | {} | 1 |", n(h.per_sec), h.p50_ms, h.p99_ms, h.non_2xx);
        }
        let hello = self.hello.as_ref().map_or(f64::NAN, |h| h.per_sec);
        for e in &self.engines {
            if let Some(j) = &e.jwks {
                let _ = writeln!(md, "| latchkey, {} | `GET /.well-known/jwks.json` (no database) | {} | {:.2} | {:.2} | {} | {:.2} |", e.engine.name(), n(j.per_sec), j.p50_ms, j.p99_ms, j.non_2xx, j.per_sec / hello);
            }
            if let Some(b) = &e.bearer {
                let _ = writeln!(
                    md,
                    "| latchkey, {} | `/api/sessions/list` | {} | {:.2} | {:.2} | {} | **{:.2}** |",
                    e.engine.name(),
                    n(b.per_sec),
                    b.p50_ms,
                    b.p99_ms,
                    b.non_2xx,
                    b.per_sec / hello
                );
            }
        }

        let _ = writeln!(
            md,
            "\n## 3. Refresh rotation (each client its own session and cookie)\n"
        );
        let _ = writeln!(md, "| database | clients | over HTTP per second | p50 ms | p99 ms | errors | engine alone per second | HTTP / engine |\n|---|---|---|---|---|---|---|---|");
        for e in &self.engines {
            for (clients, http, raw) in [
                (64, &e.rotation_64, &e.engine_64),
                (1, &e.rotation_1, &e.engine_1),
            ] {
                if let (Some(http), Some(raw)) = (http, raw) {
                    let (mut http, raw) = (http.clone(), raw.clone());
                    let _ = writeln!(
                        md,
                        "| {} | {clients} | **{}** | {:.2} | {:.2} | {} | {} | {:.2} |",
                        e.engine.name(),
                        n(http.per_sec()),
                        http.quantile_ms(0.5),
                        http.quantile_ms(0.99),
                        http.errors,
                        n(raw.per_sec()),
                        http.per_sec() / raw.per_sec()
                    );
                }
            }
        }

        let _ = writeln!(
            md,
            "\n## 4. Logins (8 connections) and refreshes during the login flood\n"
        );
        let _ = writeln!(
            md,
            "raw argon2id at the same parameters, all cores: **{}** hashes per second.\n",
            n(self.argon2_per_sec)
        );
        let _ = writeln!(md, "| database | logins per second | p50 ms | p99 ms | non-2xx | logins / argon2 | refresh p99 ms during the flood (16 sessions × 10/s) | refreshes per second meanwhile |\n|---|---|---|---|---|---|---|---|");
        for e in &self.engines {
            if let (Some(l), Some(r)) = (&e.login, &e.rotation_during_logins) {
                let mut r = r.clone();
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.1} | {:.1} | {} | **{:.2}** | **{:.1}** | {} |",
                    e.engine.name(),
                    n(l.per_sec),
                    l.p50_ms,
                    l.p99_ms,
                    l.non_2xx,
                    l.per_sec / self.argon2_per_sec,
                    r.quantile_ms(0.99),
                    n(r.per_sec())
                );
            }
        }

        let _ = writeln!(md, "\n## 5. Server memory (RSS, MB) and assets\n");
        let _ = writeln!(md, "| database | idle | after bearer load | after rotations | after logins |\n|---|---|---|---|---|");
        for e in &self.engines {
            let _ = writeln!(
                md,
                "| {} | {:.0} | {:.0} | {:.0} | {:.0} |",
                e.engine.name(),
                e.rss_idle,
                e.rss_bearer,
                e.rss_rotation,
                e.rss_login
            );
        }
        let _ = writeln!(md, "\n| asset | raw KB | gzip -9 KB | brotli -q 11 KB | sent to a browser accepting br |\n|---|---|---|---|---|");
        for (name, raw, gzip, br, served) in &self.assets.files {
            let _ = writeln!(
                md,
                "| `{name}` | {} | {} | {} | {served} |",
                raw / 1024,
                gzip / 1024,
                br / 1024
            );
        }
        if self.assets.files.is_empty() {
            let _ = writeln!(
                md,
                "| (no site at `{}`: run `cargo leptos build --release` first) | | | | |",
                args.site_root
            );
        }
        self.render_better_auth(&mut md);
        md.push('\n');
        md.push_str(include_str!("../NOTES.md"));
        md
    }
}

impl Report {
    /// The issue's targets for a 2-core machine, each against this run's figure.
    fn render_targets(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Targets (2 cores)\n\n| target | this run | met |\n|---|---|---|"
        );
        let mut row = |target: &str, measured: String, met: bool| {
            let _ = writeln!(
                md,
                "| {target} | {measured} | {} |",
                if met { "yes" } else { "**no**" }
            );
        };
        let hello = self.hello.as_ref().map_or(f64::NAN, |h| h.per_sec);
        for e in &self.engines {
            let name = e.engine.name();
            let (goal, floor) = match e.engine {
                Engine::Sqlite => ("≥ 5,000", 5_000.0),
                Engine::Postgres => ("≥ 3,000", 3_000.0),
            };
            if let Some(r) = &e.rotation_64 {
                let rate = r.per_sec();
                row(
                    &format!("rotations, 64 clients, {name}: {goal}/s"),
                    format!("{}/s", n(rate)),
                    rate >= floor,
                );
            }
            if let Some(b) = &e.bearer {
                let ratio = b.per_sec / hello;
                row(
                    &format!("bearer calls, {name}: ≥ 0.6 × hello-world"),
                    format!("{ratio:.2} ×"),
                    ratio >= 0.6,
                );
                if let Some(list) = self
                    .better_auth
                    .as_ref()
                    .and_then(|ba| ba["list_sessions"]["per_sec"].as_f64())
                {
                    let x = b.per_sec / list;
                    row(
                        &format!("bearer calls, {name}: ≥ 10 × better-auth list-sessions"),
                        format!("{x:.1} ×"),
                        x >= 10.0,
                    );
                }
            }
            if let (Some(l), Some(r)) = (&e.login, &e.rotation_during_logins) {
                let ratio = l.per_sec / self.argon2_per_sec;
                row(
                    &format!("logins, {name}: ≥ 0.9 × raw argon2id"),
                    format!("{ratio:.2} ×"),
                    ratio >= 0.9,
                );
                let p99 = r.clone().quantile_ms(0.99);
                row(
                    &format!("refresh p99 during the login flood, {name}: < 25 ms"),
                    format!("{p99:.1} ms"),
                    p99 < 25.0,
                );
            }
            let peak = e.rss_bearer.max(e.rss_rotation).max(e.rss_login);
            row(
                &format!("RSS idle, {name}: ≤ 40 MB"),
                format!("{:.0} MB", e.rss_idle),
                e.rss_idle <= 40.0,
            );
            row(
                &format!("RSS under load, {name}: ≤ 150 MB"),
                format!("{peak:.0} MB"),
                peak <= 150.0,
            );
        }
        if let Some((_, _, _, br, served)) =
            self.assets.files.iter().find(|f| f.0.ends_with(".wasm"))
        {
            row(
                "WASM ≤ 300 KB brotli",
                format!("{} KB", br / 1024),
                *br <= 300 * 1024,
            );
            row(
                "assets served precompressed",
                served.clone(),
                served == "br",
            );
        }
    }

    fn render_better_auth(&self, md: &mut String) {
        let _ = writeln!(md, "\n## 6. Side by side with better-auth\n");
        let Some(ba) = &self.better_auth else {
            let _ = writeln!(md, "Not measured in this run (`--without-better-auth`, or `bench/better-auth/run.sh` failed: see its output).");
            return;
        };
        let version = ba["better_auth_version"].as_str().unwrap_or("?");
        let node = ba["node"].as_str().unwrap_or("?");
        let _ = writeln!(
            md,
            "better-auth {version} on Node {node} with better-sqlite3, email + password, its `jwt` \
             plugin, rate limiter off; same machine, same `wrk` settings, same run \
             (`bench/better-auth/`). Its server RSS after the runs: {:.0} MB.\n",
            ba["rss_mb"].as_f64().unwrap_or(f64::NAN)
        );
        let _ = writeln!(md, "| path | latchkey (SQLite) per second | p99 ms | better-auth per second | p99 ms | latchkey / better-auth |\n|---|---|---|---|---|---|");
        let Some(sqlite) = self.engines.iter().find(|e| e.engine == Engine::Sqlite) else {
            return;
        };
        // (label, better-auth's key, latchkey's rate and p99)
        type Row<'a> = (&'a str, &'a str, Option<(f64, f64)>);
        let rows: [Row; 4] = [
            (
                "sign-in (8 connections; argon2id m=19 MiB vs scrypt)",
                "sign_in",
                sqlite.login.as_ref().map(|l| (l.per_sec, l.p99_ms)),
            ),
            (
                "bearer `/api/sessions/list` vs `get-session` (cookie)",
                "get_session",
                sqlite.bearer.as_ref().map(|b| (b.per_sec, b.p99_ms)),
            ),
            (
                "bearer `/api/sessions/list` vs `list-sessions` (cookie)",
                "list_sessions",
                sqlite.bearer.as_ref().map(|b| (b.per_sec, b.p99_ms)),
            ),
            (
                "refresh rotation, 64 sessions, vs `/token` JWT mint (64 connections)",
                "token",
                sqlite
                    .rotation_64
                    .clone()
                    .map(|mut r| (r.per_sec(), r.quantile_ms(0.99))),
            ),
        ];
        for (label, key, ours) in rows {
            let theirs = &ba[key];
            let (their_rate, their_p99) = (
                theirs["per_sec"].as_f64().unwrap_or(f64::NAN),
                theirs["p99_ms"].as_f64().unwrap_or(f64::NAN),
            );
            let (our_rate, our_p99) = ours.unwrap_or((f64::NAN, f64::NAN));
            let _ = writeln!(
                md,
                "| {label} | {} | {our_p99:.1} | {} | {their_p99:.1} | **{:.1}×** |",
                n(our_rate),
                n(their_rate),
                our_rate / their_rate
            );
        }
    }
}

fn n(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let whole = v.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn chrono_like_now() -> String {
    first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}
