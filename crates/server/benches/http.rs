//! What the HTTP layer costs: every figure over loopback HTTP is printed beside the same work
//! done by calling the engine directly, in the same run, on a fresh database of the same kind.
//!
//! - ingest records/s (batches of 5,000 records);
//! - ingest-to-visible latency: from sending a one-record batch to the bill showing it;
//! - `GET /v1/account/bill` latency, p50/p99.
//!
//! On SQLite and on a throwaway PostgreSQL server (Debian's `postgresql` package).
//! `EDGECOST_BENCH_RECORDS` sets the records ingested per path (default 100,000).
//! Run with `cargo bench -p edgecost-server --bench http`.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{TelemetryBatch, TelemetryRecord};
use edgecost_client::Client;
use edgecost_engine::{AccountId, Engine, NodeId};
use edgecost_pricing::PriceBook;
use edgecost_server::{AppState, Clock, RunningServer, router};

const RECORDS_PER_BATCH: usize = 5_000;
const ACCOUNTS: usize = 20;
const LATENCY_SAMPLES: usize = 200;
const ROUTES: [&str; 4] = ["/api/orders", "/api/search", "/api/users", "/static/assets"];
const REGIONS: [&str; 3] = ["na", "eu", "apac"];

fn now() -> DateTime<Utc> {
    "2026-11-23T10:02:00Z".parse().unwrap()
}

/// One database with accounts and a node, reachable directly and over HTTP.
struct Setup {
    engine: Engine,
    node: NodeId,
    node_id: String,
    node_token: String,
    account_ids: Vec<String>,
    accounts: Vec<AccountId>,
    account_tokens: Vec<String>,
}

async fn setup(url: &str) -> Setup {
    let engine = Engine::open(url, PriceBook::published().clone()).await.unwrap();
    let created_at = now() - Duration::days(60);
    let node = engine.create_node("bench-node", created_at).await.unwrap();
    let node_id = engine.authenticate_node(&node.token).await.unwrap();
    let (mut account_ids, mut accounts, mut account_tokens) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..ACCOUNTS {
        let a = engine.create_account(&format!("bench {i}"), "scale", created_at).await.unwrap();
        accounts.push(engine.authenticate_account(&a.token).await.unwrap());
        account_ids.push(a.account_id);
        account_tokens.push(a.token);
    }
    Setup { engine, node: node_id, node_id: node.node_id, node_token: node.token, account_ids, accounts, account_tokens }
}

/// Deterministic batches spread over accounts, routes, regions and this period's minutes,
/// small enough per record that no account nears a quota.
fn batches(s: &Setup, records: usize) -> Vec<TelemetryBatch> {
    let period_start: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
    let minutes = (now() - period_start).num_minutes() - 5;
    (0..records.div_ceil(RECORDS_PER_BATCH))
        .map(|b| TelemetryBatch {
            batch_id: format!("bench-{b}"),
            node_id: s.node_id.clone(),
            records: (0..RECORDS_PER_BATCH.min(records - b * RECORDS_PER_BATCH))
                .map(|i| {
                    let n = b * RECORDS_PER_BATCH + i;
                    TelemetryRecord {
                        account_id: s.account_ids[n % ACCOUNTS].clone(),
                        route: ROUTES[n % ROUTES.len()].to_owned(),
                        region: REGIONS[(n / ROUTES.len()) % REGIONS.len()].to_owned(),
                        window_start: period_start + Duration::minutes((n as i64 * 7) % minutes),
                        window_seconds: 60,
                        requests: 3,
                        compute_ms: 12,
                        egress_bytes: 4_000,
                    }
                })
                .collect(),
        })
        .collect()
}

