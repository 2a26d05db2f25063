//! One throwaway PostgreSQL server, and the one every test of a process shares.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{find_bin, free_port, is_root, pg_command, run};

/// A running PostgreSQL server, stopped on drop (the shared one, when the process exits).
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres_user: bool,
    // Fields drop in this order: the folder goes first, then the watchdog finds nothing to do.
    _dir: tempfile::TempDir,
    _watchdog: Watchdog,
}

/// Stops the server and deletes its folder once the process that started it is gone, or the
/// handle is dropped.
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

/// Connections one server accepts: a test opens a few engines of 16 connections each.
const CONNECTIONS_MAX: u32 = 200;

/// Connections the shared server accepts: the tests of a binary run at once, one per core,
/// each with the engines it opens, so it allows what several servers of their own would.
const SHARED_CONNECTIONS_MAX: u32 = 1_000;

impl PgServer {
    /// Initializes and starts a server with durable commits (`fsync` on).
    pub fn start() -> PgServer {
        Self::start_with(true)
    }

    /// Like [`PgServer::start`]; `durable = false` turns `fsync` off for faster tests.
    pub fn start_with(durable: bool) -> PgServer {
        Self::start_server(durable, CONNECTIONS_MAX)
    }

    /// The server every test of this process shares, started (with `fsync` off) on first use;
    /// each test makes its own database on it with [`PgServer::create_database`]. One `initdb`
    /// per test binary instead of one per test: a test that stops, kills or reconfigures its
    /// server must [`PgServer::start`] its own instead.
    ///
    /// A static is never dropped: the watchdog stops the server and deletes its folder once
    /// the process exits, however it exits.
    pub fn shared() -> &'static PgServer {
        static SHARED: OnceLock<PgServer> = OnceLock::new();
        SHARED.get_or_init(|| Self::start_server(false, SHARED_CONNECTIONS_MAX))
    }

    fn start_server(durable: bool, connections_max: u32) -> PgServer {
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
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections={connections_max}",
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

    /// The TCP port the server listens on, on 127.0.0.1.
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
