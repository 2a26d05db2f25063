//! The desktop app can run the engine on an in-memory SQLite database (its demo account).

use edgecost_engine::{Engine, seed_demo};
use edgecost_pricing::PriceBook;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_database_keeps_its_data_across_calls() {
    let engine = Engine::open("sqlite::memory:", PriceBook::published().clone()).await.unwrap();
    let now = "2026-11-23T10:02:00Z".parse().unwrap();
    let demo = seed_demo(&engine, now).await.unwrap();
    let account = engine.authenticate_account(&demo.token).await.unwrap();
    let (summary, bill) = tokio::join!(engine.account_summary(&account, now), engine.bill_to_date(&account, now));
    let summary = summary.unwrap();
    assert!(summary.totals.requests >= 160_000, "{}", summary.totals.requests);
    assert_eq!(bill.unwrap().totals, summary.totals);
}
