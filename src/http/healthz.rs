use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use app::api::{ApiError, ErrorCode};

use super::error::respond;
use crate::db::Db;

/// 200 when the database answers, 503 otherwise; load balancers take instances out on 503.
pub async fn healthz(State(db): State<Db>) -> Response {
    if db.ping().await {
        Json(json!({"status": "ok"})).into_response()
    } else {
        respond(ApiError::new(
            ErrorCode::DatabaseUnavailable,
            "The database is not answering.",
        ))
    }
}
