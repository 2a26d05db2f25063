//! Engine benchmarks, printed as figures beside their baselines and goals.
//!
//! - ingest records/s on SQLite and PostgreSQL, beside a raw bulk insert of the same rows
//!   into the usage log in the same run (goals: >= 200k/s SQLite, >= 100k/s PostgreSQL,
//!   at least 0.8x raw), twice: until the last answer, and sustained, until the engine's
//!   background task has also rolled up every batch into the hourly rollups;
//! - ingest-to-visible latency: from sending a batch to the bill showing it, and to a usage
//!   query showing it;
//! - p50/p99 of a 90-day hourly usage query with 1,000 accounts (goal: p99 <= 20 ms);
//! - OpenTelemetry data points/s through `POST /v1/metrics`'s path (protobuf decoding, the
//!   metric mapping, and the claims: each point's series is read, decided on and rewritten in
//!   its shard of the node's series, a row per shard), beside the native batch format's
//!   records/s on the same data in the same run (goal: >= 0.7x native). Every batch has a point
//!   of each of 10,000 series (5,000 per metric), one minute after the last.
//!
//! - the operator's price-book what-if over 1,000 accounts x 3 closed months on SQLite (goal:
//!   under a second), beside the operator's report over the same fleet.
//!
//! `EDGECOST_BENCH_RECORDS` sets the records ingested per backend (default 200,000);
//! `EDGECOST_BENCH_BACKENDS=sqlite` or `=postgres` runs one backend.
//! Run with `cargo bench -p edgecost-engine --bench engine`.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{Granularity, TelemetryBatch, TelemetryRecord, UsageGrouping, UsageQuery};
use edgecost_engine::testing::PgServer;
use edgecost_engine::{AccountId, Engine, NodeId};
use edgecost_pricing::PriceBook;

const RECORDS_PER_BATCH: usize = 5_000;
const ACCOUNTS_INGEST: usize = 100;
const ACCOUNTS_QUERY: usize = 1_000;
const QUERY_DAYS: i64 = 90;
const QUERIES: usize = 300;
const LATENCY_SAMPLES: usize = 200;
const REGIONS: [&str; 3] = ["na", "eu", "apac"];

fn now() -> DateTime<Utc> {
    "2026-11-23T10:02:00Z".parse().unwrap()
}

struct Setup {
    engine: Engine,
    node: NodeId,
    node_id: String,
    account_ids: Vec<String>,
    accounts: Vec<AccountId>,
}

async fn setup(url: &str, accounts: usize) -> Setup {
    let engine = Engine::open(url, PriceBook::published().clone()).await.unwrap();
    let created = engine.create_node("bench-node", now() - Duration::days(100)).await.unwrap();
    let node = engine.authenticate_node(&created.token).await.unwrap();
    let mut account_ids = Vec::new();
    let mut ids = Vec::new();
    for i in 0..accounts {
        let a = engine.create_account(&format!("bench {i}"), "scale", now() - Duration::days(100)).await.unwrap();
        ids.push(engine.authenticate_account(&a.token).await.unwrap());
        account_ids.push(a.account_id);
    }
    Setup { engine, node, node_id: created.node_id, account_ids, accounts: ids }
}

/// Deterministic batches shaped like a node's: each batch is one minute of traffic with one
/// record per account, route and region (100 accounts x 17 routes x 3 regions), consecutive
/// batches being consecutive minutes of the last hour.
fn batches(s: &Setup, records: usize, tag: &str) -> Vec<TelemetryBatch> {
    let first_minute = from_minutes(now().timestamp() / 60 - 65);
    (0..records.div_ceil(RECORDS_PER_BATCH))
        .map(|b| TelemetryBatch {
            batch_id: format!("{tag}-{b}"),
            node_id: s.node_id.clone(),
            records: (0..RECORDS_PER_BATCH.min(records - b * RECORDS_PER_BATCH))
                .map(|n| TelemetryRecord {
                    account_id: s.account_ids[n % s.account_ids.len()].clone(),
                    route: format!("/api/route-{}", n / s.account_ids.len() % 17),
                    region: REGIONS[n / (s.account_ids.len() * 17) % REGIONS.len()].into(),
                    window_start: first_minute + Duration::minutes((b % 60) as i64),
                    window_seconds: 60,
                    requests: 10 + (n % 90) as u64,
                    compute_ms: 50,
                    egress_bytes: 20_000,
                })
                .collect(),
        })
        .collect()
}

