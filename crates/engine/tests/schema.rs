//! The SQLite and PostgreSQL schemas stay the same: the same tables, each with the same columns,
//! the same NOT NULL columns, the same primary key and the same unique keys. Types differ by
//! design (SQLite's INTEGER is PostgreSQL's BIGINT); everything the engine's shared queries
//! and its correctness rules rest on must not.

use std::collections::{BTreeMap, BTreeSet};

use edgecost_engine::Engine;
use edgecost_engine::testing::PgServer;
use edgecost_pricing::PriceBook;
use sqlx::Row;

/// Per table: each column with whether it is NOT NULL, the primary key, and the unique keys.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, bool>,
    primary_key: BTreeSet<String>,
    unique: BTreeSet<BTreeSet<String>>,
}

type Schema = BTreeMap<String, Table>;

async fn sqlite_schema(url: &str) -> Schema {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in names {
        let mut table = Table::default();
        for r in sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info($1)").bind(&name).fetch_all(&pool).await.unwrap() {
            let column: String = r.get("name");
            let pk: i64 = r.get("pk");
            // A primary key column is NOT NULL on PostgreSQL, whatever SQLite's pragma says.
            table.columns.insert(column.clone(), r.get::<i64, _>("notnull") == 1 || pk > 0);
            if pk > 0 {
                table.primary_key.insert(column);
            }
        }
        let indexes =
            sqlx::query("SELECT name, origin FROM pragma_index_list($1) WHERE \"unique\" = 1").bind(&name).fetch_all(&pool).await.unwrap();
        for index in indexes {
            let origin: String = index.get("origin");
            if origin == "pk" {
                continue;
            }
            let index_name: String = index.get("name");
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1)").bind(&index_name).fetch_all(&pool).await.unwrap();
            table.unique.insert(columns.into_iter().collect());
        }
        schema.insert(name, table);
    }
    pool.close().await;
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut schema = Schema::new();
    let columns = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, is_nullable = 'NO' AS not_null FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' \
         AND table_name NOT IN (SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in columns {
        schema.entry(r.get("t")).or_default().columns.insert(r.get("c"), r.get("not_null"));
    }
    // Unique indexes, the primary key's among them, by their key columns (a covering index's
    // INCLUDE columns are no part of the key).
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, i.indisprimary AS pk, array_agg(a.attname::text ORDER BY a.attname) AS cols \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY((i.indkey::int2[])[0:i.indnkeyatts - 1]) \
         WHERE n.nspname = 'public' AND i.indisunique AND t.relname NOT LIKE '_sqlx%' \
         AND t.oid NOT IN (SELECT inhrelid FROM pg_inherits) GROUP BY t.relname, i.indexrelid, i.indisprimary",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in indexes {
        let table = schema.entry(r.get("t")).or_default();
        let cols: BTreeSet<String> = r.get::<Vec<String>, _>("cols").into_iter().collect();
        if r.get("pk") {
            table.primary_key = cols;
        } else {
            table.unique.insert(cols);
        }
    }
    pool.close().await;
    schema
}

#[tokio::test]
async fn sqlite_and_postgresql_migrate_to_the_same_tables_columns_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = Engine::sqlite_url(&dir.path().join("schema.db"));
    let server = PgServer::shared();
    let pg_url = server.create_database().await;
    for url in [&sqlite_url, &pg_url] {
        Engine::open(url, PriceBook::published().clone()).await.unwrap().close().await;
    }
    let (sqlite, postgres) = (sqlite_schema(&sqlite_url).await, postgres_schema(&pg_url).await);
    assert!(sqlite.contains_key("ledger_entries") && sqlite.contains_key("idempotency_claims"), "{:?}", sqlite.keys());
    let names = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&sqlite), names(&postgres), "the same tables");
    let (mut sqlite, mut postgres) = (sqlite, postgres);
    // The one deliberate difference: PostgreSQL keys the usage log by (account_id, id), the
    // order it is read in, to keep one index per record, and by the month it is partitioned on
    // (`window_start`), as a partitioned table's keys must; SQLite keeps its rowid `id` and an
    // index on (account_id, id). Either way `id` alone is unique (one sequence). Partitions
    // (PostgreSQL's monthly usage tables) are the partitioned table's, not tables of their own.
    let records = (
        "usage_records",
        BTreeSet::from(["id".to_owned()]),
        BTreeSet::from(["account_id".to_owned(), "id".to_owned(), "window_start".to_owned()]),
    );
    assert_eq!(sqlite[records.0].primary_key, records.1);
    assert_eq!(postgres[records.0].primary_key, records.2);
    for schema in [&mut sqlite, &mut postgres] {
        schema.get_mut(records.0).unwrap().primary_key.clear();
    }
    for (name, table) in &sqlite {
        assert_eq!(table, &postgres[name], "table {name}: SQLite (left) and PostgreSQL (right) differ");
    }
}
