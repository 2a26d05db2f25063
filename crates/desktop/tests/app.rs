//! The app's command bodies against a real engine (a SQLite file) served over real HTTP on
//! loopback, with tokens in a real Secret Service keyring. No desktop is involved.
//!
//! Needs a session bus with gnome-keyring available:
//! `dbus-run-session -- cargo test -p edgecost-desktop`.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use common::pinned_app;
use edgecost_desktop::{ChartId, ChartRange, Door, ExportFormat, MeterLevel, TokenVault};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use edgecost_pricing::format::money;
use tempfile::TempDir;

static KEYRING: OnceLock<TempDir> = OnceLock::new();

/// Starts gnome-keyring's Secret Service on this test's session bus, unlocked.
fn keyring() {
    KEYRING.get_or_init(|| {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no session bus: run `dbus-run-session -- cargo test -p edgecost-desktop`"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--replace", "--unlock", "--components=secrets"])
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is needed (apt-get install gnome-keyring)");
        daemon.stdin.take().unwrap().write_all(b"desktop-test-password").unwrap();
        let out = daemon.wait_with_output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("GNOME_KEYRING_CONTROL"), "the keyring did not start");
        dir
    });
}

/// A vault of its own per test, so parallel tests never see each other's tokens.
fn vault(name: &str) -> TokenVault {
    TokenVault::with_service(&format!("edgecost-test-{name}-{}", std::process::id()))
}

struct Served {
    _dir: TempDir,
    server: edgecost_server::RunningServer,
    url: String,
    token: String,
    /// The served engine, as the operator's tools reach it.
    engine: Engine,
    account_id: String,
}

async fn serve_demo_account(now: DateTime<Utc>) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&Engine::sqlite_url(&dir.path().join("engine.db")), PriceBook::published().clone()).await.unwrap();
    let demo = edgecost_engine::seed_demo(&engine, now).await.unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = common::serve_at(engine.clone(), addr, now).await;
    Served { url: server.url(), _dir: dir, server, token: demo.token, engine, account_id: demo.account_id }
}

/// `$1,234.50` as a decimal.
fn dollars(shown: &str) -> edgecost_pricing::Decimal {
    shown.trim_start_matches('$').replace(',', "").parse().unwrap()
}

