//! The spend cap as the app shows it, against the demo engine served over loopback: the
//! dashboard and the banner say when the run rate reaches the cap, the outlook stops at it,
//! the upgrade sheet warns when the new tier's base fee puts the bill past it, and after such
//! an upgrade the dashboard and the spend controls say the bill is past the cap, with the
//! budget alerts raised at once in threshold order.

mod common;

use common::{now, pinned_app};
use edgecost_desktop::{App, BudgetForm, Intents, TokenVault, actions, notice_banner};
use edgecost_pricing::format::money;
use edgecost_pricing::{Decimal, PriceBook};
use tempfile::TempDir;

async fn demo_app() -> (TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = pinned_app(dir.path(), TokenVault::with_service("edgecost-test-spend-cap"), now());
    app.start_demo(now()).await.unwrap();
    (dir, app)
}

fn form(budget: Decimal, cap: Decimal) -> BudgetForm {
    BudgetForm {
        monthly_budget: budget.to_string(),
        alert_percents: "50, 75, 90, 100".into(),
        alert_on_p90: false,
        spend_cap: cap.to_string(),
        confirm_cap_now: false,
    }
}

#[tokio::test]
async fn a_cap_the_run_rate_passes_is_projected_with_its_day_and_an_upgrade_past_it_is_stated() {
    let (_dir, app) = demo_app().await;
    let client = app.connection().await.unwrap().client().clone();
    let uncapped = client.bill().await.unwrap();
    let spent = uncapped.cost;
    // A cap halfway between the spend and the uncapped run rate: reached later this period.
    let cap = ((spent + uncapped.projected_cost) / Decimal::from(2)).floor();
    assert!(spent + Decimal::ONE < cap && cap < uncapped.projected_cost, "{spent} {cap} {}", uncapped.projected_cost);
    // What the offered upgrade costs the moment it applies, read before any cap is set.
    let quote = client.upgrade_quote().await.unwrap();
    let offered = quote.tiers.iter().find(|t| t.offered).expect("the demo is offered an upgrade");
    let at_change = offered.change.as_ref().unwrap().cost_at_change.expect("an upgrade says what it costs at once");
    assert!(at_change > cap, "{at_change} vs {cap}");
    // A budget the upgrade passes at once, whose 50% the spend has not reached yet.
    let budget = at_change.floor();
    assert!(spent * Decimal::from(2) < budget, "{spent} vs {budget}");

    // Saved as typed, the cap is asked about first, with the engine's projection: nothing is sent.
    let view = actions::spend_controls(&app).await.unwrap();
    let question = actions::save_budget(&app, &view.budget_key, &form(budget, cap), now()).await.unwrap_err();
    assert_eq!(question.code, edgecost_desktop::CONFIRM_SPEND_CAP_AHEAD);
    let opening = format!("At this period's run rate the bill comes to {}", money(uncapped.projected_cost));
    assert!(question.message.starts_with(&opening) && question.message.contains(&money(cap)), "{}", question.message);
    assert_eq!(client.budget().await.unwrap().settings.spend_cap, None, "nothing was sent");
    let confirmed = BudgetForm { confirm_cap_now: true, ..form(budget, cap) };
    let (_, dashboard) = actions::save_budget(&app, &view.budget_key, &confirmed, now()).await.unwrap();
    let dashboard = dashboard.unwrap();
    let bill = client.bill().await.unwrap();
    assert!(bill.projected_cost <= cap, "the run rate stops at the cap: {}", bill.projected_cost);
    let reached = bill.projected_totals.spend_cap.as_ref().and_then(|c| c.capped_at).expect("the run rate reaches the cap");
    assert!(reached > now(), "{reached}");
    let note = format!(
        "The {} spend cap stops the projection at {} on {} (a day more would pass it); usage that would cost more is refused from then.",
        money(cap),
        money(bill.projected_cost),
        reached.format("%b %-d")
    );
    let line = dashboard.budget.as_ref().unwrap();
    assert_eq!(line.cap_note.as_deref(), Some(note.as_str()));
    assert!(!line.capped);
    let banner = notice_banner(PriceBook::published(), &dashboard).expect("the demo sits past 80% of its requests");
    assert_eq!(banner.summary, format!("Past 100%, usage is billed as overage up to the spend cap. {note}"));
    // The outlook's simulated periods stop at the same cap.
    let outlook = client.outlook().await.unwrap().outlook.expect("the demo has the history for an outlook");
    assert!(outlook.p50.cost <= cap && outlook.p90.cost <= cap, "{} {}", outlook.p50.cost, outlook.p90.cost);
    assert!(outlook.p90.spend_capped_at.is_some());
    // The dashboard's outlook says so, with the day the P90 reaches the cap.
    let p90_day = outlook.p90.spend_capped_at.unwrap().format("%b %-d").to_string();
    assert!(dashboard.outlook.basis.contains("spend cap") && dashboard.outlook.basis.contains(&p90_day), "{}", dashboard.outlook.basis);

    // The upgrade sheet prices every tier under the cap and says the base fee passes it.
    let sheet = actions::open_upgrade(&app).await.unwrap();
    let warning = format!(
        "{}'s base fee from today puts this period's bill at {}, past your {} spend cap: from the upgrade on, usage that would cost more is refused until you raise or remove the cap.",
        sheet.target_label,
        money(at_change),
        money(cap)
    );
    assert!(sheet.warnings.contains(&warning), "{:?}", sheet.warnings);
    let staying = format!(
        "Staying on Production, this period is projected to reach your {} spend cap on {} ({}); usage that would cost more is refused from then.",
        money(cap),
        reached.format("%b %-d"),
        money(bill.projected_cost)
    );
    assert!(sheet.warnings.contains(&staying), "{:?}", sheet.warnings);
    let target = sheet.projections.iter().find(|p| p.target).unwrap();
    assert_eq!(target.projected.text, money(at_change), "capped from the upgrade on: no usage adds to it");

    let intents = Intents::new();
    let (_, after) = actions::confirm_upgrade(&app, &intents, &sheet.intent_key, &sheet.target_tier, now()).await.unwrap();
    let after = after.expect("the upgrade syncs the dashboard");
    let line = after.budget.as_ref().unwrap();
    assert!(line.capped, "the bill is past the cap: usage that would cost more is refused");
    assert_eq!(
        line.cap_note.as_deref(),
        Some(
            format!(
                "This period's bill ({}) is past the {} spend cap: usage that would cost more is refused until you raise or remove the cap.",
                money(at_change),
                money(cap)
            )
            .as_str()
        )
    );
    let controls = actions::spend_controls(&app).await.unwrap();
    assert!(controls.budget.capped);
    assert_eq!(
        controls.budget.cap_note,
        Some(format!(
            "this period's bill ({}) is already past the {} spend cap, so usage that would cost more is refused and never billed. Raise or remove the cap to accept it again.",
            money(at_change),
            money(cap)
        ))
    );
    // The four budget alerts raised at once read in threshold order.
    let spend_alerts: Vec<&str> = after.alerts.iter().filter(|a| a.kind == "budget_spend").map(|a| a.message.as_str()).collect();
    let percents: Vec<&str> =
        spend_alerts.iter().map(|m| m.trim_start_matches("Spend reached ").split('%').next().unwrap_or_default()).collect();
    assert_eq!(percents, vec!["50", "75", "90", "100"], "{spend_alerts:?}");
    // The projections table reads the day the budget was reached in the app's style and tense.
    let reach: Vec<&str> = controls.budget.forecasts.iter().map(|f| f.reach.as_str()).collect();
    let today = format!("reached the budget on {}", now().format("%b %-d"));
    assert!(reach.iter().all(|r| *r == today), "{reach:?}");
}
