//! Acting on notices against a real engine served over real HTTP on loopback: the banner, the
//! upgrade and credit sheets' figures, one upgrade and one purchase per intent however often
//! it is confirmed, failures that say whether anything was charged, and notifications once
//! per threshold per period. The demo door needs no keyring.

use std::net::SocketAddr;

use chrono::{DateTime, TimeZone, Utc};
use edgecost_api::{BillingPeriod, UsageTotals};
use edgecost_desktop::{
    App, BannerLevel, Charged, FailureKind, Intents, NotifiedThresholds, Snapshot, TokenVault, credits_quote, ledger_view,
    new_intent_key, notice_banner, upgrade_sheet,
};
use edgecost_engine::Engine;
use edgecost_pricing::{PriceBook, RateOptions, Usage};
use tempfile::TempDir;

fn book() -> &'static PriceBook {
    PriceBook::published()
}

/// The app on the demo door: the engine in-process, its demo account just past 80% of the
/// production tier's requests.
async fn demo_app() -> (TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path(), TokenVault::with_service("edgecost-test-account-actions"));
    app.start_demo(Utc::now()).await.unwrap();
    (dir, app)
}

fn totals(requests: u64) -> UsageTotals {
    UsageTotals { requests, egress_bytes: 0, billable_egress_bytes: 0.into(), compute_ms: 0 }
}

/// A hand-worked production period: Nov 11 12:00 of a 30-day month, 300,000 requests so far
/// ($4.00 of overage) growing by 100,000 a day to 2,200,000 at period end ($80.00).
fn hand_worked(mut snapshot: Snapshot) -> (Snapshot, DateTime<Utc>) {
    let now = Utc.with_ymd_and_hms(2026, 11, 11, 12, 0, 0).unwrap();
    snapshot.account.tier = "production".into();
    snapshot.account.scheduled_tier = None;
    snapshot.account.credit_balance = 0.into();
    snapshot.account.period = BillingPeriod {
        start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        end: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        days: 30,
        day: 11,
        days_left: 19,
    };
    let rate = |requests: u64| book().rate("production", &Usage::from_counters(requests, 0, 0), &RateOptions::default()).unwrap();
    snapshot.bill.totals = totals(300_000);
    snapshot.bill.projected_totals = totals(2_200_000);
    snapshot.bill.bill = rate(300_000);
    snapshot.bill.projected = rate(2_200_000);
    assert_eq!(snapshot.bill.bill.overage_total.to_string(), "4.00");
    assert_eq!(snapshot.bill.projected.total.to_string(), "99.00");
    (snapshot, now)
}

#[tokio::test]
async fn the_demo_account_gets_a_warning_banner_with_both_actions() {
    let (_dir, app) = demo_app().await;
    let view = app.dashboard().await.unwrap();
    let banner = notice_banner(book(), &view).expect("the demo sits past 80% of its requests");
    assert_eq!(banner.level, BannerLevel::Warning);
    assert_eq!(banner.lines[0].meter, "requests");
    assert!(banner.lines[0].headline.starts_with("Requests passed 80% of the Production quota on "), "{}", banner.lines[0].headline);
    assert!(banner.lines[0].detail.contains("projected bill $"), "{}", banner.lines[0].detail);
    assert_eq!(banner.upgrade_label.as_deref(), Some("Upgrade to Scale"));
    assert!(banner.can_buy_credits);
    assert!(banner.summary.contains("billed as overage"), "{}", banner.summary);
}

#[tokio::test]
async fn the_sandbox_sees_the_upgrade_path_only_and_a_capped_banner_at_100_percent() {
    let (_dir, app) = demo_app().await;
    let mut view = app.dashboard().await.unwrap();
    view.tier = "sandbox".into();
    view.tier_label = "Sandbox".into();
    view.notices[0].threshold_percent = 100;
    let banner = notice_banner(book(), &view).unwrap();
    assert_eq!(banner.level, BannerLevel::Capped);
    assert!(banner.summary.contains("capped"), "{}", banner.summary);
    assert_eq!(banner.upgrade_label.as_deref(), Some("Upgrade to Production"));
    assert!(!banner.can_buy_credits);

    // Past 100% on a tier without a cap, overage is billed and credit can pay it.
    view.tier = "production".into();
    view.tier_label = "Production".into();
    let banner = notice_banner(book(), &view).unwrap();
    assert_eq!(banner.level, BannerLevel::Over);
    assert!(banner.can_buy_credits);

    view.notices.clear();
    assert_eq!(notice_banner(book(), &view), None, "no notice, no banner");
}

