//! The harness the engine's scenario tests share: a fresh database per scenario on SQLite
//! or on the throwaway PostgreSQL server the test binary shares, an account with a node, and
//! telemetry helpers.
#![allow(dead_code, reason = "each test binary uses the part it needs")]

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{TelemetryBatch, TelemetryRecord, TierChangeRequest};
use edgecost_engine::testing::PgServer;
use edgecost_engine::{AccountId, Engine, NodeId};
use edgecost_pricing::{Decimal, PriceBook};

/// What keeps a database alive: a SQLite file's folder, or nothing for a database on the
/// server the process shares.
pub enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres,
}

pub struct Db {
    pub url: String,
    _guard: Guard,
}

impl Db {
    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = Engine::sqlite_url(&dir.path().join("billing.db"));
        Db { url, _guard: Guard::Sqlite(dir) }
    }

    pub async fn postgres() -> Db {
        let url = PgServer::shared().create_database().await;
        Db { url, _guard: Guard::Postgres }
    }

    /// A new engine on the same database: a second server replica, or the same server after
    /// a restart.
    pub async fn engine(&self) -> Engine {
        Engine::open(&self.url, PriceBook::published().clone()).await.unwrap()
    }
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn tier(name: &str) -> TierChangeRequest {
    TierChangeRequest { tier: name.into() }
}

pub const NOW: &str = "2026-11-23T10:02:00Z";

pub struct Fixture {
    pub engine: Engine,
    pub account: AccountId,
    pub account_id: String,
    pub node: NodeId,
    pub node_id: String,
}

pub async fn fixture(db: &Db, tier: &str, created: &str) -> Fixture {
    let engine = db.engine().await;
    let created = engine.create_account("Acme", tier, t(created)).await.unwrap();
    let account = engine.authenticate_account(&created.token).await.unwrap();
    let node_created = engine.create_node("edge-fra-1", created.created_at).await.unwrap();
    let node = engine.authenticate_node(&node_created.token).await.unwrap();
    Fixture { engine, account, account_id: created.account_id, node, node_id: node_created.node_id }
}

pub fn rec(account_id: &str, route: &str, region: &str, start: &str, requests: u64, egress_bytes: u64, compute_ms: u64) -> TelemetryRecord {
    TelemetryRecord {
        account_id: account_id.into(),
        route: route.into(),
        region: region.into(),
        window_start: t(start),
        window_seconds: 60,
        requests,
        compute_ms,
        egress_bytes,
    }
}

pub fn batch(f: &Fixture, id: &str, records: Vec<TelemetryRecord>) -> TelemetryBatch {
    TelemetryBatch { batch_id: id.into(), node_id: f.node_id.clone(), records }
}

/// Ingests `requests` for the fixture's account in one record per call, at `now`.
pub async fn use_requests(f: &Fixture, id: &str, requests: u64, now: &str) {
    let start = (t(now) - Duration::minutes(2)).to_rfc3339();
    let b = batch(f, id, vec![rec(&f.account_id, "/api/orders", "eu", &start, requests, 0, 0)]);
    let r = f.engine.ingest(&f.node, &b, t(now)).await.unwrap();
    assert_eq!(r.receipt.accepted, 1, "{:?}", r.receipt.rejected);
}

/// Instantiates every scenario once per backend.
#[macro_export]
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Db::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Db::postgres().await).await
                }
            )*
        }
    };
}
