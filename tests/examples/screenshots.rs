//! Screenshots of the main screens for `docs/`, taken of the whole (virtual) screen with
//! ImageMagick's `import`, as a person would see the window.
//!
//! `cargo build -p edgecost-app && xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session --
//! cargo run -p edgecost-e2e --example screenshots`

use std::process::Command;
use std::time::Duration;

use edgecost_e2e::*;
use fantoccini::{Client, Locator};

fn shoot(name: &str) {
    let out = workspace_root().join("docs").join(format!("{name}.png"));
    // The window sits at the screen's top left, at its configured 1200 x 800.
    let status = Command::new("/usr/bin/import")
        .args(["-window", "root", "-crop", "1200x800+0+0", "+repage"])
        .arg(&out)
        .status()
        .expect("ImageMagick's import");
    assert!(status.success(), "import failed for {name}");
    println!("wrote {}", out.display());
}

async fn settle(app: &Client) {
    // Let fonts, the chart image and transitions finish painting.
    let _ = app.find(Locator::Css("body")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::main]
async fn main() {
    require_session();
    keyring();
    std::fs::create_dir_all(workspace_root().join("docs")).unwrap();
    let home = Home::new();
    // The operator's what-if opens this book without a file dialog.
    let proposal = workspace_root().join("examples/price-books/proposal.yaml").display().to_string();
    let driver = Driver::start_with_env(&home, &[("EDGECOST_OPEN_PRICE_BOOK", &proposal)]);
    let app = driver.launch().await;

    app.wait().at_most(WAIT).for_element(Locator::Css("#demo")).await.unwrap();
    settle(&app).await;
    shoot("welcome");

    app.find(Locator::Css("#demo")).await.unwrap().click().await.unwrap();
    text_of(&app, "#bill-to-date [data-testid=total]").await;
    chart_svg(&app).await;
    settle(&app).await;
    shoot("dashboard");

    app.find(Locator::Css("#tab-egress")).await.unwrap().click().await.unwrap();
    settle(&app).await;
    app.execute("window.scrollTo(0, document.body.scrollHeight)", vec![]).await.unwrap();
    settle(&app).await;
    shoot("dashboard-charts");

    app.find(Locator::Css("#tab-routes")).await.unwrap().click().await.unwrap();
    settle(&app).await;
    shoot("dashboard-route-costs");

    app.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    app.find(Locator::Css("#open-invoices")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#invoice-list")).await.unwrap();
    settle(&app).await;
    shoot("invoices");

    app.find(Locator::Css("#invoice-list [data-testid=open-invoice]")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#invoice-lines")).await.unwrap();
    settle(&app).await;
    shoot("invoice");
    app.find(Locator::Css("#invoices-close")).await.unwrap().click().await.unwrap();
    text_of(&app, "#bill-to-date [data-testid=total]").await;

    app.find(Locator::Css("#open-billing")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#tier-table")).await.unwrap();
    settle(&app).await;
    shoot("billing");
    // A downgrade scheduled for the next period, as the page shows it until then.
    app.find(Locator::Css("tr.moves td[data-tier=sandbox] [data-testid=tier-move]")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#confirm-upgrade")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#upgrade-done")).await.unwrap();
    app.find(Locator::Css("#upgrade-sheet button.primary")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#scheduled-change")).await.unwrap();
    settle(&app).await;
    shoot("billing-scheduled");
    app.find(Locator::Css("#cancel-downgrade")).await.unwrap().click().await.unwrap();
    // Spend controls with a budget the projections pass, so the crossing day shows.
    let budget = app.wait().at_most(WAIT).for_element(Locator::Css("#budget-amount")).await.unwrap();
    budget.send_keys("40").await.unwrap();
    budget.send_keys("\u{e007}").await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#budget-saved")).await.unwrap();
    app.execute("document.querySelector('#spend-controls').scrollIntoView({ block: 'start' })", vec![]).await.unwrap();
    settle(&app).await;
    shoot("billing-spend-controls");
    app.find(Locator::Css("#billing-close")).await.unwrap().click().await.unwrap();
    text_of(&app, "#bill-to-date [data-testid=total]").await;

    // The demo's operator: the fleet's figures, then a price book tried on them.
    wait_synced(&app).await;
    app.find(Locator::Css("#open-operator")).await.unwrap().click().await.unwrap();
    text_of(&app, "#operator-mrr").await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#operator-chart img")).await.unwrap();
    settle(&app).await;
    shoot("operator");
    app.find(Locator::Css("#what-if-pick")).await.unwrap().click().await.unwrap();
    text_of(&app, "#what-if-total").await;
    app.execute("document.querySelector('#what-if').scrollIntoView({ block: 'start' })", vec![]).await.unwrap();
    settle(&app).await;
    shoot("operator-what-if");
    app.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    app.find(Locator::Css("#operator-back")).await.unwrap().click().await.unwrap();
    text_of(&app, "#bill-to-date [data-testid=total]").await;

    app.find(Locator::Css("#open-planner")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#planner-back")).await.unwrap();
    settle(&app).await;
    shoot("planner");
    app.close().await.unwrap();
    home.wait_for_app_exit().await;
    drop(driver);

    // The dark palette follows the desktop's: WebKitGTK reports `prefers-color-scheme: dark`
    // under a dark GTK theme.
    let dark_home = Home::new();
    let driver = Driver::start_with_env(&dark_home, &[("GTK_THEME", "Adwaita:dark")]);
    let app = driver.launch().await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#demo")).await.unwrap().click().await.unwrap();
    text_of(&app, "#bill-to-date [data-testid=total]").await;
    chart_svg(&app).await;
    settle(&app).await;
    app.execute("window.scrollTo(0, 420)", vec![]).await.unwrap();
    settle(&app).await;
    shoot("dashboard-dark");
    app.close().await.unwrap();
    dark_home.wait_for_app_exit().await;
}
