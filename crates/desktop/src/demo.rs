//! Door 2: the billing engine inside the app, on a SQLite file in the app data folder,
//! seeded with the engine's demo account and served on loopback so the dashboard reads it
//! exactly as it reads a real server.

use std::net::SocketAddr;
use std::path::Path;

use chrono::{DateTime, Utc};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use edgecost_server::RunningServer;

use crate::error::DesktopError;

/// The demo database's file name in the app data folder.
pub const DEMO_DATABASE: &str = "demo.sqlite";

/// The running demo engine. Its token lives in memory only: the demo is reseeded at each
/// start so it always shows a current period.
pub struct DemoServer {
    running: RunningServer,
    token: String,
}

impl DemoServer {
    /// Starts the engine on a fresh demo database in `data_dir`, seeded at `now`.
    pub async fn start(data_dir: &Path, now: DateTime<Utc>) -> Result<DemoServer, DesktopError> {
        let path = data_dir.join(DEMO_DATABASE);
        // The demo's history is relative to `now`, so yesterday's file would show a stale period.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = format!("{}{suffix}", path.display());
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(DesktopError::Write { path: file, detail: e.to_string() }),
            }
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| DesktopError::Write { path: data_dir.display().to_string(), detail: e.to_string() })?;
        let demo_error = |e: &dyn std::fmt::Display| DesktopError::Demo { detail: e.to_string() };
        let engine = Engine::open(&Engine::sqlite_url(&path), PriceBook::published().clone())
            .await
            .map_err(|e| demo_error(&e))?;
        let account = edgecost_engine::seed_demo(&engine, now).await.map_err(|e| demo_error(&e))?;
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let running = edgecost_server::spawn(engine, loopback).await.map_err(|e| demo_error(&e))?;
        Ok(DemoServer { running, token: account.token })
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Stops serving; the database file stays until the next start replaces it.
    pub async fn stop(self) -> Result<(), DesktopError> {
        self.running.shutdown().await.map_err(|e| DesktopError::Demo { detail: e.to_string() })
    }
}
