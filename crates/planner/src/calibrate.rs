//! Calibration: a plan built from measured per-route telemetry instead of guesses.
//!
//! The input is a usage export in JSON lines, one record per route, region and window, with the
//! fields of the engine's telemetry records:
//!
//! ```text
//! {"route": "/api/orders", "region": "eu", "window_start": "2026-11-23T10:00:00Z", "window_seconds": 3600, "requests": 1200, "compute_ms": 5400, "egress_bytes": 9600000}
//! ```
//!
//! `window_seconds` defaults to 3600 (hourly rows); other fields such as `account_id` are
//! ignored. The time observed is the number of distinct windows x their length, and each route
//! is scaled from that to a 30-day month.

use std::collections::{BTreeMap, BTreeSet};

use edgecost_pricing::shares::largest_remainder;
use edgecost_pricing::{Decimal, PriceBook};
use rust_decimal::RoundingStrategy;
use serde::Deserialize;

use crate::error::PlanError;
use crate::plan::{Plan, Route, SECONDS_PER_MONTH, unknown_region};

/// The most records one export may hold.
pub const MAX_USAGE_RECORDS: usize = 5_000_000;

/// One measured window of one route in one region.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(title = "edgecost usage export record (one JSON line)")]
pub struct UsageRecord {
    /// The route's path.
    pub route: String,
    /// The egress region the window was served from.
    pub region: String,
    /// When the window starts (RFC 3339); only told apart, never parsed. `hour` is accepted too.
    #[serde(alias = "hour")]
    pub window_start: String,
    /// The window's length in seconds; 3600 when absent.
    #[serde(default = "hour_seconds")]
    pub window_seconds: u32,
    /// Requests served in the window.
    pub requests: u64,
    /// Compute used in the window, in milliseconds.
    pub compute_ms: u64,
    /// Bytes sent in the window (before region weights).
    pub egress_bytes: u64,
}

impl UsageRecord {
    /// The JSON Schema of one line of a usage export.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(UsageRecord)).expect("schema serializes")
    }
}

fn hour_seconds() -> u32 {
    3600
}

/// Reads a JSON-lines usage export; blank lines are skipped, `file` names it in errors.
/// Regions are not checked: [`read_usage_for`] checks them against a price book.
pub fn read_usage(text: &str, file: &str) -> Result<Vec<UsageRecord>, PlanError> {
    read_records(text, file, None)
}

/// Reads a usage export as [`read_usage`] does and checks every record's region against
/// `book`: a region the book has no egress weight for is refused with the file, line and
/// column of the region's value, before any plan is built from the records.
pub fn read_usage_for(text: &str, file: &str, book: &PriceBook) -> Result<Vec<UsageRecord>, PlanError> {
    read_records(text, file, Some(book))
}

fn read_records(text: &str, file: &str, book: Option<&PriceBook>) -> Result<Vec<UsageRecord>, PlanError> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if records.len() == MAX_USAGE_RECORDS {
            return Err(PlanError::Bound { what: "usage records", value: (MAX_USAGE_RECORDS + 1) as u64, max: MAX_USAGE_RECORDS as u64 });
        }
        let record: UsageRecord = serde_json::from_str(line).map_err(|e| PlanError::UsageRecord {
            file: file.to_owned(),
            line: i + 1,
            message: e.to_string(),
        })?;
        if record.window_seconds == 0 {
            return Err(PlanError::UsageRecord {
                file: file.to_owned(),
                line: i + 1,
                message: "window_seconds must be more than zero".into(),
            });
        }
        if let Some(book) = book
            && book.region_weight(&record.region).is_none()
        {
            let unknown = unknown_region(&record.region, book);
            return Err(PlanError::At {
                file: file.to_owned(),
                line: i + 1,
                column: value_column(line, "region"),
                message: unknown.to_string(),
                rule: unknown.code(),
            });
        }
        records.push(record);
    }
    if records.is_empty() {
        return Err(PlanError::NoUsage { file: file.to_owned() });
    }
    Ok(records)
}

/// The 1-based column (in characters) where the value of `key` starts in one line holding a
/// JSON object; 1 when the key is not written plainly (with escapes, say).
fn value_column(line: &str, key: &str) -> usize {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(at) = line[from..].find(&quoted) {
        let after = from + at + quoted.len();
        if let Some(value) = line[after..].trim_start().strip_prefix(':') {
            let start = line.len() - value.trim_start().len();
            return line[..start].chars().count() + 1;
        }
        from = after;
    }
    1
}

