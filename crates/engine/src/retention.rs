//! How long usage is kept, and the bounded job that removes what is past it.
//!
//! - Hourly usage (the charts and cost by route) is kept for the account's tier's metric
//!   retention (`metric_retention_days` in [`edgecost_pricing::Tier::limits`]), 13 months
//!   ([`HOURLY_RETENTION_DAYS_DEFAULT`]) where the tier sets none.
//! - Raw usage records (the usage log) are kept [`RetentionSettings::raw_days`] after their
//!   period closes, and never longer than the tier's metric retention.
//! - Neither is removed from the open period, and the period totals, invoices and the credit
//!   ledger are never removed: bills and invoices are rated from them, so expiry never changes one.
//! - Batch claims (which make a resent batch count once) are kept as long as the raw records of
//!   a paid tier: a batch resent later is refused record by record as too late anyway.
//!
//! The tier is the one in effect when the job runs. Each delete takes at most
//! [`RECORDS_PER_DELETE`] records or [`HOURS_SPAN_PER_DELETE`] of hours, so ingest never waits
//! long behind it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::engine::Engine;
use crate::error::Result;
use crate::period::{Period, from_unix};

/// Hourly usage kept where a tier sets no metric retention: 13 months.
pub const HOURLY_RETENTION_DAYS_DEFAULT: u32 = 395;
/// Raw records kept after their period closes, unless configured otherwise: long enough to
/// answer a dispute of the last three invoices.
pub const RAW_RETENTION_DAYS_DEFAULT: u32 = 90;
/// Records one delete removes at most.
pub const RECORDS_PER_DELETE: i64 = 5_000;
/// Hours of one account's rollups one delete removes at most (seven days).
pub const HOURS_SPAN_PER_DELETE: i64 = 7 * 24 * 3_600;
/// How often `edgecost serve` runs the job by default.
pub const RETENTION_EVERY_DEFAULT: Duration = Duration::from_secs(3_600);

const DAY: i64 = 86_400;

/// The operator's settings for the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Days raw records are kept after their period closes.
    pub raw_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings { raw_days: RAW_RETENTION_DAYS_DEFAULT }
    }
}

/// What one run of the job removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Raw usage records.
    pub records: u64,
    /// Hourly rollup rows (by route and region, and the hourly totals).
    pub hourly_rows: u64,
    /// Batch claims.
    pub batches: u64,
}

/// The first hour of hourly usage a tier that keeps it `metric_retention_days` (the default
/// when `None`) still holds at `now`, in Unix seconds: back from `now` by those days, to the
/// start of its hour, and never into the open period.
pub fn hourly_usage_kept_from(metric_retention_days: Option<u32>, now: DateTime<Utc>) -> i64 {
    let open = Period::containing(now).start_unix();
    let metric = now.timestamp() - i64::from(metric_retention_days.unwrap_or(HOURLY_RETENTION_DAYS_DEFAULT)) * DAY;
    let hours = metric.min(open);
    hours - hours.rem_euclid(3_600)
}

/// The times before which one account's usage may go: (raw records' window start, hours).
pub(crate) fn cutoffs(settings: &RetentionSettings, metric_retention_days: Option<u32>, now: DateTime<Utc>) -> (i64, i64) {
    let open = Period::containing(now).start_unix();
    let hours = hourly_usage_kept_from(metric_retention_days, now);
    let now = now.timestamp();
    let metric = now - i64::from(metric_retention_days.unwrap_or(HOURLY_RETENTION_DAYS_DEFAULT)) * DAY;
    // Periods that closed `raw_days` ago or earlier end at or before the start of the period
    // holding that time.
    let closed_long_ago = Period::containing(from_unix(now - i64::from(settings.raw_days) * DAY)).start_unix();
    let raw = closed_long_ago.max(metric).min(open);
    (raw, hours)
}

