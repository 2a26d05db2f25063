//! The HTTP API of the billing engine (axum).
