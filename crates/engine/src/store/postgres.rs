//! The PostgreSQL backend, for production: several server replicas may share one database,
//! so every rule is held by keys and transactions in the database itself.

use std::collections::BTreeMap;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};

use super::common::impl_store;
use super::{Counters, HourKey, HourlyKey, PeriodKey, RecordRow};
use crate::error::Result;

pub(crate) struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://...`) and migrates the database.
    pub(crate) async fn open(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Read committed is enough: every conflict that matters meets a unique key, which makes
    /// the second writer wait for the first and then see its row.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Bulk writes go through `UNNEST` of one array per column: one statement, any size.
    async fn insert_records(
        tx: &mut Transaction<'static, Postgres>,
        node_id: &str,
        batch_id: &str,
        received_at: i64,
        records: &[RecordRow],
    ) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let account: Vec<&str> = records.iter().map(|r| r.account_id.as_ref()).collect();
        let route: Vec<&str> = records.iter().map(|r| r.route.as_ref()).collect();
        let region: Vec<&str> = records.iter().map(|r| r.region.as_ref()).collect();
        let window_start: Vec<i64> = records.iter().map(|r| r.window_start).collect();
        let window_seconds: Vec<i64> = records.iter().map(|r| r.window_seconds).collect();
        let requests: Vec<i64> = records.iter().map(|r| r.counters.requests).collect();
        let compute: Vec<i64> = records.iter().map(|r| r.counters.compute_ms).collect();
        let egress: Vec<i64> = records.iter().map(|r| r.counters.egress_bytes).collect();
        sqlx::query(
            "INSERT INTO usage_records (account_id, node_id, batch_id, route, region, window_start, window_seconds, \
             requests, compute_ms, egress_bytes, received_at) \
             SELECT a, $9, $10, ro, re, ws, wsec, rq, c, e, $11 \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) \
             AS t(a, ro, re, ws, wsec, rq, c, e)",
        )
        .bind(&account)
        .bind(&route)
        .bind(&region)
        .bind(&window_start)
        .bind(&window_seconds)
        .bind(&requests)
        .bind(&compute)
        .bind(&egress)
        .bind(node_id)
        .bind(batch_id)
        .bind(received_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn upsert_hourly(
        tx: &mut Transaction<'static, Postgres>,
        rows: &BTreeMap<HourlyKey, Counters>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let account: Vec<&str> = rows.keys().map(|k| k.0.as_ref()).collect();
        let hour: Vec<i64> = rows.keys().map(|k| k.1).collect();
        let route: Vec<&str> = rows.keys().map(|k| k.2.as_ref()).collect();
        let region: Vec<&str> = rows.keys().map(|k| k.3.as_ref()).collect();
        let (requests, compute, egress) = columns(rows.values());
        sqlx::query(
            "INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) \
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) \
             ON CONFLICT (account_id, hour, route, region) DO UPDATE SET \
             requests = usage_hourly.requests + excluded.requests, \
             compute_ms = usage_hourly.compute_ms + excluded.compute_ms, \
             egress_bytes = usage_hourly.egress_bytes + excluded.egress_bytes",
        )
        .bind(&account)
        .bind(&hour)
        .bind(&route)
        .bind(&region)
        .bind(&requests)
        .bind(&compute)
        .bind(&egress)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn upsert_hourly_totals(
        tx: &mut Transaction<'static, Postgres>,
        rows: &BTreeMap<HourKey, Counters>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let account: Vec<&str> = rows.keys().map(|k| k.0.as_ref()).collect();
        let hour: Vec<i64> = rows.keys().map(|k| k.1).collect();
        let (requests, compute, egress) = columns(rows.values());
        sqlx::query(
            "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) \
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) \
             ON CONFLICT (account_id, hour) DO UPDATE SET \
             requests = usage_hourly_total.requests + excluded.requests, \
             compute_ms = usage_hourly_total.compute_ms + excluded.compute_ms, \
             egress_bytes = usage_hourly_total.egress_bytes + excluded.egress_bytes",
        )
        .bind(&account)
        .bind(&hour)
        .bind(&requests)
        .bind(&compute)
        .bind(&egress)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn upsert_period(
        tx: &mut Transaction<'static, Postgres>,
        rows: &BTreeMap<PeriodKey, Counters>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let account: Vec<&str> = rows.keys().map(|k| k.0.as_ref()).collect();
        let period_start: Vec<i64> = rows.keys().map(|k| k.1).collect();
        let region: Vec<&str> = rows.keys().map(|k| k.2.as_ref()).collect();
        let (requests, compute, egress) = columns(rows.values());
        sqlx::query(
            "INSERT INTO period_usage (account_id, period_start, region, requests, compute_ms, egress_bytes) \
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) \
             ON CONFLICT (account_id, period_start, region) DO UPDATE SET \
             requests = period_usage.requests + excluded.requests, \
             compute_ms = period_usage.compute_ms + excluded.compute_ms, \
             egress_bytes = period_usage.egress_bytes + excluded.egress_bytes",
        )
        .bind(&account)
        .bind(&period_start)
        .bind(&region)
        .bind(&requests)
        .bind(&compute)
        .bind(&egress)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

fn columns<'a>(counters: impl Iterator<Item = &'a Counters>) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for c in counters {
        out.0.push(c.requests);
        out.1.push(c.compute_ms);
        out.2.push(c.egress_bytes);
    }
    out
}

impl_store!(PgStore, sqlx::postgres::PgRow);
