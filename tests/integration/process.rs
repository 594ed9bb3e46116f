//! A real `latchkey serve` process on a random port, for tests that need what only a process
//! has: its own connection pools and listeners, signals, a log, a socket.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

/// A server process on a random port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: Arc<Mutex<Vec<String>>>,
    pub http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn command(database_url: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("LEPTOS_OUTPUT_NAME", "latchkey")
        .env("RUST_LOG", "info,sqlx=warn")
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LATCHKEY_PUBLIC_ORIGIN", ORIGIN)
        .env("LATCHKEY_ARGON2_M_KIB", "8192")
        .env("LATCHKEY_ARGON2_T", "1")
        .env("LATCHKEY_RATE_LOGIN_PER_MIN", "0")
        .env("LATCHKEY_RATE_REFRESH_PER_MIN", "0")
        .env("LATCHKEY_KEY_ENCRYPTION_KEY", test_key_encryption_key())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Every line the process writes, in a shared buffer, read by threads until it exits.
pub fn collect_output(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let stdout = child
        .stdout
        .take()
        .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
    for stream in [stdout, stderr].into_iter().flatten() {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
        });
    }
    log
}

impl Server {
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Server {
        Self::start_on(&db.url, env).await
    }

    /// A server on any database URL (a throwaway cluster, a file the test prepared).
    pub async fn start_on(database_url: &str, env: &[(&str, &str)]) -> Server {
        let mut child = command(database_url, env).spawn().expect("start latchkey");
        let log = collect_output(&mut child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let found = log
                .lock()
                .unwrap()
                .iter()
                .find_map(|line| url_after(line, "listening on "));
            if let Some(base) = found {
                break base;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "latchkey exited ({status}) before listening:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
            assert!(Instant::now() < deadline, "latchkey did not start in 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let server = Server {
            child,
            base,
            log,
            http: reqwest::Client::new(),
        };
        server.wait_until_current().await;
        server
    }

    pub async fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .header("user-agent", UA_FIREFOX)
            .body(body.to_string());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("server answers");
        TestResponse {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("server answers");
        TestResponse {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub async fn register(&self, email: &str) -> Signin {
        let response = self
            .post(
                "/api/auth/register",
                json!({"email": email, "password": PASSWORD}),
                &[],
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        Signin::from(&response)
    }

    pub async fn list_sessions(&self, access: &str) -> StatusCode {
        self.post(
            "/api/sessions/list",
            json!({}),
            &[("authorization", &format!("Bearer {access}"))],
        )
        .await
        .status
    }

    pub async fn refresh(&self, refresh: &str) -> TestResponse {
        self.with_cookie("/api/auth/refresh", refresh).await
    }

    pub async fn logout(&self, refresh: &str) -> TestResponse {
        self.with_cookie("/api/auth/logout", refresh).await
    }

    pub async fn with_cookie(&self, path: &str, refresh: &str) -> TestResponse {
        self.post(path, json!({}), &[("cookie", &cookie_header(refresh))])
            .await
    }

    pub async fn healthz(&self) -> Value {
        let response = self
            .http
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .expect("healthz answers");
        response.json().await.expect("healthz JSON")
    }

    /// Until the revocation feed has connected and reloaded (`/healthz` says so).
    pub async fn wait_until_current(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.healthz().await["revocations"] != "current" {
            assert!(
                Instant::now() < deadline,
                "revocation feed not current after 15 s:\n{}",
                self.log.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn log_contains(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(needle))
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// `http://host:port/metrics` when the server serves metrics (`LATCHKEY_METRICS_ADDR`).
    pub fn metrics_url(&self) -> Option<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .find_map(|line| url_after(line, "serving metrics at "))
    }

    /// The log of a server started with `LATCHKEY_LOG_FORMAT=json`: every line must be a JSON
    /// object.
    pub fn json_log(&self) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|line| match serde_json::from_str::<Value>(line) {
                Ok(object @ Value::Object(_)) => object,
                _ => panic!("a log line that is not a JSON object: {line}"),
            })
            .collect()
    }

    /// The JSON log's lines at `target` (`latchkey::access`, `latchkey::audit`).
    pub fn json_lines_at(&self, target: &str) -> Vec<Value> {
        self.json_log()
            .into_iter()
            .filter(|line| line["target"] == target)
            .collect()
    }

    /// Waits (up to 5 s) until the log satisfies `done`: lines arrive through reader threads.
    pub async fn wait_for_log(&self, what: &str, done: impl Fn(&Server) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what} not logged in 5 s:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many listening TCP sockets the process holds (Linux: its socket descriptors matched
    /// against the kernel's table of listening sockets).
    pub fn listening_sockets(&self) -> usize {
        let pid = self.child.id();
        let inodes: std::collections::HashSet<String> =
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .expect("the process's descriptors")
                .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .filter_map(|target| {
                    let target = target.to_string_lossy().into_owned();
                    Some(
                        target
                            .strip_prefix("socket:[")?
                            .strip_suffix(']')?
                            .to_owned(),
                    )
                })
                .collect();
        ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|table| std::fs::read_to_string(table).ok())
            .flat_map(|table| table.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
            .filter(|row| {
                let columns: Vec<&str> = row.split_whitespace().collect();
                // Column 3 is the state (0A: LISTEN), column 9 the socket's inode.
                columns.get(3) == Some(&"0A") && columns.get(9).is_some_and(|i| inodes.contains(*i))
            })
            .count()
    }

    /// `host:port`, for tests that speak raw TCP.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.base
            .trim_start_matches("http://")
            .parse()
            .expect("the server logs a socket address")
    }
}

/// The URL logged after `words`, in a text line or inside a JSON line's message.
fn url_after(line: &str, words: &str) -> Option<String> {
    let start = line.find(&format!("{words}http://"))? + words.len();
    let url = line[start..]
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()?;
    Some(url.to_owned())
}
