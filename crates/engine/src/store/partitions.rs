//! Monthly partitions of the usage tables on PostgreSQL (migration 0017): each month's
//! partition is created ahead of its data, and a month past every account's retention is
//! dropped whole. SQLite keeps one table each and deletes rows instead.

use async_trait::async_trait;
#[cfg(feature = "postgres")]
use chrono::Datelike;

use crate::error::Result;
use crate::period::Period;
#[cfg(feature = "postgres")]
use crate::period::from_unix;

/// The partitioned tables and the column each is partitioned on.
#[cfg(feature = "postgres")]
pub(crate) const PARTITIONED: [(&str, &str); 3] =
    [("usage_records", "window_start"), ("usage_hourly", "hour"), ("usage_hourly_total", "hour")];

/// The name of `table`'s partition for the month starting at `start` (Unix seconds):
/// `usage_hourly_p202612`.
#[cfg(feature = "postgres")]
pub(crate) fn partition_name(table: &str, start: i64) -> String {
    let at = from_unix(start);
    format!("{table}_p{:04}{:02}", at.year(), at.month())
}

/// The month a partition name stands for, as its period; `None` for the default partition.
#[cfg(feature = "postgres")]
pub(crate) fn partition_month(table: &str, name: &str) -> Option<Period> {
    let digits = name.strip_prefix(table)?.strip_prefix("_p")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month) = (digits[..4].parse().ok()?, digits[4..].parse().ok()?);
    let start = chrono::NaiveDate::from_ymd_opt(year, month, 1)?.and_hms_opt(0, 0, 0)?.and_utc();
    Some(Period::containing(start))
}

/// Rows dropped with whole partitions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub records: u64,
    pub hourly_rows: u64,
}

#[async_trait]
pub(crate) trait PartitionStore: Send + Sync {
    /// Creates the monthly partitions of `months` that do not exist yet, unless the default
    /// partition already holds rows of that month (they stay there). Nothing on SQLite.
    async fn prepare_partitions(&self, _months: &[Period]) -> Result<()> {
        Ok(())
    }

    /// Drops the log's monthly partitions that end at or before `records_before`, and the
    /// rollups' that end at or before `hours_before`, answering the rows they held. Nothing on
    /// SQLite.
    async fn drop_partitions_before(&self, _records_before: i64, _hours_before: i64) -> Result<Dropped> {
        Ok(Dropped::default())
    }
}

impl PartitionStore for super::sqlite::SqliteStore {}

#[cfg(feature = "postgres")]
#[async_trait]
impl PartitionStore for super::postgres::PgStore {
    async fn prepare_partitions(&self, months: &[Period]) -> Result<()> {
        for period in months {
            let (start, end) = (period.start_unix(), period.end.timestamp());
            for (table, column) in PARTITIONED {
                let name = partition_name(table, start);
                let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1)")
                    .bind(&name)
                    .fetch_one(&self.pool)
                    .await?;
                if exists {
                    continue;
                }
                let in_default: bool =
                    sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table}_default WHERE {column} >= $1 AND {column} < $2)"))
                        .bind(start)
                        .bind(end)
                        .fetch_one(&self.pool)
                        .await?;
                if in_default {
                    continue;
                }
                let storage = if table == "usage_records" { "" } else { " WITH (fillfactor = 70)" };
                let created = sqlx::query(&format!(
                    "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES FROM ({start}) TO ({end}){storage}"
                ))
                .execute(&self.pool)
                .await;
                // Another replica created it first, or a row of the month reached the default
                // partition meanwhile: either way the month is stored, and nothing is lost.
                if let Err(e) = created {
                    tracing::info!(partition = %name, error = %e, "a month's partition was not created; its rows stay where they are");
                }
            }
        }
        Ok(())
    }

    async fn drop_partitions_before(&self, records_before: i64, hours_before: i64) -> Result<Dropped> {
        let mut dropped = Dropped::default();
        for (table, _) in PARTITIONED {
            let before = if table == "usage_records" { records_before } else { hours_before };
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                 JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY c.relname",
            )
            .bind(table)
            .fetch_all(&self.pool)
            .await?;
            for name in names {
                let Some(month) = partition_month(table, &name) else { continue };
                if month.end.timestamp() > before {
                    continue;
                }
                let mut tx = self.pool.begin().await?;
                let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {name}")).fetch_one(&mut *tx).await?;
                sqlx::query(&format!("DROP TABLE {name}")).execute(&mut *tx).await?;
                tx.commit().await?;
                let rows = u64::try_from(rows).unwrap_or_default();
                if table == "usage_records" {
                    dropped.records += rows;
                } else {
                    dropped.hourly_rows += rows;
                }
            }
        }
        Ok(dropped)
    }
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;

    #[test]
    fn a_partition_name_and_its_month_go_both_ways() {
        let december = Period::containing("2026-12-06T15:30:00Z".parse().unwrap());
        let name = partition_name("usage_hourly", december.start_unix());
        assert_eq!(name, "usage_hourly_p202612");
        assert_eq!(partition_month("usage_hourly", &name), Some(december));
        // The hourly totals' partitions are not the rollups'; the default is no month.
        assert_eq!(partition_month("usage_hourly", "usage_hourly_total_p202612"), None);
        assert_eq!(partition_month("usage_hourly", "usage_hourly_default"), None);
    }
}
