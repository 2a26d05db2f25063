//! End-to-end: quota notices in the real app against a real engine on loopback. Telemetry
//! pushed by an edge node takes a meter past 80%, the banner appears after a sync, a double
//! click on "buy" makes exactly one purchase in the engine's ledger, and one click upgrades
//! the account in the engine.
//!
//! `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e --test notices`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use edgecost_api::LedgerEntryKind;
use edgecost_e2e::*;
use edgecost_pricing::format::money;
use fantoccini::{Client, Locator};

/// Two clicks in the same task, before the page can redraw: the fastest double click.
async fn double_click(app: &Client, css: &str) {
    let script = "const b = document.querySelector(arguments[0]); b.click(); b.click();";
    app.execute(script, vec![serde_json::json!(css)]).await.unwrap();
}

/// Sizes the window and answers the rectangles (left, top, right, bottom, width) of the
/// elements `ids`, once the page has taken the new width.
async fn rects_at(app: &Client, width: u32, height: u32, ids: &[&str]) -> Vec<[f64; 5]> {
    app.set_window_size(width, height).await.unwrap();
    let script = "return [window.innerWidth, arguments[0].map((id) => { const r = document.getElementById(id).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, r.width]; })]";
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = app.execute(script, vec![serde_json::json!(ids)]).await.unwrap();
        let inner = seen[0].as_f64().unwrap_or(0.0);
        if (inner - f64::from(width)).abs() <= 16.0 || Instant::now() >= deadline {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let seen = app.execute(script, vec![serde_json::json!(ids)]).await.unwrap();
            return serde_json::from_value(seen[1].clone()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_80_percent_the_banner_shows_buy_once_on_a_double_click_and_upgrade_in_one_click() {
    require_session();
    keyring();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let f = LiveAccount::production().await;
    let url = f.running.url();
    let engine = edgecost_client::Client::new(&url, &f.account_token).unwrap();
    f.push_requests("batch-1", 100_000).await;

    let home = Home::new();
    let driver = Driver::start(&home);
    // The app syncs by itself every 60 s, first 60 s after it starts: a banner seen before
    // then came from "Sync now".
    let launched = Instant::now();
    let app = driver.launch().await;
    wait_for(&app, "#server-url").await.send_keys(&url).await.unwrap();
    app.find(Locator::Css("#token")).await.unwrap().send_keys(&f.account_token).await.unwrap();
    app.find(Locator::Css("#connect")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&app, "#tier").await, "Production");
    assert!(app.find(Locator::Css("#notice-banner")).await.is_err(), "50% of the quota raises no banner");

    // The node's next batch takes requests to 85% of the quota; the next sync shows the banner.
    f.push_requests("batch-2", 70_000).await;
    assert_eq!(engine.notices().await.unwrap().notices.len(), 1, "the engine raised the notice");
    app.find(Locator::Css("#sync-now")).await.unwrap().click().await.unwrap();
    let headline = text_by(&app, "#notice-banner .line[data-meter=requests] .headline", launched + Duration::from_secs(55)).await;
    assert!(headline.starts_with("Requests passed 80% of the Production quota on"), "{headline}");
    let detail = text_of(&app, "#notice-banner .line .detail").await;
    assert!(detail.contains("left") && detail.contains("projected to cost $"), "{detail}");

    // The hint is right under the upgrade button and within its width, on two lines at most;
    // buying credit is beside the upgrade, at the default window and the smallest.
    for (width, height) in [(1200, 800), (880, 600)] {
        let ids = ["notice-upgrade", "notice-upgrade-hint", "notice-buy-credits", "open-ledger"];
        let [up, hint, buy, ledger] = rects_at(&app, width, height, &ids).await[..] else { panic!("four rectangles") };
        let at = format!("{width}x{height}");
        assert!((0.0..=8.0).contains(&(hint[1] - up[3])), "{at}: the hint is right under the button: {up:?} {hint:?}");
        assert!(hint[0] >= up[0] - 1.0 && hint[2] <= up[2] + 1.0, "{at}: the hint is within the button's width: {up:?} {hint:?}");
        let said = text_of(&app, "#notice-upgrade-hint").await;
        assert!(hint[3] - hint[1] <= 40.0, "{at}: the hint takes two lines at most: {hint:?} {said}");
        assert!(buy[3] > up[1] && buy[1] < up[3], "{at}: buying credit is beside the upgrade: {up:?} {buy:?}");
        assert!(ledger[3] < up[1], "{at}: the ledger is the header's, above the banner: {ledger:?}");
        screenshot(&format!("notice-banner-{at}.png"), width, height);
    }
    app.set_window_size(1200, 800).await.unwrap();

    // Buy credits: two packs, confirmed with a double click, make exactly one purchase.
    app.find(Locator::Css("#notice-buy-credits")).await.unwrap().click().await.unwrap();
    let packs = wait_for(&app, "#credit-packs").await;
    packs.clear().await.unwrap();
    packs.send_keys("2").await.unwrap();
    let deadline = Instant::now() + WAIT;
    while text_of(&app, "#credits-total").await != "$50.00" {
        assert!(Instant::now() < deadline, "the quote for 2 packs never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let coverage = text_of(&app, "#credits-coverage").await;
    assert!(coverage.starts_with("Covers"), "{coverage}");
    double_click(&app, "#confirm-buy").await;
    let new_balance = text_of(&app, "#credits-new-balance").await;
    let ledger = engine.credits().await.unwrap();
    let purchases: Vec<_> = ledger.entries.iter().filter(|e| e.kind == LedgerEntryKind::Purchase).collect();
    assert_eq!(purchases.len(), 1, "a double click bought once: {:?}", ledger.entries);
    assert_eq!(purchases[0].amount.to_string(), "50.00");
    assert_eq!(new_balance, money(ledger.balance), "the sheet shows the engine's balance");
    app.find(Locator::Css("#credits-sheet button.primary")).await.unwrap().click().await.unwrap();
    wait_gone(&app, "#credits-sheet").await;
    assert_eq!(text_of(&app, "#credit-balance").await, money(ledger.balance), "the dashboard shows the new balance");

    // The ledger view names the pack.
    app.find(Locator::Css("#open-ledger")).await.unwrap().click().await.unwrap();
    let row = text_of(&app, "#ledger-rows tr[data-kind=purchase]").await;
    assert!(row.contains("Packs 1–2") && row.contains("$50.00"), "two packs bought at once: {row}");
    app.find(Locator::Css("#ledger-sheet button")).await.unwrap().send_keys("\u{e00c}").await.unwrap(); // Escape closes.
    wait_gone(&app, "#ledger-sheet").await;

    // Upgrade: the sheet shows the prorated fee and each tier's projection; one click upgrades.
    app.find(Locator::Css("#notice-upgrade")).await.unwrap().click().await.unwrap();
    // The prorated fee is the engine's quote, to the cent. The projection moves with every
    // second of the run rate, so it is checked against the tier's floor: Scale's $79.00 base fee.
    let quote = engine.upgrade_quote().await.unwrap();
    assert_eq!(text_of(&app, "#upgrade-prorated-fee").await, money(quote.prorated_base_fee.expect("a fee for Scale")));
    let row = text_of(&app, "#upgrade-projections tr[data-tier=scale] td.num").await;
    let projected: edgecost_pricing::Decimal =
        row.trim_start_matches('$').replace(',', "").parse().unwrap_or_else(|e| panic!("{row}: {e}"));
    assert!(row.starts_with('$') && projected >= edgecost_pricing::Decimal::new(79_00, 2), "Scale projected at {row}");
    // Beneath, the same figure line by line: the current tier's days of base fee, then
    // Scale's from today (the fee above), then overage.
    assert_eq!(text_of(&app, "#upgrade-target-bill [data-testid=target-cost]").await, row);
    let lines = text_of(&app, "#upgrade-target-bill tbody").await;
    assert!(lines.contains(&text_of(&app, "#upgrade-prorated-fee").await), "{lines}");
    assert!(lines.matches("Base fee").count() >= 2, "both tiers' shares of the base fee: {lines}");
    screenshot("upgrade-sheet-1200x800.png", 1200, 800);
    double_click(&app, "#confirm-upgrade").await;
    wait_for(&app, "#upgrade-done").await;
    assert_eq!(engine.account().await.unwrap().tier, "scale", "the engine's tier changed");
    assert_eq!(text_of(&app, "#tier").await, "Scale", "the dashboard updated at once");
    app.find(Locator::Css("#upgrade-sheet button.primary")).await.unwrap().click().await.unwrap();
    wait_gone(&app, "#notice-banner").await;
    wait_for(&app, "#open-ledger").await; // The ledger stays reachable without a notice.
    // It is one of the header's buttons, with or without a banner: on a row of buttons beside
    // another, never alone on a row of its own, and above the period.
    for (width, height) in [(1200, 800), (880, 600)] {
        let ids = ["open-ledger", "open-invoices", "open-planner", "period"];
        let [ledger, invoices, planner, period] = rects_at(&app, width, height, &ids).await[..] else { panic!("four rectangles") };
        let at = format!("{width}x{height}: {ledger:?} {invoices:?} {planner:?}");
        let same_row = |other: [f64; 5]| (ledger[1] - other[1]).abs() <= 2.0;
        assert!(same_row(invoices) || same_row(planner), "{at}: the ledger shares a row with the header's buttons");
        assert!(ledger[3] < period[1], "{at}: above the period {period:?}");
        screenshot(&format!("dashboard-without-notice-{width}x{height}.png"), width, height);
    }
    app.set_window_size(1200, 800).await.unwrap();
    let ledger_after = engine.credits().await.unwrap();
    assert_eq!(ledger_after.entries.iter().filter(|e| e.kind == LedgerEntryKind::Purchase).count(), 1, "the upgrade bought nothing");

    // The desktop notification for 80% was recorded once for this period.
    let notified = std::fs::read_to_string(home.path().join(".local/share/dev.edgecost.desktop/notified.json")).unwrap();
    assert!(notified.contains("requests:80"), "{notified}");

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
    drop(driver);
    f.running.shutdown().await.unwrap();
}

/// Signs in to `f`'s account through the connect door.
async fn connect(app: &Client, url: &str, token: &str) {
    wait_for(app, "#server-url").await.send_keys(url).await.unwrap();
    app.find(Locator::Css("#token")).await.unwrap().send_keys(token).await.unwrap();
    app.find(Locator::Css("#connect")).await.unwrap().click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_that_met_a_dead_server_says_so_and_its_retry_buys_once() {
    require_session();
    keyring();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let f = LiveAccount::production().await;
    let (db, book) = (f.database_url(), edgecost_pricing::PriceBook::published().clone());
    let addr: SocketAddr = f.running.url().trim_start_matches("http://").parse().unwrap();
    f.push_requests("batch-1", 180_000).await;

    let home = Home::new();
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    connect(&app, &f.running.url(), &f.account_token).await;
    wait_for(&app, "#notice-buy-credits").await.click().await.unwrap();
    let packs = wait_for(&app, "#credit-packs").await;
    packs.clear().await.unwrap();
    packs.send_keys("1").await.unwrap();
    while text_of(&app, "#credits-total").await != "$25.00" {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The server goes away between the quote and the confirmation.
    let url = f.running.url();
    f.running.shutdown().await.unwrap();
    app.find(Locator::Css("#confirm-buy")).await.unwrap().click().await.unwrap();
    let failure = wait_for(&app, "#credits-sheet .failure").await;
    // Nothing listens, so the purchase never left the app: it says so once, in words.
    assert_eq!(failure.attr("data-charged").await.unwrap().as_deref(), Some("no"));
    let text = failure.text().await.unwrap();
    assert_eq!(text.matches("nothing was charged").count(), 1, "{text}");
    assert!(text.starts_with("Could not reach the server") && !text.contains("os error"), "{text}");
    assert_eq!(text_of(&app, "#confirm-buy").await, "Try again");

    // The server is back on the same address; Enter in the pack field does not spend money,
    // only the confirm button does, and it retries the same sheet.
    let engine = edgecost_engine::Engine::open(&db, book).await.unwrap();
    let running = edgecost_server::spawn(engine, addr).await.unwrap();
    assert_eq!(running.url(), url);
    app.find(Locator::Css("#credit-packs")).await.unwrap().send_keys("\u{e007}").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.find(Locator::Css("#credits-done")).await.is_err(), "Enter in the field bought nothing");
    app.find(Locator::Css("#confirm-buy")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&app, "#credits-new-balance").await, "$25.00");
    let ledger = edgecost_client::Client::new(&url, &f.account_token).unwrap().credits().await.unwrap();
    assert_eq!(ledger.entries.iter().filter(|e| e.kind == LedgerEntryKind::Purchase).count(), 1);

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
    drop(driver);
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capped_sandbox_sees_the_upgrade_path_only() {
    require_session();
    keyring();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let f = LiveAccount::on_tier("Side project", "sandbox").await;
    // 50,000 requests are included on the sandbox: this reaches the cap.
    f.push_requests("batch-1", 50_000).await;

    let home = Home::new();
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    connect(&app, &f.running.url(), &f.account_token).await;
    let banner = wait_for(&app, "#notice-banner").await;
    assert_eq!(banner.attr("data-level").await.unwrap().as_deref(), Some("capped"));
    assert!(text_of(&app, "#notice-banner .summary").await.contains("capped"));
    // The button names the engine's offer (the cheapest tier above that does not cap the
    // usage), the tier its sheet opens on, and beside it what that tier would cost this
    // period: a capped sandbox pays nothing, so any upgrade costs more than staying.
    let account = edgecost_client::Client::new(&f.running.url(), &f.account_token).unwrap().account().await.unwrap();
    let offer = account.notices[0].offer.upgrade.clone().expect("the engine offers an upgrade to a capped sandbox");
    let label = edgecost_pricing::PriceBook::published().tier(&offer.tier).unwrap().display_name().to_owned();
    assert_eq!(text_of(&app, "#notice-upgrade").await, format!("Upgrade to {label}"));
    let hint = text_of(&app, "#notice-upgrade-hint").await;
    let projected = edgecost_pricing::format::money(offer.projected_bill);
    assert_eq!(hint, format!("{label}: projected {projected} this period, {projected} more than staying"));
    app.find(Locator::Css("#notice-upgrade")).await.unwrap().click().await.unwrap();
    assert!(text_of(&app, "#upgrade-sheet").await.contains(&format!("Upgrade to {label}")), "the sheet opens on the offered tier");
    assert!(app.find(Locator::Css("#notice-buy-credits")).await.is_err(), "the sandbox cannot buy credit");

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
    drop(driver);
    f.running.shutdown().await.unwrap();
}
