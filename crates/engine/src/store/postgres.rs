//! The PostgreSQL backend, for production: several server replicas may share one database,
//! so every rule is held by keys and transactions in the database itself.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};

use super::common::impl_store;
use super::controls::impl_controls_store;
use super::{Counters, HourKey, HourlyKey, PeriodKey, RecordRow};
use crate::error::{EngineError, Result};

const MAX_CONNECTIONS: u32 = 16;
// Each connection is pinged as it leaves the pool (sqlx's default): a round trip, but a
// connection the server ended (a restart, a network cut) is replaced rather than failing the
// request that took it, also when background tasks kept it busy until then
// (`tests/hosts.rs`).

/// The longest a first connection may take to answer when the store opens.
const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects once before the pool does: a server that refuses, a host that cannot be found or
/// does not answer is said at once and by name, rather than after the pool's wait for a
/// connection, which would read as a connection lost. Another failure (a password refused, a
/// database that does not exist) is the server's own answer and passes through.
async fn first_connection(options: &PgConnectOptions) -> Result<()> {
    let host = format!("{}:{}", options.get_host(), options.get_port());
    let unreachable = |why: String| EngineError::NoDatabaseHost { wanted: "answers", failures: format!("{host}: {why}") };
    match tokio::time::timeout(FIRST_CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Err(_) => Err(unreachable(format!("no answer within {} s", FIRST_CONNECT_TIMEOUT.as_secs()))),
        Ok(Err(e @ (sqlx::Error::Io(_) | sqlx::Error::Tls(_)))) => Err(unreachable(e.to_string())),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(conn)) => {
            // Closing politely can only fail on a connection already gone; the pool opens its own.
            let _ = conn.close().await;
            Ok(())
        }
    }
}

