//! The engine served on loopback for the app to sign in to: the demo account, or a live
//! production account fed by an edge node.
//!
//! Time. The served engine runs in this process, so its clock is pinned: each server answers
//! at one instant, [`Server::now`] / [`LiveAccount::now`], for its whole life, and everything
//! it was seeded with was seeded at that instant. A test that runs across midnight on the 1st
//! (or across an hour) therefore still reads one period from it. The app under test is the
//! real binary and reads the system clock, which it offers no way to override; so the pinned
//! instant is the wall-clock time at which the server starts, never a fixed date, which
//! would leave the app's "now" and the engine's periods far apart. The edge node's
//! telemetry follows one rule ([`window_start`]): a window lies in the pinned instant's
//! period, never before its start, even in a month's first minutes.

use std::net::SocketAddr;

use chrono::{DateTime, Duration, DurationRound, Utc};
use edgecost_server::{Clock, RunningServer};
use tempfile::TempDir;

/// Serves `engine` on a free loopback port, its clock pinned at `now`.
async fn serve_at(engine: edgecost_engine::Engine, now: DateTime<Utc>) -> RunningServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    edgecost_server::spawn_with_clock(engine, addr, Clock::manual(now)).await.expect("server on loopback")
}

/// The start of the one-minute telemetry window an edge node reports at `now`: the last full
/// minute but one (a node flushes a little after a window closes), moved up to the start of
/// `now`'s billing period when that minute falls in the previous one (a month's first two
/// minutes). The window then always counts in the period the engine bills at `now`, and never
/// ends more than a minute after `now`, well inside the engine's clock-skew allowance.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let minute = (now - Duration::minutes(2)).duration_trunc(Duration::minutes(1)).unwrap();
    minute.max(edgecost_engine::Period::containing(now).start)
}

/// The engine on a SQLite file, seeded with the demo account, served on loopback.
pub struct Server {
    _dir: TempDir,
    pub running: RunningServer,
    pub token: String,
    /// The instant the demo was seeded at and the server answers at.
    pub now: DateTime<Utc>,
}

pub async fn serve_demo_account() -> Server {
    let now = Utc::now();
    let dir = tempfile::tempdir().unwrap();
    let url = edgecost_engine::Engine::sqlite_url(&dir.path().join("engine.db"));
    let book = edgecost_pricing::PriceBook::published().clone();
    let engine = edgecost_engine::Engine::open(&url, book).await.expect("engine on SQLite");
    let demo = edgecost_engine::seed_demo(&engine, now).await.expect("demo data");
    let running = serve_at(engine, now).await;
    Server { _dir: dir, running, token: demo.token, now }
}

/// An engine on a SQLite file with one production account (200,000 requests included, $0.40
/// per 10,000 past them) and one edge node, served on loopback.
pub struct LiveAccount {
    _dir: TempDir,
    pub running: RunningServer,
    /// The instant the account was created at and the server answers at.
    pub now: DateTime<Utc>,
    pub account_id: String,
    pub account_token: String,
    pub node_id: String,
    pub node_token: String,
}

impl LiveAccount {
    pub async fn production() -> LiveAccount {
        LiveAccount::on_tier("Acme Shop", "production").await
    }

    /// An account named `name` on `tier` of the published price book.
    pub async fn on_tier(name: &str, tier: &str) -> LiveAccount {
        let dir = tempfile::tempdir().unwrap();
        let url = edgecost_engine::Engine::sqlite_url(&dir.path().join("engine.db"));
        let engine = edgecost_engine::Engine::open(&url, edgecost_pricing::PriceBook::published().clone()).await.unwrap();
        let now = Utc::now();
        let account = engine.create_account(name, tier, now).await.unwrap();
        let node = engine.create_node("edge-fra-1", now).await.unwrap();
        let running = serve_at(engine, now).await;
        LiveAccount {
            _dir: dir,
            running,
            now,
            account_id: account.account_id,
            account_token: account.token,
            node_id: node.node_id,
            node_token: node.token,
        }
    }

    /// The engine's database, to open it again after the server is shut down.
    pub fn database_url(&self) -> String {
        edgecost_engine::Engine::sqlite_url(&self._dir.path().join("engine.db"))
    }

    /// The node reports `requests` for the account in one minute of the current period (see
    /// [`window_start`]; 4 ms of compute and 2,000 bytes each) through the real ingest API;
    /// answers the account's status in the receipt.
    pub async fn push_requests(&self, batch: &str, requests: u64) -> edgecost_api::AccountIngestStatus {
        let window_start = window_start(self.now);
        let node = edgecost_client::Client::new(&self.running.url(), &self.node_token).unwrap();
        let receipt = node
            .send_telemetry(&edgecost_api::TelemetryBatch {
                batch_id: batch.to_owned(),
                node_id: self.node_id.clone(),
                records: vec![edgecost_api::TelemetryRecord {
                    account_id: self.account_id.clone(),
                    route: "/api/orders".into(),
                    region: "eu".into(),
                    window_start,
                    window_seconds: 60,
                    requests,
                    compute_ms: requests * 4,
                    egress_bytes: requests * 2_000,
                }],
            })
            .await
            .unwrap();
        assert_eq!((receipt.accepted, receipt.rejected.len()), (1, 0), "{receipt:?}");
        receipt.accounts.into_iter().next().expect("the account's status")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_window_lies_in_the_period_of_now_even_in_a_months_first_minutes() {
        // Mid-month, and in an hour's first minute: the last full minute but one.
        assert_eq!(window_start(t("2026-06-17T14:25:30Z")), t("2026-06-17T14:23:00Z"));
        assert_eq!(window_start(t("2026-06-17T15:00:30Z")), t("2026-06-17T14:58:00Z"));
        // A month's first minutes: "now - 2 min" is in November, which the engine would still
        // take (its grace hour) and bill to November; the window starts with December instead.
        for now in ["2026-12-01T00:00:00Z", "2026-12-01T00:01:00Z", "2026-12-01T00:01:59Z"] {
            assert_eq!(window_start(t(now)), t("2026-12-01T00:00:00Z"), "{now}");
            assert!(window_start(t(now)) + Duration::seconds(60) <= t(now) + Duration::minutes(5), "within the skew allowance");
        }
        assert_eq!(window_start(t("2026-12-01T00:02:00Z")), t("2026-12-01T00:00:00Z"));
        assert_eq!(window_start(t("2026-12-01T00:03:10Z")), t("2026-12-01T00:01:00Z"));
        // New Year's Day too.
        assert_eq!(window_start(t("2027-01-01T00:00:30Z")), t("2027-01-01T00:00:00Z"));
    }
}
