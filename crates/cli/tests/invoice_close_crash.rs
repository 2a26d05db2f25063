//! Closing periods into invoices survives `kill -9`, on SQLite and on PostgreSQL.
//!
//! Many accounts with a year of history each are due to be closed. A real `edgecost serve` is
//! asked for every account's invoices at once and killed with SIGKILL at a random moment while
//! it closes them; it is restarted and killed again over several rounds, then left to finish.
//! After every kill each account has either all of its due periods invoiced or none (a close is
//! one transaction), and at the end every due period has exactly one invoice, numbered
//! `INV-00001`.. per account in period order without gaps, equal to the bill the engine gives
//! for the period's last second, to the cent.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use edgecost_api::{
    CreditPurchaseRequest, Invoice, InvoicePage, InvoiceQuery, MAX_INVOICE_PAGE, TelemetryBatch, TelemetryRecord, TierChangeRequest,
};
use edgecost_engine::testing::PgServer;
use edgecost_engine::{AccountId, Engine};
use edgecost_pricing::PriceBook;

mod support;
use support::serve_logging;

/// Kill rounds before the server is left to finish. Each round brings a new group of accounts
/// due to be closed, beside those earlier kills left open.
const KILL_ROUNDS: usize = 4;
const GROUP: usize = 16;
const ACCOUNTS: usize = KILL_ROUNDS * GROUP;
/// Periods due per account.
const MONTHS: u32 = 12;

#[test]
fn sqlite_invoice_close_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let url = Engine::sqlite_url(&dir.path().join("billing.db"));
    close_under_kill_9(&url, dir.path());
}

#[test]
fn postgres_invoice_close_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = PgServer::shared();
    let rt = runtime();
    let url = rt.block_on(server.create_database());
    drop(rt);
    close_under_kill_9(&url, dir.path());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

struct Account {
    id: AccountId,
    account_id: String,
    token: String,
}

fn close_under_kill_9(url: &str, home: &Path) {
    let rt = runtime();
    let engine = rt.block_on(Engine::open(url, PriceBook::published().clone())).unwrap();
    // The server closes periods on its system clock, so the history ends in the month before
    // the current one: `MONTHS` periods are due once the current month's first hour is over.
    let this_month = month_start(Utc::now());
    let first = add_months(this_month, -(MONTHS as i32));
    let accounts = rt.block_on(seed(&engine, first));

    let seed = Utc::now().timestamp_subsec_nanos() as u64 | 1;
    eprintln!("kill points drawn with seed {seed}");
    let mut rng = XorShift(seed);
    let probe = rt.block_on(Probe::open(url));
    let mut kills_mid_close = 0;
    for round in 0..KILL_ROUNDS {
        let group = &accounts[..(round + 1) * GROUP];
        let pending: Vec<&Account> = group.iter().filter(|a| invoiced(&rt, &engine, a, first) == 0).collect();
        let closed_before = rt.block_on(probe.closed_accounts());
        let mut served = serve_logging(home, &["--database", url], "error");
        let readers: Vec<_> = pending
            .iter()
            .map(|a| {
                let (addr, token) = (served.addr.clone(), a.token.clone());
                // Answers are cut off by the kill; only the database state counts.
                std::thread::spawn(move || {
                    let _ = try_get(&addr, "/v1/account/invoices", &token);
                })
            })
            .collect();
        // The kill comes once a random number of the pending accounts (up to half) are closed,
        // plus a random few milliseconds, so it lands while the others are being closed.
        let target = 1 + rng.below(pending.len() as u64 / 2) as usize;
        let deadline = Instant::now() + Duration::from_secs(60);
        while rt.block_on(probe.closed_accounts()) < closed_before + target {
            assert!(Instant::now() < deadline, "the server closed fewer than {target} accounts in a minute");
            std::thread::sleep(Duration::from_millis(1));
        }
        let wait_ms = rng.below(4);
        std::thread::sleep(Duration::from_millis(wait_ms));
        served.kill_9();
        for r in readers {
            r.join().unwrap();
        }
        let mut closed = 0;
        for a in &pending {
            match invoiced(&rt, &engine, a, first) {
                0 => {}
                n if n == MONTHS as usize => closed += 1,
                n => panic!("a kill left {n} of {MONTHS} periods invoiced: a close is not one transaction"),
            }
        }
        eprintln!("killed {wait_ms} ms after {target} closes: {closed} of {} accounts closed", pending.len());
        if closed < pending.len() {
            kills_mid_close += 1;
        }
    }
    assert!(kills_mid_close >= 1, "no kill in {KILL_ROUNDS} rounds landed while accounts were being closed");

    // Restarted and left alone, the server closes whatever the kills left open.
    let served = serve_logging(home, &["--database", url], "error");
    let before = Utc::now();
    for a in &accounts {
        let page: InvoicePage = get_json(&served.addr, &format!("/v1/account/invoices?limit={MAX_INVOICE_PAGE}"), &a.token);
        assert_eq!(page.next_cursor, None);
        let due = due_periods(first, before);
        let mut oldest_first = page.invoices.clone();
        oldest_first.reverse();
        let starts: Vec<_> = oldest_first.iter().map(|i| i.period_start).collect();
        assert_eq!(starts, due, "one invoice for every due period");
        let numbers: Vec<_> = oldest_first.iter().map(|i| i.number.clone()).collect();
        let expected: Vec<_> = (1..=due.len()).map(|n| format!("INV-{n:05}")).collect();
        assert_eq!(numbers, expected, "numbers run in period order without gaps");
        for summary in &oldest_first {
            let invoice: Invoice = get_json(&served.addr, &format!("/v1/account/invoices/{}", summary.id), &a.token);
            let last_second = invoice.period_end - chrono::Duration::seconds(1);
            let last_bill = rt.block_on(engine.bill_to_date(&a.id, last_second)).unwrap().bill;
            assert_eq!(invoice.bill, last_bill, "{} of {}", invoice.number, a.account_id);
            assert_eq!(
                (invoice.cost, invoice.paid_by_credit, invoice.total),
                (last_bill.cost(), last_bill.credits_applied, last_bill.total),
                "{} of {}",
                invoice.number,
                a.account_id
            );
            assert_eq!((summary.number.as_str(), summary.total), (invoice.number.as_str(), invoice.total));
        }
    }
    assert_eq!(due_periods(first, Utc::now()), due_periods(first, before), "a period came due during the check; run again");
}

