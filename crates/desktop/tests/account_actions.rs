//! Acting on notices against a real engine served over real HTTP on loopback: the banner, the
//! upgrade and credit sheets' figures, one upgrade and one purchase per intent however often
//! it is confirmed, failures that say whether anything was charged, and notifications once
//! per threshold per period. The demo door needs no keyring.

mod common;

use std::net::SocketAddr;

use common::{now, pinned_app};
use edgecost_desktop::{
    App, BannerLevel, Charged, FailureKind, Intents, NotifiedThresholds, TokenVault, ledger_view, new_intent_key, notice_banner,
};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use edgecost_pricing::format::money;
use tempfile::TempDir;

fn book() -> &'static PriceBook {
    PriceBook::published()
}

/// The app on the demo door: the engine in-process, its demo account just past 80% of the
/// production tier's requests.
async fn demo_app() -> (TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = pinned_app(dir.path(), TokenVault::with_service("edgecost-test-account-actions"), now());
    app.start_demo(now()).await.unwrap();
    (dir, app)
}

#[tokio::test]
async fn the_demo_account_gets_a_warning_banner_with_both_actions() {
    let (_dir, app) = demo_app().await;
    let view = app.dashboard().await.unwrap();
    let banner = notice_banner(book(), &view).expect("the demo sits past 80% of its requests");
    assert_eq!(banner.level, BannerLevel::Warning);
    assert_eq!(banner.lines[0].meter, "requests");
    assert!(banner.lines[0].headline.starts_with("Requests passed 80% of the Production quota on "), "{}", banner.lines[0].headline);
    assert!(banner.lines[0].detail.contains("projected to cost $"), "{}", banner.lines[0].detail);
    assert_eq!(banner.upgrade_label.as_deref(), Some("Upgrade to Scale"));
    assert!(banner.can_buy_credits);
    assert!(banner.summary.contains("billed as overage"), "{}", banner.summary);

    // Beside the button, what the upgrade costs this period against staying, as the engine's
    // offer with the notice prices it.
    let account = app.connection().await.unwrap().client().account().await.unwrap();
    let offer = account.notices[0].offer.upgrade.clone().expect("the engine offers scale");
    let against = match offer.saving.cmp(&edgecost_pricing::Decimal::ZERO) {
        std::cmp::Ordering::Less => format!("{} more than staying", money(-offer.saving)),
        std::cmp::Ordering::Equal => "the same as staying".to_owned(),
        std::cmp::Ordering::Greater => format!("{} less than staying", money(offer.saving)),
    };
    assert_eq!(banner.upgrade_hint, Some(format!("Scale: projected {} this period, {against}", money(offer.projected_bill))));
}

#[tokio::test]
async fn the_sandbox_sees_the_upgrade_path_only_and_a_capped_banner_at_100_percent() {
    let (_dir, app) = demo_app().await;
    let mut view = app.dashboard().await.unwrap();
    view.tier = "sandbox".into();
    view.tier_label = "Sandbox".into();
    view.notices[0].threshold_percent = 100;
    // The sandbox's offer, as the engine would make it: production does not cap, and the
    // engine recommends it because the sandbox caps.
    view.notices[0].upgrade = Some(edgecost_desktop::UpgradeHint {
        tier: "production".into(),
        text: "Production: projected $19.00 this period".into(),
        recommended: true,
    });
    let banner = notice_banner(book(), &view).unwrap();
    assert_eq!(banner.level, BannerLevel::Capped);
    assert!(banner.summary.contains("capped"), "{}", banner.summary);
    assert_eq!(banner.upgrade_label.as_deref(), Some("Upgrade to Production"));
    assert!(banner.upgrade_recommended, "the banner's primary action");
    assert!(!banner.can_buy_credits);
    // An offer that costs more than staying is still offered, but not as the primary action.
    view.notices[0].upgrade.as_mut().unwrap().recommended = false;
    assert!(!notice_banner(book(), &view).unwrap().upgrade_recommended);

    // Past 100% on a tier without a cap, overage is billed and credit can pay it.
    view.tier = "production".into();
    view.tier_label = "Production".into();
    let banner = notice_banner(book(), &view).unwrap();
    assert_eq!(banner.level, BannerLevel::Over);
    assert!(banner.can_buy_credits);

    // On the last tier the engine offers no upgrade, and the banner has no upgrade button.
    view.notices[0].upgrade = None;
    let banner = notice_banner(book(), &view).unwrap();
    assert_eq!((banner.upgrade_label, banner.upgrade_hint), (None, None));

    view.notices.clear();
    assert_eq!(notice_banner(book(), &view), None, "no notice, no banner");
}

