//! Two `edgecost serve` replicas ride out a PostgreSQL failover without a restart, losing and
//! double-counting nothing.
//!
//! pg_auto_failover runs a monitor, a primary and a synchronous secondary on loopback. Both
//! replicas get the group's multi-host URL (`target_session_attrs=read-write`). Writers push
//! telemetry batches through both replicas and readers ask both for the bill; then the
//! primary's keeper and server are killed with SIGKILL. The monitor promotes the secondary and
//! the replicas follow it. Meanwhile clients may only see retryable failures (503 `contention`,
//! or a connection error), which they retry with the same batch id, as nodes do; the longest
//! time without an answer is printed. At the end every batch the clients sent is
//! acknowledged, and the engine's totals equal the sum of the acknowledged batches: nothing
//! lost, nothing counted twice.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use edgecost_api::{IngestReceipt, TelemetryBatch, TelemetryRecord};
use edgecost_engine::Engine;
use edgecost_engine::testing::PgAutoFailover;
use edgecost_pricing::PriceBook;

mod support;
use support::serve_logging;

/// The replicas' log: their warnings show when they lose the primary and find the new one.
const REPLICA_LOG: &str = "off,edgecost_engine::store::pg_hosts=warn";

const WRITERS: usize = 4;
const READERS: usize = 2;
const RECORDS_PER_BATCH: u64 = 20;
/// Load before the kill, and after both replicas answer again.
const STEADY: Duration = Duration::from_secs(4);
/// The most a client may wait for an answer across the failover: pg_auto_failover promotes
/// the secondary in 4-6 s here, sometimes 10 s.
const MAX_GAP: Duration = Duration::from_secs(30);
/// The most the replicas may take past the promotion before clients get answers again.
const MAX_LAG: Duration = Duration::from_secs(5);

