//! The Plan & billing page against a real engine on loopback: every tier side by side with
//! the engine's figures and the published terms, an upgrade now, a downgrade scheduled for the
//! next period and cancelled, a downgrade the engine would refuse, and the ledger.

mod common;

use chrono::Datelike;
use common::{now, pinned_app};
use edgecost_desktop::{App, Intents, TierAction, TokenVault, actions, new_intent_key};
use edgecost_pricing::format::{included_text, money, overage_text};
use edgecost_pricing::{Meter, PriceBook};
use tempfile::TempDir;

async fn demo_app() -> (TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = pinned_app(dir.path(), TokenVault::with_service("edgecost-test-plan-billing"), now());
    app.start_demo(now()).await.unwrap();
    (dir, app)
}

fn first_of_next_month() -> String {
    let today = now().date_naive();
    let next = if today.month() == 12 {
        chrono::NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
    };
    next.unwrap().format("%b %-d, %Y").to_string()
}

#[tokio::test]
async fn every_tier_shows_its_terms_and_the_engines_price_for_this_periods_usage() {
    let (_dir, app) = demo_app().await;
    let page = actions::plan_billing(&app).await.unwrap();
    let book = PriceBook::published();
    assert_eq!((page.current_tier.as_str(), page.current_label.as_str()), ("production", "Production"));
    assert_eq!(page.offline, None);
    assert_eq!(page.scheduled, None);

    let names: Vec<&str> = page.tiers.iter().map(|t| t.tier.as_str()).collect();
    let published: Vec<&str> = book.tiers.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, published, "every published tier, in the book's order");

    let quote = app.connection().await.unwrap().client().upgrade_quote().await.unwrap();
    for column in &page.tiers {
        let tier = book.tier(&column.tier).unwrap();
        assert_eq!(column.label, tier.display_name(), "tiers are named as people read them");
        if !tier.custom {
            for (terms, meter) in column.meters.iter().zip(Meter::ALL) {
                assert_eq!(terms.included, included_text(tier, meter));
                assert_eq!(terms.overage, overage_text(tier, meter));
            }
        }
        match quote.tiers.iter().find(|q| q.tier == column.tier) {
            Some(q) => {
                let shown = column.projected.as_ref().unwrap();
                // Another tier that caps this usage shows that in place of a cost ($0.00
                // there is usage refused, not a saving); the current tier keeps its cost.
                let text = if q.caps_usage && !q.current { "caps this usage".to_owned() } else { money(q.projected_cost) };
                assert_eq!((shown.text.as_str(), shown.capped), (text.as_str(), q.caps_usage && !q.current), "{}", column.tier);
                assert_eq!(shown.tagged, q.caps_usage && q.current, "{}", column.tier);
            }
            None => assert_eq!(column.projected, None, "{} is not priced by the engine", column.tier),
        }
    }
    let action = |tier: &str| page.tiers.iter().find(|t| t.tier == tier).unwrap();
    assert_eq!(action("production").action, TierAction::Current);
    assert_eq!(action("scale").action, TierAction::Upgrade);
    let scale = &action("scale").note;
    assert!(scale.starts_with("Applies today: ") && scale.contains("$79.00 x "), "{scale}");
    assert_eq!(action("sandbox").action, TierAction::Downgrade);
    assert!(action("sandbox").note.contains(&first_of_next_month()), "{}", action("sandbox").note);
    assert_eq!(action("enterprise").action, TierAction::Contact);
    assert_eq!(action("enterprise").base_fee, "Negotiated");
    assert_eq!(action("production").base_fee, "$19.00 a month");
    assert!(page.can_buy_credits);
    assert_eq!(page.ledger.as_ref().unwrap().rows.len(), 0, "the demo has bought nothing yet");
}

#[tokio::test]
async fn a_downgrade_is_scheduled_for_the_next_period_and_can_be_cancelled() {
    let (_dir, app) = demo_app().await;
    let intents = Intents::new();
    let upgrade = actions::open_tier_change(&app, Some("scale")).await.unwrap();
    assert!(upgrade.immediate);
    assert!(upgrade.warnings.is_empty(), "{:?}", upgrade.warnings);
    actions::confirm_upgrade(&app, &intents, &upgrade.intent_key, &upgrade.target_tier, now()).await.unwrap();

    let sheet = actions::open_tier_change(&app, Some("production")).await.unwrap();
    assert!(!sheet.immediate, "a downgrade waits for the next period");
    assert_eq!(sheet.effective_on, first_of_next_month());
    assert_eq!(sheet.prorated_base_fee, "", "nothing is charged this period");
    assert!(sheet.prorated_explanation.contains("this period stays on Scale"), "{}", sheet.prorated_explanation);
    let (change, view) = actions::confirm_upgrade(&app, &intents, &sheet.intent_key, "production", now()).await.unwrap();
    assert!(!change.immediate);
    assert_eq!(view.unwrap().tier, "scale", "the account stays on Scale until then");

    let page = actions::plan_billing(&app).await.unwrap();
    let scheduled = page.scheduled.as_ref().expect("the downgrade is shown as scheduled");
    assert_eq!((scheduled.tier.as_str(), scheduled.label.as_str()), ("production", "Production"));
    assert_eq!(scheduled.effective_on, first_of_next_month());
    let production = page.tiers.iter().find(|t| t.tier == "production").unwrap();
    assert_eq!(production.action, TierAction::Scheduled);

    // Cancelling twice (a double click sends two keys) leaves the account on Scale with
    // nothing scheduled.
    let (first, second) = (new_intent_key("cancel"), new_intent_key("cancel"));
    let (a, b) =
        tokio::join!(actions::cancel_downgrade(&app, &intents, &first, now()), actions::cancel_downgrade(&app, &intents, &second, now()),);
    assert_eq!(a.unwrap().0.tier, "scale");
    assert_eq!(b.unwrap().0.tier, "scale");
    let page = actions::plan_billing(&app).await.unwrap();
    assert_eq!(page.scheduled, None);
    assert_eq!(page.current_tier, "scale");
    assert_eq!(page.tiers.iter().find(|t| t.tier == "production").unwrap().action, TierAction::Downgrade);
}

