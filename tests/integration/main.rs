//! Integration tests: the engine and the HTTP contract through the real router, on SQLite and
//! PostgreSQL.

mod process;
mod support;
mod throwaway_postgres;

mod account_deletion;
mod admin;
mod admin_bootstrap;
mod auth_flow;
mod crash_recovery;
mod csrf;
mod database_loss;
mod device_binding;
mod engine;
mod foundation;
mod grace_replay;
mod hostile_input;
mod keys_and_cli;
mod keys_at_rest;
mod migrations;
mod multi_instance;
mod password_races;
mod password_reset;
mod password_rules;
mod revocation_feed;
mod revocation_races;
mod rotation;
mod security_headers;
mod sessions;
mod slow_clients;
mod throttling;
mod token_lifetime;
mod tokens;
