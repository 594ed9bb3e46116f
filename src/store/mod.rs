//! SQL, written once for both engines through sqlx's `Any` driver (`$n` placeholders work on
//! SQLite and PostgreSQL alike). Functions take any executor so callers choose pool or transaction.

pub mod events;
pub mod keys;
pub mod refresh_tokens;
pub mod sessions;
pub mod users;
