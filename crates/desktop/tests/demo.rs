//! The demo door across restarts, against the real engine on a temporary data folder: what a
//! person did in the demo is still there when the app opens again, its traffic goes on from
//! where it stopped, and only "Reset demo" starts it over. The demo needs no keyring.

mod common;

use chrono::{Datelike, Duration};
use common::pinned_app;
use edgecost_api::LedgerEntryKind;
use edgecost_desktop::{App, DEMO_ACCOUNT_FILE, DEMO_DATABASE, Door, Intents, TokenVault, actions, new_intent_key};

fn vault() -> TokenVault {
    TokenVault::with_service("edgecost-test-demo-unused")
}

/// The purchases in the connected account's credit ledger, by id.
async fn purchases(app: &App) -> Vec<String> {
    let connection = app.connection().await.unwrap();
    let ledger = connection.client().credits().await.unwrap();
    ledger.entries.iter().filter(|e| e.kind == LedgerEntryKind::Purchase).map(|e| e.id.clone()).collect()
}

async fn period_requests(app: &App) -> u64 {
    let connection = app.connection().await.unwrap();
    connection.client().bill().await.unwrap().totals.requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_in_the_demo_is_still_there_after_a_restart_until_the_demo_is_reset() {
    let data = tempfile::tempdir().unwrap();
    let now = common::now();
    let app = pinned_app(data.path(), vault(), now);
    app.start_demo(now).await.unwrap();
    let (purchase, _) = actions::buy_credits(&app, &Intents::new(), &new_intent_key("credits"), 2, now).await.unwrap();
    assert_eq!(purchases(&app).await, vec![purchase.purchase_id.clone()]);
    let requests_before = period_requests(&app).await;
    let account = std::fs::read_to_string(data.path().join(DEMO_ACCOUNT_FILE)).unwrap();
    // The app quits.
    app.shut_down().await.unwrap();
    drop(app);

    // The app opens again 90 minutes later on the same data folder.
    let later = now + Duration::minutes(90);
    let app = pinned_app(data.path(), vault(), later);
    let startup = app.startup().await;
    assert_eq!(startup.door, Some(Door::Demo));
    assert!(startup.error_code.is_none(), "{:?}", startup.error_code);
    assert!(startup.dashboard.is_some(), "the cached demo dashboard shows at once");
    let view = app.start_demo(later).await.unwrap();
    assert_eq!(view.door, Door::Demo);
    assert_eq!(purchases(&app).await, vec![purchase.purchase_id.clone()], "the purchase survived the restart");
    // The same demo account, its traffic topped up over the 90 minutes.
    let reopened: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data.path().join(DEMO_ACCOUNT_FILE)).unwrap()).unwrap();
    let first: serde_json::Value = serde_json::from_str(&account).unwrap();
    assert_eq!(reopened["token"], first["token"]);
    assert_ne!(reopened["recorded_until"], first["recorded_until"]);
    // (Across a month's end the new period starts from zero, so compare within one.)
    if later.month() == now.month() {
        let requests_after = period_requests(&app).await;
        assert!(requests_after > requests_before, "requests went from {requests_before} to {requests_after}");
    }

    // "Reset demo" starts over: a new account with no purchase.
    let reset = app.reset_demo(later).await.unwrap();
    assert_eq!(reset.door, Door::Demo);
    assert_eq!(reset.credit_balance, "$0.00");
    assert!(purchases(&app).await.is_empty(), "the reset demo has no purchase");
    let fresh: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data.path().join(DEMO_ACCOUNT_FILE)).unwrap()).unwrap();
    assert_ne!(fresh["token"], first["token"]);
    assert!(data.path().join(DEMO_DATABASE).is_file());

    // Leaving the demo keeps it: opening it again finds the reset state, not a new seed.
    let token = fresh["token"].clone();
    app.sign_out().await.unwrap();
    app.start_demo(later).await.unwrap();
    let again: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data.path().join(DEMO_ACCOUNT_FILE)).unwrap()).unwrap();
    assert_eq!(again["token"], token);
    app.sign_out().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_whose_account_file_is_gone_is_seeded_afresh() {
    let data = tempfile::tempdir().unwrap();
    let now = common::now();
    let app = pinned_app(data.path(), vault(), now);
    app.start_demo(now).await.unwrap();
    actions::buy_credits(&app, &Intents::new(), &new_intent_key("credits"), 1, now).await.unwrap();
    app.sign_out().await.unwrap();
    std::fs::remove_file(data.path().join(DEMO_ACCOUNT_FILE)).unwrap();

    let app = pinned_app(data.path(), vault(), now);
    let view = app.start_demo(now).await.unwrap();
    assert_eq!(view.credit_balance, "$0.00");
    assert!(purchases(&app).await.is_empty());
    assert!(data.path().join(DEMO_ACCOUNT_FILE).is_file());
    app.sign_out().await.unwrap();
}

