//! SQL, written once for both engines through sqlx's `Any` driver (`$n` placeholders work on
//! SQLite and PostgreSQL alike). Functions take any executor so callers choose pool or transaction.

pub mod account_deletions;
mod decode;
pub mod dpop_proofs;
pub mod events;
pub mod ids;
pub mod keys;
pub mod refresh_tokens;
pub mod reset_links;
pub mod revocation_notices;
pub mod session_addresses;
pub mod sessions;
pub mod users;

pub use ids::{EventId, SessionId, TokenId, UserId};
