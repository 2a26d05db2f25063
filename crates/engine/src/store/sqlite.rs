//! The SQLite backend: one database file in WAL mode, the embedded default.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use super::common::impl_store;
use super::controls::impl_controls_store;
use super::{Counters, HourKey, HourlyKey, PeriodKey, RecordRow};
use crate::error::Result;

/// Pages of the write connection's cache (`cache_size`, in KiB when negative): room for the
/// hot end of the usage log, its index and the rollups a batch updates.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// WAL pages past which the writer checkpoints after a commit (4 KiB pages: about 40 MiB).
const WAL_CHECKPOINT_PAGES: u32 = 10_000;
/// How often the WAL is checkpointed into the database file beside the writer (see
/// [`checkpoints`]).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// The longest wait between two checkpoints while nothing is written: the wait doubles from
/// [`CHECKPOINT_EVERY`] up to this after each checkpoint that found no new frames, so an idle
/// engine (the app's, on a laptop) is not woken four times a second.
const CHECKPOINT_IDLE_MAX: Duration = Duration::from_secs(4);

pub(crate) struct SqliteStore {
    /// Reads, and single-statement writes.
    pool: SqlitePool,
    /// The one connection that runs write transactions. SQLite takes one writer at a time
    /// anyway; keeping it on one connection means a transaction never starts with a page
    /// cache that another connection's commit made stale, so it reads the rows it updates
    /// from memory rather than from the file.
    writer: SqlitePool,
    /// The task that checkpoints the WAL; stopped with the pools.
    checkpoints: Option<tokio::task::JoinHandle<()>>,
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
        // sqlx pings a connection each time it leaves the pool by default, a trip to the
        // connection's thread and back before every statement; a connection to a local file
        // has no far end that could have gone away.
        let pool_options = || SqlitePoolOptions::new().test_before_acquire(false);
        let one_lasting = || pool_options().max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None);
        if in_memory {
            let pool = one_lasting().connect_with(options).await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            return Ok(SqliteStore { writer: pool.clone(), pool, checkpoints: None });
        }
        // Readers (and their single-statement writes) never checkpoint. The writer does once
        // the WAL passes WAL_CHECKPOINT_PAGES rather than SQLite's 1,000, and by then the
        // `checkpoints` task has copied nearly all of it: the commit that crosses the mark
        // copies what is left and lets the next transaction start the WAL over (a checkpoint
        // beside a busy writer rarely catches up with it, and the WAL grew past 2 GB in a
        // soak without this). Pages rewritten between checkpoints are copied once. Commits
        // stay durable: each still syncs the WAL.
        let options = options.pragma("wal_autocheckpoint", "0");
        let pool = pool_options().max_connections(8).connect_with(options.clone()).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let writer = one_lasting()
            .connect_with(
                options.pragma("cache_size", format!("-{WRITER_CACHE_KIB}")).pragma("wal_autocheckpoint", WAL_CHECKPOINT_PAGES.to_string()),
            )
            .await?;
        let checkpoints = Some(tokio::spawn(checkpoints(pool.clone())));
        Ok(SqliteStore { pool, writer, checkpoints })
    }

    /// A read transaction on a reader connection: in WAL mode its reads all see the snapshot
    /// of its first, and it never waits for the writer.
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN DEFERRED").await?)
    }

    /// The rows of an hourly usage query (`sql` over account, from, to), packed by SQLite
    /// into one JSON array: 90 days by route are thousands of rows, and handing them over one
    /// by one took several times what SQLite took to find them (p99 22.5 ms against 3.5 ms
    /// packed, in the engine bench).
    async fn hour_rows(
        tx: &mut Transaction<'static, Sqlite>,
        sql: &str,
        account_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<super::BucketRow>> {
        let packed: String =
            sqlx::query_scalar(&format!("SELECT json_group_array(json_array(hour, grp, requests, compute_ms, egress_bytes)) FROM ({sql})"))
                .bind(account_id)
                .bind(from)
                .bind(to)
                .fetch_one(&mut **tx)
                .await?;
        let rows: Vec<(i64, String, i64, i64, i64)> = super::unpack_rows(&packed, "hourly usage")?;
        // The usage read puts them in (hour, key) order if the aggregate did not keep it.
        Ok(rows
            .into_iter()
            .map(|(hour, key, requests, compute_ms, egress_bytes)| super::BucketRow {
                hour,
                key,
                counters: super::Counters { requests, compute_ms, egress_bytes },
            })
            .collect())
    }

    /// Rows of `columns` from `SELECT {columns} ` and what `rest` writes after it (`FROM ..
    /// WHERE ..`), packed by SQLite into one JSON array and read back as `T`s (a tuple of the
    /// columns). Handed over one by one, the thousand accounts of a batch took several times
    /// what SQLite took to find them (period totals: 15 ms against 3 ms packed).
    pub(crate) async fn fetch_many<'q, 'c, T, E>(
        executor: E,
        columns: &str,
        rest: impl FnOnce(&mut QueryBuilder<'q, Sqlite>),
    ) -> Result<Vec<T>>
    where
        T: serde::de::DeserializeOwned,
        E: sqlx::Executor<'c, Database = Sqlite>,
    {
        let mut q = QueryBuilder::new(format!("SELECT json_group_array(json_array({columns})) FROM (SELECT {columns} "));
        rest(&mut q);
        q.push(")");
        let packed: String = q.build_query_scalar().fetch_one(executor).await?;
        super::unpack_rows(&packed, "rows")
    }

    /// A subquery that packs the rows of `columns` `from` (`FROM .. WHERE ..`), ordered by
    /// `order`, into one JSON array of arrays (`[]` for none), read back by
    /// [`super::unpack_rows`].
    pub(crate) fn packed_rows(columns: &str, from: &str, order: &str) -> String {
        format!("(SELECT json_group_array(json_array({columns}) ORDER BY {order}) {from})")
    }

    /// A write transaction that takes SQLite's write lock up front. A deferred transaction
    /// that reads before it writes could otherwise fail to upgrade when another writer
    /// commits in between.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Deletes up to `max` queued batches of id at most `through`, oldest first, and answers
    /// their hourly sums. The write lock already keeps other roll-ups out (`_wait` is moot).
    async fn take_queued(tx: &mut Transaction<'static, Sqlite>, max: i64, through: i64, _wait: bool) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM rollup_queue WHERE id IN (SELECT id FROM rollup_queue WHERE id <= $2 ORDER BY id LIMIT $1) RETURNING hourly",
        )
        .bind(max)
        .bind(through)
        .fetch_all(&mut **tx)
        .await?)
    }

    /// Node, batch and receipt time are bound once per statement, not once per row.
    async fn insert_records(
        tx: &mut Transaction<'static, Sqlite>,
        node_id: &str,
        batch_id: &str,
        received_at: i64,
        records: &[RecordRow],
    ) -> Result<()> {
        static SQL: ChunkSql = ChunkSql::new();
        for chunk in fixed_chunks(records) {
            let sql = SQL.get(chunk.len(), |rows| {
                format!(
                    "INSERT INTO usage_records (account_id, node_id, batch_id, route, region, window_start, \
                     window_seconds, requests, compute_ms, egress_bytes, received_at) \
                     SELECT r.column1, b.node_id, b.batch_id, r.column2, r.column3, r.column4, r.column5, r.column6, \
                     r.column7, r.column8, b.received_at \
                     FROM (SELECT ? AS node_id, ? AS batch_id, ? AS received_at) AS b, (VALUES {}) AS r",
                    values_list(rows, 8)
                )
            });
            let mut q = sqlx::query(sql).bind(node_id).bind(batch_id).bind(received_at);
            for r in chunk {
                q = q
                    .bind(r.account_id.as_ref())
                    .bind(r.route.as_ref())
                    .bind(r.region.as_ref())
                    .bind(r.window_start)
                    .bind(r.window_seconds)
                    .bind(r.counters.requests)
                    .bind(r.counters.compute_ms)
                    .bind(r.counters.egress_bytes);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn upsert_hourly(tx: &mut Transaction<'static, Sqlite>, rows: &BTreeMap<HourlyKey, Counters>) -> Result<()> {
        static SQL: ChunkSql = ChunkSql::new();
        let statement = |rows| {
            format!(
                "INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) \
                 VALUES {} ON CONFLICT (account_id, hour, route, region) DO UPDATE SET {ADD_COUNTERS}",
                values_list(rows, 7)
            )
        };
        upsert_rollup(tx, &SQL, rows, statement, |q, (account, hour, route, region)| {
            q.bind(account.as_ref()).bind(*hour).bind(route.as_ref()).bind(region.as_ref())
        })
        .await
    }

    async fn upsert_hourly_totals(tx: &mut Transaction<'static, Sqlite>, rows: &BTreeMap<HourKey, Counters>) -> Result<()> {
        static SQL: ChunkSql = ChunkSql::new();
        let statement = |rows| {
            format!(
                "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) \
                 VALUES {} ON CONFLICT (account_id, hour) DO UPDATE SET {ADD_COUNTERS}",
                values_list(rows, 5)
            )
        };
        upsert_rollup(tx, &SQL, rows, statement, |q, (account, hour)| q.bind(account.as_ref()).bind(*hour)).await
    }

    async fn upsert_period(tx: &mut Transaction<'static, Sqlite>, rows: &BTreeMap<PeriodKey, Counters>) -> Result<()> {
        static SQL: ChunkSql = ChunkSql::new();
        let statement = |rows| {
            format!(
                "INSERT INTO period_usage (account_id, period_start, region, requests, compute_ms, egress_bytes) \
                 VALUES {} ON CONFLICT (account_id, period_start, region) DO UPDATE SET {ADD_COUNTERS}",
                values_list(rows, 6)
            )
        };
        upsert_rollup(tx, &SQL, rows, statement, |q, (account, period_start, region)| {
            q.bind(account.as_ref()).bind(*period_start).bind(region.as_ref())
        })
        .await
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.stop_checkpoints();
    }
}

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] while it grows, on a reader connection,
/// and less often while it does not (up to [`CHECKPOINT_IDLE_MAX`]). A passive checkpoint
/// takes no write lock: it copies the frames no reader still needs into the database file
/// while the writer goes on appending, so the writer's own checkpoint finds little left to
/// copy. A failed checkpoint (the disk full, say) leaves the frames in the WAL, where they
/// stay readable and durable, for the next one.
async fn checkpoints(pool: SqlitePool) {
    let mut wait = CHECKPOINT_EVERY;
    let mut failing = false;
    // The WAL's length in frames at the last checkpoint: a new length means new writes.
    let mut last_frames = None;
    loop {
        tokio::time::sleep(wait).await;
        let checkpoint: std::result::Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await;
        match checkpoint {
            // Said once when it starts failing, and once when it works again.
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "checkpointing the SQLite WAL failed; retrying every {CHECKPOINT_EVERY:?}");
                    failing = true;
                }
                wait = CHECKPOINT_EVERY;
            }
            Ok((_busy, frames, _copied)) => {
                if failing {
                    tracing::info!("checkpointing the SQLite WAL works again");
                    failing = false;
                }
                wait = if last_frames == Some(frames) { (wait * 2).min(CHECKPOINT_IDLE_MAX) } else { CHECKPOINT_EVERY };
                last_frames = Some(frames);
            }
        }
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Adds `rows` to a rollup table in statements of the sizes in [`CHUNK_ROWS`]: `statement`
/// writes the text for a number of rows, and each row binds its key (`bind_key`), then its
/// counters.
async fn upsert_rollup<K>(
    tx: &mut Transaction<'static, Sqlite>,
    sql: &ChunkSql,
    rows: &BTreeMap<K, Counters>,
    statement: impl Fn(usize) -> String,
    bind_key: impl for<'q> Fn(SqliteQuery<'q>, &'q K) -> SqliteQuery<'q>,
) -> Result<()> {
    let rows: Vec<_> = rows.iter().collect();
    for chunk in fixed_chunks(&rows) {
        let mut q = sqlx::query(sql.get(chunk.len(), &statement));
        for (key, c) in chunk {
            q = bind_key(q, key).bind(c.requests).bind(c.compute_ms).bind(c.egress_bytes);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The update of a rollup row that already exists.
// SQLite turns an integer sum past i64 into a float instead of failing. The period bounds
// checked in every ingest transaction (`validate::check_period_totals`) keep every period
// total, and so every hourly rollup (a part of one period's total), far below that.
const ADD_COUNTERS: &str = "requests = requests + excluded.requests, compute_ms = compute_ms + excluded.compute_ms, \
     egress_bytes = egress_bytes + excluded.egress_bytes";

/// Rows per statement, largest first. Bulk writes use statements of these sizes only, so a
/// connection prepares a handful of statements per table once and reuses them whatever the
/// batch size. 1,000 usage records bind 8,003 values, below SQLite's 32,766.
const CHUNK_ROWS: [usize; 4] = [1_000, 100, 10, 1];

/// `rows` cut into slices of the sizes in [`CHUNK_ROWS`], largest first.
fn fixed_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = CHUNK_ROWS.iter().copied().find(|&n| n <= rows.len())?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// The text of one bulk statement per size in [`CHUNK_ROWS`], built on first use.
struct ChunkSql([OnceLock<String>; CHUNK_ROWS.len()]);

impl ChunkSql {
    const fn new() -> ChunkSql {
        ChunkSql([const { OnceLock::new() }; CHUNK_ROWS.len()])
    }

    fn get(&self, rows: usize, build: impl FnOnce(usize) -> String) -> &str {
        let slot = CHUNK_ROWS.iter().position(|&n| n == rows).expect("a chunk size");
        self.0[slot].get_or_init(|| build(rows))
    }
}

/// `(?, ..), (?, ..)`: `rows` rows of `width` placeholders. Placeholders stay anonymous: SQLite
/// looks numbered ones up by a linear search, once per value bound.
fn values_list(rows: usize, width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row; rows].join(", ")
}

impl SqliteStore {
    /// The stored shards of a node's series among a list (`shard_list`), by `series_shards`.
    pub(crate) const SHARDS_SELECT: &'static str =
        "SELECT shard, version, series FROM usage_series WHERE node_id = $1 AND shard IN (SELECT value FROM json_each($2))";

    /// Shard numbers as one bound value: a JSON array.
    pub(crate) fn shard_list(shards: &[i64]) -> String {
        serde_json::to_string(shards).expect("numbers serialize")
    }

    /// Writes the shards of series a batch claims points in, each at the next version of the
    /// one it was read at. The write lock is held, so the versions checked first stay until
    /// commit: a shard another writer changed (or stored) since it was read fails with
    /// [`crate::EngineError::Contention`].
    async fn claim_shards(tx: &mut Transaction<'static, Sqlite>, node_id: &str, claims: &[super::ShardClaim]) -> Result<()> {
        if claims.is_empty() {
            return Ok(());
        }
        let shards: Vec<i64> = claims.iter().map(|c| c.row.shard).collect();
        let stored: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(shard, version)) FROM usage_series \
             WHERE node_id = $1 AND shard IN (SELECT value FROM json_each($2))",
        )
        .bind(node_id)
        .bind(Self::shard_list(&shards))
        .fetch_one(&mut **tx)
        .await?;
        let stored: std::collections::HashMap<i64, i64> = serde_json::from_str::<Vec<(i64, i64)>>(&stored)
            .map_err(|e| crate::EngineError::CorruptRow { reason: format!("usage_series versions: {e}") })?
            .into_iter()
            .collect();
        if claims.iter().any(|c| stored.get(&c.row.shard).copied().unwrap_or(0) != c.read_version) {
            return Err(crate::EngineError::Contention);
        }
        static SQL: ChunkSql = ChunkSql::new();
        for chunk in fixed_chunks(claims) {
            let sql = SQL.get(chunk.len(), |rows| {
                format!(
                    "INSERT INTO usage_series (node_id, shard, version, series) \
                     SELECT b.node_id, r.column1, r.column2, r.column3 FROM (SELECT ? AS node_id) AS b, (VALUES {}) AS r WHERE true \
                     ON CONFLICT (node_id, shard) DO UPDATE SET version = excluded.version, series = excluded.series",
                    values_list(rows, 3)
                )
            });
            let mut q = sqlx::query(sql).bind(node_id);
            for c in chunk {
                q = q.bind(c.row.shard).bind(c.row.version).bind(&c.row.series[..]);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Stops the `checkpoints` task: when the pools close, and when the store goes.
    fn stop_checkpoints(&self) {
        if let Some(task) = &self.checkpoints {
            task.abort();
        }
    }

    async fn close_pools(&self) {
        self.stop_checkpoints();
        self.writer.close().await;
        self.pool.close().await;
    }

    /// The settled period's usage, read inside the ledger decision's transaction.
    pub(crate) const PERIOD_USAGE_FOR_SETTLEMENT: &'static str =
        "SELECT region, requests, compute_ms, egress_bytes FROM period_usage WHERE account_id = $1 AND period_start = $2 ORDER BY region";
}

impl_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::ingest::impl_ingest_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::usage::impl_usage_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::invoices::impl_invoice_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::lifecycle::impl_lifecycle_store!(SqliteStore, writer);
super::operator::impl_operator_store!(SqliteStore);
impl_controls_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::webhooks::impl_webhook_store!(SqliteStore, sqlx::sqlite::SqliteRow, "");

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit reaches the database file itself within a few checkpoints, long before the WAL
    /// holds the writer's WAL_CHECKPOINT_PAGES: a copy of the file alone (as a file-level backup
    /// taken without the WAL would be) holds it.
    #[tokio::test]
    async fn commits_reach_the_database_file_without_waiting_for_a_full_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display())).await.unwrap();
        // Commits a key and waits for it to be in the database file alone (a copy without
        // the WAL), for at most `within`.
        let commit_and_wait = |name: &'static str, within: Duration| {
            let (store, dir, path) = (&store, &dir, &path);
            async move {
                let mut tx = store.begin_write().await.unwrap();
                sqlx::query("INSERT INTO engine_keys (name, secret) VALUES ($1, 'yes')").bind(name).execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
                let copy = dir.path().join("copy.db");
                let in_file_alone = || async {
                    std::fs::copy(path, &copy).unwrap();
                    let _ = std::fs::remove_file(dir.path().join("copy.db-wal"));
                    let pool = SqlitePool::connect(&format!("sqlite://{}", copy.display())).await.unwrap();
                    let found: Option<String> = sqlx::query_scalar("SELECT secret FROM engine_keys WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&pool)
                        .await
                        .unwrap_or(None);
                    pool.close().await;
                    found.is_some()
                };
                let deadline = tokio::time::Instant::now() + within;
                while !in_file_alone().await {
                    assert!(tokio::time::Instant::now() < deadline, "{name} is still only in the WAL after {within:?}");
                    tokio::time::sleep(CHECKPOINT_EVERY / 2).await;
                }
            }
        };
        commit_and_wait("busy", 20 * CHECKPOINT_EVERY).await;
        // After a quiet spell the checkpoints come less often, but still come.
        tokio::time::sleep(2 * CHECKPOINT_IDLE_MAX).await;
        commit_and_wait("after a quiet spell", 2 * CHECKPOINT_IDLE_MAX).await;
        store.close_pools().await;
    }
}