#[tokio::test]
async fn the_upgrade_sheet_shows_the_engines_quote_for_every_tier() {
    let (_dir, app) = demo_app().await;
    let quote = app.connection().await.unwrap().client().upgrade_quote().await.unwrap();
    let sheet = edgecost_desktop::actions::open_upgrade(&app).await.unwrap();
    let target = quote.tiers.iter().find(|t| t.offered).expect("the demo has an upgrade");
    assert_eq!(sheet.target_tier, target.tier);
    assert_eq!(sheet.prorated_base_fee, money(quote.prorated_base_fee.unwrap()));
    let shown: Vec<(&str, &str)> = sheet.projections.iter().map(|p| (p.tier.as_str(), p.projected.text.as_str())).collect();
    // A tier other than the current one that caps this usage has no cost to compare.
    let quoted: Vec<(String, String)> = quote
        .tiers
        .iter()
        .map(|t| (t.tier.clone(), if t.caps_usage && !t.current { "caps this usage".to_owned() } else { money(t.projected_cost) }))
        .collect();
    assert!(sheet.projections.iter().any(|p| p.projected.capped), "the demo's sandbox caps its usage");
    let quoted: Vec<(&str, &str)> = quoted.iter().map(|(t, m)| (t.as_str(), m.as_str())).collect();
    assert_eq!(shown, quoted, "every tier, as the engine priced it");
    let saving = quote.saving.unwrap();
    assert!(sheet.difference.contains(&money(saving.abs())), "{} vs {saving}", sheet.difference);
    assert_eq!(sheet.basis, quote.basis.explanation);

    // The target's projected cost line by line, as the engine's bill has it: a share of the
    // base fee for each tier the period is on (the demo upgrades mid-period), then overage.
    let bill = &target.projected;
    assert_eq!(sheet.target_bill.cost, money(target.projected_cost));
    let mut want: Vec<String> = bill.base_fee_lines.iter().map(|l| format!("{} {}", l.label, money(l.amount))).collect();
    want.extend(bill.lines.iter().map(|l| format!("{} {}", l.meter.label(), money(l.amount))));
    let shown: Vec<String> = sheet.target_bill.lines.iter().map(|l| format!("{} {}", l.label, l.amount)).collect();
    assert_eq!(shown, want);
    assert!(bill.base_fee_lines.len() >= 2, "the current tier's days and the target's: {:?}", bill.base_fee_lines);
    let sum = bill.base_fee_lines.iter().map(|l| l.amount).chain(bill.lines.iter().map(|l| l.amount)).sum::<edgecost_pricing::Decimal>();
    assert_eq!(sum, target.projected_cost, "the lines add up to the projected cost");
}

#[tokio::test]
async fn the_credit_sheet_opens_on_one_pack_and_quotes_what_the_engine_works_out() {
    let (_dir, app) = demo_app().await;
    let sheet = edgecost_desktop::actions::open_credits(&app).await.unwrap();
    assert_eq!(sheet.quote.packs, 1, "never pre-filled with several packs");
    let client = app.connection().await.unwrap().client().clone();
    for packs in [1, 3, 100] {
        let engine = client.credits_quote(packs).await.unwrap();
        let shown = edgecost_desktop::actions::quote_credits(&app, packs).await.unwrap();
        assert_eq!(shown.total_price, money(engine.total_price));
        assert_eq!(shown.balance_after, money(engine.balance_after));
        assert_eq!(shown.covers_days, engine.covers_days);
        assert_eq!(shown.carry_over, money(engine.projected_carry_over));
    }
    let err = edgecost_desktop::actions::quote_credits(&app, 0).await.unwrap_err();
    assert_eq!(err.code, "bad_pack_count");
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

    let view = app.sync(now()).await.unwrap();
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
    // One purchase of two $25.00 packs: named as the two packs it bought, never as one $50 pack.
    let view = ledger_view(&ledger, PriceBook::published().credit_pack.credit).unwrap();
    assert_eq!(view.balance, "$50.00");
    assert_eq!(view.packs.len(), 1);
    assert_eq!(
        (view.packs[0].pack.as_str(), view.packs[0].credit.as_str(), view.packs[0].left.as_str()),
        ("Packs 1–2", "$50.00", "$50.00")
    );
    assert_eq!(view.rows[0].pack.as_deref(), Some("Packs 1–2"));

    let dashboard = app.sync(now()).await.unwrap();
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
    let sandbox = engine.create_account("Side project", "sandbox", now()).await.unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = common::serve_at(engine, addr, now()).await;
    let client = edgecost_client::Client::new(&server.url(), &sandbox.token).unwrap();
    let declined = Intents::new().buy(&client, &new_intent_key("credits"), 1).await.unwrap_err();
    assert_eq!((declined.kind, declined.charged), (FailureKind::Declined, Charged::No));
    assert_eq!(declined.code, "credit_packs_not_allowed");
    assert!(declined.message.contains("nothing was charged"), "{}", declined.message);

    // Offline: nothing listens, so the purchase never left the machine: nothing was charged,
    // said in words rather than the transport's error, and trying again is allowed.
    let url = server.url();
    server.shutdown().await.unwrap();
    let client = edgecost_client::Client::new(&url, &sandbox.token)
        .unwrap()
        .with_retry(edgecost_client::RetryPolicy { attempts: 1, first_backoff: std::time::Duration::ZERO });
    let offline = Intents::new().buy(&client, &new_intent_key("credits"), 1).await.unwrap_err();
    assert_eq!((offline.kind, offline.charged), (FailureKind::Offline, Charged::No));
    assert!(offline.message.starts_with("Could not reach the server; nothing was charged."), "{}", offline.message);
    assert!(!offline.message.contains("os error"), "{}", offline.message);
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