fn files_containing(root: &Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes()) {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn connect_checks_the_token_keeps_it_in_the_keyring_and_restores_it_after_a_restart() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let engine_bill = edgecost_client::Client::new(&served.url, &served.token).unwrap().bill().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let vault = vault("connect");
    let app = pinned_app(data.path(), vault.clone(), now);

    // A wrong token is refused by the server and nothing is stored.
    let err = app.connect(&served.url, "ec_wrong_token", now).await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(vault.load(&served.url).unwrap(), None);
    assert!(app.startup().await.door.is_none());

    // The right token: the dashboard shows the engine's bill to the cent.
    let view = app.connect(&format!("{}/", served.url), &served.token, now).await.unwrap();
    assert_eq!(view.door, Door::Account);
    assert_eq!(view.bill_to_date.total, money(engine_bill.bill.total));
    assert_eq!(view.projected.bill.total, money(engine_bill.projected.total));
    assert_eq!(view.projected.bill.cost, money(engine_bill.projected_cost));
    assert_eq!(view.projected.basis, engine_bill.basis.explanation);
    // The outlook is the engine's: the median and the 90th percentile of one simulation.
    let outlook = edgecost_client::Client::new(&served.url, &served.token).unwrap().outlook().await.unwrap();
    let engine_outlook = outlook.outlook.expect("an outlook from 28 days of demo usage");
    let p50 = view.outlook.p50.as_ref().expect("a P50 from 28 days of demo usage");
    let p90 = view.outlook.p90.as_ref().expect("a P90 from 28 days of demo usage");
    assert_eq!(p50.cost, money(engine_outlook.p50.cost));
    assert_eq!(p90.cost, money(engine_outlook.p90.cost));
    assert!(dollars(&p90.cost) >= dollars(&p50.cost), "P90 {} below P50 {}", p90.cost, p50.cost);
    assert!(view.outlook.basis.contains("last 28 days"), "{}", view.outlook.basis);
    assert_eq!(vault.load(&served.url).unwrap().as_deref(), Some(served.token.as_str()));
    assert!(files_containing(data.path(), &served.token).is_empty(), "the token reached a file");

    // A restart opens on the cached dashboard and is still signed in.
    drop(app);
    let app = pinned_app(data.path(), vault.clone(), now);
    let startup = app.startup().await;
    assert_eq!(startup.door, Some(Door::Account));
    assert_eq!(startup.dashboard.unwrap().bill_to_date.total, money(engine_bill.bill.total));
    let synced = app.sync(now).await.unwrap();
    assert!(!synced.sync.offline);

    // Sign-out removes the token, the session and the cached data; only the server URL stays,
    // for the sign-in form.
    app.sign_out().await.unwrap();
    assert_eq!(vault.load(&served.url).unwrap(), None);
    let left: Vec<_> = std::fs::read_dir(data.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["server.json"], "only the remembered server URL is left after sign-out");
    assert!(files_containing(data.path(), &served.token).is_empty(), "the token reached a file");
    assert_eq!(app.last_server_url().as_deref(), Some(served.url.as_str()));
    let startup = pinned_app(data.path(), vault, now).startup().await;
    assert!(startup.door.is_none());
    assert_eq!(startup.server_url.as_deref(), Some(served.url.as_str()));
    served.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_the_server_the_cached_dashboard_shows_offline_with_its_sync_time() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let data = tempfile::tempdir().unwrap();
    let vault = vault("offline");
    let app = pinned_app(data.path(), vault.clone(), now);
    let online = app.connect(&served.url, &served.token, now).await.unwrap();
    served.server.shutdown().await.unwrap();

    let later = now + chrono::Duration::minutes(5);
    let offline = app.sync(later).await.unwrap();
    assert!(offline.sync.offline);
    assert_eq!(offline.sync.error_code.as_deref(), Some("network"));
    assert_eq!(offline.sync.synced_at, online.sync.synced_at, "the time shown is the last good sync");
    assert_eq!(offline.bill_to_date, online.bill_to_date);

    // Opening the app offline shows the cache at once.
    let reopened = pinned_app(data.path(), vault.clone(), now).startup().await;
    assert_eq!(reopened.dashboard.unwrap().bill_to_date, online.bill_to_date);

    // A cache written by an older version, whose cost by route lacks the base fee and cost of
    // each period, still opens offline: only the part it cannot read waits for the next sync.
    let cache = data.path().join("snapshot.json");
    let mut old: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    for period in old["route_costs"]["periods"].as_array_mut().expect("the cache holds cost by route") {
        let period = period.as_object_mut().unwrap();
        for field in ["base_fee", "cost", "projected_cost"] {
            period.remove(field);
        }
    }
    std::fs::write(&cache, serde_json::to_vec(&old).unwrap()).unwrap();
    let reopened = pinned_app(data.path(), vault.clone(), now).startup().await;
    assert_eq!(reopened.dashboard.expect("the older cache opens").bill_to_date, online.bill_to_date);
    vault.delete(&served.url).unwrap();
}

