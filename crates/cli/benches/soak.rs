//! Soak: `edgecost serve` (the release binary, its own process) under sustained ingest while
//! readers query it, printed minute by minute, so a figure that drifts (latency creeping up,
//! memory growing) shows.
//!
//! - ingest: batches of 1,000 records at a steady rate (default 10 a second: 10,000 records/s),
//!   spread over the accounts, routes and regions, in the current hour;
//! - 4 readers, each in turn: the bill to date, 90-day hourly usage by route, and by meter, of
//!   a different account each time (1,000 accounts, each with 90 days of hourly history);
//! - every minute: p50/p99 of the ingest answer, the bill and both usage reads, the ingest rate
//!   reached, and the server's resident memory (VmRSS).
//!
//! Goals (issue: engine speed): usage reads p99 <= 50 ms and the bill p99 <= 10 ms under this
//! load, and memory flat. `EDGECOST_SOAK_SECONDS` (default 300), `EDGECOST_SOAK_ACCOUNTS`
//! (default 1,000), `EDGECOST_SOAK_BATCHES_PER_SECOND` (default 10), `EDGECOST_SOAK_READERS`
//! (default 4) and
//! `EDGECOST_BENCH_BACKENDS=sqlite` or `=postgres` change the run.
//! Run with `make soak` (or `cargo bench -p edgecost --bench soak`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, DurationRound, Utc};
use edgecost_api::{Granularity, TelemetryBatch, TelemetryRecord, UsageGrouping, UsageQuery};
use edgecost_client::Client;
use edgecost_engine::Engine;
use edgecost_engine::testing::PgServer;
use edgecost_pricing::PriceBook;

const RECORDS_PER_BATCH: usize = 1_000;
/// Readers by default; `EDGECOST_SOAK_READERS` changes it (0 measures ingest alone).
const READERS: u64 = 4;
const HISTORY_DAYS: i64 = 90;
const ROUTES: [&str; 6] = ["/api/orders", "/api/search", "/api/users", "/api/cart", "/api/checkout", "/static/assets"];
const REGIONS: [&str; 3] = ["na", "eu", "apac"];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What each kind of call took, this minute.
#[derive(Default)]
struct Minute {
    samples: BTreeMap<&'static str, Vec<StdDuration>>,
    records: u64,
    failures: u64,
}

type Shared = Arc<Mutex<Minute>>;

fn record(shared: &Shared, kind: &'static str, took: StdDuration) {
    shared.lock().unwrap().samples.entry(kind).or_default().push(took);
}

/// A database with a node and `accounts` accounts on the scale tier, each with 90 days of
/// hourly usage before the current hour; answers the node token and the account tokens.
async fn seed(url: &str, accounts: usize) -> (String, String, Vec<(String, String)>) {
    let engine = Engine::open(url, PriceBook::published().clone()).await.unwrap();
    let now = Utc::now();
    let created = now - Duration::days(HISTORY_DAYS + 5);
    let node = engine.create_node("soak-node", created).await.unwrap();
    let mut tokens = Vec::with_capacity(accounts);
    for i in 0..accounts {
        let a = engine.create_account(&format!("soak {i}"), "scale", created).await.unwrap();
        tokens.push((a.account_id, a.token));
    }
    engine.close().await;
    let hour = now.duration_trunc(Duration::hours(1)).unwrap();
    let first_hour = (hour - Duration::days(HISTORY_DAYS)).timestamp();
    edgecost_engine::testing::fill_hourly_history(url, first_hour, HISTORY_DAYS * 24).await;
    (node.node_id, node.token, tokens)
}

fn batch(node_id: &str, accounts: &[(String, String)], n: u64, now: DateTime<Utc>) -> TelemetryBatch {
    // The minute before this one, so every window has ended and none is in the future.
    let window_start = now.duration_trunc(Duration::minutes(1)).unwrap() - Duration::minutes(1);
    let records = (0..RECORDS_PER_BATCH)
        .map(|i| {
            let k = n as usize * RECORDS_PER_BATCH + i;
            TelemetryRecord {
                account_id: accounts[k % accounts.len()].0.clone(),
                route: ROUTES[k / accounts.len() % ROUTES.len()].into(),
                region: REGIONS[k / (accounts.len() * ROUTES.len()) % REGIONS.len()].into(),
                window_start,
                window_seconds: 60,
                requests: 10 + (k % 50) as u64,
                compute_ms: 40,
                egress_bytes: 30_000,
            }
        })
        .collect();
    TelemetryBatch { batch_id: format!("soak-{n}"), node_id: node_id.to_owned(), records }
}

/// VmRSS of process `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn percentile(samples: &mut [StdDuration], p: usize) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)].as_secs_f64() * 1_000.0
}