/// The same traffic as [`batches`], as OTLP/HTTP protobuf bodies: per record, one delta point
/// of `http.server.request.duration` (requests and, by the resource's say, compute) and one of
/// `http.server.response.body.size` (egress).
fn otlp_bodies(batches: &[TelemetryBatch]) -> Vec<Vec<u8>> {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::metrics::v1::{
        AggregationTemporality, Histogram, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics, metric,
    };
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use prost::Message;
    let kv = |key: &str, value: &str| KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..Default::default()
    };
    batches
        .iter()
        .map(|b| {
            let point = |instrument: &str, r: &TelemetryRecord, count: u64, sum: f64| {
                let start = r.window_start.timestamp_nanos_opt().unwrap() as u64;
                // An SDK stamps the points of a collection when it collects them, to the
                // nanosecond: a few milliseconds after the minute, the same for every series
                // of an instrument (the Go SDK reads the clock per instrument, the Python SDK
                // once per collection).
                let mut jitter = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&(instrument, start), &mut jitter);
                let jitter = std::hash::Hasher::finish(&jitter) % 5_000_000;
                HistogramDataPoint {
                    attributes: vec![
                        kv("http.route", &r.route),
                        kv("edgecost.account.id", &r.account_id),
                        kv("edgecost.region", &r.region),
                    ],
                    start_time_unix_nano: start,
                    time_unix_nano: start + u64::from(r.window_seconds) * 1_000_000_000 + jitter,
                    count,
                    sum: Some(sum),
                    ..Default::default()
                }
            };
            let histogram = |name: &str, unit: &str, data_points| Metric {
                name: name.into(),
                unit: unit.into(),
                data: Some(metric::Data::Histogram(Histogram {
                    data_points,
                    aggregation_temporality: AggregationTemporality::Delta as i32,
                })),
                ..Default::default()
            };
            let metrics = vec![
                histogram(
                    "http.server.request.duration",
                    "s",
                    b.records.iter().map(|r| point("duration", r, r.requests, r.compute_ms as f64 / 1_000.0)).collect(),
                ),
                histogram(
                    "http.server.response.body.size",
                    "By",
                    b.records.iter().map(|r| point("body.size", r, r.requests, r.egress_bytes as f64)).collect(),
                ),
            ];
            ExportMetricsServiceRequest {
                resource_metrics: vec![ResourceMetrics {
                    resource: Some(Resource {
                        attributes: vec![kv("edgecost.compute.source", "http.server.request.duration")],
                        ..Default::default()
                    }),
                    scope_metrics: vec![ScopeMetrics { metrics, ..Default::default() }],
                    ..Default::default()
                }],
            }
            .encode_to_vec()
        })
        .collect()
}

