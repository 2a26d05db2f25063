//! Storage of usage once ingested: the series and event claims ingest checks, the roll-up of
//! queued batches into hourly sums, and the reads of usage by period, hour, route and record.
//! Shared by both backends like [`super::common`]'s queries.

use async_trait::async_trait;

use super::{BucketRow, GroupColumn, RegionCounters, RouteRegionCounters, ShardRow, UsageLogRow};
use crate::error::Result;

#[async_trait]
pub(crate) trait UsageStore: Send + Sync {
    /// The stored shards among `shards` (sorted, distinct) of the series sent by `node_id`.
    async fn series_shards(&self, node_id: &str, shards: &[i64]) -> Result<Vec<ShardRow>>;
    /// Which of the (source, id) pairs were counted already.
    async fn stored_events(&self, events: &[(&str, &str)]) -> Result<Vec<(String, String)>>;
    /// Takes up to `max_batches` queued batches of id at most `through` (any, when `None`)
    /// and adds their hourly sums to the hourly rollups, in one transaction; answers how many
    /// it took. With `wait`, batches another roll-up holds are waited for (and are then gone)
    /// rather than skipped.
    async fn roll_up(&self, max_batches: i64, through: Option<i64>, wait: bool) -> Result<u64>;
    /// The id of the newest queued batch, if any.
    async fn rollup_queue_last(&self) -> Result<Option<i64>>;
    /// Queued batches not rolled up yet.
    async fn rollups_pending(&self) -> Result<u64>;
    async fn period_usage(&self, account_id: &str, period_start: i64) -> Result<Vec<RegionCounters>>;
    /// The start (unix seconds) of the first hour with rolled-up usage of the account before
    /// `before`, if any: where a run rate is measured from.
    async fn first_usage_hour(&self, account_id: &str, before: i64) -> Result<Option<i64>>;
    /// Rolled-up usage of the account per route and region with `from <= hour < to`.
    async fn route_region_usage(&self, account_id: &str, from: i64, to: i64) -> Result<Vec<RouteRegionCounters>>;
    /// Hourly usage of `[from, to)` per group key, ordered by hour (and by key within an hour
    /// for routes), in the order of the rollups' primary keys so no query sorts.
    async fn usage_hours(&self, account_id: &str, from: i64, to: i64, group: GroupColumn) -> Result<Vec<BucketRow>>;
    /// Newest first, ids below `before_id`.
    async fn usage_log(&self, account_id: &str, before_id: Option<i64>, limit: i64) -> Result<Vec<UsageLogRow>>;
}

