//! The route table: every endpoint of the API, in one place.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, post};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::AppError;
use crate::handlers;
use crate::metrics;
use crate::state::AppState;

/// The largest request body accepted. A telemetry batch of the maximum record count with
/// the longest routes and ids (10,000 records of at most about 600 bytes) fits; anything
/// larger is refused before it is buffered.
pub const BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// Builds the whole API over `state`.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        // Edge nodes (node token).
        .route("/v1/telemetry", post(handlers::ingest))
        // The account of the token (account token).
        .route("/v1/account", get(handlers::account))
        .route("/v1/account/bill", get(handlers::bill))
        .route("/v1/account/outlook", get(handlers::outlook))
        .route("/v1/account/upgrade-quote", get(handlers::upgrade_quote))
        .route("/v1/account/credits/quote", get(handlers::credits_quote))
        .route("/v1/account/route-costs", get(handlers::route_costs))
        .route("/v1/account/usage", get(handlers::usage))
        .route("/v1/account/usage/log", get(handlers::usage_log))
        .route("/v1/account/tier", post(handlers::change_tier))
        .route("/v1/account/credits", get(handlers::credits).post(handlers::buy_credits))
        .route("/v1/account/notices", get(handlers::notices))
        // Public.
        .route("/v1/price-book", get(handlers::price_book))
        .route("/healthz", get(handlers::healthz))
        .route("/metrics", get(handlers::metrics))
        .route("/openapi.json", get(handlers::openapi))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        // One span and one line per request at INFO. Headers are left out so tokens never
        // reach the log.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO).include_headers(false))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn unknown_route(method: Method, uri: Uri) -> AppError {
    AppError::UnknownRoute { method: method.to_string(), path: uri.path().to_owned() }
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}