#[test]
fn replicas_follow_a_postgres_failover_and_lose_nothing() {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut ha = rt.block_on(PgAutoFailover::start());
    let uri = ha.uri();
    eprintln!("pg_auto_failover up in {:.1} s: {uri}", started.elapsed().as_secs_f64());
    assert!(uri.contains("target_session_attrs=read-write"), "{uri}");
    let ports = ha.node_ports();
    for port in ports {
        assert!(uri.contains(&format!("127.0.0.1:{port}")), "{uri} lacks node {port}");
    }
    let first_primary = rt.block_on(ha.primary()).expect("a primary");

    // The engine opens the group through the multi-host URL, migrates it and seeds it.
    let engine = rt.block_on(Engine::open(&uri, PriceBook::published().clone())).unwrap();
    let now = Utc::now();
    let account = rt.block_on(engine.create_account("failover", "scale", now)).unwrap();
    let node = rt.block_on(engine.create_node("edge-1", now)).unwrap();
    rt.block_on(engine.close());

    let home = tempfile::tempdir().unwrap();
    let mut replicas =
        [serve_logging(home.path(), &["--database", &uri], REPLICA_LOG), serve_logging(home.path(), &["--database", &uri], REPLICA_LOG)];
    let addrs: Vec<String> = replicas.iter().map(|r| r.addr.clone()).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Log::default()));
    let mut clients = Vec::new();
    for w in 0..WRITERS {
        let (addrs, stop, log) = (addrs.clone(), stop.clone(), log.clone());
        let (token, node_id, account_id) = (node.token.clone(), node.node_id.clone(), account.account_id.clone());
        clients.push(std::thread::spawn(move || writer(w, &addrs, &token, &node_id, &account_id, &stop, &log)));
    }
    for r in 0..READERS {
        let (addrs, stop, log, token) = (addrs.clone(), stop.clone(), log.clone(), account.token.clone());
        clients.push(std::thread::spawn(move || reader(r, &addrs, &token, &stop, &log)));
    }

    std::thread::sleep(STEADY);
    let acked_before = log.lock().unwrap().acked.batches;
    assert!(acked_before > 0, "no batch was acknowledged before the kill");
    let killed_at = Instant::now();
    log.lock().unwrap().killed_at = Some(killed_at);
    ha.kill_node(first_primary);
    eprintln!("killed the primary (node {}, port {}) after {acked_before} batches", first_primary + 1, ports[first_primary]);

    // The secondary is promoted.
    let promoted = loop {
        if rt.block_on(ha.primary()) == Some(1 - first_primary) {
            break killed_at.elapsed();
        }
        assert!(killed_at.elapsed() < Duration::from_secs(60), "no promotion within a minute:\n{}", ha.state());
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("the secondary accepts writes {:.2} s after the kill", promoted.as_secs_f64());
    // Both replicas answer writes and reads again, then the load goes on a while.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let back = log.lock().unwrap().back_after_kill();
        if back.iter().all(Option::is_some) {
            break;
        }
        assert!(Instant::now() < deadline, "a replica did not answer again within a minute of the promotion: {back:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(STEADY);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }

    // The replicas were never restarted.
    for r in &mut replicas {
        assert!(r.running(), "a replica exited");
    }
    let log = log.lock().unwrap();
    let after = log.back_after_kill();
    eprintln!(
        "failover: promoted after {:.2} s; replicas answered writes again {:.2} s and {:.2} s after the kill",
        promoted.as_secs_f64(),
        after[0].unwrap().as_secs_f64(),
        after[1].unwrap().as_secs_f64(),
    );
    eprintln!(
        "failover: longest a client waited for an answer: {:.2} s (ingest) / {:.2} s (reads); \
         {} answers 503 contention, {} connection errors, {} batches acknowledged ({} retried)",
        log.longest_gap[0].as_secs_f64(),
        log.longest_gap[1].as_secs_f64(),
        log.unavailable,
        log.connection_errors,
        log.acked.batches,
        log.retried_batches,
    );
    for gap in log.longest_gap {
        assert!(gap <= MAX_GAP, "a client waited {gap:?} for an answer, more than {MAX_GAP:?}");
        assert!(gap <= promoted + MAX_LAG, "a client waited {gap:?}, more than {MAX_LAG:?} past the promotion ({promoted:?})");
    }

    // Everything acknowledged is there once, also through a fresh engine on the same URL,
    // which finds the new primary by itself.
    let engine = rt.block_on(Engine::open(&uri, PriceBook::published().clone())).unwrap();
    let id = rt.block_on(engine.authenticate_account(&account.token)).unwrap();
    let totals = rt.block_on(engine.account_summary(&id, Utc::now())).unwrap().totals;
    assert_eq!(
        (totals.requests, totals.compute_ms, totals.egress_bytes),
        (log.acked.requests, log.acked.compute_ms, log.acked.egress_bytes),
        "the engine's totals against the acknowledged batches"
    );
    rt.block_on(engine.close());
    let checked = started.elapsed();
    drop(log);
    drop(replicas);
    drop(ha);
    rt.shutdown_timeout(Duration::from_secs(5));
    eprintln!(
        "the test took {:.1} s, {:.1} s of it stopping the servers",
        started.elapsed().as_secs_f64(),
        (started.elapsed() - checked).as_secs_f64()
    );
}

#[derive(Default)]
struct Totals {
    batches: u64,
    requests: u64,
    compute_ms: u64,
    egress_bytes: u64,
}

#[derive(Default)]
struct Log {
    acked: Totals,
    retried_batches: u64,
    unavailable: u64,
    connection_errors: u64,
    /// The longest a client waited from sending a request to its answer, across the retries
    /// of a failed one (a batch until it was acknowledged; a read until one was answered):
    /// writers, readers.
    longest_gap: [Duration; 2],
    killed_at: Option<Instant>,
    /// Per replica, the first answered write after the kill.
    back: [Option<Instant>; 2],
}

impl Log {
    fn back_after_kill(&self) -> [Option<Duration>; 2] {
        self.back.map(|b| Some(b?.duration_since(self.killed_at?)))
    }

    /// A write sent at `sent` through `replica` was acknowledged.
    fn write_answered(&mut self, replica: usize, sent: Instant) {
        if let (Some(killed), None) = (self.killed_at, self.back[replica])
            && sent > killed
        {
            self.back[replica] = Some(Instant::now());
        }
    }
}

/// What a client makes of one attempt.
enum Outcome {
    Answered(String),
    /// 503 `contention` or a connection error: retry.
    Retry,
}

fn attempt(addr: &str, request: &str, log: &Mutex<Log>) -> Outcome {
    match http(addr, request) {
        Ok((200, body)) => Outcome::Answered(body),
        Ok((503, body)) => {
            assert!(body.contains("\"code\":\"contention\""), "503 without the contention code: {body}");
            log.lock().unwrap().unavailable += 1;
            Outcome::Retry
        }
        Ok((status, body)) => panic!("a failover answer that is not retryable: {status} {body}"),
        Err(_) => {
            log.lock().unwrap().connection_errors += 1;
            Outcome::Retry
        }
    }
}

/// Sends batches through both replicas in turn; each is resent, with the same id and body,
/// until it is acknowledged.
fn writer(w: usize, addrs: &[String], token: &str, node_id: &str, account_id: &str, stop: &AtomicBool, log: &Mutex<Log>) {
    let hour = Utc::now().duration_trunc(chrono::Duration::hours(1)).unwrap();
    let mut seq = 0u64;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        let records: Vec<TelemetryRecord> = (0..RECORDS_PER_BATCH)
            .map(|r| TelemetryRecord {
                account_id: account_id.to_owned(),
                route: format!("/api/w{w}"),
                region: "eu".to_owned(),
                window_start: hour,
                window_seconds: 1,
                // Distinct per batch, so a batch counted twice or lost shows in the totals.
                requests: 1 + (seq * 7 + r) % 97,
                compute_ms: 3 + (seq + r) % 11,
                egress_bytes: 1_000 + seq * 13 + r,
            })
            .collect();
        let batch = TelemetryBatch { batch_id: format!("w{w}-{seq}"), node_id: node_id.to_owned(), records };
        let body = serde_json::to_string(&batch).unwrap();
        let mut tries = 0usize;
        let first_sent = Instant::now();
        let deadline = Instant::now() + Duration::from_secs(90);
        let receipt: IngestReceipt = loop {
            let replica = (seq as usize + tries) % addrs.len();
            let request = format!(
                "POST /v1/telemetry HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                addrs[replica],
                body.len()
            );
            let sent = Instant::now();
            match attempt(&addrs[replica], &request, log) {
                Outcome::Answered(answer) => {
                    let mut log = log.lock().unwrap();
                    log.write_answered(replica, sent);
                    log.longest_gap[0] = log.longest_gap[0].max(first_sent.elapsed());
                    break serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
                }
                Outcome::Retry => {
                    assert!(Instant::now() < deadline, "batch {} was not acknowledged in 90 s", batch.batch_id);
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        assert_eq!((receipt.accepted as u64, receipt.rejected.len()), (RECORDS_PER_BATCH, 0), "batch {}", batch.batch_id);
        let mut log = log.lock().unwrap();
        log.acked.batches += 1;
        log.retried_batches += u64::from(tries > 0);
        for r in &batch.records {
            log.acked.requests += r.requests;
            log.acked.compute_ms += r.compute_ms;
            log.acked.egress_bytes += r.egress_bytes;
        }
    }
}

/// Asks both replicas for the bill in turn, retrying what fails.
fn reader(r: usize, addrs: &[String], token: &str, stop: &AtomicBool, log: &Mutex<Log>) {
    let mut i = r;
    let mut failing_since: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let addr = &addrs[i % addrs.len()];
        let request =
            format!("GET /v1/account/bill HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
        let sent = Instant::now();
        match attempt(addr, &request, log) {
            Outcome::Answered(_) => {
                let since = failing_since.take().unwrap_or(sent);
                let mut log = log.lock().unwrap();
                log.longest_gap[1] = log.longest_gap[1].max(since.elapsed());
            }
            Outcome::Retry => {
                failing_since.get_or_insert(sent);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 exchange: status and body.
fn http(addr: &str, request: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
