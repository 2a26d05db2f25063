//! Usage queries: hourly or daily series by meter, route or region, and the usage log.

use std::collections::BTreeMap;

use chrono::Duration;
use edgecost_api::{
    Granularity, UsageGrouping, UsageLine, UsageLogEntry, UsageLogPage, UsageLogQuery, UsagePoint, UsageQuery, UsageSeries,
};
use edgecost_pricing::Meter;

use crate::error::{EngineError, Result};
use crate::period::from_unix;
use crate::store::GroupColumn;

use crate::engine::{AccountId, Engine, ROLLUP_BATCHES_MAX, detached};

/// The longest span one usage query may cover.
pub const USAGE_QUERY_DAYS_MAX: i64 = 400;
/// Usage log entries per page when the request names no limit.
pub const USAGE_LOG_PAGE_DEFAULT: u32 = 100;
/// The most usage log entries one page holds; a larger limit is lowered to it.
pub const USAGE_LOG_PAGE_MAX: u32 = edgecost_api::MAX_USAGE_LOG_PAGE;

impl Engine {
    /// Rolls up every batch queued so far, skipping those another roll-up (another replica)
    /// holds; answers how many batches this call rolled up. The engine also does this on its
    /// own, in the background and before each usage query.
    pub async fn roll_up(&self) -> Result<u64> {
        let store = self.store.clone();
        detached(async move {
            let mut done = 0;
            loop {
                let n = store.roll_up(ROLLUP_BATCHES_MAX, None, false).await?;
                done += n;
                if n < ROLLUP_BATCHES_MAX as u64 {
                    return Ok(done);
                }
            }
        })
        .await
    }

    /// Batches whose hourly rollups are not written yet.
    pub async fn rollups_pending(&self) -> Result<u64> {
        self.store.rollups_pending().await
    }

    /// Rolls up every batch queued before this call, waiting for those another roll-up holds,
    /// so that a read after it sees every batch answered before it.
    pub(crate) async fn catch_up_rollups(&self) -> Result<()> {
        let store = self.store.clone();
        detached(async move {
            let Some(through) = store.rollup_queue_last().await? else { return Ok(()) };
            while store.roll_up(ROLLUP_BATCHES_MAX, Some(through), true).await? > 0 {}
            Ok(())
        })
        .await
    }

    /// Usage in hourly or daily buckets, one line per meter and group key.
    pub async fn usage(&self, account: &AccountId, q: &UsageQuery) -> Result<UsageSeries> {
        if q.from >= q.to {
            return Err(EngineError::InvalidUsageQuery { reason: "from must be before to".into() });
        }
        if q.to - q.from > Duration::days(USAGE_QUERY_DAYS_MAX) {
            return Err(EngineError::InvalidUsageQuery { reason: format!("a query spans at most {USAGE_QUERY_DAYS_MAX} days") });
        }
        let bucket_seconds = match q.granularity {
            Granularity::Hour => 3_600,
            Granularity::Day => 86_400,
        };
        let group = match q.group_by {
            UsageGrouping::Meter => GroupColumn::None,
            UsageGrouping::Route => GroupColumn::Route,
            UsageGrouping::Region => GroupColumn::Region,
        };
        let rows = self.store.usage_hours(&account.0, q.from.timestamp(), q.to.timestamp(), group).await?;
        // Rows come ordered by hour (an hour may come more than once: rolled up and still
        // queued), so each key's buckets come in order: an hour adds to the key's last bucket
        // or starts the next one.
        let mut by_key: BTreeMap<String, [Vec<UsagePoint>; 3]> = BTreeMap::new();
        for row in rows {
            let bucket = row.hour - row.hour.rem_euclid(bucket_seconds);
            let start = from_unix(bucket);
            let points = match by_key.get_mut(&row.key) {
                Some(p) => p,
                None => by_key.entry(row.key.clone()).or_default(),
            };
            for (i, value) in [row.counters.requests, row.counters.egress_bytes, row.counters.compute_ms].into_iter().enumerate() {
                let quantity = value.max(0) as u64;
                match points[i].last_mut() {
                    Some(last) if last.start == start => last.quantity = last.quantity.saturating_add(quantity),
                    _ => points[i].push(UsagePoint { start, quantity }),
                }
            }
        }
        let mut lines = Vec::with_capacity(by_key.len() * 3);
        for (key, points) in by_key {
            for ((meter, unit), points) in
                [(Meter::Requests, "requests"), (Meter::Egress, "bytes"), (Meter::Compute, "ms")].into_iter().zip(points)
            {
                let key = if group == GroupColumn::None { meter.id().to_owned() } else { key.clone() };
                lines.push(UsageLine { key, meter: meter.into(), unit: unit.to_owned(), points });
            }
        }
        if group == GroupColumn::None {
            lines.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Ok(UsageSeries { from: q.from, to: q.to, granularity: q.granularity, group_by: q.group_by, lines })
    }

    /// One page of the raw usage log, newest first.
    pub async fn usage_log(&self, account: &AccountId, q: &UsageLogQuery) -> Result<UsageLogPage> {
        let limit = q.limit.unwrap_or(USAGE_LOG_PAGE_DEFAULT).clamp(1, USAGE_LOG_PAGE_MAX);
        let before = match &q.cursor {
            None => None,
            Some(c) => Some(self.record_ids.number(&account.0, c).ok_or(EngineError::InvalidCursor)?),
        };
        let mut rows = self.store.usage_log(&account.0, before, i64::from(limit) + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| self.record_ids.public(&account.0, r.id)) } else { None };
        let records = rows
            .into_iter()
            .map(|r| UsageLogEntry {
                id: self.record_ids.public(&account.0, r.id),
                batch_id: r.batch_id,
                node_id: r.node_id,
                route: r.route,
                region: r.region,
                window_start: from_unix(r.window_start),
                window_seconds: r.window_seconds as u32,
                requests: r.counters.requests as u64,
                compute_ms: r.counters.compute_ms as u64,
                egress_bytes: r.counters.egress_bytes as u64,
                received_at: from_unix(r.received_at),
            })
            .collect();
        Ok(UsageLogPage { records, next_cursor })
    }
}
