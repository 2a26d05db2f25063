//! The SQLite backend: one database file in WAL mode, the embedded default.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use super::common::impl_store;
use super::{Counters, HourKey, HourlyKey, PeriodKey, RecordRow};
use crate::error::Result;

/// SQLite allows 32,766 bound values per statement; 12 columns x 2,000 rows stays below.
const ROWS_PER_STATEMENT: usize = 2_000;

pub(crate) struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://PATH`) and migrates it.
    pub(crate) async fn open(url: &str) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL makes each commit durable before the answer leaves, also on power loss.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        // An in-memory database lives and dies with its one connection: keep exactly one, forever.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            SqlitePoolOptions::new().max_connections(8).connect_with(options).await?
        };
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// A write transaction that takes SQLite's write lock up front. A deferred transaction
    /// that reads before it writes could otherwise fail to upgrade when another writer
    /// commits in between.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn insert_records(
        tx: &mut Transaction<'static, Sqlite>,
        node_id: &str,
        batch_id: &str,
        received_at: i64,
        records: &[RecordRow],
    ) -> Result<()> {
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO usage_records (account_id, node_id, batch_id, route, region, window_start, \
                 window_seconds, requests, compute_ms, egress_bytes, received_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(&r.account_id)
                    .push_bind(node_id)
                    .push_bind(batch_id)
                    .push_bind(&r.route)
                    .push_bind(&r.region)
                    .push_bind(r.window_start)
                    .push_bind(r.window_seconds)
                    .push_bind(r.counters.requests)
                    .push_bind(r.counters.compute_ms)
                    .push_bind(r.counters.egress_bytes)
                    .push_bind(received_at);
            });
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn upsert_hourly(
        tx: &mut Transaction<'static, Sqlite>,
        rows: &BTreeMap<HourlyKey, Counters>,
    ) -> Result<()> {
        let rows: Vec<_> = rows.iter().collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) ",
            );
            q.push_values(chunk, |mut b, ((account, hour, route, region), c)| {
                b.push_bind(account)
                    .push_bind(*hour)
                    .push_bind(route)
                    .push_bind(region)
                    .push_bind(c.requests)
                    .push_bind(c.compute_ms)
                    .push_bind(c.egress_bytes);
            });
            q.push(
                " ON CONFLICT (account_id, hour, route, region) DO UPDATE SET \
                 requests = requests + excluded.requests, compute_ms = compute_ms + excluded.compute_ms, \
                 egress_bytes = egress_bytes + excluded.egress_bytes",
            );
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn upsert_hourly_totals(
        tx: &mut Transaction<'static, Sqlite>,
        rows: &BTreeMap<HourKey, Counters>,
    ) -> Result<()> {
        let rows: Vec<_> = rows.iter().collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) ",
            );
            q.push_values(chunk, |mut b, ((account, hour), c)| {
                b.push_bind(account).push_bind(*hour).push_bind(c.requests).push_bind(c.compute_ms).push_bind(c.egress_bytes);
            });
            q.push(
                " ON CONFLICT (account_id, hour) DO UPDATE SET \
                 requests = requests + excluded.requests, compute_ms = compute_ms + excluded.compute_ms, \
                 egress_bytes = egress_bytes + excluded.egress_bytes",
            );
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn upsert_period(
        tx: &mut Transaction<'static, Sqlite>,
        rows: &BTreeMap<PeriodKey, Counters>,
    ) -> Result<()> {
        let rows: Vec<_> = rows.iter().collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO period_usage (account_id, period_start, region, requests, compute_ms, egress_bytes) ",
            );
            q.push_values(chunk, |mut b, ((account, period_start, region), c)| {
                b.push_bind(account)
                    .push_bind(*period_start)
                    .push_bind(region)
                    .push_bind(c.requests)
                    .push_bind(c.compute_ms)
                    .push_bind(c.egress_bytes);
            });
            q.push(
                " ON CONFLICT (account_id, period_start, region) DO UPDATE SET \
                 requests = requests + excluded.requests, compute_ms = compute_ms + excluded.compute_ms, \
                 egress_bytes = egress_bytes + excluded.egress_bytes",
            );
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

impl_store!(SqliteStore, sqlx::sqlite::SqliteRow);
