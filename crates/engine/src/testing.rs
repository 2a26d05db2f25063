//! Test support: throwaway PostgreSQL servers on a temporary folder and a free loopback port,
//! a pg_auto_failover group, and seeded fleets and usage histories.
//!
//! ```no_run
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = edgecost_engine::testing::PgServer::shared();
//! let url = server.create_database().await;
//! let engine = edgecost_engine::Engine::open(&url, edgecost_pricing::PriceBook::published().clone()).await.unwrap();
//! # });
//! ```
//!
//! It uses the server binaries of Debian's `postgresql` package (`initdb`, `pg_ctl`), found in
//! `$EDGECOST_PG_BIN` or `/usr/lib/postgresql/<version>/bin`. Missing binaries are a test
//! failure with a message saying what to install, never a skip. `initdb` refuses to run as
//! root, so as root the server runs as the `postgres` system user. Most tests share one
//! server per test process ([`PgServer::shared`]), each in a database of its own; a test that
//! stops, kills or reconfigures its server starts its own ([`PgServer::start`]). Dropping that
//! handle stops the server and deletes its folder; a watchdog does the same when the process
//! dies without dropping it (killed, timed out, interrupted) and, for the shared server, when
//! the process exits, so no server or folder outlives its process.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

mod failover;
mod fleet;
mod pg;

pub use failover::PgAutoFailover;
pub use fleet::{FLEET_NAME_PREFIX, fill_hourly_history, seed_fleet, usage_partitions};
pub use pg::PgServer;

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