impl Engine {
    /// Removes the usage past its retention at `now` (see the module's rules), in bounded
    /// deletes, and answers what went.
    pub async fn expire_usage(&self, settings: &RetentionSettings, now: DateTime<Utc>) -> Result<RetentionReport> {
        let mut report = RetentionReport::default();
        // PostgreSQL: next month's partitions before its data, and whole months past every
        // account's retention dropped at once.
        let open = Period::containing(now);
        self.store.prepare_partitions(&[open, open.next()]).await?;
        // Raw records of periods closed `raw_days` ago are expired on every tier.
        let records_before =
            Period::containing(from_unix(now.timestamp() - i64::from(settings.raw_days) * DAY)).start_unix().min(open.start_unix());
        let hours_before = self
            .book
            .tiers
            .iter()
            .map(|t| cutoffs(settings, t.limits.metric_retention_days, now).1)
            .min()
            .unwrap_or(cutoffs(settings, None, now).1);
        let dropped = self.store.drop_partitions_before(records_before, hours_before).await?;
        report.records += dropped.records;
        report.hourly_rows += dropped.hourly_rows;
        for account in self.store.account_tiers(now.timestamp()).await? {
            let days = self.book.tier(&account.tier).and_then(|t| t.limits.metric_retention_days);
            let (raw, hours) = cutoffs(settings, days, now);
            loop {
                let n = self.store.delete_records_before(&account.account_id, raw, RECORDS_PER_DELETE).await?;
                report.records += n;
                if n < RECORDS_PER_DELETE as u64 {
                    break;
                }
            }
            loop {
                let n = self.store.delete_hours_before(&account.account_id, hours, HOURS_SPAN_PER_DELETE).await?;
                if n == 0 {
                    break;
                }
                report.hourly_rows += n;
            }
        }
        let (batches_before, _) = cutoffs(settings, None, now);
        loop {
            let n = self.store.delete_batches_before(batches_before, RECORDS_PER_DELETE).await?;
            report.batches += n;
            if n < RECORDS_PER_DELETE as u64 {
                break;
            }
        }
        Ok(report)
    }

    /// Runs [`Engine::expire_usage`] now and then every `every`, with the clock, until the
    /// engine is dropped or the returned task is aborted. A failed run is logged and retried
    /// at the next.
    pub fn start_expiry(&self, settings: RetentionSettings, every: Duration) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                match engine.expire_usage(&settings, Utc::now()).await {
                    Ok(r) if r != RetentionReport::default() => {
                        tracing::info!(
                            records = r.records,
                            hourly_rows = r.hourly_rows,
                            batches = r.batches,
                            "expired usage past its retention"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "expiring usage failed; it is tried again at the next run"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_paid_tier_keeps_raw_records_ninety_days_past_their_period_and_hours_thirteen_months() {
        let (raw, hours) = cutoffs(&RetentionSettings::default(), None, at("2026-12-06T15:30:00Z"));
        // 90 days before is Sep 7: August (closed Sep 1) may go, September stays.
        assert_eq!(from_unix(raw), at("2026-09-01T00:00:00Z"));
        // 395 days before, on the hour.
        assert_eq!(from_unix(hours), at("2025-11-06T15:00:00Z"));
    }

    #[test]
    fn a_thirty_day_tier_keeps_thirty_days_but_never_removes_the_open_period() {
        let (raw, hours) = cutoffs(&RetentionSettings::default(), Some(30), at("2026-12-06T15:30:00Z"));
        assert_eq!(from_unix(raw), at("2026-11-06T15:30:00Z"));
        assert_eq!(from_unix(hours), at("2026-11-06T15:00:00Z"));
        // On the 31st of a month, 30 days back is still in the open period: nothing of it goes.
        let (raw, hours) = cutoffs(&RetentionSettings::default(), Some(30), at("2026-12-31T12:00:00Z"));
        assert_eq!(from_unix(raw), at("2026-12-01T00:00:00Z"));
        assert_eq!(from_unix(hours), at("2026-12-01T00:00:00Z"));
    }
}
