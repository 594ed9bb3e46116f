//! latchkey: a self-hosted login and session service.
//!
//! `auth` is the engine (no HTTP), `store` its SQL, `db` the pool and migrations, `http` the
//! axum wiring around the Leptos app, `startup` puts them together into a router that tests
//! can drive directly, `config` reads the environment.

pub mod auth;
pub mod config;
pub mod db;
pub mod http;
pub mod memory;
pub mod startup;
pub mod store;
pub mod telemetry;
