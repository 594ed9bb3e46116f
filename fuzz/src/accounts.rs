//! Two signed-in accounts for `server_fn_bodies`: an administrator and a member, each with an
//! access token and a refresh cookie. Inputs may end their sessions, change their passwords or
//! disable the member; `Account::restore` brings an account back to the same state, so that an
//! input means the same thing whatever ran before it.

use http::{HeaderName, HeaderValue, StatusCode};
use latchkey::store::ids::UserId;
use secrecy::SecretString;

use crate::clock::NOW;
use crate::jws;
use crate::server::Server;

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_EMAIL: &str = "root@example.com";
pub const MEMBER_EMAIL: &str = "alice@example.com";

pub struct Account {
    pub email: &'static str,
    pub user_id: String,
    pub session_id: String,
    pub access_token: String,
    pub cookie: String,
    /// Set when an input may have changed what the fields above describe.
    pub dirty: bool,
}

impl Account {
    /// Registers the member; the administrator exists from `LATCHKEY_ADMIN_EMAIL`.
    pub fn create(server: &Server, email: &'static str) -> Self {
        let body = serde_json::json!({ "email": email, "password": PASSWORD });
        let answer = server.post("/api/auth/register", &[], body.to_string().into_bytes());
        if answer.status != StatusCode::OK && answer.status != StatusCode::CONFLICT {
            panic!("fixture: register {email}: {}", answer.status);
        }
        Self::sign_in(server, email)
    }

    fn sign_in(server: &Server, email: &'static str) -> Self {
        let body = serde_json::json!({ "email": email, "password": PASSWORD });
        let answer = server.post("/api/auth/login", &[], body.to_string().into_bytes());
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let access_token = json["access_token"].as_str().unwrap_or_default().to_owned();
        let user_id = json["user"]["id"].as_str().unwrap_or_default().to_owned();
        let session_id = jws::read(&access_token)
            .ok()
            .and_then(|t| jws::text(&t.payload, "sid").map(str::to_owned))
            .unwrap_or_default();
        let cookie = answer
            .set_cookie
            .iter()
            .find_map(|c| c.split(';').next().filter(|pair| !pair.ends_with('=')))
            .unwrap_or_default()
            .to_owned();
        if access_token.is_empty() || session_id.is_empty() || cookie.is_empty() {
            panic!("fixture: sign-in of {email} answered {}", answer.status);
        }
        Self {
            email,
            user_id,
            session_id,
            access_token,
            cookie,
            dirty: false,
        }
    }

    /// Whether the access token still passes the bearer check (no I/O: the revocation list).
    pub fn signed_in(&self, server: &Server) -> bool {
        server
            .block_on(server.state.auth.authenticate(&self.access_token))
            .is_ok()
    }

    /// The password back to `PASSWORD` (which also ends every session), the account enabled,
    /// and a new sign-in.
    pub fn restore(&mut self, server: &Server) {
        let auth = &server.state.auth;
        let password = SecretString::from(PASSWORD);
        if let Err(err) = server.block_on(auth.reset_password(self.email, &password)) {
            panic!("fixture: reset the password of {}: {err}", self.email);
        }
        let enabled = UserId::parse(&self.user_id).map(|id| {
            server.block_on(latchkey::store::users::set_disabled_at(
                &server.state.db.pool,
                &id,
                None,
                NOW,
            ))
        });
        if !matches!(enabled, Some(Ok(true))) {
            panic!("fixture: enable {}", self.email);
        }
        *self = Self::sign_in(server, self.email);
    }

    pub fn bearer(&self) -> (HeaderName, HeaderValue) {
        header("authorization", &format!("Bearer {}", self.access_token))
    }

    pub fn cookie(&self) -> (HeaderName, HeaderValue) {
        header("cookie", &self.cookie)
    }
}

pub fn header(name: &'static str, value: &str) -> (HeaderName, HeaderValue) {
    match HeaderValue::from_str(value) {
        Ok(value) => (HeaderName::from_static(name), value),
        Err(err) => panic!("fixture: {name} header: {err}"),
    }
}