#[tokio::test]
async fn the_demo_runs_the_engine_in_process_and_charts_export_to_files() {
    let now = common::now();
    let data = tempfile::tempdir().unwrap();
    // The demo never touches the keyring: it works where none is installed.
    let app = pinned_app(data.path(), vault("demo-unused"), now);
    let view = app.start_demo(now).await.unwrap();
    assert_eq!(view.door, Door::Demo);
    assert!(data.path().join(edgecost_desktop::DEMO_DATABASE).exists());
    let requests = view.meters.iter().find(|m| m.meter == "requests").unwrap();
    assert_eq!(requests.level, MeterLevel::Warning, "the demo sits just past 80% of its request quota");
    assert!((80..100).contains(&requests.percent.unwrap()), "{:?}", requests.percent);
    assert!(!view.notices.is_empty(), "the 80% notice shows");
    // The bill shown is the one the in-process engine answers over HTTP, to the cent.
    let served_bill = app.connection().await.unwrap().client().bill().await.unwrap();
    assert_eq!(view.bill_to_date.total, money(served_bill.bill.total));
    assert!(!view.regions.is_empty() && !view.routes.is_empty());

    let mut themes = Vec::new();
    for dark in [false, true] {
        let svg = app.chart_svg(ChartId::Requests, dark, 960).await.unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "one whole SVG document");
        // The period's usage chart carries the busy case beside the run rate.
        assert!(svg.contains("Projected to period end") && svg.contains("P90, busy case"), "both projections drawn");
        themes.push(svg);
    }
    assert_ne!(themes[0], themes[1], "the dark chart is drawn in the dark theme");
    // Every chart is drawn at the width the UI shows it, between the narrowest and widest a
    // chart is drawn (480 and 1,600 px), so that it is shown unscaled and its text keeps its
    // size: the chart column of an 880 x 600 window is about 780 px wide.
    for id in ChartId::ALL {
        for (shown_px, drawn_px) in [(780, 780.0), (1_100, 1_100.0), (200, 480.0), (5_000, 1_600.0)] {
            let svg = app.chart_svg(id, true, shown_px).await.unwrap();
            let edgecost_charts::SvgSize { width_px: width, font_sizes_px: sizes } = edgecost_charts::svg_size(&svg).unwrap();
            assert_eq!(width, drawn_px, "{id:?} shown {shown_px} px wide");
            if f64::from(shown_px) >= width {
                assert!(!sizes.is_empty() && sizes.iter().all(|px| *px >= 11.0), "{id:?} at {shown_px}: {sizes:?}");
            }
        }
    }
    // The breakdown charts name every region and route the dashboard lists.
    let regions = app.chart_svg(ChartId::Regions, false, 960).await.unwrap();
    let routes = app.chart_svg(ChartId::Routes, false, 960).await.unwrap();
    for (svg, names) in [
        (&regions, view.regions.iter().map(|r| r.region.as_str()).collect::<Vec<_>>()),
        (&routes, view.routes.iter().map(|r| r.route.as_str()).collect()),
    ] {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "one whole SVG document");
        for name in names {
            assert!(svg.contains(name), "{name} is drawn");
        }
    }
    // Routes carry overage only: the chart says so, and gives each period's base fee and
    // whole cost as the engine's bills have them (a tier change never reads as a saving).
    let report = app
        .connection()
        .await
        .unwrap()
        .client()
        .route_costs(&edgecost_api::RouteCostQuery { from: now - chrono::Duration::days(32), to: now })
        .await
        .unwrap();
    let open = report.periods.iter().find(|p| !p.closed).unwrap();
    let before = report.periods.iter().rev().find(|p| p.closed).unwrap();
    assert!(routes.contains("Overage by route") && routes.contains(edgecost_charts::BASE_FEE_NOTE), "{routes:.400}");
    let bill_of = |base: edgecost_pricing::Decimal, overage: edgecost_pricing::Decimal, cost: edgecost_pricing::Decimal| {
        format!("base fee {} + overage {} = {}", money(base), money(overage), money(cost))
    };
    assert!(routes.contains(&bill_of(open.base_fee, open.projected_overage.unwrap(), open.projected_cost.unwrap())), "{routes}");
    assert!(routes.contains(&bill_of(before.base_fee, before.overage, before.cost)), "{routes}");
    let out = tempfile::tempdir().unwrap();
    let regions_csv = out.path().join("regions.csv");
    app.export_chart(ChartId::Regions, ExportFormat::Csv, false, &regions_csv).await.unwrap();
    let regions_text = std::fs::read_to_string(&regions_csv).unwrap();
    assert!(regions_text.starts_with("region,") && regions_text.contains("eu"), "{regions_text:.80}");
    let png = out.path().join("chart.png");
    app.export_chart(ChartId::Egress, ExportFormat::Png, false, &png).await.unwrap();
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    let csv = out.path().join("chart.csv");
    app.export_chart(ChartId::Requests, ExportFormat::Csv, false, &csv).await.unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().count() > 2 && text.starts_with("kind,"), "CSV with a header and rows: {text:.80}");
    assert!(text.lines().any(|l| l.starts_with("projected_p90,")), "the busy case is exported too");

    // A narrower range at hourly granularity re-reads the engine; by day or by hour, the
    // same 7 days add up to the same usage (the partial first day is kept).
    let mut sums = Vec::new();
    for granularity in [edgecost_api::Granularity::Day, edgecost_api::Granularity::Hour] {
        let week = app.set_range(ChartRange::Days7, granularity, now).await.unwrap();
        assert_eq!(week.range, ChartRange::Days7);
        for id in [ChartId::Requests, ChartId::Egress] {
            app.export_chart(id, ExportFormat::Csv, false, &csv).await.unwrap();
            let text = std::fs::read_to_string(&csv).unwrap();
            let sum: edgecost_pricing::Decimal = text
                .lines()
                .filter(|l| l.starts_with("measured,"))
                .map(|l| l.split(',').nth(3).unwrap().parse::<edgecost_pricing::Decimal>().unwrap())
                .sum();
            sums.push((id, granularity, sum));
        }
    }
    assert!(sums[0].2 > edgecost_pricing::Decimal::ZERO, "{sums:?}");
    // The demo has 100 days of usage: the 7 days before the last 7 hold usage throughout, so
    // the route table compares like with like and says nothing more.
    let week = app.set_range(ChartRange::Days7, edgecost_api::Granularity::Day, now).await.unwrap();
    assert_eq!(week.routes_note, None);
    // The 90 days before the last 90 hold only the demo's first 10 days: the table says its
    // earlier span has usage from that day only, rather than show every route growing.
    let quarter = app.set_range(ChartRange::Days90, edgecost_api::Granularity::Day, now).await.unwrap();
    let first_day = (now - chrono::Duration::days(100)).format("%b %-d").to_string();
    let note = quarter.routes_note.expect("a note on the partial span before");
    assert!(note.contains(&format!("has usage from {first_day} only")), "{note}");
    assert_eq!((sums[0].2, sums[1].2), (sums[2].2, sums[3].2), "day and hour totals of one range: {sums:?}");
    assert!(app.chart_svg(ChartId::Compute, false, 960).await.unwrap().contains("<svg"));

    // Leaving the demo stops the engine and forgets the session.
    app.sign_out().await.unwrap();
    assert!(app.startup().await.door.is_none());
}

