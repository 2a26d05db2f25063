//! The one error type of the HTTP API and its JSON shape.
//!
//! Every failure a client can see, from a rejected JSON body to an unknown route, leaves the
//! server as `{"code": "...", "message": "..."}` with a fitting 4xx/5xx status. Codes are
//! stable and machine-readable, so clients never match on message text. Internal failures are
//! logged with their cause and shown to clients only as `internal`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use edgecost_api::ErrorBody;
use edgecost_engine::EngineError;
use edgecost_pricing::PriceBookError;

use crate::limits::{BODY_LIMIT_BYTES, BodyReadTimeout};

/// Everything that can go wrong while answering a request or starting the server.
///
/// Each variant's doc gives its `code` and HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// `missing_token`, 401: no `Authorization: Bearer` header on an endpoint that needs one.
    #[error("this endpoint needs an `Authorization: Bearer <token>` header")]
    MissingToken,
    /// `invalid_token`, 401: the token is malformed, unknown, or of the wrong kind for the
    /// endpoint (an account token on `/v1/telemetry`, say).
    #[error("the bearer token is not valid")]
    InvalidToken,
    /// `unknown_route`, 404: no endpoint has this path.
    #[error("no such route: {method} {path}")]
    UnknownRoute {
        /// The request's method.
        method: String,
        /// The request's path, without the query.
        path: String,
    },
    /// `method_not_allowed`, 405: the path exists, but not with this method.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path, without the query.
        path: String,
    },
    /// `malformed_json`, 400: the body is not JSON at all.
    #[error("the request body is not valid JSON: {detail}")]
    MalformedJson {
        /// The parser's account of what is wrong, with its position.
        detail: String,
    },
    /// `invalid_body`, 422: the body is JSON but not the request's shape (a missing or
    /// unknown field, a value of the wrong type).
    #[error("the request body does not have the expected fields: {detail}")]
    InvalidBody {
        /// Which field is wrong and how.
        detail: String,
    },
    /// `not_json`, 415: a JSON endpoint got no `Content-Type: application/json`.
    #[error("the request body must be JSON (`Content-Type: application/json`)")]
    NotJson,
    /// `unsupported_content_type`, 415: an endpoint that takes several formats (OTLP,
    /// CloudEvents) got none of them.
    #[error("`Content-Type: {got}` is not accepted here; send {expected}")]
    UnsupportedContentType {
        /// The `Content-Type` sent.
        got: String,
        /// The types the endpoint takes, for the message.
        expected: &'static str,
    },
    /// `unsupported_content_encoding`, 415: a `Content-Encoding` other than gzip, deflate or
    /// identity.
    #[error("`Content-Encoding: {got}` is not accepted; send the body as is, gzip- or deflate-compressed")]
    UnsupportedContentEncoding {
        /// The `Content-Encoding` sent.
        got: String,
    },
    /// `malformed_body`, 400: the body could not be read or decoded (a broken compressed
    /// stream, a protobuf that does not decode).
    #[error("the request body could not be read: {detail}")]
    MalformedBody {
        /// What failed.
        detail: String,
    },
    /// `body_too_large`, 413: the body, once inflated, passes [`crate::BODY_LIMIT_BYTES`].
    #[error("the request body is larger than {limit_bytes} bytes")]
    BodyTooLarge {
        /// The bound passed, in bytes.
        limit_bytes: usize,
    },
    /// `body_read_timeout`, 408: the client took too long to send the body; the connection
    /// is closed.
    #[error("the request body did not arrive within {timeout_ms} ms")]
    BodyReadTimeout {
        /// The time the body was given, in milliseconds.
        timeout_ms: u128,
    },
    /// `uri_too_long`, 414: the path and query pass [`crate::URI_BYTES_MAX`] (or the
    /// connection's head buffer, before any handler runs).
    #[error("the request target is longer than {limit_bytes} bytes")]
    UriTooLong {
        /// The bound passed, in bytes.
        limit_bytes: usize,
    },
    /// `headers_too_large`, 431: the header names and values together pass
    /// [`crate::HEAD_BYTES_MAX`] (or the connection's head buffer).
    #[error("the request headers are larger than {limit_bytes} bytes")]
    HeadersTooLarge {
        /// The bound passed, in bytes.
        limit_bytes: usize,
    },
    /// `malformed_request`, 400: the connection sent something that is not an HTTP/1.1
    /// request; answered before any handler runs.
    #[error(
        "the request is not valid HTTP/1.1 (a bad request line or version, a header line without a colon, or a missing, doubled or invalid Content-Length)"
    )]
    MalformedRequest,
    /// `invalid_query`, 400: the query string does not parse into the endpoint's parameters.
    #[error("bad query string: {detail}")]
    InvalidQuery {
        /// Which parameter is wrong and how.
        detail: String,
    },
    /// `query_out_of_range`, 400: a numeric query parameter is outside its bounds.
    #[error("query parameter `{name}` must be {min} to {max}")]
    QueryOutOfRange {
        /// The parameter (`limit`).
        name: &'static str,
        /// Its least accepted value.
        min: u64,
        /// Its greatest accepted value.
        max: u64,
    },
    /// `missing_idempotency_key`, 400: a changing request without an `Idempotency-Key`
    /// header.
    #[error("this request needs an `Idempotency-Key` header (1 to {max_len} visible ASCII characters)")]
    MissingIdempotencyKey {
        /// The longest key accepted, in characters ([`crate::MAX_IDEMPOTENCY_KEY_CHARS`]).
        max_len: usize,
    },
    /// A price book in the request that does not parse or breaks a rule of the format: 422
    /// with the book's own code, and the line and column when the parser could place it.
    #[error(transparent)]
    PriceBook(PriceBookError),
    /// The engine refused or failed; its own code goes to the client, with a 4xx status for
    /// the caller's mistakes, 503 (`contention`) for a passing failure worth retrying, and
    /// 500 otherwise.
    #[error(transparent)]
    Engine(EngineError),
    /// `bind_failed`: the server could not listen on its address. Only [`crate::spawn`] and
    /// [`crate::RunningServer::start`] return it; no client sees it.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// `internal`, 500: a failure of the server itself. The detail goes to the log only.
    #[error("the server could not answer: {detail}")]
    Internal {
        /// What failed, for the log.
        detail: String,
    },
}