/// OTLP data points/s beside native records/s, on the same traffic, each into its own database.
/// Both start from a request body, as the server gets them: the native batch's JSON is parsed,
/// the OTLP protobuf decoded and mapped. The two take turns, batch by batch, so that whatever
/// else the machine or the database server does meanwhile (a checkpoint, a vacuum) weighs on
/// both alike.
async fn otlp_figures(backend: &str, url_native: &str, url_otlp: &str, records: usize) {
    use edgecost_engine::otlp::{self, OtlpEncoding, OtlpMapping};
    let native = setup(url_native, ACCOUNTS_INGEST).await;
    let s = setup(url_otlp, ACCOUNTS_INGEST).await;
    let native_bodies: Vec<Vec<u8>> = batches(&native, records, "native").iter().map(|b| serde_json::to_vec(b).unwrap()).collect();
    let otlp_bodies = otlp_bodies(&batches(&s, records, "otlp"));
    let mapping = OtlpMapping::default();
    let (mut native_time, mut parsing) = (StdDuration::ZERO, StdDuration::ZERO);
    let (mut otlp_time, mut decoding) = (StdDuration::ZERO, StdDuration::ZERO);
    let mut points_sent = 0;
    for (native_body, otlp_body) in native_bodies.iter().zip(&otlp_bodies) {
        // Each batch from its body, as the server gets it: parsed, then counted.
        let started = Instant::now();
        let batch: TelemetryBatch = serde_json::from_slice(native_body).unwrap();
        parsing += started.elapsed();
        native.engine.ingest(&native.node, &batch, now()).await.unwrap();
        native_time += started.elapsed();

        let started = Instant::now();
        let request = otlp::decode(otlp_body, OtlpEncoding::Protobuf).unwrap();
        decoding += started.elapsed();
        let counted = s.engine.ingest_otlp(&s.node, request, &mapping, now()).await.unwrap();
        otlp_time += started.elapsed();
        assert!(counted.refused.is_empty() && counted.duplicates == 0, "{:?}", counted.refused.first());
        points_sent += counted.counted;
    }
    let (native_elapsed, elapsed) = (native_time.as_secs_f64(), otlp_time.as_secs_f64());
    let native_rate = records as f64 / native_elapsed;
    // The same usage per second: a native record carries what two points do.
    let otlp_rate = records as f64 / elapsed;
    let bill = |setup: &Setup| {
        let (engine, account) = (setup.engine.clone(), setup.accounts[0].clone());
        async move { engine.bill_to_date(&account, now()).await.unwrap().totals }
    };
    assert_eq!(bill(&native).await, bill(&s).await, "both formats bill the same usage");
    println!(
        "{backend:<10} OTLP/HTTP metrics {:>9.0} points/s (protobuf decoded, mapped, claimed), {:>9.0} records' worth/s | \
         native batches {:>9.0} records/s (JSON parsed, counted) | {:.2}x native for the same usage (goal >= 0.70x: {}) | \
         protobuf decoding {:.0}% of the OTLP time, JSON parsing {:.0}% of the native time",
        points_sent as f64 / elapsed,
        otlp_rate,
        native_rate,
        otlp_rate / native_rate,
        if otlp_rate >= 0.7 * native_rate { "met" } else { "NOT met" },
        100.0 * decoding.as_secs_f64() / elapsed,
        100.0 * parsing.as_secs_f64() / native_elapsed,
    );
}

fn from_minutes(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(minutes * 60, 0).unwrap()
}

/// Rolls up every queued batch now, and waits for any the background roll-up holds.
async fn rolled_up(engine: &Engine) {
    engine.roll_up().await.unwrap();
    while engine.rollups_pending().await.unwrap() > 0 {
        tokio::time::sleep(StdDuration::from_millis(2)).await;
    }
}

/// Ingest with dedup, period totals and notices, against the raw bulk insert of the same rows.
const RAW_RATIO_GOAL: f64 = 0.8;

