//! The JSON bodies of the public HTTP contract (see DESIGN.md), shared by server and browser.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub role: String,
}

impl UserDto {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub user: UserDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDto {
    pub id: String,
    pub device: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: i64,
    pub last_active_at: i64,
    pub expires_at: i64,
    pub current: bool,
}

/// A session that ended recently, with the reason code (`logout`, `refresh_reused`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedSessionDto {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub created_at: i64,
    pub ended_at: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsResponse {
    pub sessions: Vec<SessionDto>,
    #[serde(default)]
    pub ended: Vec<EndedSessionDto>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedCount {
    pub revoked: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDto {
    pub kind: String,
    pub at: i64,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub session_id: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    pub events: Vec<EventDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserDto {
    pub id: String,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub active_sessions: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUsersResponse {
    pub users: Vec<AdminUserDto>,
    pub total: i64,
}

/// What a refresh cookie must carry; built once by the transport layer.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub body: AuthResponse,
    pub refresh_token: String,
    pub refresh_max_age: i64,
}
