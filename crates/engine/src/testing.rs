//! Test support: a throwaway PostgreSQL server on a temporary folder and a free loopback port.
//!
//! ```no_run
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = edgecost_engine::testing::PgServer::start();
//! let url = server.create_database().await;
//! let engine = edgecost_engine::Engine::open(&url, edgecost_pricing::PriceBook::published().clone()).await.unwrap();
//! # });
//! ```
//!
//! It uses the server binaries of Debian's `postgresql` package (`initdb`, `pg_ctl`), found in
//! `$EDGECOST_PG_BIN` or `/usr/lib/postgresql/<version>/bin`. Missing binaries are a test
//! failure with a message saying what to install, never a skip. `initdb` refuses to run as
//! root, so as root the server runs as the `postgres` system user. Dropping the handle stops
//! the server and deletes its folder; a watchdog does the same when the process dies without
//! dropping it (killed, timed out, interrupted), so no server or folder outlives its process.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A running PostgreSQL server, stopped on drop.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres_user: bool,
    // Fields drop in this order: the folder goes first, then the watchdog finds nothing to do.
    _dir: tempfile::TempDir,
    _watchdog: Watchdog,
}

/// Stops the server and deletes its folder once the process that started it is gone.
///
/// A detached `sh` (its own process group, so a Ctrl-C to the test does not reach it) blocks
/// reading a pipe whose only writer is this process. The pipe closes when the process exits
/// however it exits, SIGKILL included, or when the handle is dropped; the watchdog then stops
/// the server (`pg_ctl -m immediate stop`, as the server's user) and removes the folder if
/// the folder is still there, and exits.
struct Watchdog(Child);

const WATCHDOG: &str = r#"
trap '' HUP INT TERM
dir=$1; data=$2; shift 2
while read -r _; do :; done
if [ -d "$dir" ]; then
    "$@" -D "$data" -m immediate -w stop
    rm -rf "$dir"
fi
"#;

impl Watchdog {
    fn spawn(dir: &Path, data: &Path, pg_ctl: &Command) -> Watchdog {
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(WATCHDOG).arg("edgecost-pg-watchdog").arg(dir).arg(data);
        sh.arg(pg_ctl.get_program()).args(pg_ctl.get_args());
        sh.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
        Watchdog(sh.spawn().unwrap_or_else(|e| panic!("the PostgreSQL watchdog could not be started: {e}")))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

fn find_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("EDGECOST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin. \
             Install them with `apt-get install -y postgresql` or point EDGECOST_PG_BIN at their folder."
        )
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

impl PgServer {
    /// Initializes and starts a server with durable commits (`fsync` on).
    pub fn start() -> PgServer {
        Self::start_with(true)
    }

    /// Like [`PgServer::start`]; `durable = false` turns `fsync` off for faster tests.
    pub fn start_with(durable: bool) -> PgServer {
        let bin = find_bin();
        let as_postgres_user = is_root();
        let dir = tempfile::Builder::new().prefix("edgecost-pg-").tempdir().expect("a temporary folder");
        let data = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        std::fs::create_dir_all(&sockets).expect("a socket folder");
        if as_postgres_user {
            run(Command::new("chmod").arg("0755").arg(dir.path()), "chmod");
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(dir.path()), "chown");
        }
        let watchdog = Watchdog::spawn(dir.path(), &data, &pg_command(&bin, "pg_ctl", as_postgres_user));
        let mut initdb = pg_command(&bin, "initdb", as_postgres_user);
        initdb.args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync", "-D"]).arg(&data);
        run(&mut initdb, "initdb");
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            sockets.display(),
            if durable { "on" } else { "off" }
        );
        let mut start = pg_command(&bin, "pg_ctl", as_postgres_user);
        start.arg("-D").arg(&data).args(["-w", "-t", "60", "-o", &options, "-l"]).arg(dir.path().join("server.log")).arg("start");
        run(&mut start, "pg_ctl start");
        PgServer { bin, data, port, as_postgres_user, _dir: dir, _watchdog: watchdog }
    }

    /// The URL of the server's `postgres` database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates an empty database and returns its URL; each test gets its own.
    pub async fn create_database(&self) -> String {
        use sqlx::Connection;
        let name = format!("edgecost_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
        let mut conn = sqlx::PgConnection::connect(&self.admin_url()).await.expect("connect to the test server");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create a test database");
        conn.close().await.ok();
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut stop = pg_command(&self.bin, "pg_ctl", self.as_postgres_user);
        stop.arg("-D").arg(&self.data).args(["-m", "immediate", "-w", "stop"]);
        let _ = stop.output();
    }
}

fn pg_command(bin: &Path, program: &str, as_postgres_user: bool) -> Command {
    if as_postgres_user {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what} could not be started: {e}"));
    assert!(out.status.success(), "{what} failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}
/// Fills the hourly rollups of every account with `hours` hours of usage from `first_hour`
/// (unix seconds, on the hour): two routes in `eu`, 100 to 330 requests an hour following the
/// time of day. For benchmarks of usage queries over long spans, which ingest cannot backfill
/// (a period closes one hour after it ends).
pub async fn fill_hourly_history(url: &str, first_hour: i64, hours: i64) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE h(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM h WHERE j < $2 - 1) \
             INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) \
             SELECT a.id, $1 + h.j * 3600, r.route, 'eu', 100 + (h.j % 24) * 10, 500, 200000 \
             FROM accounts a, h, (SELECT '/api/orders' AS route UNION ALL SELECT '/api/search') r",
        )
        .bind(first_hour)
        .bind(hours)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) \
             SELECT account_id, hour, SUM(requests), SUM(compute_ms), SUM(egress_bytes) FROM usage_hourly GROUP BY account_id, hour",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(
            "INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) \
             SELECT a.id, $1 + j * 3600, r.route, 'eu', 100 + (j % 24) * 10, 500, 200000 \
             FROM accounts a, generate_series(0::bigint, $2 - 1) j, (VALUES ('/api/orders'), ('/api/search')) r(route)",
        )
        .bind(first_hour)
        .bind(hours)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) \
             SELECT account_id, hour, SUM(requests), SUM(compute_ms), SUM(egress_bytes) FROM usage_hourly GROUP BY account_id, hour",
        )
        .execute(&pool)
        .await
        .unwrap();
        // As autovacuum would: the visibility map lets the chart query read the index alone.
        sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
    }
}

