use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use app::api::{ApiError, ErrorCode};

use super::error::respond;
use crate::auth::AuthService;
use crate::db::Db;

/// 200 when the database answers, 503 otherwise; load balancers take instances out on 503.
/// A stale revocation list keeps the instance in service (bearer checks then ask the database,
/// so it stays correct, only slower) and is reported as `degraded`.
pub async fn healthz(State(db): State<Db>, State(auth): State<Arc<AuthService>>) -> Response {
    if !db.ping().await {
        return respond(ApiError::new(
            ErrorCode::DatabaseUnavailable,
            "The database is not answering.",
        ));
    }
    if auth.revocation_list().is_current() {
        Json(json!({"status": "ok", "revocations": "current"})).into_response()
    } else {
        Json(json!({
            "status": "degraded",
            "revocations": "checking the database per request while the revocation feed reconnects",
        }))
        .into_response()
    }
}
