use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use std::sync::Arc;

use crate::auth::AuthService;

/// The public signing keys, for services that verify access tokens offline. Cached briefly:
/// a new key is published 90 s before it signs anything.
pub async fn jwks(State(auth): State<Arc<AuthService>>) -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        auth.jwks(),
    )
        .into_response()
}