impl AppError {
    /// The stable machine-readable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::MissingToken => "missing_token",
            AppError::InvalidToken => "invalid_token",
            AppError::UnknownRoute { .. } => "unknown_route",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::MalformedJson { .. } => "malformed_json",
            AppError::InvalidBody { .. } => "invalid_body",
            AppError::NotJson => "not_json",
            AppError::UnsupportedContentType { .. } => "unsupported_content_type",
            AppError::UnsupportedContentEncoding { .. } => "unsupported_content_encoding",
            AppError::MalformedBody { .. } => "malformed_body",
            AppError::BodyTooLarge { .. } => "body_too_large",
            AppError::BodyReadTimeout { .. } => "body_read_timeout",
            AppError::UriTooLong { .. } => "uri_too_long",
            AppError::HeadersTooLarge { .. } => "headers_too_large",
            AppError::MalformedRequest => "malformed_request",
            AppError::InvalidQuery { .. } => "invalid_query",
            AppError::QueryOutOfRange { .. } => "query_out_of_range",
            AppError::MissingIdempotencyKey { .. } => "missing_idempotency_key",
            AppError::PriceBook(e) => e.code(),
            AppError::Engine(e) => e.code(),
            AppError::Bind { .. } => "bind_failed",
            AppError::Internal { .. } => "internal",
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MissingToken | AppError::InvalidToken => StatusCode::UNAUTHORIZED,
            AppError::UnknownRoute { .. } => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::MalformedJson { .. }
            | AppError::MalformedBody { .. }
            | AppError::MalformedRequest
            | AppError::InvalidQuery { .. }
            | AppError::QueryOutOfRange { .. }
            | AppError::MissingIdempotencyKey { .. } => StatusCode::BAD_REQUEST,
            AppError::BodyReadTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            AppError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            AppError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AppError::InvalidBody { .. } | AppError::PriceBook(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotJson | AppError::UnsupportedContentType { .. } | AppError::UnsupportedContentEncoding { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            AppError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Engine(e) => engine_status(e),
            AppError::Bind { .. } | AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body sent to clients. Server-side failures keep their detail in the log.
    pub fn body(&self) -> ErrorBody {
        // Only a 500 hides its detail: 503 (contention) says "retry", which clients need.
        let message = if self.status() == StatusCode::INTERNAL_SERVER_ERROR {
            "the server could not answer; the failure was logged".to_owned()
        } else {
            self.to_string()
        };
        let mut body = ErrorBody::new(self.code(), message);
        if let AppError::PriceBook(PriceBookError::Malformed { line, column, .. }) = self {
            body.line = u32::try_from(*line).ok();
            body.column = u32::try_from(*column).ok();
        }
        body
    }
}

impl AppError {
    /// How loudly an answered error is logged (once, here; the request's trace line logs
    /// failures only at DEBUG). ERROR is for what someone must look at: a server fault. A
    /// 503 is expected and the client is told to retry (a race another writer won, or the
    /// database failing over): WARN. A refused request is the client's: DEBUG.
    fn log_level(&self) -> tracing::Level {
        match self {
            AppError::Engine(EngineError::Unavailable(_) | EngineError::Contention) => tracing::Level::WARN,
            _ if self.status().is_server_error() => tracing::Level::ERROR,
            _ => tracing::Level::DEBUG,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match (self.log_level(), &self) {
            (tracing::Level::WARN, AppError::Engine(EngineError::Unavailable(cause))) => {
                tracing::warn!(code = self.code(), error = %self, %cause, "request failed");
            }
            (tracing::Level::WARN, _) => tracing::warn!(code = self.code(), error = %self, "request failed"),
            (tracing::Level::ERROR, _) => tracing::error!(code = self.code(), error = %self, "request failed"),
            _ => tracing::debug!(code = self.code(), error = %self, "request refused"),
        }
        if matches!(self, AppError::BodyReadTimeout { .. }) {
            // The rest of the body may still come; the connection cannot be reused.
            return (status, [(axum::http::header::CONNECTION, "close")], Json(self.body())).into_response();
        }
        (status, Json(self.body())).into_response()
    }
}

/// The status of an engine error: the caller's mistakes are 4xx, the rest 5xx.
fn engine_status(e: &EngineError) -> StatusCode {
    use EngineError as E;
    match e {
        E::Unauthenticated => StatusCode::UNAUTHORIZED,
        E::NotFound | E::InvoiceNotFound { .. } => StatusCode::NOT_FOUND,
        // A payment the invoice's state refuses.
        E::NothingDue { .. } | E::PaymentExceedsDue { .. } | E::PaymentReferenceReused { .. } => StatusCode::CONFLICT,
        E::InvalidIdempotencyKey | E::InvalidCursor => StatusCode::BAD_REQUEST,
        // The request is well formed but the account's state forbids it, or it repeats a
        // key or batch id with a different body.
        E::TierUnchanged { .. } | E::CreditsHeld { .. } | E::BatchIdReused { .. } | E::IdempotencyKeyReused { .. } => StatusCode::CONFLICT,
        E::BatchTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        // Both are passing: a writer on the same rows, or a database failing over.
        E::Contention | E::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        E::Webhook(w) if w.is_not_found() => StatusCode::NOT_FOUND,
        e if e.is_client_error() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        match e {
            // One code for every refused token, whichever layer refused it.
            EngineError::Unauthenticated => AppError::InvalidToken,
            e => AppError::Engine(e),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        if let Some(late) = body_read_timeout(&rejection) {
            return AppError::BodyReadTimeout { timeout_ms: late.timeout.as_millis() };
        }
        match rejection {
            JsonRejection::JsonDataError(e) => AppError::InvalidBody { detail: e.body_text() },
            JsonRejection::JsonSyntaxError(e) => AppError::MalformedJson { detail: e.body_text() },
            JsonRejection::MissingJsonContentType(_) => AppError::NotJson,
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::BodyTooLarge { limit_bytes: BODY_LIMIT_BYTES }
            }
            other => AppError::MalformedJson { detail: other.body_text() },
        }
    }
}

impl From<BytesRejection> for AppError {
    fn from(rejection: BytesRejection) -> Self {
        if let Some(late) = body_read_timeout(&rejection) {
            return AppError::BodyReadTimeout { timeout_ms: late.timeout.as_millis() };
        }
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::BodyTooLarge { limit_bytes: BODY_LIMIT_BYTES };
        }
        AppError::MalformedBody { detail: rejection.body_text() }
    }
}

/// The [`BodyReadTimeout`] behind a rejected body, if the body came too late.
fn body_read_timeout<'a>(rejection: &'a (dyn std::error::Error + 'static)) -> Option<&'a BodyReadTimeout> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    // A rejection wraps its cause a few levels deep; the bound keeps the walk finite.
    for _ in 0..8 {
        let error = cause?;
        if let Some(late) = error.downcast_ref::<BodyReadTimeout>() {
            return Some(late);
        }
        cause = error.source();
    }
    None
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::InvalidQuery { detail: rejection.body_text() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_failures_keep_their_detail_out_of_the_answer() {
        let e = AppError::Internal { detail: "disk full at /var/lib/edgecost/edgecost.db".to_owned() };
        let body = e.body();
        assert_eq!((e.status(), body.code.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
        assert!(!body.message.contains("/var/lib"), "{}", body.message);

        let e = AppError::from(EngineError::CorruptRow { reason: "ledger row 7 of acct_x".to_owned() });
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.body().message.contains("acct_x"));
    }

    #[test]
    fn only_server_faults_are_logged_as_errors() {
        let io = || EngineError::from(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
        let cases = [
            (AppError::Internal { detail: "disk full".to_owned() }, tracing::Level::ERROR),
            (AppError::from(EngineError::CorruptRow { reason: "ledger row 7".to_owned() }), tracing::Level::ERROR),
            (AppError::from(EngineError::Contention), tracing::Level::WARN),
            (AppError::from(EngineError::from(sqlx::Error::PoolTimedOut)), tracing::Level::WARN),
            (AppError::from(io()), tracing::Level::WARN),
            (AppError::from(EngineError::Unauthenticated), tracing::Level::DEBUG),
            (AppError::from(EngineError::BatchIdReused { batch_id: "b".into() }), tracing::Level::DEBUG),
        ];
        for (e, level) in cases {
            assert_eq!(e.log_level(), level, "{e:?}");
            // Every 503 is a warning, every other 5xx an error.
            assert_eq!(e.status() == StatusCode::SERVICE_UNAVAILABLE, level == tracing::Level::WARN, "{e:?}");
        }
    }

    #[test]
    fn engine_refusals_keep_their_code_and_get_a_client_status() {
        let cases = [
            (EngineError::Unauthenticated, StatusCode::UNAUTHORIZED, "invalid_token"),
            (EngineError::IdempotencyKeyReused { key: "k".into() }, StatusCode::CONFLICT, "idempotency_key_reused"),
            (EngineError::BatchIdReused { batch_id: "b".into() }, StatusCode::CONFLICT, "batch_id_reused"),
            (EngineError::BatchTooLarge { records: 2, max: 1 }, StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"),
            (EngineError::UnknownTier { tier: "x".into(), known: "a".into() }, StatusCode::UNPROCESSABLE_ENTITY, "unknown_tier"),
            (EngineError::Contention, StatusCode::SERVICE_UNAVAILABLE, "contention"),
            (EngineError::from(sqlx::Error::PoolTimedOut), StatusCode::SERVICE_UNAVAILABLE, "contention"),
            (
                EngineError::from(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset))),
                StatusCode::SERVICE_UNAVAILABLE,
                "contention",
            ),
            (
                EngineError::PeriodTotalExceeded {
                    account_id: "acct_x".into(),
                    period_start: chrono::DateTime::UNIX_EPOCH,
                    meter: "egress_bytes",
                    max: 1,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                "period_total_exceeded",
            ),
        ];
        for (engine, status, code) in cases {
            let e = AppError::from(engine);
            assert_eq!((e.status(), e.code()), (status, code));
        }
        // A 503 tells the client to retry.
        assert!(AppError::from(EngineError::Contention).body().message.contains("retry"));
        assert!(AppError::from(EngineError::from(sqlx::Error::PoolTimedOut)).body().message.contains("retry"));
        // Other database failures stay 500s with their detail in the log.
        let e = AppError::from(EngineError::from(sqlx::Error::RowNotFound));
        assert_eq!((e.status(), e.code()), (StatusCode::INTERNAL_SERVER_ERROR, "database"));
    }
}