async fn soak(backend: &str, url: &str, home: &std::path::Path) {
    let seconds = env_number("EDGECOST_SOAK_SECONDS", 300);
    let accounts = env_number("EDGECOST_SOAK_ACCOUNTS", 1_000) as usize;
    let per_second = env_number("EDGECOST_SOAK_BATCHES_PER_SECOND", 10);
    let reader_count = env_number("EDGECOST_SOAK_READERS", READERS) as usize;
    let seeding = Instant::now();
    let (node_id, node_token, tokens) = seed(url, accounts).await;
    println!(
        "{backend:<10} soak: {accounts} accounts with {HISTORY_DAYS} days of hourly history (seeded in {:.1} s); \
         ingest {} records/s in batches of {RECORDS_PER_BATCH}, {reader_count} readers, {seconds} s",
        seeding.elapsed().as_secs_f64(),
        per_second * RECORDS_PER_BATCH as u64
    );
    let served = support::serve(home, &["--database", url]);
    let pid = served.child.id();
    let base = format!("http://{}", served.addr);
    let shared: Shared = Arc::default();
    let deadline = Instant::now() + StdDuration::from_secs(seconds);
    let tokens = Arc::new(tokens);

    let ingest = {
        let (shared, tokens, node) = (shared.clone(), tokens.clone(), Client::new(&base, &node_token).unwrap());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(StdDuration::from_millis(1_000 / per_second.max(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n = 0;
            while Instant::now() < deadline {
                tick.tick().await;
                let b = batch(&node_id, &tokens, n, Utc::now());
                let started = Instant::now();
                let answered = node.send_telemetry(&b).await;
                let took = started.elapsed();
                let mut m = shared.lock().unwrap();
                match answered {
                    Ok(receipt) => {
                        m.samples.entry("ingest").or_default().push(took);
                        m.records += u64::from(receipt.accepted);
                    }
                    Err(_) => m.failures += 1,
                }
                n += 1;
            }
        })
    };
    let readers: Vec<_> = (0..reader_count)
        .map(|r| {
            let (shared, tokens, base) = (shared.clone(), tokens.clone(), base.clone());
            tokio::spawn(async move {
                // A reader keeps its connection from one account's requests to the next, as
                // the app keeps its own: the latencies are the server's, not a TCP handshake's.
                let http = reqwest::Client::new();
                let mut i = r;
                while Instant::now() < deadline {
                    let client = Client::with_http(http.clone(), &base, &tokens[(i * 7919) % tokens.len()].1).unwrap();
                    i += reader_count;
                    let started = Instant::now();
                    let bill = client.bill().await;
                    record(&shared, "bill", started.elapsed());
                    let to = Utc::now();
                    let mut ok = bill.is_ok();
                    for (kind, group_by) in [("usage by route", UsageGrouping::Route), ("usage by meter", UsageGrouping::Meter)] {
                        let q = UsageQuery { from: to - Duration::days(HISTORY_DAYS), to, granularity: Granularity::Hour, group_by };
                        let started = Instant::now();
                        ok &= client.usage(&q).await.is_ok();
                        record(&shared, kind, started.elapsed());
                    }
                    if !ok {
                        shared.lock().unwrap().failures += 1;
                    }
                }
            })
        })
        .collect();

    let started = Instant::now();
    let mut minute = 0;
    let mut first_rss = None;
    while Instant::now() < deadline {
        let next = started + StdDuration::from_secs(60 * (minute + 1));
        tokio::time::sleep_until(next.min(deadline).into()).await;
        minute += 1;
        let span = (Instant::now() - (started + StdDuration::from_secs(60 * (minute - 1)))).as_secs_f64();
        let mut m = std::mem::take(&mut *shared.lock().unwrap());
        let rss = rss_mib(pid);
        first_rss.get_or_insert(rss);
        let mut line = format!("{backend:<10} minute {minute:>2}: ingest {:>6.0} records/s", m.records as f64 / span);
        for kind in ["ingest", "bill", "usage by route", "usage by meter"] {
            let samples = m.samples.entry(kind).or_default();
            line += &format!(" | {kind} p50 {:>6.1} ms p99 {:>6.1} ms", percentile(samples, 50), percentile(samples, 99));
        }
        line += &format!(" | failures {} | server RSS {rss:>6.1} MiB", m.failures);
        println!("{line}");
    }
    ingest.await.unwrap();
    for r in readers {
        r.await.unwrap();
    }
    let last = rss_mib(pid);
    println!(
        "{backend:<10} server RSS {:.1} MiB after the first minute, {last:.1} MiB at the end ({:+.1} MiB)",
        first_rss.unwrap_or(last),
        last - first_rss.unwrap_or(last)
    );
    drop(served);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let only = std::env::var("EDGECOST_BENCH_BACKENDS").unwrap_or_default();
        let run = |backend: &str| only.is_empty() || only.split(',').any(|b| b == backend);
        if run("sqlite") {
            let home = tempfile::tempdir().unwrap();
            let url = Engine::sqlite_url(&home.path().join("soak.db"));
            soak("sqlite", &url, home.path()).await;
        }
        if run("postgres") {
            let home = tempfile::tempdir().unwrap();
            let pg = PgServer::start();
            let url = pg.create_database().await;
            soak("postgres", &url, home.path()).await;
        }
    });
}
