//! Usage in the formats edge tooling already speaks: OpenTelemetry metrics over OTLP/HTTP
//! (`POST /v1/metrics`) and CloudEvents (`POST /v1/events`). Both authenticate with a node
//! token; what counts as usage is the engine's (`edgecost_engine::otlp`, `::events`).

use std::io::Read;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use edgecost_api::{ErrorBody, EventRefusal, EventsReceipt};
use edgecost_engine::otlp::{self, OtlpEncoding};
use edgecost_engine::{PointsIngested, Refusal, events};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};
use prost::Message;
use serde_json::Value;

use crate::auth::NodeAuth;
use crate::error::AppError;
use crate::metrics::IngestOutcome;
use crate::state::AppState;

/// The most bytes a gzip body may inflate to: a compressed body gets no more room than the
/// limit an uncompressed one has.
const INFLATED_BYTES_MAX: usize = crate::limits::BODY_LIMIT_BYTES;
const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// OpenTelemetry metrics from an edge node (OTLP/HTTP, as the Collector's `otlphttp` exporter
/// and the SDKs send them): `ExportMetricsServiceRequest` in protobuf or JSON, optionally
/// gzip- or deflate-compressed. The answer is `ExportMetricsServiceResponse` in the request's
/// encoding; points that are not counted are reported as its partial success, with why. A
/// failure answers a `google.rpc.Status` whose `ErrorInfo` detail carries the stable code.
/// `docs/telemetry.md` gives the mapping of metrics to usage.
#[utoipa::path(
    post, path = "/v1/metrics", tag = "telemetry",
    request_body(content = Vec<u8>, description = "An OTLP `ExportMetricsServiceRequest` (or the same as OTLP/JSON with `Content-Type: application/json`)", content_type = "application/x-protobuf"),
    security(("node_token" = [])),
    responses(
        (status = 200, description = "Counted, each point once; refused points in `partialSuccess` (`ExportMetricsServiceResponse` in the request's encoding)", content_type = "application/x-protobuf"),
        (status = 400, description = "Not an OTLP metrics request (`malformed_body`): a `google.rpc.Status`"),
        (status = 401, description = "Missing or invalid node token: a `google.rpc.Status`"),
        (status = 413, description = "The body, once inflated, is larger than the limit (`body_too_large`)"),
        (status = 415, description = "Another content type or encoding (`unsupported_content_type`, `unsupported_content_encoding`)"),
        (status = 503, description = "Contention: retry (`contention`)"),
    )
)]
pub async fn otlp_metrics(
    State(state): State<AppState>,
    node: Result<NodeAuth, AppError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let encoding = match media_type(&headers).as_deref() {
        Some(PROTOBUF) => OtlpEncoding::Protobuf,
        Some(JSON) => OtlpEncoding::Json,
        other => {
            let got = other.unwrap_or("none").to_owned();
            let e = AppError::UnsupportedContentType { got, expected: "application/x-protobuf or application/json" };
            return status_response(OtlpEncoding::Protobuf, &e);
        }
    };
    match export(&state, node, &headers, body, encoding).await {
        Ok(response) => {
            let body = match encoding {
                OtlpEncoding::Protobuf => response.encode_to_vec(),
                OtlpEncoding::Json => serde_json::to_vec(&response).expect("a response serializes"),
            };
            ([(CONTENT_TYPE, content_type(encoding))], body).into_response()
        }
        Err(e) => {
            state.metrics.record_ingest(IngestOutcome::Rejected);
            status_response(encoding, &e)
        }
    }
}

async fn export(
    state: &AppState,
    node: Result<NodeAuth, AppError>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    encoding: OtlpEncoding,
) -> Result<ExportMetricsServiceResponse, AppError> {
    let node = node?;
    let body = inflate(headers, body?)?;
    let request = otlp::decode(&body, encoding).map_err(|detail| AppError::MalformedBody { detail })?;
    let (points, mut refused, _) = otlp::points(&request, state.otlp_mapping());
    let ingested = state.engine.ingest_points(&node.node, &points, state.clock.now()).await?;
    record(state, &ingested);
    refused.extend(ingested.refused);
    refused.sort_by_key(|r| r.index);
    let partial_success = (!refused.is_empty())
        .then(|| ExportMetricsPartialSuccess { rejected_data_points: refused.len() as i64, error_message: otlp::summary(&refused) });
    Ok(ExportMetricsServiceResponse { partial_success })
}

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

fn record(state: &AppState, ingested: &PointsIngested) {
    let outcome = if ingested.counted == 0 && ingested.duplicates > 0 {
        IngestOutcome::Replayed
    } else {
        IngestOutcome::Stored { records: ingested.counted as u64 }
    };
    state.metrics.record_ingest(outcome);
}

/// The media type of the body, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// The body as sent, or inflated when it is gzip-compressed.
fn inflate(headers: &HeaderMap, body: Bytes) -> Result<Bytes, AppError> {
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

fn content_type(encoding: OtlpEncoding) -> &'static str {
    match encoding {
        OtlpEncoding::Protobuf => PROTOBUF,
        OtlpEncoding::Json => JSON,
    }
}

/// `google.rpc.Status`, as OTLP/HTTP answers failures.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    #[serde(serialize_with = "error_info_json")]
    details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `google.rpc.ErrorInfo`: `reason` is the stable error code.
#[derive(Clone, PartialEq, prost::Message)]
struct ErrorInfo {
    #[prost(string, tag = "1")]
    reason: String,
    #[prost(string, tag = "2")]
    domain: String,
}

const ERROR_INFO_TYPE: &str = "type.googleapis.com/google.rpc.ErrorInfo";
const ERROR_DOMAIN: &str = "edgecost";

/// The JSON form of the details: each `Any` with its `@type` and the message's fields.
fn error_info_json<S: serde::Serializer>(details: &[Any], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(details.len()))?;
    for d in details {
        let info = ErrorInfo::decode(&d.value[..]).unwrap_or_default();
        seq.serialize_element(&serde_json::json!({ "@type": d.type_url, "reason": info.reason, "domain": info.domain }))?;
    }
    seq.end()
}

fn status_response(encoding: OtlpEncoding, e: &AppError) -> Response {
    let status = e.status();
    if status.is_server_error() {
        tracing::error!(code = e.code(), error = %e, "OTLP export failed");
    }
    let body = e.body();
    let info = ErrorInfo { reason: body.code.clone(), domain: ERROR_DOMAIN.into() };
    let rpc = Status {
        code: grpc_code(status),
        message: format!("{}: {}", body.code, body.message),
        details: vec![Any { type_url: ERROR_INFO_TYPE.into(), value: info.encode_to_vec() }],
    };
    let bytes = match encoding {
        OtlpEncoding::Protobuf => rpc.encode_to_vec(),
        OtlpEncoding::Json => serde_json::to_vec(&rpc).expect("a status serializes"),
    };
    (status, [(CONTENT_TYPE, content_type(encoding))], bytes).into_response()
}

/// The gRPC code closest to an HTTP status (as gRPC's own HTTP mapping pairs them).
fn grpc_code(status: StatusCode) -> i32 {
    match status.as_u16() {
        400 | 413 | 415 | 422 => 3, // INVALID_ARGUMENT
        401 => 16,                  // UNAUTHENTICATED
        403 => 7,                   // PERMISSION_DENIED
        404 => 5,                   // NOT_FOUND
        409 => 6,                   // ALREADY_EXISTS
        429 => 8,                   // RESOURCE_EXHAUSTED
        503 => 14,                  // UNAVAILABLE
        _ => 13,                    // INTERNAL
    }
}
