//! Usage series for charts and the raw usage log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

/// How long one bucket of a usage series is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One bucket per clock hour.
    Hour,
    /// One bucket per UTC day, from 00:00.
    Day,
}

/// What one line of a series stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageGrouping {
    /// One line per meter.
    Meter,
    /// One line per route and meter.
    Route,
    /// One line per region and meter.
    Region,
}

/// `GET /v1/account/usage?from=&to=&granularity=hour|day&group_by=meter|route|region`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// Start of the span, inclusive; usage counts by the hour its window starts in. Must be
    /// before `to`, and the span at most 400 days.
    pub from: DateTime<Utc>,
    /// End of the span, exclusive.
    pub to: DateTime<Utc>,
    /// How long each bucket is.
    pub granularity: Granularity,
    /// What each line stands for.
    pub group_by: UsageGrouping,
}

/// One bucket of a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsagePoint {
    /// The bucket's first instant (an hour, or a day at 00:00 UTC).
    pub start: DateTime<Utc>,
    /// The meter's usage in the bucket, in the line's `unit`.
    #[ts(type = "number")]
    pub quantity: u64,
}

/// One meter's buckets for one key; buckets without usage are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLine {
    /// The meter id, the route or the region, by grouping.
    pub key: String,
    /// The meter the buckets count.
    pub meter: Meter,
    /// `requests`, `bytes` (raw egress) or `ms` (compute).
    pub unit: String,
    /// The buckets with usage, oldest first.
    pub points: Vec<UsagePoint>,
}

/// The answer to `GET /v1/account/usage`: the query as it was read, and its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageSeries {
    /// Start of the span, inclusive, as asked for.
    pub from: DateTime<Utc>,
    /// End of the span, exclusive, as asked for.
    pub to: DateTime<Utc>,
    /// How long each bucket is.
    pub granularity: Granularity,
    /// What each line stands for.
    pub group_by: UsageGrouping,
    /// By meter: one line per meter, sorted by meter id. By route or region: three lines per
    /// key (requests, egress, compute), keys sorted.
    pub lines: Vec<UsageLine>,
}

/// The most records one page of the usage log may hold (at least one).
pub const MAX_USAGE_LOG_PAGE: u32 = 500;
/// Hex digits of a usage-log record id and cursor.
pub const USAGE_LOG_ID_HEX_DIGITS: usize = 32;

/// Records per page of the usage log when the query names no `limit`.
pub const DEFAULT_USAGE_LOG_PAGE: u32 = 100;

/// `GET /v1/account/usage/log?cursor=&limit=`: newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageLogQuery {
    /// `next_cursor` of the previous page; absent for the first page. A cursor works only for
    /// the account it was given to.
    pub cursor: Option<String>,
    /// Records per page, 1 to 500; 100 when absent.
    pub limit: Option<u32>,
}

/// One stored telemetry record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLogEntry {
    /// The record's id: 32 hex digits, stable, unique within the account and opaque (it says
    /// nothing about other accounts' records or how many there are).
    pub id: String,
    /// The batch that carried the record: the node's `batch_id`, or one the server derived
    /// for OTLP points and CloudEvents (`otlp-...`, `events-...`).
    pub batch_id: String,
    /// The node that sent the record.
    pub node_id: String,
    /// The route, as sent.
    pub route: String,
    /// The region, as sent.
    pub region: String,
    /// Start of the window, UTC.
    pub window_start: DateTime<Utc>,
    /// Length of the window in seconds.
    pub window_seconds: u32,
    /// Requests served in the window.
    #[ts(type = "number")]
    pub requests: u64,
    /// Compute time in the window, in milliseconds.
    #[ts(type = "number")]
    pub compute_ms: u64,
    /// Raw response bytes in the window, before region weights.
    #[ts(type = "number")]
    pub egress_bytes: u64,
    /// When the record's batch was stored.
    pub received_at: DateTime<Utc>,
}

/// `GET /v1/account/usage/log`: one page of the account's stored telemetry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLogPage {
    /// Newest first.
    pub records: Vec<UsageLogEntry>,
    /// Pass as `cursor` for the next page; `None` on the last page. Opaque, like record ids.
    pub next_cursor: Option<String>,
}
