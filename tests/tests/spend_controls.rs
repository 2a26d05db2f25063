//! End-to-end: spend controls in the real app against a real engine on loopback. The owner sets
//! a budget on the Plan & billing page (a form the app refuses first says why, and sends
//! nothing), an edge node's telemetry then takes the bill past the budget through the real
//! ingest API, the next sync shows the alert on the dashboard, and the desktop notification is
//! recorded once by alert id. A webhook registered from the page shows its secret once.
//!
//! `cargo build -p edgecost-app && xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session --
//! cargo test -p edgecost-e2e --test spend_controls`. Set `EDGECOST_SHOTS=DIR` to keep
//! screenshots of the page.

use std::time::Duration;

use edgecost_api::AlertKind;
use edgecost_e2e::*;
use edgecost_pricing::Decimal;
use edgecost_pricing::format::money;
use fantoccini::{Client, Locator};

/// Replaces the text of the input `css` with `text`.
async fn fill(app: &Client, css: &str, text: &str) {
    let input = wait_for(app, css).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Scrolls the element `css` to the top of the window, and lets it paint.
async fn scroll_to(app: &Client, css: &str) {
    let script = "document.querySelector(arguments[0]).scrollIntoView({ block: 'start' });";
    app.execute(script, vec![serde_json::json!(css)]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_set_in_the_app_alerts_once_the_telemetry_passes_it_and_notifies_once() {
    require_session();
    keyring();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let f = LiveAccount::production().await;
    let url = f.running.url();
    let engine = edgecost_client::Client::new(&url, &f.account_token).unwrap();
    f.push_requests("batch-1", 100_000).await;
    // The base fee so far; the budget leaves $4.00 of room above it (10,000 requests of
    // overage cost $0.40, so 100,000 past the quota reach the budget exactly).
    let spend = engine.budget().await.unwrap().spend_to_date;
    let budget = spend + Decimal::from(4);

    let home = Home::new();
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    wait_for(&app, "#server-url").await.send_keys(&url).await.unwrap();
    app.find(Locator::Css("#token")).await.unwrap().send_keys(&f.account_token).await.unwrap();
    app.find(Locator::Css("#connect")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&app, "#tier").await, "Production");
    assert!(app.find(Locator::Css("#dashboard-budget")).await.is_err(), "no budget, nothing to show");

    // The page starts with the empty state and the default alerts.
    wait_for(&app, "#open-billing").await.click().await.unwrap();
    let summary = text_of(&app, "#budget-summary").await;
    assert_eq!(summary, "No budget set: set one to be alerted before the bill passes it.");
    let alerts = wait_for(&app, "#budget-alerts").await;
    assert_eq!(alerts.prop("value").await.unwrap().as_deref(), Some("50, 75, 90, 100"));
    screenshot("spend-controls-empty-1200x800.png", 1200, 800);

    // A budget in fractions of a cent is refused by the app, with the reason, on its field;
    // nothing reaches the engine.
    fill(&app, "#budget-amount", "12.345").await;
    wait_for(&app, "#budget-amount").await.send_keys("\u{e007}").await.unwrap(); // Enter submits.
    let failure = text_of(&app, "#budget-failure").await;
    assert!(failure.starts_with("Monthly budget:") && failure.contains("whole cents"), "{failure}");
    let focused = app.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, serde_json::json!("budget-amount"), "focus moves to the field to fix");
    assert_eq!(engine.budget().await.unwrap().settings.monthly_budget, None, "nothing was sent");

    // The budget, typed as a person would, with alerts at 90% and 100%; Enter saves it.
    fill(&app, "#budget-amount", &format!("${budget}")).await;
    fill(&app, "#budget-alerts", "100, 90").await;
    wait_for(&app, "#budget-alerts").await.send_keys("\u{e007}").await.unwrap();
    wait_for(&app, "#budget-saved").await;
    let set = engine.budget().await.unwrap();
    assert_eq!(set.settings.monthly_budget, Some(budget), "the engine holds the budget as typed, to the cent");
    assert_eq!(set.settings.alert_percents, [90, 100]);
    assert!(set.alerts.is_empty(), "under the budget, no alert: {:?}", set.alerts);
    let summary = text_of(&app, "#budget-summary").await;
    assert!(summary.starts_with(&format!("{} of the {} budget spent", money(spend), money(budget))), "{summary}");
    // A spend cap the app refuses says why and sends nothing; nothing was saved, so the
    // button keeps its label: there is nothing to save "again".
    for (typed, says) in [("51,5", "51.5"), ("-10", "negative"), ("abc", "abc")] {
        fill(&app, "#budget-cap", typed).await;
        wait_for(&app, "#save-budget").await.click().await.unwrap();
        let failure = text_until(&app, "#budget-failure", |t| t.starts_with("Spend cap:") && t.contains(says)).await;
        assert_eq!(text_of(&app, "#save-budget").await, "Save budget", "{typed}: {failure}");
        assert_eq!(engine.budget().await.unwrap().settings.spend_cap, None, "{typed}: nothing was sent");
    }
    let empty = "const i = document.querySelector('#budget-cap'); i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true }));";
    app.execute(empty, vec![]).await.unwrap();

    // Back on the dashboard the budget shows beside the bill.
    wait_for(&app, "#billing-close").await.click().await.unwrap();
    assert_eq!(text_of(&app, "#dashboard-budget-amount").await, money(budget));
    assert!(app.find(Locator::Css("#dashboard-alerts")).await.is_err(), "no alert yet");
    // The spend chart draws the budget as a line, named with its exact amount.
    wait_for(&app, "#tab-spend").await.click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while !chart_svg(&app).await.contains(&format!("Budget ({})", money(budget))) {
        assert!(std::time::Instant::now() < deadline, "the spend chart has no budget line");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scroll_to(&app, "#chart").await;
    screenshot("dashboard-spend-chart-1200x800.png", 1200, 800);

    // The node's next batch takes the bill $6.00 past the base fee: past the budget.
    f.push_requests("batch-2", 250_000).await;
    app.find(Locator::Css("#sync-now")).await.unwrap().click().await.unwrap();
    let alert = text_of(&app, "#dashboard-alerts li[data-kind=budget_spend]").await;
    assert!(alert.starts_with("Budget:") && alert.contains(&money(budget)), "{alert}");
    let status = engine.budget().await.unwrap();
    let raised: Vec<_> = status.alerts.iter().filter(|a| a.kind == AlertKind::BudgetSpend).collect();
    assert_eq!(raised.len(), 2, "90% and 100% each alert once: {:?}", status.alerts);
    screenshot("dashboard-alerts-1200x800.png", 1200, 800);
    let shown = app.find_all(Locator::Css("#dashboard-alerts li")).await.unwrap().len();
    assert_eq!(shown, status.alerts.len(), "the dashboard shows every open alert");

    // Each alert was notified on the desktop once: the record holds it by id, and a second
    // sync adds nothing.
    let record = home.path().join(".local/share/dev.edgecost.desktop/notified.json");
    let notified = std::fs::read_to_string(&record).unwrap();
    for a in &raised {
        assert_eq!(notified.matches(&format!("alert:{}", a.id)).count(), 1, "{notified}");
    }
    app.find(Locator::Css("#sync-now")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    wait_for(&app, "#sync-now:not([disabled])").await;
    assert_eq!(std::fs::read_to_string(&record).unwrap(), notified, "nothing is notified twice");

    // The page lists the open alerts too, and registers a webhook that shows its secret once.
    wait_for(&app, "#open-billing").await.click().await.unwrap();
    let listed = text_of(&app, "#spend-alerts").await;
    assert!(listed.contains("Spend reached 100%"), "{listed}");
    assert_eq!(text_of(&app, "#webhook-empty").await.split(':').next(), Some("No webhook"));
    fill(&app, "#webhook-url", "http://127.0.0.1:9/edgecost").await;
    wait_for(&app, "#webhook-url").await.send_keys("\u{e007}").await.unwrap();
    let secret = text_of(&app, "#webhook-secret-value").await;
    let registered = engine.webhook().await.unwrap().expect("registered");
    assert_eq!(registered.url, "http://127.0.0.1:9/edgecost");
    assert!(secret.len() >= 16, "{secret}");
    assert!(text_of(&app, "#webhook-current").await.contains("http://127.0.0.1:9/edgecost"));

    // A lower budget raises new alerts, each an event for the webhook; nothing listens on
    // port 9, so its deliveries fail and the log on the page says so.
    // Saved from the keyboard, the focus stays on the button (busy while saving, never
    // disabled), not on the page.
    fill(&app, "#budget-amount", &(budget - Decimal::ONE).to_string()).await;
    wait_for(&app, "#save-budget").await.send_keys("\u{e007}").await.unwrap();
    wait_for(&app, "#budget-saved").await;
    let focused = app.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, serde_json::json!("save-budget"), "focus stays on the button after the save");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        wait_for(&app, "#billing-refresh:not([disabled])").await.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        if app.find(Locator::Css("#webhook-deliveries tbody tr.failed")).await.is_ok() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no delivery attempt in the log");
    }
    let event = text_of(&app, "#webhook-events tbody tr").await;
    assert!(event.contains("budget.alert"), "{event}");
    scroll_to(&app, "#spend-controls").await;
    screenshot("spend-controls-1200x800.png", 1200, 800);

    // A spend cap between the spend so far and the projected bill would be reached before the
    // period ends: the page asks first, with the engine's projection. Cancel sends nothing.
    let bill = engine.bill().await.unwrap();
    assert!(bill.projected_cost > bill.cost + Decimal::ONE, "the account projects more spend: {} after {}", bill.projected_cost, bill.cost);
    let between = ((bill.cost + bill.projected_cost) / Decimal::TWO).round_dp(2);
    let settings_before = engine.budget().await.unwrap().settings;
    fill(&app, "#budget-cap", &between.to_string()).await;
    wait_for(&app, "#save-budget").await.click().await.unwrap();
    let question = text_of(&app, "#spend-cap-question").await;
    let opening = format!("At this period's run rate the bill comes to {}", money(bill.projected_cost));
    assert!(question.starts_with(&opening), "{question}");
    assert!(question.contains(&format!("above a {} spend cap", money(between))), "{question}");
    assert!(question.contains("usage that would cost more is refused"), "{question}");
    assert_eq!(text_of(&app, "#spend-cap-sheet h2").await, "Cap spending before the period ends?");
    assert_eq!(text_of(&app, "#confirm-spend-cap").await, "Save the cap");
    let focused = app.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Cancel", "focus starts on Cancel");
    focused.click().await.unwrap();
    wait_gone(&app, "#spend-cap-sheet").await;
    assert_eq!(engine.budget().await.unwrap().settings, settings_before, "nothing was sent");

    // A spend cap at the spend so far would cap at once, so the page asks first, saying what
    // it does with the bill the engine holds. Cancel has the focus and sends nothing; Esc
    // closes the sheet too.
    let before = engine.bill().await.unwrap();
    let settings_before = engine.budget().await.unwrap().settings;
    fill(&app, "#budget-cap", &before.cost.to_string()).await;
    for close in ["cancel", "esc"] {
        wait_for(&app, "#save-budget").await.click().await.unwrap();
        let question = text_of(&app, "#spend-cap-question").await;
        let bill = money(before.cost);
        assert!(
            question.starts_with(&format!("This period's bill is already {bill}, so a {bill} spend cap caps the account")),
            "{question}"
        );
        assert!(question.contains("usage that would cost more is refused"), "{question}");
        let focused = app.active_element().await.unwrap();
        assert_eq!(focused.text().await.unwrap(), "Cancel", "focus starts on Cancel");
        if close == "cancel" {
            screenshot("spend-cap-sheet-1200x800.png", 1200, 800);
        }
        if close == "cancel" {
            focused.click().await.unwrap();
        } else {
            focused.send_keys("\u{e00c}").await.unwrap();
        }
        wait_gone(&app, "#spend-cap-sheet").await;
        assert_eq!(engine.budget().await.unwrap().settings, settings_before, "{close}: nothing was sent");
        assert!(app.find(Locator::Css("#budget-capped")).await.is_err(), "{close}: not capped");
        assert!(app.find(Locator::Css("#budget-saved")).await.is_err(), "{close}: nothing saved");
        // The page says so: the budget was not saved either.
        let said = text_of(&app, "#budget-not-saved").await;
        assert!(said.starts_with("Nothing was saved, the budget included."), "{close}: {said}");
        assert_eq!(text_of(&app, "#save-budget").await, "Save budget");
    }
    // Confirmed, the cap acts at once: the page says so plainly, the node's next batch is
    // answered capped, and what it reports is never billed.
    wait_for(&app, "#save-budget").await.click().await.unwrap();
    wait_for(&app, "#confirm-spend-cap").await.click().await.unwrap();
    wait_for(&app, "#budget-saved").await;
    wait_gone(&app, "#spend-cap-sheet").await;
    assert!(app.find(Locator::Css("#budget-not-saved")).await.is_err(), "saved: no word of nothing saved");
    assert_eq!(engine.budget().await.unwrap().settings.spend_cap, Some(before.cost));
    let capped = text_of(&app, "#budget-capped").await;
    assert!(capped.to_lowercase().starts_with("capped:") && capped.contains(&money(before.cost)), "{capped}");
    let status = f.push_requests("batch-3", 50_000).await;
    assert!(status.spend_capped && status.capped_meters.contains(&edgecost_api::Meter::Requests), "{status:?}");
    let after = engine.bill().await.unwrap();
    assert_eq!((after.cost, after.totals.requests), (before.cost, before.totals.requests + 50_000), "measured, not billed");
    app.find(Locator::Css("#billing-close")).await.unwrap().click().await.unwrap();
    app.find(Locator::Css("#sync-now")).await.unwrap().click().await.unwrap();
    let alert = text_of(&app, "#dashboard-alerts li[data-kind=spend_cap_reached]").await;
    assert!(alert.contains("spend cap was reached"), "{alert}");
    let cap_alert = engine.budget().await.unwrap().alerts.into_iter().find(|a| a.kind == AlertKind::SpendCapReached).unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&record).unwrap_or_default().contains(&format!("alert:{}", cap_alert.id)) {
        assert!(std::time::Instant::now() < deadline, "the cap alert was never notified");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&app, "#open-billing").await.click().await.unwrap();

    // At the smallest window the section still fits: nothing runs off to the side.
    app.set_window_size(880, 600).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    scroll_to(&app, "#budget-form").await;
    let overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth";
    assert_eq!(app.execute(overflow, vec![]).await.unwrap(), serde_json::json!(0), "no sideways scroll at 880x600");
    screenshot("spend-controls-880x600.png", 880, 600);
    scroll_to(&app, "#webhook-form").await;
    screenshot("spend-controls-webhook-880x600.png", 880, 600);

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
    drop(driver);
    f.running.shutdown().await.unwrap();
}
