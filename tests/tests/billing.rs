//! End-to-end: the Plan & billing page in the real app on the demo account. Every tier side by
//! side, an upgrade now, a downgrade that shows as scheduled and is cancelled, and a purchase
//! from the page that the ledger on the page lists with its time and pack.
//!
//! `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo test --workspace --test billing`.
//! Set `EDGECOST_SHOTS=DIR` to keep screenshots of the page.

use std::time::Duration;

use edgecost_e2e::*;
use fantoccini::{Client, Locator};

/// Clicks a tier's move button in the side-by-side table and confirms the sheet it opens with
/// one click on the confirm button, then closes the sheet with Done.
async fn move_to(app: &Client, tier: &str, confirm_label: &str) {
    wait_for(app, &format!("tr.moves td[data-tier={tier}] [data-testid=tier-move]")).await.click().await.unwrap();
    let confirm = wait_for(app, "#confirm-upgrade").await;
    assert_eq!(confirm.text().await.unwrap(), confirm_label);
    confirm.click().await.unwrap();
    wait_for(app, "#upgrade-done").await;
    app.find(Locator::Css("#upgrade-sheet button.primary")).await.unwrap().click().await.unwrap();
    wait_gone(app, "#upgrade-sheet").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_page_upgrades_schedules_a_downgrade_cancels_it_and_lists_a_purchase() {
    let (_turn, home) = app_turn_with_keyring().await;
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    open_demo(&app).await;

    // From the header, at any time.
    wait_for(&app, "#open-billing").await.click().await.unwrap();
    wait_for(&app, "#tier-table").await;
    assert_eq!(text_of(&app, "#billing-tier").await, "Production");
    let mut columns = Vec::new();
    for th in app.find_all(Locator::Css("#tier-table thead th")).await.unwrap() {
        columns.push(th.attr("data-tier").await.unwrap().unwrap_or_default());
    }
    assert_eq!(columns, ["sandbox", "production", "scale", "enterprise"]);
    let current = text_of(&app, "#tier-table thead th.current").await;
    assert!(current.starts_with("Production") && current.contains("Your tier"), "{current}");
    for tier in ["sandbox", "production", "scale"] {
        let cost = text_of(&app, &format!("tr.projected td[data-tier={tier}]")).await;
        // The demo's usage is past Sandbox's quotas: it has no cost to compare, only a cap.
        let want = if tier == "sandbox" { cost == "caps this usage" } else { cost.starts_with('$') };
        assert!(want, "{tier}: {cost}");
    }
    assert_eq!(text_of(&app, "tr.projected td[data-tier=enterprise]").await, "—");
    assert!(wait_for(&app, "#ledger-empty").await.text().await.unwrap().starts_with("No credit bought yet"));
    screenshot("billing-1200x800.png", 1200, 800);

    // Upgrade now: Scale becomes the tier at once.
    move_to(&app, "scale", "Upgrade to Scale").await;
    text_until(&app, "#billing-tier", |t| t == "Scale").await;

    // Downgrade: scheduled for the next period, the account stays on Scale.
    move_to(&app, "production", "Schedule downgrade to Production").await;
    let scheduled = text_of(&app, "#scheduled-change").await;
    assert!(scheduled.contains("moves to Production on"), "{scheduled}");
    assert_eq!(text_of(&app, "#billing-tier").await, "Scale");
    assert_eq!(wait_for(&app, "tr.moves td[data-tier=production]").await.attr("data-action").await.unwrap().as_deref(), Some("scheduled"));
    screenshot("billing-scheduled-1200x800.png", 1200, 800);

    // Cancel it: nothing scheduled, Production is a downgrade again.
    wait_for(&app, "#cancel-downgrade").await.click().await.unwrap();
    wait_gone(&app, "#scheduled-change").await;
    assert!(text_of(&app, "#billing-status").await.contains("stays on Scale"));
    let production = wait_for(&app, "tr.moves td[data-tier=production]").await;
    assert_eq!(production.attr("data-action").await.unwrap().as_deref(), Some("downgrade"));

    // Buy a pack from the page: the ledger on the page lists it with its date and pack.
    wait_for(&app, "#billing-buy").await.click().await.unwrap();
    wait_for(&app, "#credit-packs").await;
    wait_for(&app, "#confirm-buy").await.click().await.unwrap();
    wait_for(&app, "#credits-done").await;
    app.find(Locator::Css("#credits-sheet button.primary")).await.unwrap().click().await.unwrap();
    wait_gone(&app, "#credits-sheet").await;
    wait_for(&app, "#ledger-rows").await;
    let row = text_of(&app, "#ledger-rows tbody tr[data-kind=purchase]").await;
    assert!(row.contains("Pack 1") && row.contains("$25.00"), "{row}");
    // The app's engine reads the system clock: the purchase is dated between the demo's
    // seeding and now, in either year when New Year passed in between.
    let years = [demo_seeded_at(&home), chrono::Utc::now()].map(|t| t.format("%Y").to_string());
    assert!(years.iter().any(|year| row.contains(year.as_str())), "the entry shows its date: {row}");
    assert_eq!(text_of(&app, "#ledger-packs [data-testid=left]").await, "$25.00");
    assert_eq!(text_of(&app, "#billing-balance").await, "$25.00");

    // A narrow window scrolls the table sideways; the moves stay reachable.
    app.set_window_size(880, 600).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let probe = r#"
        const cell = document.querySelector('tr.moves td[data-tier=production] button');
        cell.scrollIntoView({ inline: 'end', block: 'center' });
        const r = cell.getBoundingClientRect();
        return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === cell;
    "#;
    assert_eq!(app.execute(probe, vec![]).await.unwrap(), serde_json::json!(true), "the downgrade button is reachable at 880x600");
    screenshot("billing-880x600.png", 880, 600);

    // A sheet taller than the window (here at the smallest window with the page zoomed, as
    // with a spend cap's extra lines or large text) opens at its top, title first, though
    // the focus it starts on (Cancel) is further down.
    app.execute("document.body.style.zoom = '1.8'", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.execute("document.querySelector('tr.moves td[data-tier=production] [data-testid=tier-move]').click()", vec![]).await.unwrap();
    wait_for(&app, "#confirm-upgrade").await;
    let probe = r#"
        const sheet = document.getElementById('upgrade-sheet');
        const title = document.getElementById('upgrade-sheet-title').getBoundingClientRect();
        return [sheet.scrollHeight > sheet.clientHeight, sheet.scrollTop, title.top >= sheet.getBoundingClientRect().top, document.activeElement.textContent];
    "#;
    let [taller, scrolled, title_shows, focused] =
        serde_json::from_value::<(bool, f64, bool, String)>(app.execute(probe, vec![]).await.unwrap())
            .map(|(a, b, c, d)| [a.to_string(), b.to_string(), c.to_string(), d])
            .unwrap();
    assert_eq!((taller.as_str(), scrolled.as_str(), title_shows.as_str()), ("true", "0", "true"), "focus on {focused}");
    app.find(Locator::Css("#upgrade-sheet")).await.unwrap().send_keys("\u{e00c}").await.unwrap(); // Escape closes.
    wait_gone(&app, "#upgrade-sheet").await;
    app.execute("document.body.style.zoom = ''", vec![]).await.unwrap();

    wait_for(&app, "#billing-close").await.click().await.unwrap();
    text_until(&app, "#tier", |t| t == "Scale").await;
    app.close().await.unwrap();
    home.wait_for_app_exit().await;
}
