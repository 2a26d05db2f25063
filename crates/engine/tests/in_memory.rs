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

/// The app's demo opened again later: its traffic continues from where it stopped, at the
/// level it was seeded with, and time past the closed periods' grace is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_topped_up_later_continues_its_traffic() {
    use chrono::{DateTime, Duration, Utc};
    use edgecost_api::{Granularity, UsageGrouping, UsageQuery};
    use edgecost_engine::top_up_demo;

    let engine = Engine::open("sqlite::memory:", PriceBook::published().clone()).await.unwrap();
    let seeded_at: DateTime<Utc> = "2026-11-10T10:20:30Z".parse().unwrap();
    let demo = seed_demo(&engine, seeded_at).await.unwrap();
    assert_eq!(demo.recorded_until, seeded_at);
    assert_eq!(demo.node_tokens.len(), 3);
    let account = engine.authenticate_account(&demo.token).await.unwrap();
    let requests = |now| {
        let engine = &engine;
        let account = &account;
        async move { engine.account_summary(account, now).await.unwrap().totals.requests }
    };
    let before = requests(seeded_at).await;

    // Five and a half hours later, mid-afternoon on a weekday: traffic went on.
    let later = seeded_at + Duration::minutes(330);
    let topped = top_up_demo(&engine, &demo, later).await.unwrap();
    assert_eq!(topped.recorded_until, later);
    assert_eq!((topped.token.as_str(), topped.requests_per_weight_micro), (demo.token.as_str(), demo.requests_per_weight_micro));
    let after = requests(later).await;
    assert!(after > before, "requests went from {before} to {after}");
    // Every hour up to the one `later` is in has traffic, with no gap after the seed's last.
    let from: DateTime<Utc> = "2026-11-10T08:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2026-11-10T17:00:00Z".parse().unwrap();
    let q = UsageQuery { from, to, granularity: Granularity::Hour, group_by: UsageGrouping::Meter };
    let series = engine.usage(&account, &q).await.unwrap();
    let line = series.lines.iter().find(|l| l.key == "requests").unwrap();
    let hours: Vec<String> = line.points.iter().filter(|p| p.quantity > 0).map(|p| p.start.format("%H").to_string()).collect();
    assert_eq!(hours, ["08", "09", "10", "11", "12", "13", "14", "15"]);

    // Topping up again at the same time sends nothing.
    let again = top_up_demo(&engine, &topped, later).await.unwrap();
    assert_eq!(again, topped);
    assert_eq!(requests(later).await, after);

    // Two months later the closed periods are skipped: no refusal, and the new period has traffic.
    let much_later = later + Duration::days(60);
    let topped = top_up_demo(&engine, &again, much_later).await.unwrap();
    assert_eq!(topped.recorded_until, much_later);
    assert!(requests(much_later).await > 0);
}
