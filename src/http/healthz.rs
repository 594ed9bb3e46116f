//! Probes for load balancers and supervisors: `/livez` (restart me if this fails), `/readyz`
//! (send me traffic only if this succeeds) and `/healthz` (the summary people read).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
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

/// The process is up and its runtime answers. Touches nothing else, so a database outage never
/// makes a supervisor restart healthy instances.
pub async fn livez() -> Response {
    Json(json!({"status": "alive"})).into_response()
}

/// 200 only when this instance can do its whole job: the database answers, a signing key is
/// loaded and the revocation list is current. 503 otherwise, naming each check's state (never
/// an error text: the body is public).
pub async fn readyz(State(db): State<Db>, State(auth): State<Arc<AuthService>>) -> Response {
    let database = db.ping().await;
    let keys = auth.can_sign();
    let revocations = auth.revocation_list().is_current();
    let body = json!({
        "status": if database && keys && revocations { "ready" } else { "not_ready" },
        "database": if database { "ok" } else { "unreachable" },
        "signing_key": if keys { "loaded" } else { "missing" },
        "revocations": if revocations { "current" } else { "stale" },
    });
    let status = if database && keys && revocations {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
