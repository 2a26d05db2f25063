//! Usage series for charts and the raw usage log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Hour,
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
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: Granularity,
    pub group_by: UsageGrouping,
}

/// One bucket of a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsagePoint {
    pub start: DateTime<Utc>,
    #[ts(type = "number")]
    pub quantity: u64,
}

/// One meter's buckets for one key; buckets without usage are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLine {
    /// The meter id, the route or the region, by grouping.
    pub key: String,
    pub meter: Meter,
    /// `requests`, `bytes` (raw egress) or `ms` (compute).
    pub unit: String,
    pub points: Vec<UsagePoint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageSeries {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: Granularity,
    pub group_by: UsageGrouping,
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
    pub batch_id: String,
    pub node_id: String,
    pub route: String,
    pub region: String,
    pub window_start: DateTime<Utc>,
    pub window_seconds: u32,
    #[ts(type = "number")]
    pub requests: u64,
    #[ts(type = "number")]
    pub compute_ms: u64,
    #[ts(type = "number")]
    pub egress_bytes: u64,
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLogPage {
    pub records: Vec<UsageLogEntry>,
    /// Pass as `cursor` for the next page; `None` on the last page. Opaque, like record ids.
    pub next_cursor: Option<String>,
}
