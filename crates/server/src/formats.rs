//! Usage in the formats edge tooling already speaks: CloudEvents (`POST /v1/events`) here, and
//! OpenTelemetry metrics over OTLP/HTTP (`POST /v1/metrics`) in [`crate::otlp`]. Both
//! authenticate with a node token; what counts as usage is the engine's
//! (`edgecost_engine::events`, `::otlp`). The body handling they share (media type, gzip,
//! the ingest counters) is here.

use std::io::Read;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use edgecost_api::{ErrorBody, EventRefusal, EventsReceipt};
use edgecost_engine::{PointsIngested, Refusal, events};
use serde_json::Value;

use crate::auth::NodeAuth;
use crate::error::AppError;
use crate::metrics::IngestOutcome;
use crate::state::AppState;

/// The most bytes a gzip body may inflate to: a compressed body gets no more room than the
/// limit an uncompressed one has.
const INFLATED_BYTES_MAX: usize = crate::limits::BODY_LIMIT_BYTES;
pub(crate) const JSON: &str = "application/json";

/// Usage as CloudEvents 1.0 (type `edgecost.usage`, `subject` the account, `data` the usage;
/// see `docs/telemetry.md`): structured mode (`application/cloudevents+json`), batched mode
/// (`application/cloudevents-batch+json`) or binary mode (`ce-*` headers with a JSON body).
/// Each event is counted once per (`source`, `id`).
#[utoipa::path(
    post, path = "/v1/events", tag = "telemetry",
    request_body(content = Value, description = "A JSON array of CloudEvents (or one, as `application/cloudevents+json`, or binary mode: `ce-*` headers and `application/json` data)", content_type = "application/cloudevents-batch+json"),
    security(("node_token" = [])),
    responses(
        (status = 200, description = "Counted, each event once", body = EventsReceipt),
        (status = 400, description = "Malformed JSON (`malformed_json`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid node token", body = ErrorBody),
        (status = 413, description = "The body is larger than the limit (`body_too_large`) or holds too many events (`batch_too_large`)", body = ErrorBody),
        (status = 415, description = "Another content type (`unsupported_content_type`)", body = ErrorBody),
        (status = 422, description = "A batch that is not an array, or an event that is not an object (`invalid_body`)", body = ErrorBody),
        (status = 503, description = "Contention: retry (`contention`)", body = ErrorBody),
    )
)]
pub async fn cloud_events(
    State(state): State<AppState>,
    node: NodeAuth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EventsReceipt>, AppError> {
    let body = inflate(&headers, body?)?;
    let parse = |bytes: &[u8]| -> Result<Value, AppError> {
        serde_json::from_slice(bytes).map_err(|e| AppError::MalformedJson { detail: e.to_string() })
    };
    let events: Vec<Value> = match media_type(&headers).as_deref() {
        Some("application/cloudevents+json") => vec![parse(&body)?],
        Some("application/cloudevents-batch+json") => match parse(&body)? {
            Value::Array(events) => events,
            _ => return Err(AppError::InvalidBody { detail: "a batch of CloudEvents is a JSON array".into() }),
        },
        Some(JSON) if headers.contains_key("ce-specversion") => vec![binary_event(&headers, parse(&body)?)],
        other => {
            return Err(AppError::UnsupportedContentType {
                got: other.unwrap_or("none").to_owned(),
                expected: "application/cloudevents+json, application/cloudevents-batch+json, or application/json with ce-* headers",
            });
        }
    };
    if let Some(i) = events.iter().position(|e| !e.is_object()) {
        return Err(AppError::InvalidBody { detail: format!("event {i} is not a JSON object; a CloudEvent is one") });
    }
    let (usage, mut refused) = events::usage_events(&events);
    let ingested = state.engine.ingest_events(&node.node, &usage, state.clock.now()).await.inspect_err(|_| {
        state.metrics.record_ingest(IngestOutcome::Rejected);
    })?;
    record(&state, &ingested);
    refused.extend(ingested.refused);
    refused.sort_by_key(|r| r.index);
    Ok(Json(EventsReceipt {
        accepted: ingested.counted as u32,
        duplicates: ingested.duplicates as u32,
        rejected: refused.into_iter().map(event_refusal).collect(),
        accounts: ingested.accounts,
    }))
}

fn event_refusal(r: Refusal) -> EventRefusal {
    EventRefusal { index: r.index as u32, code: r.code.to_owned(), message: r.message }
}

/// A binary-mode event: its attributes from the `ce-*` headers, its data the body.
fn binary_event(headers: &HeaderMap, data: Value) -> Value {
    let mut event = serde_json::Map::new();
    for (name, value) in headers {
        if let (Some(attribute), Ok(value)) = (name.as_str().strip_prefix("ce-"), value.to_str()) {
            event.insert(attribute.to_owned(), Value::String(percent_decoded(value)));
        }
    }
    event.insert("data".into(), data);
    Value::Object(event)
}

/// A `ce-*` header value: the binding percent-encodes what HTTP headers cannot carry.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn record(state: &AppState, ingested: &PointsIngested) {
    let outcome = if ingested.counted == 0 && ingested.duplicates > 0 {
        IngestOutcome::Replayed
    } else {
        IngestOutcome::Stored { records: ingested.counted as u64 }
    };
    state.metrics.record_ingest(outcome);
}

/// The media type of the body, lower case, without parameters.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// The body as sent, or inflated when it is gzip-compressed.
pub(crate) fn inflate(headers: &HeaderMap, body: Bytes) -> Result<Bytes, AppError> {
    let encoding = headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("identity") | Some("") => Ok(body),
        Some(kind @ ("gzip" | "deflate")) => {
            let mut out = Vec::new();
            let reader: Box<dyn Read> = if kind == "gzip" {
                Box::new(flate2::read::GzDecoder::new(&body[..]))
            } else {
                Box::new(flate2::read::ZlibDecoder::new(&body[..]))
            };
            let read = reader
                .take(INFLATED_BYTES_MAX as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| AppError::MalformedBody { detail: format!("the {kind} body does not inflate: {e}") })?;
            if read > INFLATED_BYTES_MAX {
                return Err(AppError::BodyTooLarge { limit_bytes: INFLATED_BYTES_MAX });
            }
            Ok(Bytes::from(out))
        }
        Some(other) => Err(AppError::UnsupportedContentEncoding { got: other.to_owned() }),
    }
}
