//! What edge nodes send (`POST /v1/telemetry`) and the receipt they get back.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

/// The most records one batch may carry; a larger batch is refused whole.
pub const MAX_BATCH_RECORDS: usize = 10_000;
/// The longest accepted batch id, in characters.
pub const MAX_BATCH_ID_CHARS: usize = 128;
/// The longest accepted route, in characters.
pub const MAX_ROUTE_CHARS: usize = 256;
/// The longest accepted usage window, in seconds (at least one, within one clock hour).
pub const MAX_WINDOW_SECONDS: u32 = 3600;

/// One batch of usage windows from one edge node. The batch is atomic: every accepted record
/// is stored, or none is. Its `batch_id` makes retries safe: a replay is counted once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetryBatch {
    /// Chosen by the node, unique per batch; 1 to 128 characters.
    #[schemars(length(min = 1, max = MAX_BATCH_ID_CHARS))]
    pub batch_id: String,
    /// The sending node's id; must be the node the token belongs to.
    pub node_id: String,
    /// At most 10,000 records.
    #[schemars(length(max = MAX_BATCH_RECORDS))]
    pub records: Vec<TelemetryRecord>,
}

/// Usage of one account on one route in one region during one window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetryRecord {
    /// The account the usage is billed to (`unknown_account` when no account has this id).
    pub account_id: String,
    /// The routed path, such as `/api/orders`; starts with `/`.
    #[schemars(length(min = 1, max = MAX_ROUTE_CHARS))]
    pub route: String,
    /// A region of the price book (`na`, `eu`, `apac`, ...).
    pub region: String,
    /// Start of the window, UTC.
    pub window_start: DateTime<Utc>,
    /// Length of the window: 1 to 3600 seconds, within one clock hour (a window starts on a
    /// whole second).
    #[schemars(range(min = 1, max = MAX_WINDOW_SECONDS))]
    pub window_seconds: u32,
    /// Requests served in the window: at most 1,000,000 per second of window.
    #[ts(type = "number")]
    pub requests: u64,
    /// Compute time spent in the window, in milliseconds: at most 1,000,000 per second of
    /// window.
    #[ts(type = "number")]
    pub compute_ms: u64,
    /// Response bytes sent in the window, before region weights: at most 100,000,000,000
    /// (100 GB) per second of window.
    #[ts(type = "number")]
    pub egress_bytes: u64,
}

/// Why one record of a batch was not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    /// No account has this id.
    UnknownAccount,
    /// The price book has no such region.
    UnknownRegion,
    /// The route does not start with `/`, is longer than [`MAX_ROUTE_CHARS`] characters, or
    /// holds a control character.
    InvalidRoute,
    /// `window_seconds` is 0 or above 3600, the window does not start on a whole second,
    /// crosses a clock hour, or ends after the last date the engine can represent.
    InvalidWindow,
    /// The window ends more than 5 minutes (the clock skew allowed) after the time of ingest.
    WindowInFuture,
    /// The window starts in a billing period closed for good: records are accepted until one
    /// hour after their period ends.
    PeriodClosed,
    /// A counter is beyond what one node can serve in one window (see the per-second bounds
    /// on [`TelemetryRecord`]).
    AbsurdValue,
}

impl RejectionReason {
    /// The stable code, as in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            RejectionReason::UnknownAccount => "unknown_account",
            RejectionReason::UnknownRegion => "unknown_region",
            RejectionReason::InvalidRoute => "invalid_route",
            RejectionReason::InvalidWindow => "invalid_window",
            RejectionReason::WindowInFuture => "window_in_future",
            RejectionReason::PeriodClosed => "period_closed",
            RejectionReason::AbsurdValue => "absurd_value",
        }
    }
}

/// A record that was not counted, by its position in the batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RecordRejection {
    /// Zero-based index of the record in `records`.
    pub index: u32,
    /// The record's `account_id`, as sent.
    pub account_id: String,
    /// Why it was not counted.
    pub reason: RejectionReason,
    /// One sentence for people, naming the bound or value at fault.
    pub message: String,
}

/// Per account touched by the batch: whether its usage is capped, so nodes can throttle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AccountIngestStatus {
    /// The account's id.
    pub account_id: String,
    /// The tier in effect for the account now.
    pub tier: String,
    /// Serve no more of the meters in `capped_meters`: a hard-capped (sandbox) account has
    /// used up their quota, or the account's spend cap was reached.
    pub capped: bool,
    /// The meters whose usage is refused from now on: quotas used up on a hard-capped tier,
    /// and while the spend cap holds every meter that would bill overage.
    pub capped_meters: Vec<Meter>,
    /// The account's spend cap was reached this period (and not since raised or removed).
    #[serde(default)]
    pub spend_capped: bool,
}

/// What the edge must enforce for the accounts it serves: `GET /v1/nodes/limits`. Every node
/// may serve any account; an account that is not listed has nothing to enforce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct NodeLimits {
    /// The start of the billing period the caps below belong to.
    pub period_start: DateTime<Utc>,
    /// Accounts with a rate limit, capped meters or a spend cap, by account id.
    pub accounts: Vec<AccountLimits>,
}

/// One account's limits at the edge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AccountLimits {
    /// The account's id.
    pub account_id: String,
    /// The tier in effect for the account now.
    pub tier: String,
    /// Requests a second the account may send, across every node; answer more with 429.
    /// `null`: no rate limit.
    pub requests_per_second: Option<u32>,
    /// Serve no more of these meters this period (as in the ingest receipt).
    pub capped_meters: Vec<Meter>,
    /// The account's spend cap for the period, a decimal amount, if it set one.
    #[ts(type = "string | null")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub spend_cap: Option<rust_decimal::Decimal>,
    /// The spend cap was reached this period (and not since raised or removed).
    pub spend_capped: bool,
}

/// The answer to a batch, sent only after it is durably stored. A replay of the same batch
/// gets this same answer again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct IngestReceipt {
    /// The batch's `batch_id`, as sent.
    pub batch_id: String,
    /// The sending node's id.
    pub node_id: String,
    /// When the batch was first stored.
    pub received_at: DateTime<Utc>,
    /// Records counted.
    pub accepted: u32,
    /// Records not counted, each with its reason.
    pub rejected: Vec<RecordRejection>,
    /// One entry per known account in the batch, sorted by id.
    pub accounts: Vec<AccountIngestStatus>,
}

/// An event or data point that was not counted, by its position in the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct EventRefusal {
    /// Zero-based index of the event in the request (0 for a single event).
    pub index: u32,
    /// A stable code: `invalid_event`, or a record's reason (`unknown_account`, ...).
    pub code: String,
    /// One sentence for people saying what was wrong with the event.
    pub message: String,
}

/// The answer to CloudEvents (`POST /v1/events`), sent after the counted events are stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct EventsReceipt {
    /// Events counted now.
    pub accepted: u32,
    /// Events counted by an earlier request (same `source` and `id`): not counted again.
    pub duplicates: u32,
    /// Events not counted, each with its reason.
    pub rejected: Vec<EventRefusal>,
    /// One entry per known account the counted events touched, sorted by id.
    pub accounts: Vec<AccountIngestStatus>,
}
