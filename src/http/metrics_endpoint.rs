//! `GET /metrics` in Prometheus' text format, on the metrics listener only
//! (`LATCHKEY_METRICS_ADDR`). The public router has no such route: failure counts and load are
//! for the operator, not for whoever can reach the login page.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::header::CONTENT_TYPE;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::db::Db;
use crate::telemetry::metrics;

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    db: Db,
}

/// Only `/metrics`; every other path is 404.
pub fn router(handle: PrometheusHandle, db: Db) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { handle, db })
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    let pool = &scrape.db.pool;
    metrics::db_pool(
        pool.size(),
        pool.num_idle(),
        pool.options().get_max_connections(),
    );
    scrape.handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        scrape.handle.render(),
    )
        .into_response()
}