/// The monthly partitions of the usage tables on a PostgreSQL database, by name (none on
/// SQLite, which has none).
pub async fn usage_partitions(url: &str) -> Vec<String> {
    if url.starts_with("sqlite:") {
        return Vec::new();
    }
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let names = sqlx::query_scalar(
        "SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent \
         WHERE p.relname IN ('usage_records', 'usage_hourly', 'usage_hourly_total') AND c.relname NOT LIKE '%_default' \
         ORDER BY c.relname",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    names
}

/// Accounts a fleet seeded by [`seed_fleet`] is named after: `fleet-0000`, `fleet-0001`, ...
pub const FLEET_NAME_PREFIX: &str = "fleet-";

/// Seeds a deterministic fleet for the operator's report, its tests and its benchmark:
/// `accounts` accounts created at the start of the month `months` months before `now`'s
/// (sandbox, production, production, scale in turn), with one hour of usage in each of those
/// months (an account's region, requests, egress and compute follow from its index, and grow
/// month by month), a burst pack bought in the first month by every fifth production account,
/// and tier moves in the second month: every tenth account from production to scale, every
/// eighth from sandbox to production, and every twelfth from scale down to production from the
/// next month. Every call on the engine takes its `now` inside the month it acts on, so the
/// fleet is the same on every backend. Answers the accounts in index order.
pub async fn seed_fleet(engine: &crate::Engine, accounts: usize, months: u32, now: chrono::DateTime<chrono::Utc>) -> Vec<crate::AccountId> {
    use chrono::Duration;
    use edgecost_api::{CreditPurchaseRequest, MAX_BATCH_RECORDS, TelemetryBatch, TelemetryRecord, TierChangeRequest};

    use crate::Period;
    let mut periods = Vec::new();
    let mut p = Period::containing(now);
    for _ in 0..months {
        p = Period::containing(p.start - Duration::seconds(1));
        periods.push(p);
    }
    periods.reverse();
    let Some(first) = periods.first() else { return Vec::new() };
    let created = first.start;
    let node = engine.create_node("fleet-node", created).await.unwrap();
    let node_id = engine.authenticate_node(&node.token).await.unwrap();
    let tier_of = |i: usize| match i % 4 {
        0 => "sandbox",
        3 => "scale",
        _ => "production",
    };
    let mut ids = Vec::with_capacity(accounts);
    for i in 0..accounts {
        let a = engine.create_account(&format!("{FLEET_NAME_PREFIX}{i:04}"), tier_of(i), created).await.unwrap();
        ids.push(engine.authenticate_account(&a.token).await.unwrap());
    }
    for (m, period) in periods.iter().enumerate() {
        let window_start = period.start + Duration::days(9);
        let at = period.start + Duration::days(19);
        let records: Vec<TelemetryRecord> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let requests = ((i as u64 * 7_919) % 300_000 + 10_000) * (m as u64 + 2) / 2;
                TelemetryRecord {
                    account_id: id.as_str().to_owned(),
                    route: "/api".to_owned(),
                    region: ["na", "eu", "apac", "sa"][i % 4].to_owned(),
                    window_start,
                    window_seconds: 3_600,
                    requests,
                    compute_ms: requests * 3,
                    egress_bytes: requests * 150_000,
                }
            })
            .collect();
        for (c, chunk) in records.chunks(MAX_BATCH_RECORDS).enumerate() {
            let batch =
                TelemetryBatch { batch_id: format!("fleet-{m}-{c}"), node_id: node_id.as_str().to_owned(), records: chunk.to_vec() };
            engine.ingest(&node_id, &batch, at).await.unwrap();
        }
        let later = at + Duration::hours(1);
        for (i, id) in ids.iter().enumerate() {
            if m == 0 && i % 5 == 2 && tier_of(i) == "production" {
                engine.purchase_credits(id, "fleet-pack", &CreditPurchaseRequest { packs: 1 }, later).await.unwrap();
            }
            let to = match (m, tier_of(i)) {
                (1, "production") if i % 10 == 1 => Some("scale"),
                (1, "sandbox") if i % 8 == 0 => Some("production"),
                (1, "scale") if i % 12 == 3 => Some("production"),
                _ => None,
            };
            if let Some(tier) = to {
                engine.change_tier(id, "fleet-move", &TierChangeRequest { tier: tier.to_owned() }, later).await.unwrap();
            }
        }
    }
    ids
}
