//! The demo across a restart of the real app: a pack bought in the demo is still in the credit
//! ledger when the app opens again on the same data folder, the reopened demo never flashes
//! "You are signed out", and "Reset demo" (after a confirmation) starts it over. The chart's
//! frame follows its image through window resizes.
//!
//! Run as `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e --test demo_restart`.

use std::time::{Duration, Instant};

use edgecost_e2e::*;
use fantoccini::{Client, Locator};

/// The purchase rows of the credit ledger, opened from the dashboard's header.
async fn ledger_purchases(app: &Client) -> Vec<String> {
    app.find(Locator::Css("#open-ledger")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#ledger-sheet")).await.unwrap();
    // The sheet shows the ledger once it is fetched: rows, or the note that there are none.
    let deadline = Instant::now() + WAIT;
    while app.find(Locator::Css("#ledger-rows, #ledger-empty")).await.is_err() {
        assert!(Instant::now() < deadline, "the ledger never loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut rows = Vec::new();
    for row in app.find_all(Locator::Css("#ledger-rows tr[data-kind=purchase]")).await.unwrap() {
        rows.push(row.text().await.unwrap());
    }
    app.find(Locator::Css("#ledger-sheet .buttons button")).await.unwrap().click().await.unwrap();
    rows
}

/// Whether the chart's frame holds its image whole, with the Export row below it.
async fn chart_frame_holds_its_image(app: &Client) -> serde_json::Value {
    let probe = r#"
        const figure = document.querySelector('#chart').getBoundingClientRect();
        const img = document.querySelector('#chart img').getBoundingClientRect();
        const exports = document.querySelector('.exports').getBoundingClientRect();
        return [figure.height + 0.5 >= img.height, exports.top + 0.5 >= img.bottom, Math.round(img.height)];
    "#;
    app.execute(probe, vec![]).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pack_bought_in_the_demo_is_in_the_ledger_after_a_restart_and_reset_starts_over() {
    require_session();
    keyring();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let home = Home::new();
    let driver = Driver::start(&home);

    // First run: open the demo and buy one pack through the sheet.
    let app = driver.launch().await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#demo")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#notice-buy-credits")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&app, "#credits-total").await, "$25.00");
    app.find(Locator::Css("#confirm-buy")).await.unwrap().click().await.unwrap();
    assert!(text_of(&app, "#credits-new-balance").await.starts_with('$'));
    app.find(Locator::Css("#credits-sheet .buttons button")).await.unwrap().click().await.unwrap();
    let bought = ledger_purchases(&app).await;
    assert_eq!(bought.len(), 1, "one purchase: {bought:?}");
    assert!(bought[0].contains("$25.00"), "{}", bought[0]);

    // The chart frame follows its image when the window shrinks and grows again.
    for (width, height) in [(880, 600), (1200, 800)] {
        app.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let seen = chart_frame_holds_its_image(&app).await;
        assert_eq!((&seen[0], &seen[1]), (&serde_json::json!(true), &serde_json::json!(true)), "at {width}x{height}: {seen}");
    }
    app.close().await.unwrap();
    home.wait_for_app_exit().await;

    // Relaunch on the same data folder: straight back to the demo, which kept the purchase.
    let app = driver.launch().await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#sync-status")).await.unwrap();
    // The cached dashboard shows at once (already "Synced" with its old time), so watch the
    // page for a while and until the demo's own sync has landed: it never says signed out.
    let opened = Instant::now();
    let deadline = opened + WAIT;
    loop {
        let page = app.source().await.unwrap();
        assert!(!page.contains("not_signed_in") && !page.contains("You are signed out"), "a signed-out flash on reopening the demo");
        let status = text_of(&app, "#sync-status").await;
        if opened.elapsed() > Duration::from_secs(4) && status.starts_with("Synced") {
            break;
        }
        assert!(Instant::now() < deadline, "the reopened demo never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.find(Locator::Css("#server-url")).await.is_err(), "no welcome screen after a restart");
    let after = ledger_purchases(&app).await;
    assert_eq!(after, bought, "the purchase made before the restart");

    // "Reset demo" asks first; Cancel keeps everything, the confirm button starts over.
    app.find(Locator::Css("#reset-demo")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#reset-demo-sheet")).await.unwrap();
    let focused = app.execute("return document.activeElement && document.activeElement.id", vec![]).await.unwrap();
    assert_ne!(focused, serde_json::json!("confirm-reset-demo"), "focus never starts on the reset button");
    app.find(Locator::Css("#confirm-reset-demo")).await.unwrap().click().await.unwrap();
    text_of(&app, "#demo-reset-done").await;
    assert!(ledger_purchases(&app).await.is_empty(), "the reset demo has no purchase");

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
}
