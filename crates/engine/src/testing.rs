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

/// A throwaway PostgreSQL high-availability group on loopback, run by pg_auto_failover: a
/// monitor, a primary and a synchronous secondary, each a `pg_autoctl run` keeper with its
/// own server.
///
/// It uses Debian's `pg-auto-failover-cli` (`pg_autoctl`) and `postgresql-15-auto-failover`
/// (the monitor's extension) beside the server binaries [`PgServer`] uses; missing ones are a
/// test failure saying what to install. As root the keepers run as the `postgres` system user.
/// The monitor is tuned to fail over within seconds (health checks every second, a node
/// unhealthy after 2 s, no wait for a dead primary to demote itself); the defaults take about
/// a minute. Dropping the handle stops every keeper and server and deletes the folder; a
/// watchdog does the same when the process dies without dropping it, and deletes the folder.
pub struct PgAutoFailover {
    /// Deleted by the watchdog, in the background.
    dir: PathBuf,
    as_postgres_user: bool,
    bin: PathBuf,
    monitor_port: u16,
    node_ports: [u16; 2],
    /// `pg_autoctl run` of the monitor and of each node, each leading its process group, and
    /// whether it is still running (not killed by [`PgAutoFailover::kill_node`]).
    keepers: Vec<(Child, bool)>,
    watchdog: Child,
}

/// Kills every process group listed in `$dir/groups` (SIGQUIT first: PostgreSQL and
/// pg_autoctl stop at once and release their shared memory), then deletes the folder.
const HA_WATCHDOG: &str = r#"
trap '' HUP INT TERM
dir=$1
while read -r _; do :; done
if [ -d "$dir" ]; then
    for g in $(cat "$dir/groups" 2>/dev/null); do kill -QUIT -- "-$g" 2>/dev/null; done
    sleep 2
    for g in $(cat "$dir/groups" 2>/dev/null); do kill -KILL -- "-$g" 2>/dev/null; done
    rm -rf "$dir"
fi
"#;

/// Monitor settings for a failover within seconds on loopback.
const HA_MONITOR_SETTINGS: [(&str, u32); 6] = [
    ("health_check_period", 1000),
    ("health_check_timeout", 1000),
    ("health_check_max_retries", 1),
    ("health_check_retry_delay", 500),
    ("node_considered_unhealthy_timeout", 2000),
    // A dead primary cannot demote itself; a live one cut off by a network partition stops
    // by itself after pg_autoctl's network_partition_timeout (20 s), which production keeps
    // below this setting (30 s by default). Here the primary is killed, not partitioned.
    ("primary_demote_timeout", 2000),
];

