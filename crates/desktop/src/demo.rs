//! Door 2: the billing engine inside the app, on a SQLite file in the app data folder,
//! seeded with the engine's demo account and a small fleet of accounts beside it, and served
//! on loopback so the dashboard (and the operator's view, with the demo's operator token)
//! reads it exactly as it reads a real server. Its price book is the published one with the
//! demo's infrastructure costs, so the operator's view shows gross margin.
//!
//! The demo keeps its state across restarts: what a person bought or upgraded is still there
//! when the app opens again, and the traffic is topped up from where it stopped, so the
//! current period stays live. Only "Reset demo" starts it over.
//!
//! The served engine reads the time from the [`Clock`] it is started with: the app passes the
//! system clock, so the demo's figures are the present's; tests pass a manual clock pinned at
//! the `now` they seed with, so what they assert never depends on when they run.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use edgecost_engine::{DemoAccount, Engine, EngineError};
use edgecost_server::{Clock, RunningServer};

use crate::error::DesktopError;
use crate::files::{read_json, remove_if_present, write_json};

/// The demo database's file name in the app data folder.
pub const DEMO_DATABASE: &str = "demo.sqlite";
/// The demo account's tokens and how far its traffic was sent, beside the database. The demo
/// token is the demo's only: it opens nothing but the engine inside the app, so it is kept
/// in this file and never in the keyring.
pub const DEMO_ACCOUNT_FILE: &str = "demo-account.json";

/// The running demo engine.
pub struct DemoServer {
    running: RunningServer,
    /// Kept to close the database when the demo stops, so a reset never replaces the file
    /// under an open connection.
    engine: Engine,
    token: String,
    /// The demo operator's token; `None` for a demo seeded before it had a fleet.
    operator_token: Option<String>,
}

impl DemoServer {
    /// Starts the engine on the demo database in `data_dir` as the last run left it, with its
    /// traffic topped up to `now`; on a fresh demo database seeded at `now` when there is none
    /// (first run, or the files were removed or do not belong together). The served API reads
    /// the time from `clock` ([`Clock::system`] in the app).
    pub async fn start(data_dir: &Path, now: DateTime<Utc>, clock: Clock) -> Result<DemoServer, DesktopError> {
        let files = DemoFiles::in_dir(data_dir);
        let (engine, account) = match files.reopen(now).await? {
            Some(reopened) => reopened,
            None => files.seed(now).await?,
        };
        DemoServer::serve(engine, account, clock).await
    }

    /// Starts the demo over: a fresh database seeded at `now`, whatever the last run left,
    /// served with the time read from `clock`.
    pub async fn reset(data_dir: &Path, now: DateTime<Utc>, clock: Clock) -> Result<DemoServer, DesktopError> {
        let (engine, account) = DemoFiles::in_dir(data_dir).seed(now).await?;
        DemoServer::serve(engine, account, clock).await
    }

    async fn serve(engine: Engine, account: DemoAccount, clock: Clock) -> Result<DemoServer, DesktopError> {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let running = edgecost_server::spawn_with_clock(engine.clone(), loopback, clock).await.map_err(|e| demo_error(&e))?;
        Ok(DemoServer { running, engine, token: account.token, operator_token: account.operator_token })
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    pub(crate) fn operator_token(&self) -> Option<&str> {
        self.operator_token.as_deref()
    }

    /// Stops serving and closes the database; it stays for the next start.
    pub async fn stop(self) -> Result<(), DesktopError> {
        let stopped = self.running.shutdown().await.map_err(|e| demo_error(&e));
        self.engine.close().await;
        stopped
    }
}

fn demo_error(e: &dyn std::fmt::Display) -> DesktopError {
    DesktopError::Demo { detail: e.to_string() }
}

/// The demo database and its account file.
struct DemoFiles {
    dir: PathBuf,
    database: PathBuf,
    account: PathBuf,
}

impl DemoFiles {
    fn in_dir(dir: &Path) -> DemoFiles {
        DemoFiles { dir: dir.to_owned(), database: dir.join(DEMO_DATABASE), account: dir.join(DEMO_ACCOUNT_FILE) }
    }

    /// The demo as the last run left it, topped up to `now`; `None` when there is no demo to
    /// reopen: no account file, or a database that does not know its token.
    async fn reopen(&self, now: DateTime<Utc>) -> Result<Option<(Engine, DemoAccount)>, DesktopError> {
        let Some(account) = read_json::<DemoAccount>(&self.account) else { return Ok(None) };
        if !self.database.is_file() {
            return Ok(None);
        }
        let engine = self.open_engine().await?;
        let topped = match engine.authenticate_account(&account.token).await {
            Ok(_) => edgecost_engine::top_up_demo(&engine, &account, now).await.map(Some),
            Err(EngineError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        };
        match topped {
            Ok(Some(account)) => {
                write_json(&self.account, &account)?;
                Ok(Some((engine, account)))
            }
            // Closed before the caller seeds a new file in its place.
            Ok(None) => {
                engine.close().await;
                Ok(None)
            }
            Err(e) => {
                engine.close().await;
                Err(demo_error(&e))
            }
        }
    }

    /// A fresh demo database seeded at `now`, replacing whatever was there.
    async fn seed(&self, now: DateTime<Utc>) -> Result<(Engine, DemoAccount), DesktopError> {
        remove_if_present(&self.account)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            remove_if_present(Path::new(&format!("{}{suffix}", self.database.display())))?;
        }
        let engine = self.open_engine().await?;
        let seeded = match edgecost_engine::seed_demo_fleet(&engine, now).await {
            Ok(operator_token) => edgecost_engine::seed_demo(&engine, now)
                .await
                .map(|account| edgecost_engine::DemoAccount { operator_token: Some(operator_token), ..account }),
            Err(e) => Err(e),
        };
        match seeded {
            Ok(account) => {
                write_json(&self.account, &account)?;
                Ok((engine, account))
            }
            Err(e) => {
                engine.close().await;
                Err(demo_error(&e))
            }
        }
    }

    async fn open_engine(&self) -> Result<Engine, DesktopError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| DesktopError::Write { path: self.dir.display().to_string(), detail: e.to_string() })?;
        let book = edgecost_engine::demo_price_book().map_err(|e| demo_error(&e))?;
        Engine::open(&Engine::sqlite_url(&self.database), book).await.map_err(|e| demo_error(&e))
    }
}