async fn ingest_figures(backend: &str, url_ingest: &str, url_raw: &str, records: usize, goal_per_second: f64) {
    let s = setup(url_ingest, ACCOUNTS_INGEST).await;
    let work = batches(&s, records, "ingest");
    let started = Instant::now();
    for b in &work {
        let r = s.engine.ingest(&s.node, b, now()).await.unwrap();
        assert_eq!(r.receipt.accepted as usize, b.records.len(), "{:?}", r.receipt.rejected.first());
    }
    let ingest_rate = records as f64 / started.elapsed().as_secs_f64();
    // The hourly rollups follow in the background: sustained throughput counts until the
    // queue is empty. The background task spaces its passes (half a second) so that a pass
    // takes the batches of that time together; once the last batch is answered, what is left
    // is rolled up at once rather than after the spacing, which would count idle time.
    rolled_up(&s.engine).await;
    let sustained_rate = records as f64 / started.elapsed().as_secs_f64();
    storage_figures(backend, url_ingest, records).await;

    let raw = setup(url_raw, ACCOUNTS_INGEST).await;
    let work = batches(&raw, records, "raw");
    let started = Instant::now();
    for b in &work {
        raw.engine.insert_records_only(&raw.node, b, now()).await.unwrap();
    }
    let raw_rate = records as f64 / started.elapsed().as_secs_f64();
    let goal = |rate: f64| if rate >= goal_per_second && rate >= raw_rate * RAW_RATIO_GOAL { "met" } else { "NOT met" };
    println!(
        "{backend:<10} ingest answered {:>9.0} records/s ({:.2}x raw) | sustained, all rolled up {:>9.0} records/s ({:.2}x raw) | \
         raw bulk insert {:>9.0} records/s | goal >= {:.0}/s and >= {RAW_RATIO_GOAL:.2}x raw: answered {}, sustained {}",
        ingest_rate,
        ingest_rate / raw_rate,
        sustained_rate,
        sustained_rate / raw_rate,
        raw_rate,
        goal_per_second,
        goal(ingest_rate),
        goal(sustained_rate),
    );

    // Ingest-to-visible: from sending a small batch to the bill to date including it, and
    // to a usage query including it.
    let account = s.accounts[0].clone();
    let chart = UsageQuery { from: now() - Duration::hours(3), to: now(), granularity: Granularity::Hour, group_by: UsageGrouping::Meter };
    let charted = |series: edgecost_api::UsageSeries| -> u64 {
        series.lines.iter().filter(|l| l.key == "requests").flat_map(|l| l.points.iter()).map(|p| p.quantity).sum()
    };
    let mut answer = Vec::new();
    let mut visible = Vec::new();
    let mut visible_in_usage = Vec::new();
    for i in 0..LATENCY_SAMPLES {
        let before = s.engine.bill_to_date(&account, now()).await.unwrap().totals.requests;
        let before_usage = charted(s.engine.usage(&account, &chart).await.unwrap());
        let b = TelemetryBatch {
            batch_id: format!("latency-{i}"),
            node_id: s.node_id.clone(),
            records: vec![TelemetryRecord {
                account_id: s.account_ids[0].clone(),
                route: "/api/orders".into(),
                region: "eu".into(),
                window_start: now() - Duration::minutes(2),
                window_seconds: 60,
                requests: 1,
                compute_ms: 1,
                egress_bytes: 1,
            }],
        };
        let sent = Instant::now();
        s.engine.ingest(&s.node, &b, now()).await.unwrap();
        answer.push(sent.elapsed());
        loop {
            if s.engine.bill_to_date(&account, now()).await.unwrap().totals.requests > before {
                break;
            }
        }
        visible.push(sent.elapsed());
        loop {
            if charted(s.engine.usage(&account, &chart).await.unwrap()) > before_usage {
                break;
            }
        }
        visible_in_usage.push(sent.elapsed());
    }
    println!(
        "{backend:<10} ingest answer p50 {:>7.2} ms p99 {:>7.2} ms | visible in the bill p50 {:>7.2} ms p99 {:>7.2} ms | \
         in a usage query p50 {:>7.2} ms p99 {:>7.2} ms (goal <= 1000 ms)",
        ms(percentile(&mut answer, 50)),
        ms(percentile(&mut answer, 99)),
        ms(percentile(&mut visible, 50)),
        ms(percentile(&mut visible, 99)),
        ms(percentile(&mut visible_in_usage, 50)),
        ms(percentile(&mut visible_in_usage, 99)),
    );
}

/// What `records` ingested records take on disk, per million: the usage log (with its key),
/// the hourly rollups, and the whole database.
async fn storage_figures(backend: &str, url: &str, records: usize) {
    let (log, rollups, total): (i64, i64, i64) = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
        let pages: i64 = sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            .fetch_one(&pool)
            .await
            .unwrap();
        // This SQLite build has no per-table sizes (dbstat): the log is the file less a copy of
        // the database without it.
        let copy = url.replace(".db", "-without-log.db");
        let path = copy.trim_start_matches("sqlite://");
        sqlx::query(&format!("VACUUM INTO '{path}'")).execute(&pool).await.unwrap();
        pool.close().await;
        let without = sqlx::SqlitePool::connect(&copy).await.unwrap();
        sqlx::query("DELETE FROM usage_records").execute(&without).await.unwrap();
        sqlx::query("VACUUM").execute(&without).await.unwrap();
        let rest: i64 = sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            .fetch_one(&without)
            .await
            .unwrap();
        without.close().await;
        (pages - rest, -1, pages)
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
        let size = |relation: &'static str| {
            let pool = pool.clone();
            async move {
                // A partitioned table's size is its partitions'.
                sqlx::query_scalar::<_, i64>(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c \
                     WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass) OR c.oid = $1::regclass",
                )
                .bind(relation)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        let log = size("usage_records").await;
        let rollups = size("usage_hourly").await + size("usage_hourly_total").await;
        let total: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&pool).await.unwrap();
        pool.close().await;
        (log, rollups, total)
    };
    let per_million = |bytes: i64| bytes as f64 / records as f64 * 1e6 / 1e6;
    let rollups = if rollups < 0 { "(in the rest)".to_owned() } else { format!("{:.1} MB", per_million(rollups)) };
    println!(
        "{backend:<10} storage per million records: usage log {:.1} MB ({:.0} bytes a record) | hourly rollups {rollups} | \
         whole database {:.1} MB",
        per_million(log),
        log as f64 / records as f64,
        per_million(total),
    );
}

