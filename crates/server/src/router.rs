//! The route table: every endpoint of the API, in one place.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, Uri, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::metrics::{self, Metrics};

/// The largest request body accepted. A telemetry batch of the maximum record count fits with
/// room to spare; anything larger is refused before it is buffered.
pub const BODY_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// Builds the whole API.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .with_state(metrics.clone())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(TraceLayer::new_for_http())
}

async fn healthz() -> &'static str {
    "ok"
}

async fn render_metrics(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        metrics.render(),
    )
}

async fn unknown_route(method: Method, uri: Uri) -> AppError {
    AppError::UnknownRoute { method: method.to_string(), path: uri.path().to_owned() }
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}
