//! The spend controls against a real engine served over real HTTP on loopback (the demo door,
//! which needs no keyring): the budget and its alerts reach the section and the dashboard,
//! each alert is notified once, a form the app refuses sends nothing, a repeated save is
//! applied once, and a webhook shows its secret once and can be deleted.

mod common;

use common::{now, pinned_app};
use edgecost_desktop::{App, BudgetForm, ControlField, NotifiedThresholds, TokenVault, TopUpForm, actions};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::money;
use tempfile::TempDir;

async fn demo_app() -> (TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = pinned_app(dir.path(), TokenVault::with_service("edgecost-test-spend-controls"), now());
    app.start_demo(now()).await.unwrap();
    (dir, app)
}

fn budget_form(amount: &str) -> BudgetForm {
    BudgetForm {
        monthly_budget: amount.into(),
        alert_percents: "50, 75, 90, 100".into(),
        alert_on_p90: false,
        spend_cap: String::new(),
        confirm_cap_now: false,
    }
}

#[tokio::test]
async fn a_budget_below_the_spend_alerts_on_the_dashboard_and_notifies_each_alert_once() {
    let (dir, app) = demo_app().await;
    let client = app.connection().await.unwrap().client().clone();
    let view = actions::spend_controls(&app).await.unwrap();
    assert_eq!(view.budget.summary, "No budget set: set one to be alerted before the bill passes it.");
    assert_eq!(app.dashboard().await.unwrap().budget, None, "no budget, nothing on the dashboard");

    // Half of what the period costs so far: 50% and 100% of it are both passed.
    let spend = client.budget().await.unwrap().spend_to_date;
    let half = (spend / Decimal::from(2)).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
    let (section, dashboard) = actions::save_budget(&app, &view.budget_key, &budget_form(&half.to_string()), now()).await.unwrap();
    assert_eq!(section.budget.budget, Some(money(half)));
    assert!(section.alerts.iter().any(|a| a.kind == "budget_spend" && a.message.contains("100%")), "{:?}", section.alerts);
    let dashboard = dashboard.expect("the save syncs the dashboard");
    let line = dashboard.budget.as_ref().expect("the dashboard shows the budget");
    assert_eq!((line.budget.as_deref(), line.crossing.as_deref()), (Some(money(half).as_str()), None), "already past: no crossing");
    assert_eq!(dashboard.alerts.len(), section.alerts.len(), "the sync pulled the same alerts");

    let record = NotifiedThresholds::in_dir(dir.path());
    let first = record.take_new_alerts(&dashboard).unwrap();
    assert_eq!(first.len(), dashboard.alerts.len(), "each alert is announced");
    assert!(record.take_new_alerts(&app.sync(now()).await.unwrap()).unwrap().is_empty(), "and never twice");
}

#[tokio::test]
async fn a_budget_the_projection_passes_shows_the_day_it_is_expected_to() {
    let (_dir, app) = demo_app().await;
    let client = app.connection().await.unwrap().client().clone();
    let status = client.budget().await.unwrap();
    // A budget just above the spend, which every projection of the whole period passes.
    let budget = status.spend_to_date + Decimal::ONE;
    let view = actions::spend_controls(&app).await.unwrap();
    let (section, dashboard) = actions::save_budget(&app, &view.budget_key, &budget_form(&budget.to_string()), now()).await.unwrap();
    let crossing = section.budget.crossing.expect("a projection passes the budget");
    // Named as the app names days: "Dec 21".
    let on = crossing.strip_prefix(&format!("Projected to pass the {} budget on ", money(budget))).unwrap_or_else(|| panic!("{crossing}"));
    assert!(chrono::NaiveDate::parse_from_str(&format!("{on} 2026"), "%b %d %Y").is_ok(), "{crossing}");
    assert_eq!(dashboard.unwrap().budget.unwrap().crossing, Some(crossing));
}

#[tokio::test]
async fn a_form_the_app_refuses_sends_nothing_and_a_repeated_save_is_applied_once() {
    let (_dir, app) = demo_app().await;
    let client = app.connection().await.unwrap().client().clone();
    let view = actions::spend_controls(&app).await.unwrap();

    let refused = actions::save_budget(&app, &view.budget_key, &budget_form("12.345"), now()).await.unwrap_err();
    assert_eq!((refused.code.as_str(), refused.field), ("invalid_controls", Some(ControlField::MonthlyBudget)));
    assert_eq!(client.budget().await.unwrap().settings.monthly_budget, None, "nothing was sent");

    // The same form twice with one intent: the second is the engine's first answer, not a 409.
    let form = budget_form("1,000");
    actions::save_budget(&app, &view.budget_key, &form, now()).await.unwrap();
    actions::save_budget(&app, &view.budget_key, &form, now()).await.unwrap();
    // An edited form with the same intent is a change of its own.
    actions::save_budget(&app, &view.budget_key, &budget_form("1200.50"), now()).await.unwrap();
    assert_eq!(client.budget().await.unwrap().settings.monthly_budget, Some("1200.50".parse().unwrap()));

    let top_up = TopUpForm { enabled: true, below: "5".into(), packs: "1".into(), max_packs_per_period: "2".into() };
    let (section, _) = actions::save_top_up(&app, &view.top_up_key, &top_up, now()).await.unwrap();
    assert!(section.top_up.enabled);
    assert_eq!(section.top_up.form.max_packs_per_period, "2");
    assert!(section.top_up.packs_this_period <= 2, "the ceiling holds");
}

#[tokio::test]
async fn a_webhook_shows_its_secret_once_and_can_be_deleted() {
    let (_dir, app) = demo_app().await;
    let view = actions::spend_controls(&app).await.unwrap();
    assert_eq!(view.webhook, None);
    let saved = actions::save_webhook(&app, &view.webhook_key, "http://127.0.0.1:9/edgecost", false).await.unwrap();
    let secret = saved.registration.secret.clone().expect("a first registration draws the secret");
    assert_eq!(saved.controls.webhook.as_ref().map(|w| w.url.as_str()), Some("http://127.0.0.1:9/edgecost"));
    // A repeat of the same save answers the same registration.
    let again = actions::save_webhook(&app, &view.webhook_key, "http://127.0.0.1:9/edgecost", false).await.unwrap();
    assert_eq!(again.registration.secret.as_deref(), Some(secret.as_str()));

    let refused = actions::save_webhook(&app, &view.webhook_key, "ftp://example.com", false).await.unwrap_err();
    assert_eq!(refused.field, Some(ControlField::WebhookUrl));
    let not_https = actions::save_webhook(&app, &saved.controls.webhook_key, "http://hooks.example.com/x", false).await.unwrap_err();
    assert_eq!((not_https.code.as_str(), not_https.field), ("webhook_url_not_https", Some(ControlField::WebhookUrl)));
    assert!(not_https.message.starts_with("The server refused the change:"), "{}", not_https.message);

    let after = actions::delete_webhook(&app, &saved.controls.webhook_key).await.unwrap();
    assert_eq!(after.webhook, None);
}
