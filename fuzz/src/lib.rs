//! Shared fixtures of the fuzz targets in `fuzz_targets/`: a fixed clock and signing keys, a
//! scratch SQLite database, the engine and the whole router built once per process, and
//! independent checks (oracles) of what the code under test accepted.

pub mod access_token;
pub mod accounts;
pub mod clock;
pub mod database;
pub mod dpop_proof;
pub mod jws;
pub mod keys;
pub mod server;