/// Fills 90 days of hourly rollups (two routes an hour) for every account in one statement.
async fn query_figures(backend: &str, url: &str) {
    let s = setup(url, ACCOUNTS_QUERY).await;
    let filled = Instant::now();
    let first_hour = (now() - Duration::days(QUERY_DAYS)).timestamp() / 3_600 * 3_600;
    edgecost_engine::testing::fill_hourly_history(url, first_hour, QUERY_DAYS * 24).await;
    let rows = ACCOUNTS_QUERY as i64 * QUERY_DAYS * 24 * 2;
    let fill_s = filled.elapsed().as_secs_f64();
    for group_by in [UsageGrouping::Meter, UsageGrouping::Route] {
        let mut samples = Vec::new();
        for i in 0..QUERIES {
            let account = &s.accounts[(i * 7919) % s.accounts.len()];
            let q = UsageQuery { from: now() - Duration::days(QUERY_DAYS), to: now(), granularity: Granularity::Hour, group_by };
            let started = Instant::now();
            let series = s.engine.usage(account, &q).await.unwrap();
            samples.push(started.elapsed());
            assert!(series.lines[0].points.len() as i64 >= QUERY_DAYS * 24 - 1);
        }
        let p99 = percentile(&mut samples, 99);
        println!(
            "{backend:<10} 90-day hourly usage by {group_by:?}, {ACCOUNTS_QUERY} accounts ({rows} rollup rows, filled in {fill_s:.1} s): \
             p50 {:>6.2} ms p99 {:>6.2} ms (goal p99 <= 20 ms: {})",
            ms(percentile(&mut samples, 50)),
            ms(p99),
            if p99 <= StdDuration::from_millis(20) { "met" } else { "NOT met" }
        );
    }
    // The bill to date of the same accounts: its reads, the rating and the projection. Its
    // goal (p99 <= 10 ms) is under the soak's load; this is the same call on a quiet machine,
    // once every account has usage in the period.
    for b in batches(&s, ACCOUNTS_QUERY * 3, "bill") {
        s.engine.ingest(&s.node, &b, now()).await.unwrap();
    }
    rolled_up(&s.engine).await;
    let mut samples = Vec::new();
    for i in 0..QUERIES {
        let account = &s.accounts[(i * 7919) % s.accounts.len()];
        let started = Instant::now();
        let bill = s.engine.bill_to_date(account, now()).await.unwrap();
        samples.push(started.elapsed());
        assert!(bill.totals.requests > 0, "the filled history is billed");
    }
    println!(
        "{backend:<10} bill to date, {ACCOUNTS_QUERY} accounts: p50 {:>6.2} ms p99 {:>6.2} ms (idle; goal p99 <= 10 ms under the soak)",
        ms(percentile(&mut samples, 50)),
        ms(percentile(&mut samples, 99)),
    );
}

