//! The API on a real socket, through `edgecost_client`, on SQLite and on PostgreSQL: the
//! story an edge node and the desktop app play against a running server.

mod common;

use common::{Fixture, batch, hourly_records, now};
use edgecost_api::{Granularity, UsageGrouping, UsageLogQuery, UsageQuery};
use edgecost_client::{Client, ClientError, RetryPolicy};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use edgecost_server::{AppState, RunningServer, router};

/// Serves the fixture's engine on a free loopback port, with the fixture's pinned clock.
async fn serve(f: &Fixture) -> RunningServer {
    let state = AppState::with_clock(f.engine.clone(), f.clock.clone());
    RunningServer::start(router(state), "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

async fn story(f: Fixture) {
    let server = serve(&f).await;
    let url = server.url();
    let node = Client::new(&url, &f.node.token).unwrap();
    let alice = Client::new(&url, &f.alice.token).unwrap();
    let bob = Client::new(&url, &f.bob.token).unwrap();
    alice.health().await.unwrap();

    // An edge node reports 85% of Alice's included requests; a replay is counted once.
    let b = batch("loop-1", &f.node.id, hourly_records(&f.alice.id, 10, 17_000));
    let receipt = node.send_telemetry(&b).await.unwrap();
    assert_eq!(receipt.accepted, 10);
    assert_eq!(node.send_telemetry(&b).await.unwrap(), receipt);
    let mut changed = b.clone();
    changed.records[0].requests += 1;
    let err = node.send_telemetry(&changed).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), "batch_id_reused"));

    // The app reads what the node sent.
    let account = alice.account().await.unwrap();
    assert_eq!(account.tier, "production");
    assert_eq!(account.totals.requests, 170_000);
    assert_eq!(account.notices.len(), 1);
    let bill = alice.bill().await.unwrap();
    assert_eq!(bill.totals.requests, 170_000);
    assert_eq!(bill.bill.tier, "production");
    let notices = alice.notices().await.unwrap();
    assert_eq!(notices.notices[0].threshold_percent, 80);
    let series = alice
        .usage(&UsageQuery {
            from: now() - chrono::Duration::days(1),
            to: now(),
            granularity: Granularity::Hour,
            group_by: UsageGrouping::Meter,
        })
        .await
        .unwrap();
    let requests: u64 =
        series.lines.iter().filter(|l| l.meter == edgecost_api::Meter::Requests).flat_map(|l| l.points.iter().map(|p| p.quantity)).sum();
    assert_eq!(requests, 170_000);
    let page = alice.usage_log(&UsageLogQuery { cursor: None, limit: Some(4) }).await.unwrap();
    assert_eq!(page.records.len(), 4);
    let rest = alice.usage_log(&UsageLogQuery { cursor: page.next_cursor.clone(), limit: Some(100) }).await.unwrap();
    assert_eq!(rest.records.len(), 6);
    assert!(rest.next_cursor.is_none());

    // A purchase repeated with its key buys once; another body under the key is refused.
    let first = alice.buy_credits(2, "app-purchase-1").await.unwrap();
    assert_eq!(alice.buy_credits(2, "app-purchase-1").await.unwrap(), first);
    let err = alice.buy_credits(1, "app-purchase-1").await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), "idempotency_key_reused"));
    let ledger = alice.credits().await.unwrap();
    let purchases = ledger.entries.iter().filter(|e| e.kind == edgecost_api::LedgerEntryKind::Purchase).count();
    assert_eq!(purchases, 1);
    assert_eq!(ledger.balance, first.balance);
    // Bob sees none of it.
    assert!(bob.credits().await.unwrap().entries.is_empty());
    assert_eq!(bob.account().await.unwrap().totals.requests, 0);

    // One-click upgrade, and the notice of the old tier resolves.
    let change = alice.change_tier("scale", "upgrade-1").await.unwrap();
    assert!(change.immediate);
    // The confirmation repeated (a retry after a lost answer) is the same change, made once.
    assert_eq!(alice.change_tier("scale", "upgrade-1").await.unwrap(), change);
    let err = alice.change_tier("production", "upgrade-1").await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), "idempotency_key_reused"));
    let account = alice.account().await.unwrap();
    assert_eq!(account.tier, "scale");
    assert!(account.notices.is_empty(), "{:?}", account.notices);

    let book = alice.price_book().await.unwrap();
    assert_eq!(&book, edgecost_pricing::PriceBook::published());

    // The node polls the limits it enforces: the sandbox account's 50 requests a second, and
    // nothing for the production accounts. Polling again with the ETag costs a 304.
    let (limits, etag) = node.node_limits(None).await.unwrap().unwrap();
    let listed: Vec<(&str, Option<u32>)> = limits.accounts.iter().map(|a| (a.account_id.as_str(), a.requests_per_second)).collect();
    assert_eq!(listed, vec![(f.sandy.id.as_str(), Some(50))]);
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    assert_eq!(node.node_limits(Some(&etag)).await.unwrap(), None);
    // Sandy uses up her 50,000 requests: the limits change, and say requests are closed.
    let b = batch("loop-sandy", &f.node.id, hourly_records(&f.sandy.id, 2, 25_000));
    assert_eq!(node.send_telemetry(&b).await.unwrap().accepted, 2);
    let (limits, changed) = node.node_limits(Some(&etag)).await.unwrap().expect("changed limits");
    assert_ne!(changed, etag);
    assert_eq!(limits.accounts[0].capped_meters, vec![edgecost_api::Meter::Requests]);
    // Only node tokens read them.
    let err = alice.node_limits(None).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(401), "invalid_token"));

    // Wrong credentials and a dead server fail in ways the app can tell apart.
    let stranger = Client::new(&url, "ec_acct_0000").unwrap();
    let err = stranger.account().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert_eq!(err.code(), "invalid_token");
    server.shutdown().await.unwrap();
    let offline = alice.clone().with_retry(RetryPolicy { attempts: 2, first_backoff: std::time::Duration::from_millis(10) });
    let err = offline.account().await.unwrap_err();
    assert!(matches!(err, ClientError::Network { .. }), "{err:?}");
    assert_eq!(err.code(), "network");
}

