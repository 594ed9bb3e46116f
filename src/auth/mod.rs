//! The auth engine: accounts, passwords, access tokens, refresh rotation, sessions and
//! revocation. No HTTP or Leptos types here; `crate::http` adapts it to the web.

pub mod access_tokens;
pub mod binding;
pub mod clock;
pub mod device;
pub mod domain;
pub mod dpop;
pub mod error;
pub mod jwt_crypto;
pub mod key_encryption;
pub mod keys;
pub mod password_reset;
pub mod passwords;
pub mod refresh_tokens;
pub mod reset_delivery;
pub mod retention;
pub mod revocation_feed;
pub mod revocations;
pub mod settings;
pub mod throttle;

mod account_deletion;
mod accounts;
mod admin;
mod argon2_memory;
mod audit;
mod events;
mod rotation;
mod service;
mod sessions;
mod whereabouts;

pub use accounts::{AccountChange, AdminCreation};
pub use contract::EventKind;
pub use device::ClientInfo;
pub use error::AuthError;
pub use reset_delivery::{Delivered, HandToIssuer, ResetLink, ResetLinkDelivery};
pub use service::{AuthService, Issued, Principal};
pub use settings::{AuthSettings, NewNetworkPolicy, Registration};
