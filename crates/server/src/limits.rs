//! The bounds on one request: its size, and the error its body yields when it arrives too late.
//!
//! They sit below both the route table that enforces them and the error type that reports
//! them, so neither has to reach into the other.

use std::time::Duration;

/// The largest request body accepted. A telemetry batch of the maximum record count with
/// the longest routes and ids (10,000 records of at most about 600 bytes) fits; anything
/// larger is refused before it is buffered.
pub const BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// The longest request target (path and query) accepted; the longest real one, a usage query
/// with two timestamps, is under 200 bytes.
pub const URI_BYTES_MAX: usize = 8 * 1024;

/// The most bytes of header names and values accepted in one request. A request above it
/// (and below the connection's head buffer) answers 431 `headers_too_large`.
pub const HEAD_BYTES_MAX: usize = 16 * 1024;

/// The error a request body yields once its deadline has passed.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {} ms", timeout.as_millis())]
pub(crate) struct BodyReadTimeout {
    pub(crate) timeout: Duration,
}
