//! Storage behind the data lifecycle: the fleet-wide read the edge's limits are worked out
//! from, and the bounded deletes of usage past its retention. Shared by both backends like
//! [`super::operator`]: the SQL is portable.

use async_trait::async_trait;

use crate::error::Result;

/// An account and the tier in effect at the time asked.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AccountTierRow {
    pub account_id: String,
    pub tier: String,
}

/// One account's spend cap setting and what it did in the period asked.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct CapSettingRow {
    pub account_id: String,
    pub spend_cap_cents: Option<i64>,
    /// Whether the period has a cap row (`period` reads as empty otherwise).
    pub in_period: bool,
    #[sqlx(flatten)]
    pub period: super::controls::SpendCapRow,
}

/// What the edge's limits are worked out from, read in one transaction so they agree.
#[derive(Clone, Debug, Default)]
pub(crate) struct LimitsRows {
    /// Every account's tier changes, by account then time.
    pub changes: Vec<super::operator::FleetTierChangeRow>,
    /// The period's usage by account and region.
    pub usage: Vec<super::operator::FleetUsageRow>,
    /// Accounts with a spend cap set, or whose cap did something this period.
    pub caps: Vec<CapSettingRow>,
}

#[async_trait]
pub(crate) trait LifecycleStore: Send + Sync {
    /// Every account with the tier in effect at `at` (unix seconds), by account id.
    async fn account_tiers(&self, at: i64) -> Result<Vec<AccountTierRow>>;
    /// The rows behind the edge's limits for the period starting at `period_start`.
    async fn limits_rows(&self, period_start: i64) -> Result<LimitsRows>;
    /// Deletes at most `max` of the account's raw usage records whose window starts before
    /// `before`, oldest first; answers how many.
    async fn delete_records_before(&self, account_id: &str, before: i64, max: i64) -> Result<u64>;
    /// Deletes the account's hourly rollups (by route and region, and the totals) of hours
    /// before `before`, at most `span` seconds of hours from the oldest; answers the rows
    /// deleted.
    async fn delete_hours_before(&self, account_id: &str, before: i64, span: i64) -> Result<u64>;
    /// Deletes at most `max` batch claims received before `before`; answers how many.
    async fn delete_batches_before(&self, before: i64, max: i64) -> Result<u64>;
}

/// Implements [`LifecycleStore`] for a store with a `pool` for reads and `$writer` for
/// writes.
macro_rules! impl_lifecycle_store {
    ($store:ty, $writer:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::lifecycle::LifecycleStore for $store {
            async fn account_tiers(&self, at: i64) -> $crate::error::Result<Vec<$crate::store::lifecycle::AccountTierRow>> {
                Ok(sqlx::query_as(
                    "SELECT t.account_id, t.tier FROM tier_changes t \
                     WHERE t.effective_at = (SELECT MAX(u.effective_at) FROM tier_changes u \
                                             WHERE u.account_id = t.account_id AND u.effective_at <= $1) \
                     ORDER BY t.account_id",
                )
                .bind(at)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn limits_rows(&self, period_start: i64) -> $crate::error::Result<$crate::store::lifecycle::LimitsRows> {
                use $crate::store::lifecycle::*;
                use $crate::store::operator::{FleetTierChangeRow, FleetUsageRow};
                let mut tx = self.pool.begin().await?;
                let changes: Vec<FleetTierChangeRow> =
                    sqlx::query_as($crate::store::operator::ALL_TIER_CHANGES).fetch_all(&mut *tx).await?;
                let usage: Vec<FleetUsageRow> = sqlx::query_as($crate::store::operator::PERIOD_USAGE_FROM_TO)
                    .bind(period_start)
                    .bind(period_start + 1)
                    .fetch_all(&mut *tx)
                    .await?;
                // The period's cap row where there is one (`in_period`); its counters read 0 where
                // there is none.
                let caps: Vec<CapSettingRow> = sqlx::query_as(
                    "SELECT a.account_id, c.spend_cap_cents, p.account_id IS NOT NULL AS in_period, \
                            p.cap_cents, p.capped_at, p.limit_requests, p.limit_compute_ms, p.limit_egress, \
                            COALESCE(p.refused_requests, 0) AS refused_requests, \
                            COALESCE(p.refused_compute_ms, 0) AS refused_compute_ms, \
                            COALESCE(p.refused_egress, '0') AS refused_egress \
                     FROM (SELECT account_id FROM account_controls WHERE spend_cap_cents IS NOT NULL \
                           UNION SELECT account_id FROM spend_cap_periods WHERE period_start = $1) a \
                     LEFT JOIN account_controls c ON c.account_id = a.account_id \
                     LEFT JOIN spend_cap_periods p ON p.account_id = a.account_id AND p.period_start = $1 \
                     ORDER BY a.account_id",
                )
                .bind(period_start)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(LimitsRows { changes, usage, caps })
            }

            async fn delete_records_before(&self, account_id: &str, before: i64, max: i64) -> $crate::error::Result<u64> {
                let done = sqlx::query(
                    "DELETE FROM usage_records WHERE account_id = $1 AND id IN \
                     (SELECT id FROM usage_records WHERE account_id = $1 AND window_start < $2 ORDER BY id LIMIT $3)",
                )
                .bind(account_id)
                .bind(before)
                .bind(max)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn delete_hours_before(&self, account_id: &str, before: i64, span: i64) -> $crate::error::Result<u64> {
                let mut tx = self.$writer.begin().await?;
                let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(hour) FROM usage_hourly_total WHERE account_id = $1")
                    .bind(account_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let Some(oldest) = oldest.filter(|h| *h < before) else { return Ok(0) };
                let through = before.min(oldest.saturating_add(span));
                let mut deleted = 0;
                for table in ["usage_hourly", "usage_hourly_total"] {
                    deleted += sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1 AND hour < $2"))
                        .bind(account_id)
                        .bind(through)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok(deleted)
            }

            async fn delete_batches_before(&self, before: i64, max: i64) -> $crate::error::Result<u64> {
                let done = sqlx::query(
                    "DELETE FROM batches WHERE (node_id, batch_id) IN \
                     (SELECT node_id, batch_id FROM batches WHERE received_at < $1 LIMIT $2)",
                )
                .bind(before)
                .bind(max)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_lifecycle_store;
