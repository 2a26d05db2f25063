//! The HTTP API of the billing engine: a thin axum adapter over `edgecost_engine`.
//!
//! [`router`] builds the whole API (the route table reads in one place); [`spawn`] serves it
//! on a socket with graceful shutdown, as `edgecost serve` does and as the desktop app does on
//! loopback for its demo. Prometheus metrics are a separate router, [`metrics_router`], meant
//! for an operator-only address (`edgecost serve --metrics-listen`). Connections are bounded
//! in number and in the time a client may take to send a request ([`ConnectionLimits`]). Handlers read the time from the state's [`Clock`] and pass it to the
//! engine; they authenticate with bearer tokens (account tokens for `/v1/account/*`, node
//! tokens for `/v1/telemetry`, operator tokens for `/v1/admin/*`). Every error answers `{code, message}` ([`AppError`]).
//!
//! Features (both default): `otlp` serves `POST /v1/metrics` (OpenTelemetry metrics over
//! OTLP/HTTP) and `openapi` serves `GET /openapi.json`. The desktop app's demo server is built
//! without them, so the app links neither the protobuf definitions nor the OpenAPI document.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use edgecost_engine::Engine;
//! use edgecost_pricing::PriceBook;
//!
//! let url = Engine::sqlite_url(std::path::Path::new("/tmp/edgecost-demo.db"));
//! let engine = Engine::open(&url, PriceBook::published().clone()).await?;
//! let server = edgecost_server::spawn(engine, "127.0.0.1:0".parse()?).await?;
//! println!("serving on {}", server.url());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod admin;
mod auth;
mod clock;
mod controls;
mod error;
mod formats;
mod handlers;
mod idempotency;
mod json;
mod limits;
mod metrics;
mod nodes;
#[cfg(feature = "openapi")]
mod openapi;
#[cfg(feature = "otlp")]
mod otlp;
mod router;
mod serve;
mod state;
mod webhooks;

use std::net::SocketAddr;

use edgecost_engine::Engine;

pub use auth::{AccountAuth, NodeAuth, OperatorAuth};
pub use clock::Clock;
pub use error::AppError;
pub use idempotency::{IDEMPOTENCY_KEY_HEADER, MAX_IDEMPOTENCY_KEY_CHARS};
pub use limits::{BODY_LIMIT_BYTES, HEAD_BYTES_MAX, URI_BYTES_MAX};
pub use metrics::{IngestOutcome, Metrics};
#[cfg(feature = "openapi")]
pub use openapi::document as openapi_document;
pub use router::{metrics_router, router};
pub use serve::{ConnectionLimits, RunningServer};
pub use state::AppState;

/// Serves the API over `engine` on `addr` (port 0 picks a free port) with the system clock.
/// The returned handle knows the bound address and shuts the server down gracefully.
pub async fn spawn(engine: Engine, addr: SocketAddr) -> Result<RunningServer, AppError> {
    spawn_with_clock(engine, addr, Clock::system()).await
}

/// [`spawn`], with the handlers reading the time from `clock` (a [`Clock::manual`] pins it).
pub async fn spawn_with_clock(engine: Engine, addr: SocketAddr, clock: Clock) -> Result<RunningServer, AppError> {
    RunningServer::start(router(AppState::with_clock(engine, clock)), addr).await
}
