//! OpenTelemetry metrics over OTLP/HTTP (`POST /v1/metrics`), with a node token; what counts
//! as usage is the engine's (`edgecost_engine::otlp`). Behind the `otlp` feature: the desktop
//! app's in-process demo server goes without the protobuf definitions.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use edgecost_engine::otlp::{self, OtlpEncoding};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};
use prost::Message;

use crate::auth::NodeAuth;
use crate::error::AppError;
use crate::formats::{JSON, inflate, media_type, record};
use crate::metrics::IngestOutcome;
use crate::state::AppState;

const PROTOBUF: &str = "application/x-protobuf";

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
    let ingested = state.engine.ingest_otlp(&node.node, request, state.otlp_mapping(), state.clock.now()).await?;
    record(state, &ingested);
    let refused = ingested.refused;
    let partial_success = (!refused.is_empty())
        .then(|| ExportMetricsPartialSuccess { rejected_data_points: refused.len() as i64, error_message: otlp::summary(&refused) });
    Ok(ExportMetricsServiceResponse { partial_success })
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