#[tokio::test]
async fn invoices_list_newest_first_export_and_show_offline_as_last_fetched() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let data = tempfile::tempdir().unwrap();
    let vault = vault("invoices");
    let app = pinned_app(data.path(), vault.clone(), now);
    app.connect(&served.url, &served.token, now).await.unwrap();

    // The demo's closed months, newest first, each as the engine issued it.
    let list = app.invoices(now).await.unwrap();
    assert!(list.rows.len() >= 3, "{} invoices", list.rows.len());
    assert!(!list.offline);
    let numbers: Vec<&str> = list.rows.iter().map(|r| r.number.as_str()).collect();
    let mut sorted = numbers.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(numbers, sorted);
    let engine_page = edgecost_client::Client::new(&served.url, &served.token).unwrap().invoices(&Default::default()).await.unwrap();
    assert_eq!(list.rows[0].total, money(engine_page.invoices[0].total));
    let newest = app.invoice(&list.rows[0].id).await.unwrap();
    assert_eq!(newest.lines.last().unwrap().amount, list.rows[0].total);
    // The demo's customer paid every invoice a few days after its month but the newest.
    assert_eq!(
        (list.rows[0].status.as_str(), list.rows[0].status_label.as_str(), list.rows[0].status_dated.as_str()),
        ("due", "Due", "Due")
    );
    for (row, engine_row) in list.rows.iter().zip(&engine_page.invoices).skip(1) {
        let paid_on = engine_row.paid_at.unwrap().format("%b %-d").to_string();
        assert_eq!((row.status.as_str(), row.status_label.clone()), ("paid", format!("Paid {paid_on}")), "{}", row.number);
        // Exports name the year too, and the days the period covers, its last one included.
        let year = engine_row.paid_at.unwrap().format("%Y");
        assert_eq!(row.status_dated, format!("Paid {paid_on}, {year}"), "{}", row.number);
        let last_day = engine_row.period_end - chrono::Duration::days(1);
        assert_eq!(
            row.period_days,
            format!("{} - {}", engine_row.period_start.format("%b %-d"), last_day.format("%b %-d, %Y")),
            "{}",
            row.number
        );
        assert_eq!(row.amount_paid, row.total);
    }

    // The charts open on the invoice's period.
    let from: DateTime<Utc> = newest.row.period_start.parse().unwrap();
    let to: DateTime<Utc> = newest.row.period_end.parse().unwrap();
    let view = app.set_range(ChartRange::Between { from, to }, edgecost_api::Granularity::Day, now).await.unwrap();
    assert_eq!(view.range, ChartRange::Between { from, to });
    assert!(app.chart_svg(ChartId::Requests, false, 960).await.unwrap().contains("<svg"));

    let pdf = data.path().join("invoice.pdf");
    app.export_invoice(&list.rows[0].id, edgecost_desktop::InvoiceFormat::Pdf, &pdf).await.unwrap();
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    // Offline: the list as last fetched, marked offline; an opened invoice still shows whole.
    served.server.shutdown().await.unwrap();
    let offline = app.invoices(now + chrono::Duration::minutes(5)).await.unwrap();
    assert!(offline.offline);
    assert_eq!(offline.fetched_at, list.fetched_at, "the time shown is the last good fetch");
    assert_eq!(offline.rows, list.rows);
    assert_eq!(app.invoice(&list.rows[0].id).await.unwrap(), newest);
    vault.delete(&served.url).unwrap();
}