async fn serve(s: &Setup) -> RunningServer {
    let state = AppState::with_clock(s.engine.clone(), Clock::manual(now()));
    RunningServer::start(router(state), "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn percentile(sorted: &[StdDuration], p: usize) -> f64 {
    // Nearest rank, rounded up, so p99 of 200 samples is the 198th.
    let rank = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1_000.0
}

fn summary(mut samples: Vec<StdDuration>) -> (f64, f64) {
    samples.sort();
    (percentile(&samples, 50), percentile(&samples, 99))
}

/// A one-record batch for account `a` whose requests count is unique to sample `i`.
fn probe(s: &Setup, tag: &str, i: usize) -> TelemetryBatch {
    TelemetryBatch {
        batch_id: format!("probe-{tag}-{i}"),
        node_id: s.node_id.clone(),
        records: vec![TelemetryRecord {
            account_id: s.account_ids[0].clone(),
            route: "/api/probe".to_owned(),
            region: "eu".to_owned(),
            window_start: now() - Duration::minutes(2),
            window_seconds: 60,
            requests: 1,
            compute_ms: 1,
            egress_bytes: 1,
        }],
    }
}

async fn bench_backend(label: &str, direct_url: &str, http_url: &str, records: usize) {
    let direct = setup(direct_url).await;
    let over_http = setup(http_url).await;
    let server = serve(&over_http).await;
    let node = Client::new(&server.url(), &over_http.node_token).unwrap();
    let account = Client::new(&server.url(), &over_http.account_tokens[0]).unwrap();

    // Ingest throughput.
    let work = batches(&direct, records);
    let started = Instant::now();
    for b in &work {
        direct.engine.ingest(&direct.node, b, now()).await.unwrap();
    }
    let direct_rate = records as f64 / started.elapsed().as_secs_f64();
    let work = batches(&over_http, records);
    let started = Instant::now();
    for b in &work {
        node.send_telemetry(b).await.unwrap();
    }
    let http_rate = records as f64 / started.elapsed().as_secs_f64();
    println!(
        "{label}: ingest {http_rate:>10.0} records/s over HTTP, {direct_rate:>10.0} records/s direct \
         ({:.2}x of direct)",
        http_rate / direct_rate
    );

    // Ingest-to-visible: send one record, read the bill until it shows.
    let mut direct_samples = Vec::with_capacity(LATENCY_SAMPLES);
    let mut http_samples = Vec::with_capacity(LATENCY_SAMPLES);
    let base_direct = direct.engine.bill_to_date(&direct.accounts[0], now()).await.unwrap().totals.requests;
    let base_http = account.bill().await.unwrap().totals.requests;
    for i in 0..LATENCY_SAMPLES {
        let expected = base_direct + i as u64 + 1;
        let started = Instant::now();
        direct.engine.ingest(&direct.node, &probe(&direct, "d", i), now()).await.unwrap();
        // Bounded: the engine promises visibility once ingest answers, so one read suffices;
        // the bound only keeps a broken build from spinning forever.
        for _ in 0..1_000 {
            let bill = direct.engine.bill_to_date(&direct.accounts[0], now()).await.unwrap();
            if bill.totals.requests >= expected {
                break;
            }
        }
        direct_samples.push(started.elapsed());

        let expected = base_http + i as u64 + 1;
        let started = Instant::now();
        node.send_telemetry(&probe(&over_http, "h", i)).await.unwrap();
        for _ in 0..1_000 {
            if account.bill().await.unwrap().totals.requests >= expected {
                break;
            }
        }
        http_samples.push(started.elapsed());
    }
    let (hp50, hp99) = summary(http_samples);
    let (dp50, dp99) = summary(direct_samples);
    println!(
        "{label}: ingest-to-visible p50 {hp50:.2} ms, p99 {hp99:.2} ms over HTTP; \
         p50 {dp50:.2} ms, p99 {dp99:.2} ms direct (goal: visible within 1,000 ms)"
    );

    // Reading the bill.
    let mut direct_samples = Vec::with_capacity(LATENCY_SAMPLES);
    let mut http_samples = Vec::with_capacity(LATENCY_SAMPLES);
    for _ in 0..LATENCY_SAMPLES {
        let started = Instant::now();
        direct.engine.bill_to_date(&direct.accounts[1], now()).await.unwrap();
        direct_samples.push(started.elapsed());
        let started = Instant::now();
        account.bill().await.unwrap();
        http_samples.push(started.elapsed());
    }
    let (hp50, hp99) = summary(http_samples);
    let (dp50, dp99) = summary(direct_samples);
    println!(
        "{label}: GET /v1/account/bill p50 {hp50:.2} ms, p99 {hp99:.2} ms over HTTP; \
         bill_to_date p50 {dp50:.2} ms, p99 {dp99:.2} ms direct"
    );
    server.shutdown().await.unwrap();
}

fn main() {
    let records: usize = std::env::var("EDGECOST_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        bench_backend(
            "sqlite",
            &Engine::sqlite_url(&dir.path().join("direct.db")),
            &Engine::sqlite_url(&dir.path().join("http.db")),
            records,
        )
        .await;
        let pg = edgecost_engine::testing::PgServer::start();
        let direct = pg.create_database().await;
        let over_http = pg.create_database().await;
        bench_backend("postgres", &direct, &over_http, records).await;
    });
}
