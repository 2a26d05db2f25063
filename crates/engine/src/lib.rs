//! The billing engine: telemetry ingest, exact near-real-time rating, the burst credit
//! ledger, quota notices and usage queries, over SQLite (embedded default, one file) or
//! PostgreSQL (production, shared by several server replicas).
//!
//! Every rule that must hold across concurrent writers is held by the database: a batch id
//! is claimed by a unique key in the transaction that writes its usage, the credit ledger is
//! a gapless chain keyed by (account, sequence) with a non-negative balance check, and
//! idempotency keys are claimed with the answer they produce. There are no in-process locks.
//!
//! Time is always passed in (`now`); the engine never reads the clock, except in the
//! webhook delivery task ([`webhooks`]), which schedules and signs real network attempts.
//!
//! Layers: a module names only modules of its own layer or below, never one above, so the
//! crate has no module cycle (`scripts/module-cycles.py` checks it, at every folder's level
//! too). From the bottom:
//! 1. Foundations, naming no other module: errors ([`EngineError`], with the webhook refusals),
//!    periods, tokens, record ids, the outlook's simulation.
//! 2. The store: the backends' trait, rows and SQL.
//! 3. Rules over rows, pure or nearly: validation and its bounds, rating (period totals and
//!    projections, the period state), the credit ledger, alerts, the spend cap, webhook events
//!    with their signing and delivery task, the cache of OpenTelemetry series shards.
//! 4. The [`Engine`] handle (`engine`): the store, the price book and the background tasks it
//!    holds, accounts and nodes, and the helpers every operation uses.
//! 5. The operations: one module per feature (ingest, billing, credits, controls, top-up,
//!    webhook operations, quotes, usage, invoices, operator reports...), each an
//!    `impl Engine` block. One operation may use another of its layer (billing reads ingest's
//!    quota state, credits plan top-ups), never in a circle.
//! 6. Front doors over the operations: OpenTelemetry and CloudEvents input, and the test
//!    fixtures of the `testing` feature.
//!
//! An item a lower module needs lives in that module or below it, not beside the operation
//! that also uses it: the alert kinds are in `alerts`, not in `controls`.
//!
//! Features: `postgres` (default) links the PostgreSQL backend; without it [`Engine::open`]
//! takes `sqlite:` URLs only, as the desktop app's demo does. `testing` adds a throwaway
//! PostgreSQL server for tests.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use edgecost_api::{TelemetryBatch, TelemetryRecord};
//! use edgecost_engine::Engine;
//! use edgecost_pricing::PriceBook;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let url = Engine::sqlite_url(&dir.path().join("billing.db"));
//! let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
//! let now = "2026-11-23T10:02:00Z".parse().unwrap();
//!
//! let account = engine.create_account("Acme", "production", now).await.unwrap();
//! let node = engine.create_node("edge-fra-1", now).await.unwrap();
//! let node_id = engine.authenticate_node(&node.token).await.unwrap();
//! let batch = TelemetryBatch {
//!     batch_id: "b-1".into(),
//!     node_id: node.node_id.clone(),
//!     records: vec![TelemetryRecord {
//!         account_id: account.account_id.clone(),
//!         route: "/api/orders".into(),
//!         region: "eu".into(),
//!         window_start: "2026-11-23T10:00:00Z".parse().unwrap(),
//!         window_seconds: 60,
//!         requests: 1200,
//!         compute_ms: 5400,
//!         egress_bytes: 9_600_000,
//!     }],
//! };
//! let ingested = engine.ingest(&node_id, &batch, now).await.unwrap();
//! assert_eq!(ingested.receipt.accepted, 1);
//!
//! let account_id = engine.authenticate_account(&account.token).await.unwrap();
//! let bill = engine.bill_to_date(&account_id, now).await.unwrap();
//! assert_eq!(bill.totals.requests, 1200);
//! assert_eq!(bill.bill.total.to_string(), "19.00");
//! # });
//! ```

#![warn(missing_docs)]

// Foundations.
mod error;
mod outlook;
mod period;
mod record_ids;
mod token;

// The store.
mod store;

// Rules over rows.
mod alerts;
mod known_tokens;
mod ledger;
mod rating;
mod shard_cache;
mod shared_strings;
mod spend_cap;
mod validate;
pub mod webhooks;

// The engine handle.
mod engine;

// The operations.
mod billing;
mod controls;
mod credits;
mod demo;
mod demo_fleet;
mod ingest;
mod invoices;
mod limits;
mod notices;
mod operator;
mod points;
mod quotes;
pub mod retention;
mod top_up;
mod usage;
mod webhook_ops;

// Front doors and test fixtures.
pub mod events;
pub mod otlp;
#[cfg(feature = "testing")]
pub mod testing;

pub use controls::FORECAST_EVERY_SECONDS;
pub use demo::{DemoAccount, seed_demo, top_up_demo};
pub use demo_fleet::{
    DEMO_FLEET, DEMO_FLEET_COMPUTE_MS_PER_REQUEST, DEMO_FLEET_MONTHS, DEMO_INFRASTRUCTURE_COST_YAML, FleetAction, FleetMember, FleetStep,
    demo_fleet_months, demo_price_book, seed_demo_fleet, step_time,
};
pub use engine::{AccountId, Engine, NodeId};
pub use error::{EngineError, Result};
pub use ingest::Ingested;
pub use invoices::PaymentOutcome;
pub use operator::{FUNNEL_DAYS, MARGIN_THRESHOLD_PERCENT_DEFAULT, OperatorId, REPORT_MONTHS_DEFAULT, report_months};
pub use period::Period;
pub use points::{PointsIngested, Refusal, SeriesPoint, Temporality, UsageEvent};
pub use quotes::ROUTE_COST_PERIODS_MAX;
pub use usage::{USAGE_LOG_PAGE_DEFAULT, USAGE_LOG_PAGE_MAX, USAGE_QUERY_DAYS_MAX};
pub use validate::{
    CLOCK_SKEW_SECONDS_MAX, LATE_RECORD_GRACE_SECONDS, PACKS_PER_PURCHASE_MAX, PERIOD_COMPUTE_MS_MAX, PERIOD_EGRESS_BYTES_MAX,
    PERIOD_REQUESTS_MAX, PROJECTION_FACTOR_MAX, earliest_accepted,
};
