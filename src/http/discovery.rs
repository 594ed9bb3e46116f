//! RFC 8414 authorization-server metadata, so other services find the issuer and its keys
//! without reading our README.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::auth::access_tokens::TOKEN_TYPE;
use crate::config::Config;

pub const PATH: &str = "/.well-known/oauth-authorization-server";

/// latchkey signs people in itself, so there is no authorization endpoint and no OAuth grant
/// to advertise: `response_types_supported` is empty on purpose. What a resource server needs
/// is the issuer, the keys and the token format; the last two fields are latchkey's own
/// additions (RFC 8414 §2 allows them).
pub async fn metadata(State(config): State<Arc<Config>>) -> Response {
    let issuer = &config.public_origin;
    let body = serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": [],
        "grant_types_supported": [],
        "dpop_signing_alg_values_supported": ["ES256"],
        "access_token_signing_alg_values_supported": ["EdDSA"],
        "access_token_type": TOKEN_TYPE,
    });
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body.to_string(),
    )
        .into_response()
}