pub(crate) struct PgStore {
    pub(super) pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://...`) and migrates the database. A URL with several
    /// hosts (`postgres://h1:5432,h2:5432/db?target_session_attrs=read-write`) connects to the
    /// one that accepts writes and follows it when it fails over (see [`super::pg_hosts`]).
    pub(crate) async fn open(url: &str) -> Result<PgStore> {
        let pool = match super::pg_hosts::parse(url)? {
            Some(hosts) => super::pg_hosts::connect(hosts, MAX_CONNECTIONS).await?,
            None => {
                let options: PgConnectOptions = url.parse()?;
                first_connection(&options).await?;
                PgPoolOptions::new().max_connections(MAX_CONNECTIONS).connect_with(options).await?
            }
        };
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Read committed is enough: every conflict that matters meets a unique key, which makes
    /// the second writer wait for the first and then see its row.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Rows of `columns` from `SELECT {columns} ` and what `rest` writes after it, as `T`s (a
    /// tuple of the columns). The SQLite backend packs them; PostgreSQL hands rows over fast.
    pub(crate) async fn fetch_many<'q, 'c, T, E>(
        executor: E,
        columns: &str,
        rest: impl FnOnce(&mut QueryBuilder<'q, Postgres>),
    ) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
        E: sqlx::Executor<'c, Database = Postgres>,
    {
        let mut q = QueryBuilder::new(format!("SELECT {columns} "));
        rest(&mut q);
        Ok(q.build_query_as().fetch_all(executor).await?)
    }

    /// A subquery that packs the rows of `columns` `from` (`FROM .. WHERE ..`), ordered by
    /// `order`, into one JSON array of arrays (`[]` for none), read back by
    /// [`super::unpack_rows`].
    pub(crate) fn packed_rows(columns: &str, from: &str, order: &str) -> String {
        format!("(SELECT COALESCE(json_agg(json_build_array({columns}) ORDER BY {order}), '[]')::text {from})")
    }

    /// A read-only transaction whose reads all see one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?)
    }

    /// The rows of an hourly usage query (`sql` over account, from, to).
    async fn hour_rows(
        tx: &mut Transaction<'static, Postgres>,
        sql: &str,
        account_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<super::BucketRow>> {
        Ok(sqlx::query_as(sql).bind(account_id).bind(from).bind(to).fetch_all(&mut **tx).await?)
    }

    /// Deletes up to `max` queued batches of id at most `through`, oldest first, and answers
    /// their hourly sums. Rows another roll-up holds are skipped, or with `wait` waited for:
    /// once that roll-up commits they are gone.
    async fn take_queued(tx: &mut Transaction<'static, Postgres>, max: i64, through: i64, wait: bool) -> Result<Vec<String>> {
        let sql = if wait {
            "DELETE FROM rollup_queue WHERE id IN \
             (SELECT id FROM rollup_queue WHERE id <= $2 ORDER BY id LIMIT $1 FOR UPDATE) RETURNING hourly"
        } else {
            "DELETE FROM rollup_queue WHERE id IN \
             (SELECT id FROM rollup_queue WHERE id <= $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING hourly"
        };
        Ok(sqlx::query_scalar(sql).bind(max).bind(through).fetch_all(&mut **tx).await?)
    }

    /// The usage log takes its rows by `COPY`: PostgreSQL then fills whole heap pages at a
    /// time (one WAL record per page rather than per row) and runs no statement per row.
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
        let (node_id, batch_id) = (copy_text(node_id), copy_text(batch_id));
        let mut data = String::with_capacity(records.len() * 160);
        for r in records {
            let _ = writeln!(
                data,
                "{}\t{node_id}\t{batch_id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{received_at}",
                copy_text(&r.account_id),
                copy_text(&r.route),
                copy_text(&r.region),
                r.window_start,
                r.window_seconds,
                r.counters.requests,
                r.counters.compute_ms,
                r.counters.egress_bytes,
            );
        }
        let mut copy = tx
            .copy_in_raw(
                "COPY usage_records (account_id, node_id, batch_id, route, region, window_start, window_seconds, \
                 requests, compute_ms, egress_bytes, received_at) FROM STDIN",
            )
            .await?;
        copy.send(data.into_bytes()).await?;
        copy.finish().await?;
        Ok(())
    }

    async fn upsert_hourly(tx: &mut Transaction<'static, Postgres>, rows: &BTreeMap<HourlyKey, Counters>) -> Result<()> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            add_counters_sql("usage_hourly", &[("account_id", "text"), ("hour", "bigint"), ("route", "text"), ("region", "text")])
        });
        add_counters(tx, &SQL, rows, |q, keys| {
            q.bind(keys.clone().map(|k| k.0.as_ref()).collect::<Vec<&str>>())
                .bind(keys.clone().map(|k| k.1).collect::<Vec<i64>>())
                .bind(keys.clone().map(|k| k.2.as_ref()).collect::<Vec<&str>>())
                .bind(keys.map(|k| k.3.as_ref()).collect::<Vec<&str>>())
        })
        .await
    }

    async fn upsert_hourly_totals(tx: &mut Transaction<'static, Postgres>, rows: &BTreeMap<HourKey, Counters>) -> Result<()> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| add_counters_sql("usage_hourly_total", &[("account_id", "text"), ("hour", "bigint")]));
        add_counters(tx, &SQL, rows, |q, keys| {
            q.bind(keys.clone().map(|k| k.0.as_ref()).collect::<Vec<&str>>()).bind(keys.map(|k| k.1).collect::<Vec<i64>>())
        })
        .await
    }

    async fn upsert_period(tx: &mut Transaction<'static, Postgres>, rows: &BTreeMap<PeriodKey, Counters>) -> Result<()> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| add_counters_sql("period_usage", &[("account_id", "text"), ("period_start", "bigint"), ("region", "text")]));
        add_counters(tx, &SQL, rows, |q, keys| {
            q.bind(keys.clone().map(|k| k.0.as_ref()).collect::<Vec<&str>>())
                .bind(keys.clone().map(|k| k.1).collect::<Vec<i64>>())
                .bind(keys.map(|k| k.2.as_ref()).collect::<Vec<&str>>())
        })
        .await
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// The statement that adds counters to the rollup `table`, keyed by `keys` (each column with
/// its PostgreSQL type): the rows come as one array per column through `UNNEST`, so one
/// statement takes any number of them.
fn add_counters_sql(table: &str, keys: &[(&str, &str)]) -> String {
    let names: Vec<&str> = keys.iter().map(|(name, _)| *name).collect();
    let arrays: Vec<String> =
        keys.iter().map(|(_, ty)| *ty).chain(["bigint"; 3]).enumerate().map(|(i, ty)| format!("${}::{ty}[]", i + 1)).collect();
    let names = names.join(", ");
    format!(
        "INSERT INTO {table} ({names}, requests, compute_ms, egress_bytes) SELECT * FROM UNNEST({}) \
         ON CONFLICT ({names}) DO UPDATE SET requests = {table}.requests + excluded.requests, \
         compute_ms = {table}.compute_ms + excluded.compute_ms, egress_bytes = {table}.egress_bytes + excluded.egress_bytes",
        arrays.join(", ")
    )
}

/// Adds `rows` to a rollup with `sql` (from [`add_counters_sql`]): `bind_keys` binds the
/// keys' columns, in the statement's order, from the rows' keys.
async fn add_counters<'q, K>(
    tx: &mut Transaction<'static, Postgres>,
    sql: &'q str,
    rows: &'q BTreeMap<K, Counters>,
    bind_keys: impl FnOnce(PgQuery<'q>, std::collections::btree_map::Keys<'q, K, Counters>) -> PgQuery<'q>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (requests, compute, egress) = columns(rows.values());
    bind_keys(sqlx::query(sql), rows.keys()).bind(requests).bind(compute).bind(egress).execute(&mut **tx).await?;
    Ok(())
}