/// Accounts created at `first` on production, each with usage in every month (overage in
/// most), a third upgraded to scale mid-period and a quarter with a burst pack.
async fn seed(engine: &Engine, first: DateTime<Utc>) -> Vec<Account> {
    let node = engine.create_node("edge-fra-1", first).await.unwrap();
    let node_id = engine.authenticate_node(&node.token).await.unwrap();
    let mut accounts = Vec::with_capacity(ACCOUNTS);
    for i in 0..ACCOUNTS {
        let created = engine.create_account(&format!("Acme {i}"), "production", first).await.unwrap();
        let id = engine.authenticate_account(&created.token).await.unwrap();
        for m in 0..MONTHS {
            let month = add_months(first, m as i32);
            let at = month + chrono::Duration::days(1 + (i as i64 + m as i64) % 20) + chrono::Duration::hours(10);
            let record = TelemetryRecord {
                account_id: created.account_id.clone(),
                route: format!("/api/r{}", i % 3),
                region: ["eu", "na", "apac"][(i + m as usize) % 3].into(),
                window_start: at,
                window_seconds: 60,
                requests: 120_000 + ((i as u64 * 37_003 + m as u64 * 91_007) % 300_000),
                egress_bytes: 3_000_000_000 + (i as u64 * 1_234_567_891 + m as u64 * 987_654_321) % 60_000_000_000,
                compute_ms: 1_000_000 + (i as u64 * 7_919 + m as u64 * 104_729) % 9_000_000,
            };
            let batch = TelemetryBatch { batch_id: format!("a{i}-m{m}"), node_id: node.node_id.clone(), records: vec![record] };
            let ingested = engine.ingest(&node_id, &batch, at + chrono::Duration::minutes(2)).await.unwrap();
            assert_eq!(ingested.receipt.accepted, 1, "{:?}", ingested.receipt.rejected);
            let late_in_month = month + chrono::Duration::days(24);
            if i % 3 == 0 && m == 5 {
                let request = TierChangeRequest { tier: "scale".into() };
                engine.change_tier(&id, &format!("up-{i}"), &request, late_in_month).await.unwrap();
            }
            if i % 4 == 1 && m == 3 {
                let request = CreditPurchaseRequest { packs: 1 };
                engine.purchase_credits(&id, &format!("pack-{i}"), &request, late_in_month).await.unwrap();
            }
        }
        accounts.push(Account { id, account_id: created.account_id, token: created.token });
    }
    accounts
}

/// How many invoices the account has, read without closing anything: at `first`, the month
/// the account was created in, no period has ended yet.
fn invoiced(rt: &tokio::runtime::Runtime, engine: &Engine, a: &Account, first: DateTime<Utc>) -> usize {
    let q = InvoiceQuery { cursor: None, limit: Some(MAX_INVOICE_PAGE) };
    rt.block_on(engine.invoices(&a.id, &q, first)).unwrap().invoices.len()
}

/// A connection of the test's own to the database, to poll how far the server has got.
enum Probe {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Probe {
    async fn open(url: &str) -> Probe {
        if url.starts_with("sqlite:") {
            Probe::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Probe::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    /// How many accounts have invoices: one cheap query, polled every millisecond.
    async fn closed_accounts(&self) -> usize {
        const SQL: &str = "SELECT COUNT(DISTINCT account_id) FROM invoices";
        let n: i64 = match self {
            Probe::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await.unwrap(),
            Probe::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await.unwrap(),
        };
        n as usize
    }
}

/// Starts of the periods from `first` whose grace hour is over at `now`.
fn due_periods(first: DateTime<Utc>, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut due = Vec::new();
    let mut start = first;
    while add_months(start, 1) + chrono::Duration::hours(1) <= now {
        due.push(start);
        start = add_months(start, 1);
    }
    due
}

fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).unwrap()
}

fn add_months(t: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    let index = t.year() * 12 + t.month0() as i32 + months;
    Utc.with_ymd_and_hms(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1, 0, 0, 0).unwrap()
}

/// A minimal HTTP/1.1 GET with a bearer token: status code and body.
fn try_get(addr: &str, path: &str, token: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

fn get_json<T: serde::de::DeserializeOwned>(addr: &str, path: &str, token: &str) -> T {
    let (status, body) = try_get(addr, path, token).unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// Kill delays: reproducible from the printed seed, no dependency for a few numbers.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}