#[derive(Default)]
struct Measured {
    requests: u64,
    compute_ms: u64,
    egress_bytes: u64,
    /// Requests and egress bytes per region.
    regions: BTreeMap<String, (u64, u64)>,
}

/// Builds a plan on `tier` from measured usage.
///
/// Per route: `requests_per_month` = measured requests scaled to a 30-day month (whole
/// requests), `compute_ms` = compute per request (4 places), `response_bytes` = egress bytes
/// per request (whole bytes); no middleware, since measured compute and egress already include
/// it. Region shares follow where the bytes went (where the requests went for a route without
/// egress), to 4 places, adjusted by the largest remainder so they add up to exactly 1; a route
/// keeps its own split only when it differs from the plan's.
pub fn plan_from_usage(records: &[UsageRecord], tier: &str, book: &PriceBook) -> Result<Plan, PlanError> {
    let windows: BTreeSet<(&str, u32)> = records.iter().map(|r| (r.window_start.as_str(), r.window_seconds)).collect();
    let observed_seconds: u64 = windows.iter().map(|(_, s)| u64::from(*s)).sum();
    let mut routes: BTreeMap<&str, Measured> = BTreeMap::new();
    let mut plan_regions: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in records {
        let m = routes.entry(r.route.as_str()).or_default();
        let add = |a: u64, b: u64| a.checked_add(b).ok_or(PlanError::Overflow);
        m.requests = add(m.requests, r.requests)?;
        m.compute_ms = add(m.compute_ms, r.compute_ms)?;
        m.egress_bytes = add(m.egress_bytes, r.egress_bytes)?;
        let region = m.regions.entry(r.region.clone()).or_default();
        *region = (add(region.0, r.requests)?, add(region.1, r.egress_bytes)?);
        let all = plan_regions.entry(r.region.clone()).or_default();
        *all = (add(all.0, r.requests)?, add(all.1, r.egress_bytes)?);
    }
    let scale = Decimal::from(SECONDS_PER_MONTH) / Decimal::from(observed_seconds);
    let regions = shares_of(&plan_regions);
    let mut plan_routes = Vec::with_capacity(routes.len());
    for (path, m) in routes {
        let requests = Decimal::from(m.requests);
        let per_request = |v: u64, places: u32| {
            if m.requests == 0 {
                Decimal::ZERO
            } else {
                (Decimal::from(v) / requests).round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero).normalize()
            }
        };
        let own = shares_of(&m.regions);
        plan_routes.push(Route {
            path: path.to_owned(),
            requests_per_month: Some((requests * scale).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)),
            requests_per_second: None,
            compute_ms: per_request(m.compute_ms, 4),
            response_bytes: per_request(m.egress_bytes, 0),
            middleware: Vec::new(),
            regions: (own != regions).then_some(own),
        });
    }
    let plan = Plan { tier: tier.to_owned(), regions, routes: plan_routes, middleware: BTreeMap::new(), growth: None };
    plan.check(book)?;
    Ok(plan)
}

/// Shares of (requests, egress bytes) per region, by bytes when there are any, to 4 places
/// adding up to exactly 1 (the pricing crate's one largest-remainder split).
fn shares_of(regions: &BTreeMap<String, (u64, u64)>) -> BTreeMap<String, Decimal> {
    let by_bytes = regions.values().any(|(_, b)| *b > 0);
    let by_requests = regions.values().any(|(r, _)| *r > 0);
    // With no traffic at all the split is even (the remainder to the first regions).
    let weights: Vec<Decimal> = regions
        .values()
        .map(|(r, b)| match (by_bytes, by_requests) {
            (true, _) => Decimal::from(*b),
            (false, true) => Decimal::from(*r),
            (false, false) => Decimal::ONE,
        })
        .collect();
    // Whole non-negative weights over 10,000 units never overflow 128 bits.
    let units = largest_remainder(&weights, 10_000).expect("u64 weights split 10,000 units exactly");
    regions
        .keys()
        .zip(units)
        .filter(|(_, u)| *u > 0)
        .map(|(k, u)| (k.clone(), Decimal::from_i128_with_scale(u as i128, 4).normalize()))
        .collect()
}