/// `text` as a field of `COPY`'s text format, where a backslash starts an escape, a tab
/// separates fields and a newline ends the row.
fn copy_text(text: &str) -> Cow<'_, str> {
    if !text.contains(['\\', '\t', '\n', '\r']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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

impl PgStore {
    /// The stored shards of a node's series among a list (`shard_list`), by `series_shards`.
    pub(crate) const SHARDS_SELECT: &'static str = "SELECT shard, version, series FROM usage_series WHERE node_id = $1 AND shard = ANY($2)";

    /// Shard numbers as one bound value: an array.
    pub(crate) fn shard_list(shards: &[i64]) -> Vec<i64> {
        shards.to_vec()
    }

    /// Writes the shards of series a batch claims points in, each at the next version of the
    /// one it was read at, locking them in shard order as every writer does. A shard another
    /// writer changed or stored since it was read fails with [`crate::EngineError::Contention`].
    async fn claim_shards(tx: &mut Transaction<'static, Postgres>, node_id: &str, claims: &[super::ShardClaim]) -> Result<()> {
        if claims.is_empty() {
            return Ok(());
        }
        // One statement checks and writes: a stored row is replaced only at the version the
        // batch read (the next version less one), and a new row is inserted only where none
        // is stored. Under READ COMMITTED a row another writer changed is checked again at
        // its committed version, so a claim that lost changes fewer rows than it holds.
        debug_assert!(claims.iter().all(|c| c.row.version == c.read_version + 1));
        debug_assert!(claims.windows(2).all(|w| w[0].row.shard < w[1].row.shard), "in shard order, the order rows are locked in");
        let shard: Vec<i64> = claims.iter().map(|c| c.row.shard).collect();
        let version: Vec<i64> = claims.iter().map(|c| c.row.version).collect();
        let series: Vec<&[u8]> = claims.iter().map(|c| &c.row.series[..]).collect();
        let written = sqlx::query(
            "INSERT INTO usage_series AS s (node_id, shard, version, series) \
             SELECT $1, * FROM UNNEST($2::bigint[], $3::bigint[], $4::bytea[]) \
             ON CONFLICT (node_id, shard) DO UPDATE SET version = EXCLUDED.version, series = EXCLUDED.series \
             WHERE s.version = EXCLUDED.version - 1",
        )
        .bind(node_id)
        .bind(shard)
        .bind(version)
        .bind(series)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if written != claims.len() as u64 {
            return Err(crate::EngineError::Contention);
        }
        Ok(())
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }

    /// The settled period's usage, read inside the ledger decision's transaction.
    /// The share lock keeps batches from changing it until the decision commits.
    pub(crate) const PERIOD_USAGE_FOR_SETTLEMENT: &'static str = "SELECT region, requests, compute_ms, egress_bytes FROM period_usage WHERE account_id = $1 AND period_start = $2 ORDER BY region FOR SHARE";
}

impl_store!(PgStore, sqlx::postgres::PgRow);
super::ingest::impl_ingest_store!(PgStore, sqlx::postgres::PgRow);
super::usage::impl_usage_store!(PgStore, sqlx::postgres::PgRow);
super::invoices::impl_invoice_store!(PgStore, sqlx::postgres::PgRow);
super::lifecycle::impl_lifecycle_store!(PgStore, pool);
super::operator::impl_operator_store!(PgStore);
impl_controls_store!(PgStore, sqlx::postgres::PgRow);
super::webhooks::impl_webhook_store!(PgStore, sqlx::postgres::PgRow, "FOR UPDATE OF e SKIP LOCKED");

#[cfg(test)]
mod tests {
    use super::copy_text;

    #[test]
    fn copy_text_escapes_what_copy_reads_as_syntax() {
        assert_eq!(copy_text("/api/orders"), "/api/orders");
        assert_eq!(copy_text("a\\b\tc\nd\re"), "a\\\\b\\tc\\nd\\re");
    }
}