#[tokio::test]
async fn a_payment_recorded_after_an_invoice_was_opened_shows_in_the_list_and_the_invoice() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let data = tempfile::tempdir().unwrap();
    let vault = vault("invoice-payments");
    let app = pinned_app(data.path(), vault.clone(), now);
    app.connect(&served.url, &served.token, now).await.unwrap();
    let list = app.invoices(now).await.unwrap();
    let newest = &list.rows[0];
    let opened = app.invoice(&newest.id).await.unwrap();
    assert_eq!((opened.row.status_label.as_str(), opened.payments.len()), ("Due", 0));

    // The operator records part of it; the list and the invoice, opened before, show it.
    let request = edgecost_api::PaymentRequest {
        amount: "20.00".parse().unwrap(),
        currency: None,
        reference: "ch_demo_1".into(),
        received_at: Some(now - chrono::Duration::hours(2)),
    };
    served.engine.record_payment(&served.account_id, &newest.id, &request, now).await.unwrap();
    let list = app.invoices(now).await.unwrap();
    assert_eq!(list.rows[0].status, "partly_paid");
    assert_eq!(list.rows[0].status_label, format!("Partly paid ($20.00 of {})", newest.total));
    let detail = app.invoice(&newest.id).await.unwrap();
    assert_eq!(detail.row, list.rows[0]);
    assert_eq!(detail.payments.iter().map(|p| (p.reference.as_str(), p.amount.as_str())).collect::<Vec<_>>(), [("ch_demo_1", "$20.00")]);
    let csv = data.path().join("invoice.csv");
    app.export_invoice(&newest.id, edgecost_desktop::InvoiceFormat::Csv, &csv).await.unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",status"), "{text}");
    assert!(text.contains(&format!("Partly paid ($20.00 of {})", newest.total)), "{text}");
    vault.delete(&served.url).unwrap();
}

#[tokio::test]
async fn an_account_billed_in_euros_reads_in_euros_on_the_dashboard_banner_invoices_and_billing_page() {
    keyring();
    let now = common::now();
    let dir = tempfile::tempdir().unwrap();
    let book = PriceBook { currency: "EUR".into(), ..PriceBook::published().clone() };
    let engine = Engine::open(&Engine::sqlite_url(&dir.path().join("engine.db")), book).await.unwrap();
    let demo = edgecost_engine::seed_demo(&engine, now).await.unwrap();
    let server = common::serve_at(engine, "127.0.0.1:0".parse().unwrap(), now).await;
    let url = server.url();
    let data = tempfile::tempdir().unwrap();
    let vault = vault("euros");
    let app = pinned_app(data.path(), vault.clone(), now);
    let euros = |amount: edgecost_pricing::Decimal| edgecost_pricing::format::money_in(amount, "EUR");

    let view = app.connect(&server.url(), &demo.token, now).await.unwrap();
    let engine_bill = edgecost_client::Client::new(&server.url(), &demo.token).unwrap().bill().await.unwrap();
    assert_eq!(view.bill_to_date.total, euros(engine_bill.bill.total));
    assert!(view.credit_balance.starts_with('€'), "{}", view.credit_balance);
    let banner = edgecost_desktop::actions::banner(&app).await.unwrap().expect("the demo sits past 80%");
    assert!(banner.lines[0].detail.contains("projected to cost €"), "{}", banner.lines[0].detail);
    let hint = banner.upgrade_hint.expect("an upgrade is offered");
    assert!(hint.contains("projected €") && !hint.contains('$'), "{hint}");

    // Invoices are written in the account's currency, in the list and line by line.
    let list = app.invoices(now).await.unwrap();
    let engine_page = edgecost_client::Client::new(&server.url(), &demo.token).unwrap().invoices(&Default::default()).await.unwrap();
    assert_eq!(list.rows[0].total, euros(engine_page.invoices[0].total));
    let detail = app.invoice(&list.rows[0].id).await.unwrap();
    assert!(detail.lines.iter().all(|l| !l.amount.contains('$')), "{:?}", detail.lines);
    assert!(detail.lines.iter().any(|l| l.amount.starts_with('€')), "{:?}", detail.lines);

    // Offline, the billing page is drawn from the last sync, in euros too.
    server.shutdown().await.unwrap();
    let mut page = edgecost_desktop::actions::plan_billing(&app).await.unwrap();
    // A tier's purpose is the book's own text, written for the published book's dollars.
    page.tiers.iter_mut().for_each(|t| t.purpose = None);
    let shown = serde_json::to_string(&page).unwrap();
    assert!(shown.contains('€') && !shown.contains('$'), "{shown}");
    vault.delete(&url).unwrap();
}

