//! The route table: every endpoint of the API, in one place.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};

use crate::admin;
use crate::controls;
use tower_http::trace::{DefaultMakeSpan, DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::AppError;
use crate::formats;
use crate::handlers;
use crate::limits::{BODY_LIMIT_BYTES, HEAD_BYTES_MAX, URI_BYTES_MAX};
use crate::metrics;
use crate::nodes;
use crate::state::AppState;
use crate::webhooks;

/// Builds the whole API over `state`.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    let api = Router::new()
        // Edge nodes (node token).
        .route("/v1/telemetry", post(handlers::ingest))
        .route("/v1/events", post(formats::cloud_events))
        .route("/v1/nodes/limits", get(nodes::limits))
        // The account of the token (account token).
        .route("/v1/account", get(handlers::account))
        .route("/v1/account/bill", get(handlers::bill))
        .route("/v1/account/outlook", get(handlers::outlook))
        .route("/v1/account/upgrade-quote", get(handlers::upgrade_quote))
        .route("/v1/account/credits/quote", get(handlers::credits_quote))
        .route("/v1/account/route-costs", get(handlers::route_costs))
        .route("/v1/account/usage", get(handlers::usage))
        .route("/v1/account/usage/log", get(handlers::usage_log))
        .route("/v1/account/invoices", get(handlers::invoices))
        .route("/v1/account/invoices/{id}", get(handlers::invoice))
        .route("/v1/account/tier", post(handlers::change_tier))
        .route("/v1/account/credits", get(handlers::credits).post(handlers::buy_credits))
        .route("/v1/account/notices", get(handlers::notices))
        .route("/v1/account/budget", get(controls::budget).put(controls::set_budget))
        .route("/v1/account/auto-top-up", get(controls::auto_top_up).put(controls::set_auto_top_up))
        .route("/v1/account/webhooks", get(webhooks::get_webhook).put(webhooks::put_webhook).delete(webhooks::delete_webhook))
        // The service's operator (operator token).
        .route("/v1/admin/report", get(admin::report))
        .route("/v1/admin/what-if", post(admin::what_if))
        .route("/v1/admin/accounts/{account_id}/invoices/{invoice_id}/payments", post(admin::record_payment))
        // Public.
        .route("/v1/price-book", get(handlers::price_book))
        .route("/healthz", get(handlers::healthz));
    // OTLP needs the protobuf definitions of OpenTelemetry, and the OpenAPI document is for
    // integrators of the published server: the desktop app's in-process demo server goes
    // without both.
    #[cfg(feature = "otlp")]
    let api = api.route("/v1/metrics", post(crate::otlp::otlp_metrics));
    #[cfg(feature = "openapi")]
    let api = api.route("/openapi.json", get(crate::openapi::openapi));
    api.fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(refuse_oversized_head))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        // One span and one line per request at INFO. Headers are left out so tokens never
        // reach the log. A failed request's error is logged once, where it is answered, at the
        // level its kind deserves (see `AppError`): the trace's own failure line is DEBUG.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO).include_headers(false))
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
}

/// Prometheus metrics over the same `state` as [`router`]: `GET /metrics` only. Serve it on
/// its own (operator-only) address: the counters are platform-wide.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(handlers::metrics))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(refuse_oversized_head))
}

/// Refuses a request whose target or headers pass the API's bounds, in the error shape.
async fn refuse_oversized_head(request: Request, next: Next) -> Result<Response, AppError> {
    let uri_bytes = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_bytes > URI_BYTES_MAX {
        return Err(AppError::UriTooLong { limit_bytes: URI_BYTES_MAX });
    }
    let head_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if head_bytes > HEAD_BYTES_MAX {
        return Err(AppError::HeadersTooLarge { limit_bytes: HEAD_BYTES_MAX });
    }
    Ok(next.run(request).await)
}

async fn unknown_route(method: Method, uri: Uri) -> AppError {
    AppError::UnknownRoute { method: method.to_string(), path: uri.path().to_owned() }
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}
