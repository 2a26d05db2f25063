//! The HTTP API of the billing engine (axum).

mod clock;
mod error;
mod json;
mod metrics;
mod router;
mod serve;

pub use clock::Clock;
pub use error::{AppError, ErrorBody};
pub use metrics::{IngestOutcome, Metrics};
pub use router::{BODY_LIMIT_BYTES, router};
pub use serve::RunningServer;