#[tokio::test]
async fn a_token_rejected_mid_session_keeps_the_figures_blocks_money_actions_and_a_new_token_mends_it() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let data = tempfile::tempdir().unwrap();
    let vault = vault("rejected");
    let app = pinned_app(data.path(), vault.clone(), now);
    let online = app.connect(&served.url, &served.token, now).await.unwrap();
    assert!(!online.sync.token_rejected);
    edgecost_desktop::actions::open_credits(&app).await.expect("money actions are open while the token is good");

    // The same address now answers with an engine that does not know the token (as after the
    // token was revoked): the next sync says so and keeps the last figures.
    let addr: SocketAddr = served.url.trim_start_matches("http://").parse().unwrap();
    served.server.shutdown().await.unwrap();
    let other = tempfile::tempdir().unwrap();
    let engine = Engine::open(&Engine::sqlite_url(&other.path().join("engine.db")), PriceBook::published().clone()).await.unwrap();
    let account = engine.create_account("Acme Shop", "production", now).await.unwrap();
    let later = now + chrono::Duration::minutes(3);
    let server = common::serve_at(engine, addr, later).await;
    let rejected = app.sync(later).await.expect("the cached figures, marked, rather than an error");
    assert!(rejected.sync.token_rejected);
    assert!(!rejected.sync.offline);
    assert_eq!(rejected.sync.error_code.as_deref(), Some("unauthorized"));
    assert_eq!(rejected.sync.synced_at, online.sync.synced_at, "the time shown is the last good sync");
    assert_eq!(rejected.bill_to_date, online.bill_to_date);
    assert!(app.dashboard().await.unwrap().sync.token_rejected, "the state stays until a new token is in");

    // Money actions are refused before anything is sent, saying nothing was charged.
    let refused = edgecost_desktop::actions::open_credits(&app).await.unwrap_err();
    assert_eq!((refused.kind, refused.charged), (edgecost_desktop::FailureKind::SignedOut, edgecost_desktop::Charged::No));
    assert!(refused.message.contains("Enter a new token"), "{}", refused.message);
    assert_eq!(app.connection().await.unwrap_err().code(), "unauthorized");

    // A new token for the same server: the dashboard is live again and actions open.
    let mended = app.connect(&served.url, &account.token, later).await.unwrap();
    assert!(!mended.sync.token_rejected && mended.sync.error_code.is_none());
    assert_eq!(mended.account_name, "Acme Shop");
    edgecost_desktop::actions::open_credits(&app).await.expect("money actions open again");
    assert_eq!(vault.load(&served.url).unwrap().as_deref(), Some(account.token.as_str()));
    vault.delete(&served.url).unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_typed_server_address_is_normalized_and_a_wrong_path_says_no_server_is_there() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let data = tempfile::tempdir().unwrap();
    let vault = vault("typed-url");
    let app = pinned_app(data.path(), vault.clone(), now);

    // A path that is not an edgecost server's: its 404 says so, and nothing is stored.
    let err = app.connect(&format!("{}/billing", served.url), &served.token, now).await.unwrap_err();
    assert_eq!(err.code(), "no_server", "{err}");
    assert!(app.last_server_url().is_none());

    // No scheme on a loopback address, and the API version on the end: both normalized.
    let typed = format!("{}/v1/", served.url.trim_start_matches("http://"));
    let view = app.connect(&typed, &served.token, now).await.unwrap();
    assert_eq!(view.server_url, served.url);
    assert_eq!(app.last_server_url().as_deref(), Some(served.url.as_str()));
    assert_eq!(vault.load(&served.url).unwrap().as_deref(), Some(served.token.as_str()));
    vault.delete(&served.url).unwrap();
    served.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn offline_the_plan_page_shows_the_published_terms_and_the_last_sync() {
    keyring();
    let now = common::now();
    let served = serve_demo_account(now).await;
    let data = tempfile::tempdir().unwrap();
    let app = pinned_app(data.path(), vault("plan-offline"), now);
    app.connect(&served.url, &served.token, now).await.unwrap();
    let online = edgecost_desktop::actions::plan_billing(&app).await.unwrap();
    assert_eq!(online.offline, None);
    served.server.shutdown().await.unwrap();

    let page = edgecost_desktop::actions::plan_billing(&app).await.unwrap();
    assert!(page.offline.as_deref().unwrap().starts_with("The server could not be reached."), "{:?}", page.offline);
    assert_eq!((page.current_tier.as_str(), page.credit_balance.as_str()), (online.current_tier.as_str(), online.credit_balance.as_str()));
    assert_eq!(page.ledger, None);
    assert!(page.tiers.iter().all(|t| t.projected.is_none()), "no figure the server has not priced");
    let names = |p: &edgecost_desktop::PlanBillingView| p.tiers.iter().map(|t| (t.tier.clone(), t.base_fee.clone())).collect::<Vec<_>>();
    assert_eq!(names(&page), names(&online), "the published terms are the same offline");
    app.sign_out().await.unwrap();
}

