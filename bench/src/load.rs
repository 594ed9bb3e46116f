//! Load that `wrk` cannot make: refresh rotation, where every client must send the cookie its
//! previous answer set. Each client is its own session on its own connection.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{PASSWORD, USER_AGENT};

#[derive(Default, Debug, Clone)]
pub struct Outcome {
    pub latencies: Vec<Duration>,
    pub errors: u64,
    pub seconds: f64,
}

impl Outcome {
    pub fn ok(&mut self, latency: Duration) {
        self.latencies.push(latency);
    }

    pub fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
    }

    pub fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds.max(1e-9)
    }

    /// The `q` quantile in milliseconds.
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies[i].as_secs_f64() * 1000.0
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client")
}

/// Registers a new account; returns (access token, refresh cookie value).
pub async fn register(
    http: &reqwest::Client,
    base: &str,
    origin: &str,
    email: &str,
) -> anyhow::Result<(String, String)> {
    let response = http
        .post(format!("{base}/api/auth/register"))
        .header("content-type", "application/json")
        .header("origin", origin)
        .header("user-agent", USER_AGENT)
        .body(json!({"email": email, "password": PASSWORD}).to_string())
        .send()
        .await?;
    let cookie = refresh_cookie(&response).ok_or_else(|| anyhow::anyhow!("no refresh cookie"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "register: {status} {body}");
    let access = body["access_token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no access token: {body}"))?;
    Ok((access.to_owned(), cookie))
}

/// The `name=value` of the refresh cookie the response sets.
fn refresh_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.contains("refresh=") && !pair.ends_with('='))
        .map(str::to_owned)
}

/// `clients` sessions refreshing for `span`, each with its own cookie: as fast as they can, or
/// each once per `pace` (a steady load whose latency is what counts).
pub async fn rotations(
    base: &str,
    origin: &str,
    clients: usize,
    span: Duration,
    pace: Option<Duration>,
) -> anyhow::Result<Outcome> {
    let mut sessions = Vec::new();
    for i in 0..clients {
        let http = http_client();
        let email = format!("rotate-{i}-{}@bench.test", rand::random::<u32>());
        let (_, cookie) = register(&http, base, origin, &email).await?;
        sessions.push((http, cookie));
    }
    let deadline = Instant::now() + span;
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|(http, mut cookie)| {
            let url = format!("{base}/api/auth/refresh");
            let origin = origin.to_owned();
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                let mut tick = pace.map(tokio::time::interval);
                while Instant::now() < deadline {
                    if let Some(tick) = &mut tick {
                        tick.tick().await;
                    }
                    let start = Instant::now();
                    let sent = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("origin", &origin)
                        .header("user-agent", USER_AGENT)
                        .header("cookie", &cookie)
                        .body("{}")
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status().is_success() => {
                            if let Some(next) = refresh_cookie(&response) {
                                cookie = next;
                            }
                            let _ = response.bytes().await;
                            outcome.ok(start.elapsed());
                        }
                        Ok(response) => {
                            outcome.errors += 1;
                            if outcome.errors == 1 {
                                let status = response.status();
                                let body = response.text().await.unwrap_or_default();
                                eprintln!("bench: refresh answered {status}: {body}");
                            }
                            // A session that ended cannot go on; stop this client.
                            break;
                        }
                        Err(err) => {
                            outcome.errors += 1;
                            eprintln!("bench: refresh failed: {err}");
                            break;
                        }
                    }
                }
                outcome
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        total.merge(task.await?);
    }
    total.seconds = span.as_secs_f64();
    Ok(total)
}
