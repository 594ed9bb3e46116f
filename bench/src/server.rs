//! The release server as a separate process, and the in-process hello-world it is compared with.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use latchkey::auth::AuthService;

pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<Log>>,
}

/// What the server wrote to stderr: the first lines (start-up, the address) and every warning,
/// error and panic counted, the first of them kept, so a long run's log costs little memory.
#[derive(Default, Clone)]
pub struct Log {
    pub first: Vec<String>,
    pub warnings: u64,
    pub errors: u64,
    pub panics: u64,
    /// The first error and panic lines, verbatim.
    pub bad_lines: Vec<String>,
    /// The first warning lines, verbatim.
    pub warning_lines: Vec<String>,
}

impl Log {
    fn add(&mut self, line: String) {
        // tracing's text format puts the level right after the timestamp, padded.
        let level = line.split_whitespace().nth(1).unwrap_or("");
        let panic = line.contains("panicked");
        if level == "WARN" {
            self.warnings += 1;
            if self.warning_lines.len() < 20 {
                self.warning_lines.push(line.clone());
            }
        }
        if level == "ERROR" || panic {
            if panic {
                self.panics += 1;
            } else {
                self.errors += 1;
            }
            if self.bad_lines.len() < 20 {
                self.bad_lines.push(line.clone());
            }
        }
        if self.first.len() < 200 {
            self.first.push(line);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub async fn start(
        binary: &str,
        site_root: &str,
        database_url: &str,
    ) -> anyhow::Result<Server> {
        Self::start_with(binary, site_root, database_url, &[]).await
    }

    /// `start`, with `extra` set after the common settings (so it overrides them).
    pub async fn start_with(
        binary: &str,
        site_root: &str,
        database_url: &str,
        extra: &[(String, String)],
    ) -> anyhow::Result<Server> {
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env("NO_COLOR", "1")
            // The access log (a line per request) is off: at tens of thousands of requests a
            // second it would measure this harness's pipe, and the earlier figures had none.
            .env("RUST_LOG", "info,sqlx=warn,latchkey::access=off")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("LEPTOS_OUTPUT_NAME", "latchkey")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in crate::server_env(database_url)
            .into_iter()
            .chain(extra.iter().cloned())
        {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|err| anyhow::anyhow!("could not start the server {binary}: {err}"))?;
        let log = Arc::new(Mutex::new(Log::default()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().unwrap_or_else(|e| e.into_inner()).add(line);
                }
            });
        }
        // Owned by a `Server` from here on, so every early return below kills the process.
        let mut server = Server {
            child,
            base: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = server.log().first.iter().find_map(|l| {
                let rest = &l[l.find("listening on http://")? + "listening on ".len()..];
                Some(rest.split_whitespace().next()?.to_owned())
            });
            if let Some(base) = found {
                server.base = base;
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!(
                    "the server exited ({status}):\n{}",
                    server.log().first.join("\n")
                );
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not start in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Resident memory in MB, from `/proc`.
    pub fn rss_mb(&self) -> f64 {
        rss_mb(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A copy of what the server has logged so far.
    pub fn log(&self) -> Log {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

pub fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// An axum server that does only what a bearer call must: verify the token (signature, claims,
/// revocation list) and answer. The ceiling for `/api/sessions/list`.
pub async fn hello_with_verification(service: Arc<AuthService>) -> anyhow::Result<String> {
    let app = Router::new().route(
        "/hello",
        post(move |headers: HeaderMap| {
            let service = service.clone();
            async move {
                let bearer = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "));
                match bearer {
                    Some(token) if service.authenticate(token).await.is_ok() => {
                        (StatusCode::OK, "{\"hello\":true}")
                    }
                    _ => (StatusCode::UNAUTHORIZED, "{}"),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}