/// The sign-in form takes an operator token too: it opens the operator's dashboard, the token
/// lives in the keyring only, a restart goes back to it, and signing out removes it. An
/// account token through the same form opens the account's dashboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_token_opens_the_operators_dashboard_and_lives_in_the_keyring_only() {
    keyring();
    let now = common::now();
    let served = tempfile::tempdir().unwrap();
    let engine =
        Engine::open(&Engine::sqlite_url(&served.path().join("engine.db")), edgecost_engine::demo_price_book().unwrap()).await.unwrap();
    let operator = edgecost_engine::seed_demo_fleet(&engine, now).await.unwrap();
    let account = engine.create_account("Acme", "production", now).await.unwrap();
    let server = common::serve_at(engine, "127.0.0.1:0".parse().unwrap(), now).await;

    let data = tempfile::tempdir().unwrap();
    let app = pinned_app(data.path(), vault("operator"), now);
    let wrong = format!("ec_oper_{}", "0".repeat(64));
    assert_eq!(app.sign_in(&server.url(), &wrong, now).await.unwrap_err().code(), "unauthorized");
    assert_eq!(app.startup().await.door, None, "nothing is kept after a refused token");

    let edgecost_desktop::Opened::Operator { operator: view } = app.sign_in(&server.url(), &operator, now).await.unwrap() else {
        panic!("an operator token opens the operator's dashboard");
    };
    assert_eq!(view.door, Door::Operator);
    assert!(view.margin.as_ref().is_some_and(|m| m.flagged > 0), "the server's book prices margin");
    assert!(files_containing(data.path(), &operator).is_empty(), "the token is in no file");

    let again = pinned_app(data.path(), vault("operator"), now);
    let startup = again.startup().await;
    assert_eq!((startup.door, startup.dashboard.is_none()), (Some(Door::Operator), true));
    assert_eq!(again.operator_view().await.unwrap().headline, view.headline);
    again.sign_out().await.unwrap();
    assert_eq!(pinned_app(data.path(), vault("operator"), now).startup().await.door, None);
    assert_eq!(vault("operator").load(&server.url()).unwrap(), None, "signing out removes the token");

    let other = tempfile::tempdir().unwrap();
    let app = pinned_app(other.path(), vault("operator-account"), now);
    let opened = app.sign_in(&server.url(), &account.token, now).await.unwrap();
    assert!(matches!(opened, edgecost_desktop::Opened::Account { .. }), "{opened:?}");
    app.sign_out().await.unwrap();
    server.shutdown().await.unwrap();
}