fn percentile(samples: &mut [StdDuration], p: usize) -> StdDuration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn ms(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// The what-if an operator runs interactively: every account's last three closed months
/// re-rated under another book, read from a SQLite file (median and slowest of several runs).
async fn what_if_figures(url: &str) {
    const ACCOUNTS: usize = 1_000;
    const MONTHS: u32 = 3;
    const RUNS: usize = 7;
    let yaml = format!(
        "{}\ninfrastructure_cost:\n  requests_per_10k: \"0.02\"\n  egress_gb: {{ default: \"0.04\" }}\n",
        PriceBook::published_yaml()
    );
    let book = PriceBook::from_yaml_str(&yaml, "costed.yaml").unwrap();
    let engine = Engine::open(url, book).await.unwrap();
    let seeding = Instant::now();
    edgecost_engine::testing::seed_fleet(&engine, ACCOUNTS, MONTHS, now()).await;
    let seeded = seeding.elapsed();
    let proposed_yaml = PriceBook::published_yaml().replace("base_fee: \"19.00\"", "base_fee: \"25.00\"");
    let proposed = PriceBook::from_yaml_str(&proposed_yaml, "proposed.yaml").unwrap();
    let time = |samples: &mut Vec<StdDuration>| {
        samples.sort();
        (samples[samples.len() / 2], samples[samples.len() - 1])
    };
    let mut what_if = Vec::with_capacity(RUNS);
    let mut rated = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let r = engine.what_if(&proposed, MONTHS, now()).await.unwrap();
        what_if.push(started.elapsed());
        rated = r.by_tier.iter().map(|t| t.account_months).sum::<u32>();
    }
    let mut report = Vec::with_capacity(RUNS);
    let query = edgecost_api::OperatorReportQuery { from: None, to: None, margin_below: None };
    for _ in 0..RUNS {
        let started = Instant::now();
        engine.operator_report(&query, engine.book().infrastructure_cost.as_ref(), now()).await.unwrap();
        report.push(started.elapsed());
    }
    let ((wi_median, wi_max), (r_median, r_max)) = (time(&mut what_if), time(&mut report));
    println!(
        "what-if on sqlite, {ACCOUNTS} accounts x {MONTHS} months ({rated} account-months re-rated): median {:.0} ms, slowest {:.0} ms of {RUNS} \
         (goal < 1000 ms); operator report, 6 months: median {:.0} ms, slowest {:.0} ms (fleet seeded in {:.1} s)",
        wi_median.as_secs_f64() * 1e3,
        wi_max.as_secs_f64() * 1e3,
        r_median.as_secs_f64() * 1e3,
        r_max.as_secs_f64() * 1e3,
        seeded.as_secs_f64(),
    );
    engine.close().await;
}

fn main() {
    let records: usize = std::env::var("EDGECOST_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = |name: &str| Engine::sqlite_url(&dir.path().join(name));
        // EDGECOST_BENCH_BACKENDS=sqlite or =postgres runs one backend only.
        let only = std::env::var("EDGECOST_BENCH_BACKENDS").unwrap_or_default();
        let run = |backend: &str| only.is_empty() || only.split(',').any(|b| b == backend);
        // EDGECOST_BENCH_ONLY=otlp prints the OTLP figures alone, =query the usage queries
        // alone, =what-if the what-if's, =ingest the ingest and storage figures.
        let only_part = std::env::var("EDGECOST_BENCH_ONLY").unwrap_or_default();
        if only_part == "what-if" {
            what_if_figures(&sqlite("what-if.db")).await;
            return;
        }
        let otlp_only = only_part == "otlp";
        let query_only = only_part == "query";
        let ingest_only = only_part == "ingest";
        let pg = run("postgres").then(PgServer::start);
        // The OTLP figures first, on a database server that is not yet busy with the
        // aftermath (checkpoints, vacuums) of the ingest figures' million records.
        if run("sqlite") && !query_only && !ingest_only {
            otlp_figures("sqlite", &sqlite("native.db"), &sqlite("otlp.db"), records).await;
        }
        if let Some(pg) = pg.as_ref().filter(|_| !query_only && !ingest_only) {
            otlp_figures("postgres", &pg.create_database().await, &pg.create_database().await, records).await;
        }
        if otlp_only {
            return;
        }
        if run("sqlite") && !query_only {
            ingest_figures("sqlite", &sqlite("ingest.db"), &sqlite("raw.db"), records, 200_000.0).await;
        }
        if let Some(pg) = pg.as_ref().filter(|_| !query_only) {
            ingest_figures("postgres", &pg.create_database().await, &pg.create_database().await, records, 100_000.0).await;
        }
        if ingest_only {
            return;
        }
        if run("sqlite") {
            query_figures("sqlite", &sqlite("query.db")).await;
        }
        if let Some(pg) = pg.as_ref() {
            query_figures("postgres", &pg.create_database().await).await;
        }
        if run("sqlite") && !query_only {
            what_if_figures(&sqlite("what-if.db")).await;
        }
    });
}
