//! Server functions of the public HTTP contract (README, "HTTP API"). They do transport only: cookies,
//! statuses and calling the `AuthBackend` the server provides.

pub mod client;
pub mod dto;
pub mod error;

#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod transport;

mod account;
mod admin;
mod auth;
mod sessions;

pub use account::*;
pub use admin::*;
pub use auth::*;
pub use client::{holds_access_token, set_access_token};
pub use dto::*;
pub use error::{ApiError, ErrorCode};
pub use sessions::*;
