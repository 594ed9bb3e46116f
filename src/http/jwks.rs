use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::startup::AppState;

/// The public signing keys, for services that verify access tokens offline. Cached briefly:
/// a new key is published 90 s before it signs anything.
pub async fn jwks(State(state): State<AppState>) -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        state.auth.jwks(),
    )
        .into_response()
}