/// Implements [`UsageStore`] for a store with `pool`, `begin_read` and `begin_write`, beside
/// [`super::common::impl_store`] (whose row helpers it uses).
macro_rules! impl_usage_store {
    ($store:ty, $row:ty) => {
        // Hourly rows in primary-key order: the totals need no grouping, routes group on
        // (hour, route) as the key runs (account, hour, route, region), so neither sorts.
        const USAGE_BY_HOUR: &str = "SELECT hour, CAST('' AS TEXT) AS grp, requests, compute_ms, egress_bytes \
             FROM usage_hourly_total WHERE account_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour";
        const USAGE_BY_ROUTE: &str = "SELECT hour, route AS grp, \
             CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(compute_ms) AS BIGINT) AS compute_ms, \
             CAST(SUM(egress_bytes) AS BIGINT) AS egress_bytes FROM usage_hourly \
             WHERE account_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour, route ORDER BY hour, route";
        const USAGE_BY_REGION: &str = "SELECT hour, region AS grp, \
             CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(compute_ms) AS BIGINT) AS compute_ms, \
             CAST(SUM(egress_bytes) AS BIGINT) AS egress_bytes FROM usage_hourly \
             WHERE account_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour, region ORDER BY hour, region";

        #[async_trait::async_trait]
        impl $crate::store::usage::UsageStore for $store {
            async fn roll_up(&self, max_batches: i64, through: Option<i64>, wait: bool) -> $crate::error::Result<u64> {
                let mut tx = self.begin_write().await?;
                // Deleting the queue rows and adding their sums commit together: a batch is
                // rolled up once, and a crash in between leaves it queued.
                let queued = Self::take_queued(&mut tx, max_batches, through.unwrap_or(i64::MAX), wait).await?;
                if queued.is_empty() {
                    tx.rollback().await?;
                    return Ok(0);
                }
                let mut sums = $crate::store::QueuedSums::default();
                for q in &queued {
                    sums.add(q)?;
                }
                let (hourly, totals) = sums.into_sorted();
                // Sorted keys: concurrent roll-ups lock rollup rows in one order.
                Self::upsert_hourly(&mut tx, &hourly).await?;
                Self::upsert_hourly_totals(&mut tx, &totals).await?;
                tx.commit().await?;
                Ok(queued.len() as u64)
            }

            async fn series_shards(&self, node_id: &str, shards: &[i64]) -> $crate::error::Result<Vec<$crate::store::ShardRow>> {
                Ok(sqlx::query_as(<$store>::SHARDS_SELECT).bind(node_id).bind(<$store>::shard_list(shards)).fetch_all(&self.pool).await?)
            }

            async fn stored_events(&self, events: &[(&str, &str)]) -> $crate::error::Result<Vec<(String, String)>> {
                let mut out = Vec::new();
                for chunk in events.chunks($crate::store::common::IN_LIST_MAX / 2) {
                    let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                        "SELECT source, id FROM usage_events WHERE source IN (",
                    );
                    let mut list = q.separated(", ");
                    for (source, _) in chunk {
                        list.push_bind(*source);
                    }
                    q.push(") AND id IN (");
                    let mut list = q.separated(", ");
                    for (_, id) in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let wanted: std::collections::HashSet<(&str, &str)> = chunk.iter().copied().collect();
                    let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&self.pool).await?;
                    for (source, id) in rows {
                        if wanted.contains(&(source.as_str(), id.as_str())) {
                            out.push((source, id));
                        }
                    }
                }
                Ok(out)
            }

            async fn rollup_queue_last(&self) -> $crate::error::Result<Option<i64>> {
                Ok(sqlx::query_scalar("SELECT MAX(id) FROM rollup_queue").fetch_one(&self.pool).await?)
            }

            async fn rollups_pending(&self) -> $crate::error::Result<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rollup_queue").fetch_one(&self.pool).await?;
                Ok(n as u64)
            }

            async fn route_region_usage(
                &self,
                account_id: &str,
                from: i64,
                to: i64,
            ) -> $crate::error::Result<Vec<$crate::store::RouteRegionCounters>> {
                Ok(sqlx::query_as(
                    "SELECT route, region, CAST(SUM(requests) AS BIGINT) AS requests, \
                     CAST(SUM(compute_ms) AS BIGINT) AS compute_ms, CAST(SUM(egress_bytes) AS BIGINT) AS egress_bytes \
                     FROM usage_hourly WHERE account_id = $1 AND hour >= $2 AND hour < $3 GROUP BY route, region ORDER BY route, region",
                )
                .bind(account_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn first_usage_hour(&self, account_id: &str, before: i64) -> $crate::error::Result<Option<i64>> {
                // The rollup total's key (account_id, hour) answers this with one index seek.
                Ok(sqlx::query_scalar("SELECT MIN(hour) FROM usage_hourly_total WHERE account_id = $1 AND hour < $2")
                    .bind(account_id)
                    .bind(before)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn period_usage(
                &self,
                account_id: &str,
                period_start: i64,
            ) -> $crate::error::Result<Vec<$crate::store::RegionCounters>> {
                read_period_usage(&self.pool, account_id, period_start).await
            }

            async fn usage_hours(
                &self,
                account_id: &str,
                from: i64,
                to: i64,
                group: $crate::store::GroupColumn,
            ) -> $crate::error::Result<Vec<$crate::store::BucketRow>> {
                let sql = match group {
                    $crate::store::GroupColumn::None => USAGE_BY_HOUR,
                    $crate::store::GroupColumn::Route => USAGE_BY_ROUTE,
                    $crate::store::GroupColumn::Region => USAGE_BY_REGION,
                };
                // The rollups and the batches queued for them, in one snapshot: a roll-up moves
                // a batch from the queue to the rollups in one transaction, so each batch is
                // read once, from one or the other, without waiting for (or doing) a roll-up.
                let mut tx = self.begin_read().await?;
                let mut hours = <$store>::hour_rows(&mut tx, sql, account_id, from, to).await?;
                let queued: Vec<String> = sqlx::query_scalar("SELECT hourly FROM rollup_queue ORDER BY id").fetch_all(&mut *tx).await?;
                tx.commit().await?;
                for q in &queued {
                    $crate::store::queued_hours_of(q, account_id, from, to, group, &mut hours)?;
                }
                // In (hour, key) order, which the queued hours (and a backend's packed rows) may
                // not keep.
                if !hours.is_sorted_by(|a, b| (a.hour, &a.key) <= (b.hour, &b.key)) {
                    hours.sort_by(|a, b| (a.hour, &a.key).cmp(&(b.hour, &b.key)));
                }
                Ok(hours)
            }

            async fn usage_log(
                &self,
                account_id: &str,
                before_id: Option<i64>,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::store::UsageLogRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, batch_id, node_id, route, region, window_start, window_seconds, requests, compute_ms, \
                     egress_bytes, received_at FROM usage_records WHERE account_id = $1 AND id < $2 \
                     ORDER BY id DESC LIMIT $3",
                )
                .bind(account_id)
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_usage_store;