/// The demo's operator reads the fleet beside the demo account, flags the account whose APAC
/// egress costs more than it pays for, and tries a price book from a file; a book with a
/// mistake says where.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_operator_sees_the_fleet_and_tries_a_price_book_file() {
    let data = tempfile::tempdir().unwrap();
    let now = common::now();
    let app = pinned_app(data.path(), vault(), now);
    app.start_demo(now).await.unwrap();
    let view = app.open_demo_operator(now).await.unwrap();
    assert_eq!(view.door, Door::Demo);
    let last = view.months.iter().rev().find(|m| m.closed).unwrap();
    // The eight accounts of the fleet and the demo account.
    assert_eq!(last.accounts, 9);
    let margin = view.margin.as_ref().expect("the demo's book carries infrastructure cost");
    assert!(margin.accounts.iter().any(|a| a.name == "Ironbark Logistics" && a.flagged), "{:?}", margin.accounts);
    let retention = app.operator_chart(edgecost_desktop::OperatorChartId::Retention, false, 800).await.unwrap();
    assert!(retention.svg.contains("NRR") && retention.summary.contains("NRR"), "{}", retention.summary);
    // The demo stays the remembered door.
    assert_eq!(app.startup().await.door, Some(Door::Demo));

    let book = data.path().join("proposal.yaml");
    std::fs::write(&book, edgecost_pricing::PriceBook::published_yaml().replacen("base_fee: \"19.00\"", "base_fee: \"24.00\"", 1)).unwrap();
    let what_if = app.what_if(&book, 3).await.unwrap();
    assert_eq!(what_if.file_name, "proposal.yaml");
    let production = what_if.tiers.iter().find(|t| t.key == "production").unwrap();
    assert_eq!(production.direction, "up");
    assert!(what_if.falls.is_empty(), "a higher base fee lowers no bill: {:?}", what_if.falls);

    std::fs::write(&book, "version: 1\ncurrency: USD\ntiers: [\n").unwrap();
    let err = app.what_if(&book, 3).await.unwrap_err();
    assert_eq!(err.code(), "price_book_invalid");
    assert!(err.to_string().starts_with("proposal.yaml:"), "{err}");
}

/// On a period's edge the demo's server and the app still agree on the period: at a month's
/// first minute the demo seeded then fills the month that just began (its traffic is scaled
/// to pass 80% of the included requests, so the 80% notice is open), a purchase lands in it,
/// and reopened 90 minutes later the same period has grown; at an hour's first minute alike.
/// A period a minute old lands on the demo's level as a longer one does: past 80%, short of
/// the quota.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_opened_at_a_months_or_an_hours_first_minute_shows_the_period_it_is_in() {
    for instant in [common::MONTH_FIRST_MINUTE, common::HOUR_FIRST_MINUTE] {
        let data = tempfile::tempdir().unwrap();
        let now = common::at(instant);
        let app = pinned_app(data.path(), vault(), now);
        let view = app.start_demo(now).await.unwrap();
        assert_eq!(
            (view.period_first_day.as_str(), view.period_day),
            (now.format("%Y-%m-01").to_string().as_str(), now.day()),
            "{instant}"
        );
        let requests = view.meters.iter().find(|m| m.meter == "requests").unwrap();
        assert!(requests.percent.is_some_and(|p| (80..100).contains(&p)), "{instant}: {:?}", requests.percent);
        assert!(view.notices.iter().any(|n| n.meter == "requests" && n.threshold_percent == 80), "{instant}: {:?}", view.notices);
        assert_eq!(view.sync.synced_at, now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));

        // The server reads the same instant: its bill is of the period the dashboard shows.
        let client = app.connection().await.unwrap().client().clone();
        let bill = client.bill().await.unwrap();
        assert_eq!(bill.as_of, now, "{instant}: the server answers at the pinned instant");
        assert_eq!(bill.period.start.format("%Y-%m-%d").to_string(), view.period_first_day, "{instant}");
        let (purchase, _) = actions::buy_credits(&app, &Intents::new(), &new_intent_key("credits"), 1, now).await.unwrap();
        assert_eq!(purchases(&app).await, vec![purchase.purchase_id.clone()]);
        let before = period_requests(&app).await;
        app.shut_down().await.unwrap();
        drop(app);

        let later = now + Duration::minutes(90);
        let app = pinned_app(data.path(), vault(), later);
        let view = app.start_demo(later).await.unwrap();
        assert_eq!(view.period_first_day, now.format("%Y-%m-01").to_string(), "{instant}: still the same period");
        let after = period_requests(&app).await;
        assert!(after > before, "{instant}: requests went from {before} to {after}");
        assert_eq!(purchases(&app).await, vec![purchase.purchase_id.clone()], "{instant}: the pack bought this period");
        app.sign_out().await.unwrap();
    }
}