#[tokio::test]
async fn the_upgrade_sheet_prorates_the_base_fee_from_today_and_projects_each_tier() {
    let (_dir, app) = demo_app().await;
    let (snapshot, now) = hand_worked(app.snapshot().await.unwrap());
    let sheet = upgrade_sheet(book(), &snapshot, "intent-1".into(), now).unwrap();
    assert_eq!(sheet.target_tier, "scale");
    // $79.00 x 20 of 30 days (Nov 11 to Nov 30), rounded half away from zero.
    assert_eq!(sheet.prorated_base_fee, "$52.67");
    let bills: Vec<(&str, &str)> = sheet.projections.iter().map(|p| (p.tier.as_str(), p.projected_bill.as_str())).collect();
    // Scale: $6.33 production base for 10 days + $52.67 + 200,000 requests over at $0.25/10k.
    assert_eq!(bills, vec![("production", "$99.00"), ("scale", "$64.00")]);
    assert_eq!(sheet.difference, "Saves $35.00 on the projected bill");
}

#[tokio::test]
async fn the_credit_sheet_says_how_long_the_packs_last_at_the_run_rate() {
    let (_dir, app) = demo_app().await;
    let (snapshot, now) = hand_worked(app.snapshot().await.unwrap());

    // One pack pays the $4.00 owed and then $4.00 a day for 5 days.
    let one = credits_quote(book(), &snapshot, 1, now).unwrap();
    assert_eq!((one.total_price.as_str(), one.balance_after.as_str()), ("$25.00", "$21.00"));
    assert_eq!(one.overage_per_day, "$4.00 a day");
    assert_eq!(one.covers_days, Some(5));
    assert_eq!(one.coverage, "Covers about 5 days of overage; runs out around Nov 16");

    let three = credits_quote(book(), &snapshot, 3, now).unwrap();
    assert_eq!(three.total_price, "$75.00");
    assert_eq!(three.runs_out.as_deref(), Some("runs out around Nov 28"));

    let five = credits_quote(book(), &snapshot, 5, now).unwrap();
    assert_eq!(five.runs_out, None);
    assert_eq!(five.coverage, "Covers the projected overage for the rest of this period.");

    assert_eq!(credits_quote(book(), &snapshot, 0, now).unwrap_err().code(), "bad_pack_count");
    let mut sandbox = snapshot.clone();
    sandbox.account.tier = "sandbox".into();
    assert_eq!(credits_quote(book(), &sandbox, 1, now).unwrap_err().code(), "no_credit_packs");
}

#[tokio::test]
async fn a_double_confirmed_upgrade_changes_the_tier_once_and_clears_the_banner() {
    let (_dir, app) = demo_app().await;
    assert_eq!(app.planning_tier().await, "production", "a plan starts on the account's tier");
    let connection = app.connection().await.unwrap();
    let client = connection.client();
    let intents = Intents::new();
    let key = new_intent_key("upgrade");
    let (a, b) = tokio::join!(intents.upgrade(client, &key, "scale"), intents.upgrade(client, &key, "scale"));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "the second click gets the first click's answer");
    assert_eq!((a.previous_tier.as_str(), a.tier.as_str(), a.immediate), ("production", "scale", true));

    // A retry from a fresh app run (the record is gone) sends the same key: the engine
    // answers with the first change and changes nothing again.
    let again = Intents::new().upgrade(client, &key, "scale").await.unwrap();
    assert_eq!(again, a);

    let view = app.sync(Utc::now()).await.unwrap();
    assert_eq!(view.tier, "scale");
    assert_eq!(notice_banner(book(), &view), None, "the upgrade resolved the notice");
    assert_eq!(app.planning_tier().await, "scale", "a new plan from a usage file starts on the new tier");
}

