//! A multi-host PostgreSQL URL (`postgres://h1,h2/db?target_session_attrs=read-write`) on two
//! throwaway servers: the engine writes to the one that accepts writes, follows it when the
//! roles swap without being reopened, skips a host that does not answer, and refuses a bad
//! host list with a clear error. On one server: connections the server cut are replaced before
//! a request takes them. The whole failover under load, with pg_auto_failover, is
//! `crates/cli/tests/failover.rs`.
//!
//! These tests start servers of their own rather than share the test binary's: they change
//! server-wide settings (`ALTER SYSTEM`) and write to each server's `postgres` database.

use std::time::{Duration, Instant};

use chrono::Utc;
use edgecost_engine::testing::PgServer;
use edgecost_engine::{Engine, EngineError};
use edgecost_pricing::PriceBook;

fn book() -> PriceBook {
    PriceBook::published().clone()
}

fn url(server: &PgServer) -> String {
    format!("127.0.0.1:{}", server.port())
}

async fn accounts_on(server: &PgServer) -> i64 {
    let pool = sqlx::PgPool::connect(&server.admin_url()).await.unwrap();
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// Makes `server` refuse writes (as a standby or a demoted primary does) or accept them again.
async fn set_read_only(server: &PgServer, read_only: bool) {
    let pool = sqlx::PgPool::connect(&server.admin_url()).await.unwrap();
    let value = if read_only { "on" } else { "off" };
    sqlx::query(&format!("ALTER SYSTEM SET default_transaction_read_only = {value}")).execute(&pool).await.unwrap();
    sqlx::query("SELECT pg_reload_conf()").execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn the_engine_writes_where_writes_are_accepted_and_follows_a_swap() {
    let (a, b) = (PgServer::start_with(false), PgServer::start_with(false));
    // Both hold the schema, as a primary and its standby would.
    for server in [&a, &b] {
        Engine::open(&server.admin_url(), book()).await.unwrap().close().await;
    }
    set_read_only(&a, true).await;
    let multi = format!("postgres://postgres@{},{}/postgres?target_session_attrs=read-write", url(&a), url(&b));
    let engine = Engine::open(&multi, book()).await.unwrap();
    engine.create_account("first", "production", Utc::now()).await.unwrap();
    assert_eq!((accounts_on(&a).await, accounts_on(&b).await), (0, 1), "the first write goes to the read-write host");

    // The roles swap. Writes fail as retryable for a moment, then go to the other host,
    // without reopening the engine.
    set_read_only(&b, true).await;
    set_read_only(&a, false).await;
    let swapped = Instant::now();
    loop {
        match engine.create_account("second", "production", Utc::now()).await {
            Ok(_) => break,
            Err(e) => {
                assert_eq!(e.code(), "contention", "a write during the swap: {e}");
                assert!(swapped.elapsed() < Duration::from_secs(10), "the engine did not follow the swap: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    eprintln!("writes went to the new read-write host {:.2} s after the swap", swapped.elapsed().as_secs_f64());
    assert_eq!((accounts_on(&a).await, accounts_on(&b).await), (1, 1));
    engine.close().await;
}

#[tokio::test]
async fn a_host_that_does_not_answer_is_skipped() {
    let server = PgServer::start_with(false);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    let multi = format!("postgres://postgres@{dead},{}/postgres?target_session_attrs=read-write", url(&server));
    let engine = Engine::open(&multi, book()).await.unwrap();
    engine.create_account("only", "production", Utc::now()).await.unwrap();
    assert_eq!(accounts_on(&server).await, 1);
    engine.close().await;
}

#[tokio::test]
async fn a_bad_host_list_is_refused_with_what_is_wrong() {
    let err = Engine::open("postgres://app:secret@127.0.0.1:5432,127.0.0.1:port/db", book()).await.err().expect("refused");
    assert!(matches!(err, EngineError::InvalidDatabaseUrl { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("'port' is not a port") && !message.contains("secret"), "{message}");
    assert_eq!(err.code(), "invalid_database_url");
}

#[tokio::test]
async fn connections_cut_while_idle_are_replaced_before_use() {
    let server = PgServer::start_with(false);
    let url = server.create_database().await;
    let database = url.rsplit('/').next().unwrap().to_owned();
    let engine = Engine::open(&url, book()).await.unwrap();
    let created = engine.create_account("idle", "production", Utc::now()).await.unwrap();
    let account = engine.authenticate_account(&created.token).await.unwrap();
    engine.bill_to_date(&account, Utc::now()).await.unwrap();
    // The pool's connections sit idle long enough to be checked, and meanwhile the server
    // ends every one of them (as a restart or a network cut would).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let admin = sqlx::PgPool::connect(&server.admin_url()).await.unwrap();
    let cut: Vec<bool> =
        sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
            .bind(&database)
            .fetch_all(&admin)
            .await
            .unwrap();
    admin.close().await;
    assert!(!cut.is_empty(), "the engine held connections to cut");
    // Every read after the cut is answered: no dead connection is handed out.
    for _ in 0..cut.len() + 2 {
        engine.bill_to_date(&account, Utc::now()).await.unwrap();
    }
    engine.close().await;
}
