//! End-to-end: the demo account's invoices in the real app, an invoice exported as a PDF whose
//! text holds its total, and the credits sheet, where Enter never buys anything.
//!
//! `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo test --workspace --test invoices`.
//! Set `EDGECOST_SHOTS=DIR` to keep screenshots of the invoice list and an invoice.

use std::time::Duration;

use edgecost_e2e::*;
use edgecost_pricing::format::money;
use fantoccini::{Client, Locator};

/// The ledger's entries as the app lists them (none: `#ledger-empty`).
async fn ledger_rows(app: &Client) -> usize {
    wait_for(app, "#open-ledger").await.click().await.unwrap();
    wait_for(app, "#ledger-sheet").await;
    // Either the empty note or the entries table, once the ledger is read.
    let deadline = std::time::Instant::now() + WAIT;
    let rows = loop {
        if app.find(Locator::Css("#ledger-empty")).await.is_ok() {
            break 0;
        }
        if app.find(Locator::Css("#ledger-rows")).await.is_ok() {
            break app.find_all(Locator::Css("#ledger-rows tbody tr")).await.unwrap().len();
        }
        assert!(std::time::Instant::now() < deadline, "the ledger never showed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    app.find(Locator::Css("#ledger-sheet button")).await.unwrap().send_keys("\u{e00c}").await.unwrap();
    while app.find(Locator::Css("#ledger-sheet")).await.is_ok() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_lists_its_invoices_and_an_invoice_exports_as_a_pdf_with_its_total() {
    let (_turn, home) = app_turn_with_keyring().await;
    let exports = tempfile::tempdir().unwrap();
    let export_dir = exports.path().display().to_string();
    let driver = Driver::start_with_env(&home, &[("EDGECOST_EXPORT_DIR", &export_dir)]);
    let app = driver.launch().await;
    open_demo(&app).await;

    // The header opens the invoices: the demo's 100 days hold three closed months at least.
    wait_for(&app, "#open-invoices").await.click().await.unwrap();
    wait_for(&app, "#invoice-list").await;
    let rows = app.find_all(Locator::Css("#invoice-list tbody tr")).await.unwrap();
    assert!(rows.len() >= 3, "{} invoices", rows.len());
    let mut numbers = Vec::new();
    for row in &rows {
        numbers.push(row.find(Locator::Css("[data-testid=open-invoice]")).await.unwrap().text().await.unwrap());
    }
    let mut newest_first = numbers.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(numbers, newest_first, "newest first");
    assert!(text_of(&app, "#invoices-fetched").await.starts_with("Fetched"));
    screenshot("invoices-1200x800.png", 1200, 800);

    // The newest invoice: its bill lines end in the total the list shows.
    let list_total = rows[0].find(Locator::Css("[data-testid=total]")).await.unwrap().text().await.unwrap();
    rows[0].find(Locator::Css("[data-testid=open-invoice]")).await.unwrap().click().await.unwrap();
    wait_for(&app, "#invoice-lines").await;
    assert_eq!(text_of(&app, "#invoice-total").await, list_total);
    let kinds: Vec<String> = {
        let mut kinds = Vec::new();
        for row in app.find_all(Locator::Css("#invoice-lines tbody tr")).await.unwrap() {
            kinds.push(row.attr("data-kind").await.unwrap().unwrap_or_default());
        }
        kinds
    };
    assert_eq!(kinds.first().map(String::as_str), Some("base_fee"));
    assert!(kinds.iter().any(|k| k == "overage"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("total"));
    assert_eq!(text_of(&app, "#invoice-lines tr.total [data-testid=amount]").await, list_total);
    screenshot("invoice-1200x800.png", 1200, 800);

    // At the smallest window the amounts are still reachable: the table scrolls sideways.
    app.set_window_size(880, 600).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let probe = r#"
        const cell = document.querySelector('#invoice-lines tr.total [data-testid=amount]');
        cell.scrollIntoView({ inline: 'end', block: 'center' });
        const r = cell.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        return [r.right <= window.innerWidth, document.elementFromPoint(x, y) === cell];
    "#;
    let seen = app.execute(probe, vec![]).await.unwrap();
    assert_eq!(seen, serde_json::json!([true, true]), "the total is visible at 880x600");
    screenshot("invoice-880x600.png", 880, 600);
    app.set_window_size(1200, 800).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Export as PDF: the saved file's text holds the invoice number and its total. While that
    // export runs, the export buttons are busy: a second press in the same instant (a stray
    // Enter on the CSV button) starts nothing, and they come back once it ends.
    let press_both = "document.querySelector('#invoice-export-pdf').click(); document.querySelector('#invoice-export-csv').click();";
    app.execute(press_both, vec![]).await.unwrap();
    let saved = text_of(&app, "#invoice-saved").await;
    let path = exports.path().join(format!("{}.pdf", numbers[0]));
    assert!(saved.contains(&path.display().to_string()), "{saved}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!exports.path().join(format!("{}.csv", numbers[0])).exists(), "a press during an export started another");
    for id in ["#invoice-export-pdf", "#invoice-export-csv"] {
        let busy = wait_for(&app, id).await.attr("aria-disabled").await.unwrap();
        assert_eq!(busy.as_deref(), Some("false"), "{id} is back once the export ended");
    }
    let text = std::process::Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().expect("pdftotext (poppler-utils)");
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains(&format!("Invoice {}", numbers[0])), "{text}");
    assert!(text.contains(&format!("Total due {list_total}")), "{text}");

    // And as CSV: one row per line, the last one the total.
    app.find(Locator::Css("#invoice-export-csv")).await.unwrap().click().await.unwrap();
    let csv_path = exports.path().join(format!("{}.csv", numbers[0]));
    text_until(&app, "#invoice-saved", |s| s.contains(".csv")).await;
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().count(), kinds.len() + 1, "{csv}");
    assert!(csv.lines().last().unwrap().contains(&list_total.replace(['$', ','], "")), "{csv}");

    // Reconcile: the dashboard's charts open on the invoice's period.
    let period = text_of(&app, "#invoice-period").await;
    app.find(Locator::Css("#invoice-usage-charts")).await.unwrap().click().await.unwrap();
    let range = wait_for(&app, "#range").await;
    let deadline = std::time::Instant::now() + WAIT;
    while range.prop("value").await.unwrap().as_deref() != Some("between") {
        assert!(std::time::Instant::now() < deadline, "the charts did not switch to the invoice's period");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let shown = text_of(&app, "#range option[value=between]").await;
    let month = period.split(' ').next().unwrap().to_owned();
    assert!(shown.starts_with(&format!("{month} 1 – ")), "{shown} for {period}");
    let svg = chart_svg(&app).await;
    assert!(svg.contains("<svg"), "the usage chart is drawn for the period");
    // The cards above stay on this period: the charts say which span they and the tables
    // under them show, and go back to this period in one click.
    let note = text_of(&app, "#range-between").await;
    assert!(note.contains(&shown) && note.contains("invoice's period"), "{note}");
    for title in ["#regions-title", "#routes-title"] {
        let said = text_of(&app, title).await;
        assert!(said.ends_with(&format!("· {shown}")), "{title}: {said}");
    }
    app.execute("document.querySelector('#range-between').scrollIntoView()", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshot("invoice-usage-1200x800.png", 1200, 800);
    app.find(Locator::Css("#range-back")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while range.prop("value").await.unwrap().as_deref() != Some("period") {
        assert!(std::time::Instant::now() < deadline, "the charts did not go back to this period");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.find(Locator::Css("#range-between")).await.is_err(), "the note goes with the invoice's span");
    assert!(text_of(&app, "#regions-title").await.ends_with("· This period"));

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_in_the_credits_sheet_buys_nothing_only_the_buy_button_does_and_esc_still_closes_it() {
    let (_turn, home) = app_turn_with_keyring().await;
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    open_demo(&app).await;
    wait_for(&app, "#notice-banner").await;
    let before = ledger_rows(&app).await;

    // Nothing bought yet: the ledger's empty state offers the same credits sheet, in its place.
    assert_eq!(before, 0, "the demo starts with no credit");
    wait_for(&app, "#open-ledger").await.click().await.unwrap();
    wait_for(&app, "#ledger-buy-credits").await.click().await.unwrap();
    wait_for(&app, "#credit-packs").await;
    assert!(app.find(Locator::Css("#ledger-sheet")).await.is_err(), "the ledger gives way to the credits sheet");
    app.active_element().await.unwrap().send_keys("\u{e00c}").await.unwrap();
    wait_gone(&app, "#credits-sheet").await;

    wait_for(&app, "#notice-buy-credits").await.click().await.unwrap();
    let packs = wait_for(&app, "#credit-packs").await;
    // The sheet opens on one pack, with focus in the field, not on the buy button.
    assert_eq!(packs.prop("value").await.unwrap().as_deref(), Some("1"));
    assert_eq!(text_of(&app, "#credits-total").await, "$25.00");
    let focused = app.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("credit-packs"));
    // Enter twice, as an impatient person would: nothing is bought.
    focused.send_keys("\u{e007}").await.unwrap();
    focused.send_keys("\u{e007}").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(app.find(Locator::Css("#credits-done")).await.is_err(), "Enter bought credit");
    assert_eq!(text_of(&app, "#confirm-buy").await, "Buy for $25.00");
    let focused = app.active_element().await.unwrap();
    assert_ne!(focused.attr("id").await.unwrap().as_deref(), Some("confirm-buy"), "focus never lands on the buy button");
    // A count that is not valid shows no amount of another count: "101" and "2.5" pass
    // through the valid prefixes "10" and "2", whose quotes must not show beside them.
    for typed in ["101", "2.5"] {
        let field = wait_for(&app, "#credit-packs").await;
        field.clear().await.unwrap();
        field.send_keys(typed).await.unwrap();
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(text_of(&app, "#credits-total").await, "—", "{typed}");
        assert!(app.find(Locator::Css("#credits-coverage")).await.is_err(), "{typed}: no coverage of another count");
        let buy = wait_for(&app, "#confirm-buy").await;
        assert_eq!((buy.text().await.unwrap().as_str(), buy.is_enabled().await.unwrap()), ("Buy", false), "{typed}");
        screenshot(&format!("credits-sheet-invalid-{}-1200x800.png", typed.replace('.', "_")), 1200, 800);
    }
    // + steps from what is typed: from "2.5" to 3 packs, not from the last count quoted.
    wait_for(&app, "button[aria-label='One pack more']").await.click().await.unwrap();
    text_until(&app, "#credits-total", |t| t == "$75.00").await;
    assert_eq!(wait_for(&app, "#credit-packs").await.prop("value").await.unwrap().as_deref(), Some("3"));
    // At the last count + can take no more, and the focus stays on it, in the sheet, rather
    // than falling to the page.
    let field = wait_for(&app, "#credit-packs").await;
    field.clear().await.unwrap();
    let max = edgecost_pricing::PACKS_PER_PURCHASE_MAX;
    let price = |packs: u32| money(edgecost_pricing::Decimal::from(25 * packs)); // $25.00 a pack
    field.send_keys(&(max - 1).to_string()).await.unwrap();
    text_until(&app, "#credits-total", |t| t == price(max - 1)).await;
    let more = wait_for(&app, "#credit-packs-more").await;
    more.send_keys("\u{e007}").await.unwrap();
    text_until(&app, "#credits-total", |t| t == price(max)).await;
    assert_eq!(wait_for(&app, "#credit-packs").await.prop("value").await.unwrap(), Some(max.to_string()));
    assert_eq!(more.attr("aria-disabled").await.unwrap().as_deref(), Some("true"), "+ is marked disabled at {max}");
    let focus = "const a = document.activeElement; return [a.id, !!a.closest('#credits-sheet')]";
    assert_eq!(app.execute(focus, vec![]).await.unwrap(), serde_json::json!(["credit-packs-more", true]), "focus stays on +");
    more.send_keys("\u{e007}").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(wait_for(&app, "#credit-packs").await.prop("value").await.unwrap(), Some(max.to_string()), "+ at {max} adds nothing");
    // A valid count brings its own amounts back.
    let field = wait_for(&app, "#credit-packs").await;
    field.clear().await.unwrap();
    field.send_keys("2").await.unwrap();
    text_until(&app, "#credits-total", |t| t == "$50.00").await;
    text_until(&app, "#confirm-buy", |t| t == "Buy for $50.00").await;
    // Esc closes the sheet, and the ledger is as it was.
    focused.send_keys("\u{e00c}").await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(Locator::Css("#credits-sheet")).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "Esc did not close the sheet");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ledger_rows(&app).await, before, "the ledger is unchanged");

    // A deliberate keyboard confirm: Tab to the buy button and press Enter. It buys once, focus
    // moves to Done, and Esc still closes the sheet.
    wait_for(&app, "#notice-buy-credits").await.click().await.unwrap();
    wait_for(&app, "#credit-packs").await;
    assert_eq!(text_of(&app, "#credits-total").await, "$25.00");
    let mut tabs = 0;
    loop {
        let focused = app.active_element().await.unwrap();
        if focused.attr("id").await.unwrap().as_deref() == Some("confirm-buy") {
            focused.send_keys("\u{e007}").await.unwrap();
            break;
        }
        assert!(tabs < 8, "Tab never reached the buy button");
        focused.send_keys("\u{e004}").await.unwrap();
        tabs += 1;
    }
    assert_eq!(text_of(&app, "#credits-new-balance").await, "$25.00");
    app.active_element().await.unwrap().send_keys("\u{e00c}").await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(Locator::Css("#credits-sheet")).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "Esc did not close the sheet after a keyboard confirm");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ledger_rows(&app).await, before + 1, "one purchase");

    app.close().await.unwrap();
    home.wait_for_app_exit().await;
}