impl PgAutoFailover {
    /// Creates and starts the monitor, then the primary, then the secondary, and waits until
    /// the secondary is in sync.
    pub async fn start() -> PgAutoFailover {
        let bin = find_bin();
        let autoctl = Path::new("/usr/bin/pg_autoctl");
        assert!(
            autoctl.exists() && bin.parent().is_some_and(|v| v.join("lib/pgautofailover.so").exists()),
            "pg_auto_failover was not found (/usr/bin/pg_autoctl and {}/../lib/pgautofailover.so). Install it with \
             `apt-get install -y pg-auto-failover-cli postgresql-{}-auto-failover`.",
            bin.display(),
            bin.parent().and_then(|v| v.file_name()).map(|v| v.to_string_lossy().into_owned()).unwrap_or_default(),
        );
        let as_postgres_user = is_root();
        let dir = tempfile::Builder::new().prefix("edgecost-ha-").tempdir().expect("a temporary folder");
        for sub in ["config", "share", "run"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("a folder");
        }
        std::fs::write(dir.path().join("groups"), "").expect("the process group list");
        if as_postgres_user {
            run(Command::new("chmod").arg("0755").arg(dir.path()), "chmod");
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(dir.path()), "chown");
        }
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(HA_WATCHDOG).arg("edgecost-ha-watchdog").arg(dir.path());
        sh.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
        let watchdog = sh.spawn().unwrap_or_else(|e| panic!("the watchdog could not be started: {e}"));
        let mut ha = PgAutoFailover {
            dir: dir.keep(),
            as_postgres_user,
            bin,
            monitor_port: free_port(),
            node_ports: [free_port(), free_port()],
            keepers: Vec::new(),
            watchdog,
        };
        let port = ha.monitor_port.to_string();
        let mut create = ha.autoctl(&["create", "monitor", "--pgport", &port]);
        create.arg("--pgdata").arg(ha.pgdata("monitor")).args(["--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl"]);
        ha.run_logged(&mut create, "monitor-create");
        ha.run_keeper("monitor");
        ha.tune_monitor().await;
        for (i, name) in ["node1", "node2"].into_iter().enumerate() {
            let port = ha.node_ports[i].to_string();
            let monitor = format!("postgres://autoctl_node@127.0.0.1:{}/pg_auto_failover?sslmode=disable", ha.monitor_port);
            let mut create = ha.autoctl(&["create", "postgres", "--pgport", &port, "--name", name]);
            create.arg("--pgdata").arg(ha.pgdata(name)).args([
                "--hostname",
                "127.0.0.1",
                "--listen",
                "127.0.0.1",
                "--auth",
                "trust",
                "--no-ssl",
                "--dbname",
                "edgecost",
                "--monitor",
                &monitor,
            ]);
            ha.run_logged(&mut create, &format!("{name}-create"));
            ha.run_keeper(name);
        }
        ha.wait_for_states(&[("primary", "primary"), ("secondary", "secondary")], std::time::Duration::from_secs(120)).await;
        ha
    }

    /// The group's URL as `pg_autoctl show uri --formation default` prints it (every node,
    /// `target_session_attrs=read-write`), with the `postgres` user the nodes trust.
    pub fn uri(&self) -> String {
        let mut show = self.autoctl(&["show", "uri", "--formation", "default"]);
        show.arg("--pgdata").arg(self.pgdata("monitor"));
        let out = show.output().expect("pg_autoctl show uri");
        assert!(out.status.success(), "pg_autoctl show uri failed: {}", String::from_utf8_lossy(&out.stderr));
        let uri = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let rest = uri.strip_prefix("postgres://").unwrap_or_else(|| panic!("pg_autoctl printed {uri}"));
        format!("postgres://postgres@{rest}")
    }

    /// The loopback ports of the two nodes, in the order they were created (the first
    /// started as the primary).
    pub fn node_ports(&self) -> [u16; 2] {
        self.node_ports
    }

    /// Which node (0 or 1) accepts writes now, if one does.
    pub async fn primary(&self) -> Option<usize> {
        for (i, port) in self.node_ports.iter().enumerate() {
            if node_accepts_writes(*port).await == Some(true) {
                return Some(i);
            }
        }
        None
    }

    /// Kills node `node`'s keeper and server with SIGKILL, as a crash would: nothing restarts
    /// the server in place, so the monitor fails over to the other node.
    pub fn kill_node(&mut self, node: usize) {
        let (keeper, running) = &mut self.keepers[node + 1];
        let group = keeper.id();
        let out = Command::new("kill").args(["-KILL", "--", &format!("-{group}")]).output().expect("kill");
        assert!(out.status.success(), "kill -9 -{group}: {}", String::from_utf8_lossy(&out.stderr));
        let _ = keeper.wait();
        *running = false;
        // Once reaped, its id may be reused: neither the handle nor the watchdog signals it again.
        let groups: String = self.keepers.iter().filter(|(_, running)| *running).map(|(k, _)| format!("{}\n", k.id())).collect();
        std::fs::write(self.dir.join("groups"), groups).expect("the group list");
    }

    /// `pg_autoctl show state`, for messages.
    pub fn state(&self) -> String {
        let mut show = self.autoctl(&["show", "state"]);
        show.arg("--pgdata").arg(self.pgdata("monitor"));
        show.output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
    }

    /// Waits until the monitor reports the nodes in these (reported, assigned) states, in any
    /// order of nodes; panics with the monitor's view after `timeout`.
    pub async fn wait_for_states(&self, states: &[(&str, &str)], timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let mut wanted: Vec<(String, String)> = states.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        wanted.sort();
        loop {
            let mut seen = self.monitor_states().await.unwrap_or_default();
            seen.sort();
            if seen == wanted {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the nodes did not reach {wanted:?} in {timeout:?}; the monitor says:\n{}\nlogs in {}",
                self.state(),
                self.dir.as_path().display()
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    async fn monitor_states(&self) -> Option<Vec<(String, String)>> {
        use sqlx::Connection;
        let url = format!("postgres://postgres@127.0.0.1:{}/pg_auto_failover?sslmode=disable", self.monitor_port);
        let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
        let rows = sqlx::query_as("SELECT reportedstate::text, goalstate::text FROM pgautofailover.node").fetch_all(&mut conn).await.ok();
        conn.close().await.ok();
        rows
    }

    async fn tune_monitor(&self) {
        use sqlx::Connection;
        let url = format!("postgres://postgres@127.0.0.1:{}/pg_auto_failover?sslmode=disable", self.monitor_port);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut conn = loop {
            match sqlx::PgConnection::connect(&url).await {
                Ok(conn) => break conn,
                Err(e) if std::time::Instant::now() > deadline => panic!("the monitor did not start: {e}"),
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            }
        };
        for (name, value) in HA_MONITOR_SETTINGS {
            sqlx::query(&format!("ALTER SYSTEM SET pgautofailover.{name} = {value}")).execute(&mut conn).await.expect("a monitor setting");
        }
        sqlx::query("SELECT pg_reload_conf()").execute(&mut conn).await.expect("reload the monitor's settings");
        conn.close().await.ok();
    }

    fn pgdata(&self, name: &str) -> PathBuf {
        self.dir.as_path().join(name)
    }

    /// `pg_autoctl ARGS` as the servers' user, with its configuration and state in the folder.
    fn autoctl(&self, args: &[&str]) -> Command {
        let mut c = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "env"]);
            c
        } else {
            Command::new("env")
        };
        let path = format!("PATH={}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default());
        for (var, sub) in [("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "share"), ("XDG_RUNTIME_DIR", "run")] {
            c.arg(format!("{var}={}", self.dir.as_path().join(sub).display()));
        }
        c.arg(format!("PG_CONFIG={}", self.bin.join("pg_config").display())).arg(path).arg("pg_autoctl").args(args);
        c
    }

    fn run_logged(&self, command: &mut Command, name: &str) {
        let log = self.dir.as_path().join(format!("{name}.log"));
        let out = command.output().unwrap_or_else(|e| panic!("pg_autoctl could not be started: {e}"));
        std::fs::write(&log, [&out.stdout[..], &out.stderr[..]].concat()).ok();
        assert!(out.status.success(), "{name} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    fn run_keeper(&mut self, name: &str) {
        let log = std::fs::File::create(self.dir.as_path().join(format!("{name}.log"))).expect("a log file");
        let mut run = self.autoctl(&["run"]);
        run.arg("--pgdata").arg(self.pgdata(name));
        run.stdin(Stdio::null()).stdout(log.try_clone().expect("a log file")).stderr(log).process_group(0);
        let child = run.spawn().unwrap_or_else(|e| panic!("pg_autoctl run could not be started: {e}"));
        use std::io::Write as _;
        let mut groups = std::fs::OpenOptions::new().append(true).open(self.dir.as_path().join("groups")).expect("the group list");
        writeln!(groups, "{}", child.id()).expect("the group list");
        self.keepers.push((child, true));
    }
}

impl Drop for PgAutoFailover {
    fn drop(&mut self) {
        for signal in ["-QUIT", "-KILL"] {
            for (keeper, _) in self.keepers.iter().filter(|(_, running)| *running) {
                let _ = Command::new("kill").args([signal, "--", &format!("-{}", keeper.id())]).output();
            }
            if signal == "-QUIT" {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
        for (keeper, _) in &mut self.keepers {
            let _ = keeper.wait();
        }
        // The watchdog deletes the folder once its pipe closes, as the handle drops: deleting
        // the servers' 200 MB can take seconds on a disk that discards on delete.
        drop(self.watchdog.stdin.take());
    }
}

/// Whether the server on loopback `port` accepts writes; `None` when it does not answer.
async fn node_accepts_writes(port: u16) -> Option<bool> {
    use sqlx::Connection;
    let url = format!("postgres://postgres@127.0.0.1:{port}/edgecost?sslmode=disable");
    let mut conn = tokio::time::timeout(std::time::Duration::from_secs(2), sqlx::PgConnection::connect(&url)).await.ok()?.ok()?;
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(&mut conn).await.ok()?;
    conn.close().await.ok();
    Some(read_only == "off")
}
