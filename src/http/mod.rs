//! HTTP wiring around the engine: the server-function backend, the one error mapping,
//! request guards, security headers, health, JWKS, the access log and the metrics endpoint.

pub mod access_log;
pub mod backend;
pub mod connections;
pub mod discovery;
pub mod error;
pub mod guards;
pub mod healthz;
pub mod jwks;
pub mod metrics_endpoint;
pub mod rate_limit;
pub mod request_meta;
pub mod security_headers;
pub mod site;
