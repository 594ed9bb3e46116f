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
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("LEPTOS_OUTPUT_NAME", "latchkey")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in crate::server_env(database_url) {
            command.env(k, v);
        }
        let mut child = command.spawn()?;
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        if let Some(stderr) = child.stderr.take() {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
                    // The address line and the first errors; a flood would only cost memory.
                    if lines.len() < 200 {
                        lines.push(line);
                    }
                }
            });
        }
        // Owned by a `Server` from here on, so every early return below kills the process.
        let mut server = Server {
            child,
            base: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = lines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .find_map(|l| {
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
                    lines.lock().unwrap_or_else(|e| e.into_inner()).join("\n")
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