/// Racing repeats, as from a node retrying on a timeout and an impatient double click: the
/// batch counts once, the purchase and the upgrade happen once, and every racer gets the same answer.
async fn races(f: Fixture) {
    let server = serve(&f).await;
    let url = server.url();
    let node = Client::new(&url, &f.node.token).unwrap();
    let alice = Client::new(&url, &f.alice.token).unwrap();

    let b = batch("race-1", &f.node.id, hourly_records(&f.alice.id, 5, 3_000));
    let sends = (0..6).map(|_| {
        let (node, b) = (node.clone(), b.clone());
        tokio::spawn(async move { node.send_telemetry(&b).await })
    });
    let receipts: Vec<_> = futures_join(sends).await;
    let first = receipts[0].clone();
    assert!(receipts.iter().all(|r| *r == first), "racers got different receipts");
    assert_eq!(alice.account().await.unwrap().totals.requests, 15_000);

    let buys = (0..6).map(|_| {
        let alice = alice.clone();
        tokio::spawn(async move { alice.buy_credits(1, "double-click").await })
    });
    let purchases: Vec<_> = futures_join(buys).await;
    assert!(purchases.iter().all(|p| p.purchase_id == purchases[0].purchase_id));
    let ledger = alice.credits().await.unwrap();
    let bought = ledger.entries.iter().filter(|e| e.kind == edgecost_api::LedgerEntryKind::Purchase).count();
    assert_eq!(bought, 1);

    let upgrades = (0..6).map(|_| {
        let alice = alice.clone();
        tokio::spawn(async move { alice.change_tier("scale", "double-click-upgrade").await })
    });
    let changes: Vec<_> = futures_join(upgrades).await;
    assert!(changes.iter().all(|c| *c == changes[0]), "racers got different answers");
    assert_eq!(changes[0].previous_tier, "production");
    assert_eq!(alice.account().await.unwrap().tier, "scale");
    server.shutdown().await.unwrap();
}

/// Awaits spawned calls, failing the test on any error.
async fn futures_join<T, E: std::fmt::Debug>(handles: impl Iterator<Item = tokio::task::JoinHandle<Result<T, E>>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_on_sqlite() {
    races(Fixture::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_on_postgres() {
    let pg = edgecost_engine::testing::PgServer::shared();
    let url = pg.create_database().await;
    let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
    races(Fixture::over(tempfile::tempdir().unwrap(), engine).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_on_sqlite() {
    story(Fixture::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_on_postgres() {
    let pg = edgecost_engine::testing::PgServer::shared();
    let url = pg.create_database().await;
    let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    story(Fixture::over(dir, engine).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_serves_on_a_free_port_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let url = Engine::sqlite_url(&dir.path().join("spawn.db"));
    let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
    let server = edgecost_server::spawn(engine, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert_ne!(server.addr().port(), 0);
    let client = Client::new(&server.url(), "none").unwrap();
    client.health().await.unwrap();
    let addr = server.addr();
    server.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}
