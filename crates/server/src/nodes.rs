//! What edge nodes poll besides sending telemetry: the limits they enforce.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use edgecost_api::{ErrorBody, NodeLimits};
use sha2::{Digest, Sha256};

use crate::auth::NodeAuth;
use crate::error::AppError;
use crate::state::AppState;

/// The limits every edge node enforces: for each account with something to enforce, the
/// tier's request-rate limit, the meters closed this period (a hard cap's quota used up, or
/// the spend cap reached) and the spend cap. Accounts not listed have nothing to enforce.
/// Answers with an `ETag`; a poll with `If-None-Match` gets `304 Not Modified` while nothing
/// changed.
#[utoipa::path(
    get, path = "/v1/nodes/limits", tag = "telemetry",
    security(("node_token" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The `ETag` of the limits the node holds")),
    responses(
        (status = 200, description = "The limits, with their `ETag`", body = NodeLimits,
         headers(("ETag" = String, description = "Changes whenever the limits do"))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 401, description = "Missing or invalid node token", body = ErrorBody),
    )
)]
pub async fn limits(State(state): State<AppState>, _node: NodeAuth, headers: HeaderMap) -> Result<Response, AppError> {
    let limits = state.engine.node_limits(state.clock.now()).await?;
    let body = serde_json::to_vec(&limits).expect("limits serialize");
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let etag_value = HeaderValue::from_str(&etag).expect("a quoted hex string is a header value");
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((StatusCode::OK, [(header::ETAG, etag_value), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
        .into_response())
}
