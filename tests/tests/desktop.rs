//! End-to-end tests of the desktop app: the real binary in a real WebKit webview, driven
//! through tauri-driver and WebKitWebDriver, against a real engine served over loopback, with
//! a real gnome-keyring holding the token.
//!
//! Run them in a display and a session bus of their own:
//! `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e`.

use edgecost_e2e::*;
use edgecost_pricing::format::money;
use fantoccini::{Client, Locator};

/// What the sync status can say, each with whether it is set as a warning: the header is
/// measured with each of them in place of what the status says now.
const SYNC_STATUSES: [(&str, bool); 6] = [
    ("", false),
    ("Synced 10:42", false),
    ("Syncing\u{2026} (last synced 10:42)", false),
    ("Offline, last synced 10:42", true),
    ("Sync failed, last synced 10:42", false),
    ("Token rejected, last synced 10:42", false),
];

/// The dashboard header with each of [`SYNC_STATUSES`] in the status's place: for each, the
/// status's left and right edges, the buttons' boxes, whether any two items of the header
/// overlap, and whether the header keeps inside the window. The status's own text node is put
/// back afterwards, so the page goes on updating it.
async fn header_with_each_status(app: &Client) -> serde_json::Value {
    let probe = r#"
        const status = document.querySelector('#sync-status');
        const own = [...status.childNodes];
        const wasOffline = status.classList.contains('offline');
        const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const seen = [];
        for (const [text, offline] of arguments[0]) {
            status.textContent = text;
            status.classList.toggle('offline', offline);
            const items = [...document.querySelectorAll('.topbar .who > *, .topbar .actions > *')].map(box);
            const overlap = items.some((a, i) => items.some((b, j) => j > i
                && a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5));
            const inside = items.every((b) => b[0] >= 0 && b[2] <= document.documentElement.clientWidth);
            seen.push({
                text,
                status: [status.getBoundingClientRect().left, status.getBoundingClientRect().right],
                buttons: [...document.querySelectorAll('.topbar .actions button')].map((b) => [b.id, ...box(b)]),
                overlap,
                inside,
            });
        }
        status.replaceChildren(...own);
        status.classList.toggle('offline', wasOffline);
        return seen;
    "#;
    let statuses: Vec<serde_json::Value> = SYNC_STATUSES.iter().map(|(text, offline)| serde_json::json!([text, offline])).collect();
    app.execute(probe, vec![serde_json::Value::Array(statuses)]).await.unwrap()
}