#[tokio::test]
async fn buying_twice_with_one_intent_buys_once_and_the_ledger_names_the_pack() {
    let (_dir, app) = demo_app().await;
    let connection = app.connection().await.unwrap();
    let client = connection.client();
    let intents = Intents::new();
    let key = new_intent_key("credits");
    let (a, b) = tokio::join!(intents.buy(client, &key, 2), intents.buy(client, &key, 2));
    assert_eq!(a.unwrap(), b.unwrap());
    // The engine deduplicates the key too: a fresh app run retrying it buys nothing more.
    Intents::new().buy(client, &key, 2).await.unwrap();

    let ledger = client.credits().await.unwrap();
    let purchases = ledger.entries.iter().filter(|e| e.kind == edgecost_api::LedgerEntryKind::Purchase).count();
    assert_eq!(purchases, 1);
    assert_eq!(ledger.balance.to_string(), "50.00", "the demo has no overage yet, so nothing was spent");
    let view = ledger_view(&ledger).unwrap();
    assert_eq!(view.balance, "$50.00");
    assert_eq!(view.packs.len(), 1);
    assert_eq!((view.packs[0].pack.as_str(), view.packs[0].credit.as_str(), view.packs[0].left.as_str()), ("Pack 1", "$50.00", "$50.00"));
    assert_eq!(view.rows[0].pack.as_deref(), Some("Pack 1"));

    let dashboard = app.sync(Utc::now()).await.unwrap();
    assert_eq!(dashboard.credit_balance, "$50.00");

    // The same key with another pack count is refused, and says nothing more was charged.
    let reused = Intents::new().buy(client, &key, 3).await.unwrap_err();
    assert_eq!((reused.kind, reused.charged, reused.code.as_str()), (FailureKind::Declined, Charged::No, "idempotency_key_reused"));
}

#[tokio::test]
async fn failures_say_whether_anything_was_charged() {
    // Declined: the sandbox cannot hold credit.
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&Engine::sqlite_url(&dir.path().join("engine.db")), book().clone()).await.unwrap();
    let sandbox = engine.create_account("Side project", "sandbox", Utc::now()).await.unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = edgecost_server::spawn(engine, addr).await.unwrap();
    let client = edgecost_client::Client::new(&server.url(), &sandbox.token).unwrap();
    let declined = Intents::new().buy(&client, &new_intent_key("credits"), 1).await.unwrap_err();
    assert_eq!((declined.kind, declined.charged), (FailureKind::Declined, Charged::No));
    assert_eq!(declined.code, "credit_packs_not_allowed");
    assert!(declined.message.contains("nothing was charged"), "{}", declined.message);

    // Offline: nothing listens, so whether it went through is unknown and a retry is safe.
    let url = server.url();
    server.shutdown().await.unwrap();
    let client = edgecost_client::Client::new(&url, &sandbox.token)
        .unwrap()
        .with_retry(edgecost_client::RetryPolicy { attempts: 1, first_backoff: std::time::Duration::ZERO });
    let offline = Intents::new().buy(&client, &new_intent_key("credits"), 1).await.unwrap_err();
    assert_eq!((offline.kind, offline.charged), (FailureKind::Offline, Charged::Unknown));
    assert!(offline.message.contains("same key"), "{}", offline.message);
    let offline = Intents::new().upgrade(&client, &new_intent_key("upgrade"), "production").await.unwrap_err();
    assert_eq!(offline.kind, FailureKind::Offline);
}

#[tokio::test]
async fn each_threshold_is_notified_once_per_period_across_restarts() {
    let (dir, app) = demo_app().await;
    let view = app.dashboard().await.unwrap();
    let record = NotifiedThresholds::in_dir(dir.path());
    let first = record.take_new(&view).unwrap();
    assert_eq!(first.iter().map(|n| (n.meter.as_str(), n.threshold_percent)).collect::<Vec<_>>(), vec![("requests", 80)]);
    assert!(record.take_new(&view).unwrap().is_empty(), "the next sync does not repeat it");
    assert!(NotifiedThresholds::in_dir(dir.path()).take_new(&view).unwrap().is_empty(), "nor does a restarted app");

    let mut over = view.clone();
    over.notices[0].threshold_percent = 100;
    assert_eq!(record.take_new(&over).unwrap().len(), 1, "100% is a threshold of its own");

    let mut next_period = view.clone();
    next_period.period_first_day = "2099-01-01".into();
    assert_eq!(record.take_new(&next_period).unwrap().len(), 1, "a new period announces again");
}
