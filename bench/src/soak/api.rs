//! The soak's HTTP client: latchkey's endpoints as a browser calls them, through a bounded pool
//! of connections shared by every simulated user (the shape of a reverse proxy in front of the
//! server, and what keeps one loopback address under a per-client connection limit).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::ORIGIN;

/// The refresh cookie's name (`app/src/api/transport.rs`).
pub const REFRESH_COOKIE: &str = "__Host-latchkey-refresh";

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// Requests in flight at once; each holds one pooled connection.
    slots: Arc<Semaphore>,
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub cookie: CookieChange,
    pub latency: Duration,
}

/// What the answer did to the refresh cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieChange {
    Untouched,
    Set(String),
    Cleared,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn reason(&self) -> Option<&str> {
        self.body["reason"].as_str()
    }

    /// `200 {access_token, …}` with a new refresh cookie, as login, register and refresh answer.
    pub fn signin(&self) -> Option<Signin> {
        let access = self.body["access_token"].as_str()?;
        let CookieChange::Set(cookie) = &self.cookie else {
            return None;
        };
        Some(Signin {
            session_id: session_id_of(access)?,
            access: access.to_owned(),
            cookie: cookie.clone(),
        })
    }

    /// Status, and the body cut short with any access token left out, for a failure message.
    pub fn describe(&self) -> String {
        let mut text = match &self.body {
            Value::Object(fields) if fields.contains_key("access_token") => {
                let mut shown = fields.clone();
                shown.insert("access_token".into(), Value::from("(left out)"));
                Value::Object(shown).to_string()
            }
            _ => self.text.clone(),
        };
        if text.len() > 300 {
            let cut = (0..=300)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        format!("{} {}", self.status, text)
    }
}

/// What a successful sign-in or refresh hands the client.
#[derive(Debug, Clone)]
pub struct Signin {
    pub session_id: String,
    pub access: String,
    pub cookie: String,
}

impl Api {
    pub fn new(base: &str, connections: usize) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            // Shorter than any idle timeout the server may apply, so the pool drops a connection
            // before the server does instead of sending a request into a closing socket.
            .pool_idle_timeout(Duration::from_secs(3))
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Api {
            http,
            base: base.to_owned(),
            slots: Arc::new(Semaphore::new(connections.max(1))),
        })
    }

    pub async fn register(&self, ua: &str, email: &str, password: &str) -> reqwest::Result<Answer> {
        let body = json!({"email": email, "password": password});
        self.post("/api/auth/register", ua, &body, None, None).await
    }

    pub async fn login(&self, ua: &str, email: &str, password: &str) -> reqwest::Result<Answer> {
        let body = json!({"email": email, "password": password});
        self.post("/api/auth/login", ua, &body, None, None).await
    }

    pub async fn refresh(&self, ua: &str, cookie: &str) -> reqwest::Result<Answer> {
        self.post("/api/auth/refresh", ua, &json!({}), Some(cookie), None)
            .await
    }

    pub async fn logout(&self, ua: &str, cookie: &str) -> reqwest::Result<Answer> {
        self.post("/api/auth/logout", ua, &json!({}), Some(cookie), None)
            .await
    }

    /// A bearer endpoint (`/api/sessions/…`, `/api/account/…`).
    pub async fn bearer(
        &self,
        path: &str,
        ua: &str,
        access: &str,
        body: &Value,
    ) -> reqwest::Result<Answer> {
        self.post(path, ua, body, None, Some(access)).await
    }

    async fn post(
        &self,
        path: &str,
        ua: &str,
        body: &Value,
        cookie: Option<&str>,
        access: Option<&str>,
    ) -> reqwest::Result<Answer> {
        // A closed semaphore cannot happen (it is never closed); going on without a slot only
        // loosens the bound.
        let _slot = self.slots.acquire().await.ok();
        let start = Instant::now();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .header("user-agent", ua)
            .body(body.to_string());
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("{REFRESH_COOKIE}={cookie}"));
        }
        if let Some(access) = access {
            request = request.header("authorization", format!("Bearer {access}"));
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let cookie = cookie_change(response.headers());
        let text = response.text().await?;
        Ok(Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            cookie,
            latency: start.elapsed(),
        })
    }
}

fn cookie_change(headers: &reqwest::header::HeaderMap) -> CookieChange {
    let prefix = format!("{REFRESH_COOKIE}=");
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find_map(|pair| pair.trim().strip_prefix(&prefix))
        .map_or(CookieChange::Untouched, |value| {
            if value.is_empty() {
                CookieChange::Cleared
            } else {
                CookieChange::Set(value.to_owned())
            }
        })
}

/// The `sid` claim of an access token, read without verifying (the server verifies).
pub fn session_id_of(access: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = access.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["sid"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_set_and_cleared_cookies() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append("set-cookie", "other=1; Path=/".parse().unwrap());
        headers.append(
            "set-cookie",
            format!("{REFRESH_COOKIE}=abc; Path=/; HttpOnly")
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie_change(&headers), CookieChange::Set("abc".into()));
        let mut cleared = reqwest::header::HeaderMap::new();
        cleared.append(
            "set-cookie",
            format!("{REFRESH_COOKIE}=; Path=/; Max-Age=0")
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie_change(&cleared), CookieChange::Cleared);
        assert_eq!(
            cookie_change(&reqwest::header::HeaderMap::new()),
            CookieChange::Untouched
        );
    }

    #[test]
    fn reads_the_session_id_claim() {
        use base64::Engine as _;
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sid":"s-1","sub":"u"}"#);
        assert_eq!(
            session_id_of(&format!("h.{payload}.sig")).as_deref(),
            Some("s-1")
        );
        assert_eq!(session_id_of("not a jwt"), None);
    }
}