/// Waits until the dashboard's chart is drawn as wide as it is shown, and answers that width.
async fn chart_drawn_as_shown(app: &Client) -> f64 {
    let probe = "const img = document.querySelector('#chart img'); \
                 return img && img.complete ? [img.naturalWidth, img.getBoundingClientRect().width] : null;";
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = app.execute(probe, vec![]).await.unwrap();
        if let Some([drawn, shown]) = seen.as_array().map(|v| [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()])
            && drawn > 0.0
            && (drawn - shown).abs() < 1.0
        {
            return drawn;
        }
        assert!(std::time::Instant::now() < deadline, "the chart is not drawn as wide as it is shown: {seen}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_see_the_engines_bill_restart_still_signed_in_and_no_token_on_disk() {
    let (_turn, home) = app_turn_with_keyring().await;
    let server = serve_demo_account().await;
    let url = server.running.url();
    let engine_bill = edgecost_client::Client::new(&url, &server.token).unwrap().bill().await.unwrap();
    let driver = Driver::start(&home);

    // First run: the connect door.
    let app = driver.launch().await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#server-url")).await.unwrap().send_keys(&url).await.unwrap();
    app.find(Locator::Css("#token")).await.unwrap().send_keys(&server.token).await.unwrap();
    app.find(Locator::Css("#connect")).await.unwrap().click().await.unwrap();

    // The dashboard shows the engine's own bill, to the cent.
    let shown = text_of(&app, "#bill-to-date [data-testid=total]").await;
    assert_eq!(shown, money(engine_bill.bill.cost()), "bill to date: what the period has cost so far");
    let projected = text_of(&app, "#projected [data-testid=total]").await;
    assert_eq!(projected, money(engine_bill.projected_cost), "projected cost");
    let svg = chart_svg(&app).await;
    assert!(svg.contains("<svg") && svg.contains("Requests"), "the usage chart is drawn");
    app.close().await.unwrap();
    home.wait_for_app_exit().await;

    // A restart opens straight on the dashboard: the token came back from the keyring.
    let app = driver.launch().await;
    let shown_again = text_of(&app, "#bill-to-date [data-testid=total]").await;
    assert_eq!(shown_again, money(engine_bill.bill.cost()));
    assert!(app.find(Locator::Css("#server-url")).await.is_err(), "no sign-in form after a restart");
    // The cached dashboard shows at once; the background sync then reports success.
    wait_synced(&app).await;
    app.close().await.unwrap();
    home.wait_for_app_exit().await;
    drop(driver);

    // The token is in the keyring only: not in the app's data folder, caches or logs.
    let keyring_dir = KEYRING.get().unwrap().path().to_owned();
    let leaks = files_containing(home.path(), &server.token, &keyring_dir);
    assert!(leaks.is_empty(), "the token was written to {leaks:?}");
    let data_dir = home.path().join(".local/share/dev.edgecost.desktop");
    assert!(data_dir.join("snapshot.json").exists(), "the snapshot is cached for offline use");
    server.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_door_needs_no_server() {
    let (_turn, home) = app_turn_with_keyring().await;
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    let total = open_demo(&app).await;
    // The bill shown is the in-app engine's: read its database beside the running app.
    let data_dir = home.path().join(".local/share/dev.edgecost.desktop");
    let demo = demo_account(&home);
    let engine = edgecost_engine::Engine::open(
        &edgecost_engine::Engine::sqlite_url(&data_dir.join("demo.sqlite")),
        edgecost_pricing::PriceBook::published().clone(),
    )
    .await
    .unwrap();
    let account = engine.authenticate_account(&demo.token).await.unwrap();
    // At the instant the app's engine seeded the demo and answered: past a month's end a
    // later wall-clock time would ask for the next period's bill.
    let bill = engine.bill_to_date(&account, demo.recorded_until).await.unwrap();
    engine.close().await;
    assert_eq!(total, money(bill.bill.total), "bill to date");
    // The run-rate projection states its basis; the simulated P50 and P90 come from recent days.
    assert!(text_of(&app, "#projected [data-testid=total]").await.starts_with('$'));
    assert!(text_of(&app, "#projected-basis").await.contains("run rate"));
    let p50 = text_of(&app, "#projected-p50 [data-testid=total]").await;
    let p90 = text_of(&app, "#projected-p90 [data-testid=total]").await;
    assert!(p50.starts_with('$') && p90.starts_with('$'), "P50 {p50}, P90 {p90}");
    assert!(text_of(&app, "#projected-p90 [data-testid=note]").await.contains("simulated periods"));

    // The egress chart draws the billed (region-weighted) quantity the meter card shows.
    let card = text_of(&app, ".meter[data-meter=egress] .used").await;
    app.find(Locator::Css("#tab-egress")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    let mut svg = chart_svg(&app).await;
    while !svg.contains("Egress, cumulative") {
        assert!(std::time::Instant::now() < deadline, "the egress chart never showed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        svg = chart_svg(&app).await;
    }
    // The chart labels amounts to 2-3 significant digits, the card to the hundredth of a GB.
    let measured = svg
        .split("Measured (")
        .nth(1)
        .and_then(|rest| rest.split(" GB)").next())
        .and_then(|n| n.replace(',', "").parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no measured egress in GB on the chart"));
    let card_gb: f64 = card.replace(',', "").parse().unwrap();
    assert!((measured - card_gb).abs() <= card_gb * 0.005 + 0.005, "chart {measured} GB, meter card {card_gb} GB");
    // The tabs answer the keyboard: Home goes back to the first chart and takes the focus.
    app.find(Locator::Css("#tab-egress")).await.unwrap().send_keys("\u{e011}").await.unwrap();
    wait_for(&app, "#chart[data-chart=requests]").await;
    assert_eq!(app.active_element().await.unwrap().attr("id").await.unwrap().as_deref(), Some("tab-requests"));
    assert_eq!(text_of(&app, ".demo-badge").await, "Demo");
    // The demo account sits just past 80% of a quota: a meter is marked and a notice shows.
    assert!(app.find(Locator::Css(".meter[data-level=warning], .meter[data-level=over]")).await.is_ok());
    assert!(text_of(&app, "#notice-banner").await.contains("80%"), "the 80% banner shows");
    let svg = chart_svg(&app).await;
    assert!(svg.starts_with("<svg") && svg.contains("Projected to period end"), "the requests chart: {}", &svg[..svg.len().min(200)]);

    // At the default window and at the smallest: the chart is drawn as wide as it is shown,
    // so its text is as large as it was drawn; the header's buttons keep their places whatever
    // the sync status says, with nothing overlapping or outside the window.
    wait_synced(&app).await;
    for (width, height) in [(1200, 800), (880, 600)] {
        app.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        app.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let drawn = chart_drawn_as_shown(&app).await;
        let svg = chart_svg(&app).await;
        assert!(svg.contains(&format!("<svg width=\"{drawn}\"")), "at {width}x{height}: drawn {drawn} px wide");
        let sizes = edgecost_charts::svg_size(&svg).expect("a chart's SVG document").font_sizes_px;
        assert!(!sizes.is_empty() && sizes.iter().all(|px| *px >= 11.0), "at {width}x{height}: {sizes:?}");
        let seen = header_with_each_status(&app).await;
        let seen = seen.as_array().unwrap();
        for status in seen {
            // The status keeps its place whatever it says: the longest words fit in it.
            assert_eq!(status["status"], seen[0]["status"], "at {width}x{height}, the status changed width: {status}");
            assert_eq!(status["buttons"], seen[0]["buttons"], "at {width}x{height}, the buttons moved: {status}");
            let sound = status["overlap"] == false && status["inside"] == true;
            assert!(sound, "at {width}x{height}, the header crowds: {status}");
        }
        let wider = "return document.documentElement.scrollWidth > document.documentElement.clientWidth";
        assert_eq!(app.execute(wider, vec![]).await.unwrap(), serde_json::json!(false), "the page is wider than {width} px");
        screenshot(&format!("dashboard-{width}x{height}.png"), width, height);
        app.execute("document.querySelector('#chart').scrollIntoView({ block: 'center' })", vec![]).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        screenshot(&format!("dashboard-chart-{width}x{height}.png"), width, height);
    }
    app.close().await.unwrap();
    home.wait_for_app_exit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_while_the_last_window_is_still_closing_starts_once_it_is_gone() {
    let (_turn, home) = app_turn_with_keyring().await;
    // The name is held by a connection that never answers, as by a window on its way out.
    let closing = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name(SINGLE_INSTANCE_NAME)
        .unwrap()
        .build()
        .expect("the single-instance name is free before the test");
    let mut incoming = zbus::blocking::MessageIterator::from(&closing);
    // Launched as a launcher does, not through WebDriver: what is tested is the process
    // waiting its turn and becoming the app (it runs itself again in the same process).
    let mut app = home.command(app_binary()).spawn().expect("the app starts");
    // The launch calls the window holding the name, which never answers; once the call has
    // come, the holder goes away (its call then fails), as a closing window does.
    let (called, met) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let call = incoming.find(|m| m.as_ref().is_ok_and(|m| m.message_type() == zbus::message::Type::MethodCall));
        drop(incoming);
        drop(closing);
        let _ = called.send(call.is_some());
    });
    let met = met.recv_timeout(LAUNCH_WAIT).unwrap_or(false);
    let tail = || std::fs::read_to_string(home.log()).unwrap_or_default();
    assert!(met, "the launch called the window holding the name: {}", tail());
    // Once the name is free the same process takes it, and its window shows; asking that
    // window to close, as its close button does, ends the app.
    let deadline = std::time::Instant::now() + LAUNCH_WAIT;
    while single_instance_owner() != Some(app.id()) || ask_window_to_close("edgecost") == 0 {
        assert!(app.try_wait().unwrap().is_none(), "the app ended instead of starting: {}", tail());
        assert!(std::time::Instant::now() < deadline, "the app did not start once the name was free: {}", tail());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    home.wait_for_app_exit().await;
    assert!(app.wait().unwrap().success(), "the app closed cleanly: {}", tail());
    assert!(tail().contains("still closing"), "the launch said it waited for the closing window: {}", tail());
}