#[tokio::test]
async fn a_downgrade_the_engine_would_refuse_says_why_before_anything_is_sent() {
    let (_dir, app) = demo_app().await;
    let intents = Intents::new();
    actions::buy_credits(&app, &intents, &new_intent_key("credits"), 1, now()).await.unwrap();
    let page = actions::plan_billing(&app).await.unwrap();
    let sandbox = page.tiers.iter().find(|t| t.tier == "sandbox").unwrap();
    assert_eq!(sandbox.action, TierAction::Unavailable);
    assert!(sandbox.note.starts_with("Sandbox takes no burst credit and the account holds $"), "{}", sandbox.note);
    let refused = actions::open_tier_change(&app, Some("sandbox")).await.unwrap_err();
    assert_eq!(refused.code, "tier_change_refused");

    // The ledger on the page names the pack, its time and what is left of it.
    let ledger = page.ledger.unwrap();
    assert_eq!(ledger.packs.len(), 1);
    assert_eq!(ledger.packs[0].pack, "Pack 1");
    assert!(ledger.rows[ledger.rows.len() - 1].at.ends_with('Z'), "times are exact UTC instants for the UI to show locally");
}

#[tokio::test]
async fn a_scheduled_downgrade_to_the_sandbox_stops_purchases_and_an_upgrade_says_it_cancels_it() {
    let (_dir, app) = demo_app().await;
    let intents = Intents::new();
    let quote = app.connection().await.unwrap().client().upgrade_quote().await.unwrap();
    let sheet = actions::open_tier_change(&app, Some("sandbox")).await.unwrap();
    assert!(
        sheet.warnings.iter().any(|w| w == "Sandbox caps this usage: traffic past its quotas would be refused, not billed."),
        "{:?}",
        sheet.warnings
    );
    let sandbox = sheet.projections.iter().find(|p| p.tier == "sandbox").unwrap();
    let production = sheet.projections.iter().find(|p| p.current).unwrap();
    // The downgrade starts next period, and the sandbox would refuse this usage rather than
    // bill it: its lower figure is not offered as a saving.
    assert_eq!(
        sheet.difference,
        format!(
            "Applies from {}; this period stays on Production ({} projected). At this period's usage Sandbox would cap traffic: usage past its quotas would be refused, not billed, so its {} is not a saving.",
            first_of_next_month(),
            production.projected.text,
            money(quote.tiers.iter().find(|t| t.tier == sandbox.tier).unwrap().projected_cost)
        )
    );
    assert!(!sheet.difference.contains("instead of"), "{}", sheet.difference);
    actions::confirm_upgrade(&app, &intents, &sheet.intent_key, "sandbox", now()).await.unwrap();

    // Credit bought now could never be spent on the sandbox: the page says so, the sheet
    // does not open, and the engine refuses a purchase with the same reason.
    let page = actions::plan_billing(&app).await.unwrap();
    assert!(!page.can_buy_credits);
    assert_eq!(
        page.credits_unavailable.as_deref(),
        Some("A downgrade to Sandbox is scheduled and Sandbox takes no burst credit; cancel the downgrade to buy packs.")
    );
    let dashboard = app.dashboard().await.unwrap();
    let scheduled = dashboard.scheduled.as_ref().expect("the dashboard shows the scheduled downgrade");
    assert_eq!((scheduled.label.as_str(), scheduled.effective_on.as_str()), ("Sandbox", first_of_next_month().as_str()));
    let banner = edgecost_desktop::notice_banner(PriceBook::published(), &dashboard).expect("the demo is past 80%");
    assert!(!banner.can_buy_credits, "the banner offers no purchase either");
    let refused = actions::open_credits(&app).await.unwrap_err();
    assert_eq!(refused.code, "credit_packs_not_allowed");
    assert!(refused.message.contains("a downgrade to Sandbox is scheduled"), "{}", refused.message);
    let bought = actions::buy_credits(&app, &intents, &new_intent_key("credits"), 1, now()).await.unwrap_err();
    assert_eq!(bought.code, "credit_packs_not_allowed");

    // An upgrade drops the scheduled downgrade, and its sheet says so first.
    let upgrade = actions::open_tier_change(&app, Some("scale")).await.unwrap();
    assert!(
        upgrade.warnings.contains(&"This also cancels the downgrade to Sandbox scheduled for next period.".to_owned()),
        "{:?}",
        upgrade.warnings
    );
    actions::confirm_upgrade(&app, &intents, &upgrade.intent_key, "scale", now()).await.unwrap();
    let page = actions::plan_billing(&app).await.unwrap();
    assert_eq!((page.current_tier.as_str(), page.scheduled.as_ref()), ("scale", None));
    assert!(page.can_buy_credits);
}
