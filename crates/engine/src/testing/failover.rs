//! A pg_auto_failover group for the failover tests.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{find_bin, free_port, is_root, run};

/// A throwaway PostgreSQL high-availability group on loopback, run by pg_auto_failover: a
/// monitor, a primary and a synchronous secondary, each a `pg_autoctl run` keeper with its
/// own server.
///
/// It uses Debian's `pg-auto-failover-cli` (`pg_autoctl`) and `postgresql-15-auto-failover`
/// (the monitor's extension) beside the server binaries [`super::PgServer`] uses; missing ones are a
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
