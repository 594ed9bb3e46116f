//! Integration tests: the engine and the HTTP contract through the real router, on SQLite and
//! PostgreSQL.

mod support;

mod admin;
mod auth_flow;
mod csrf;
mod engine;
mod foundation;
mod keys_and_cli;
mod rotation;
mod security_headers;
mod sessions;
mod tokens;
