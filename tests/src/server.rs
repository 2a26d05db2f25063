//! The engine served on loopback for the app to sign in to: the demo account, or a live
//! production account fed by an edge node.

use std::net::SocketAddr;

use tempfile::TempDir;

/// The engine on a SQLite file, seeded with the demo account, served on loopback.
pub struct Server {
    _dir: TempDir,
    pub running: edgecost_server::RunningServer,
    pub token: String,
}

pub async fn serve_demo_account() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = edgecost_engine::Engine::sqlite_url(&dir.path().join("engine.db"));
    let book = edgecost_pricing::PriceBook::published().clone();
    let engine = edgecost_engine::Engine::open(&url, book).await.expect("engine on SQLite");
    let demo = edgecost_engine::seed_demo(&engine, chrono::Utc::now()).await.expect("demo data");
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let running = edgecost_server::spawn(engine, addr).await.expect("server on loopback");
    Server { _dir: dir, running, token: demo.token }
}

/// An engine on a SQLite file with one production account (200,000 requests included, $0.40
/// per 10,000 past them) and one edge node, served on loopback.
pub struct LiveAccount {
    _dir: TempDir,
    pub running: edgecost_server::RunningServer,
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
        let now = chrono::Utc::now();
        let account = engine.create_account(name, tier, now).await.unwrap();
        let node = engine.create_node("edge-fra-1", now).await.unwrap();
        let running = edgecost_server::spawn(engine, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        LiveAccount {
            _dir: dir,
            running,
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

    /// The node reports `requests` for the account in the last full minute (4 ms of compute
    /// and 2,000 bytes each) through the real ingest API; answers the account's status in the
    /// receipt.
    pub async fn push_requests(&self, batch: &str, requests: u64) -> edgecost_api::AccountIngestStatus {
        use chrono::DurationRound;
        let window_start = (chrono::Utc::now() - chrono::Duration::minutes(2)).duration_trunc(chrono::Duration::minutes(1)).unwrap();
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
