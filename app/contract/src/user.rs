//! Who is signed in, and accounts as an administrator lists them.

use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;

wire_enum! {
    pub enum Role {
        User = "user",
        Admin = "admin",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub role: Role,
}

impl UserDto {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Whether this server takes new accounts, so the register page can say so before anyone types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationStatus {
    pub open: bool,
}

/// The answer to register, login and refresh. The refresh token travels only in the cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub user: UserDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserDto {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub active_sessions: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUsersResponse {
    pub users: Vec<AdminUserDto>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub ok: bool,
}
