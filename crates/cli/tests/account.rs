//! `edgecost account` as a real process against a real engine served on loopback: the demo
//! account's bill, usage, credit and invoices read with its token, as the API answers them.

mod support;

use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use edgecost_api::{BillToDate, Invoice, InvoiceQuery, UsageGrouping, UsageQuery, UsageSeries};
use edgecost_client::Client;
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use edgecost_pricing::format::money_in;
use edgecost_server::{Clock, RunningServer};

use support::BIN;

/// Mid-period, so the period has usage behind it and days ahead, and the demo's 100 days
/// hold three closed periods with invoices.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// The demo account on an engine served on loopback, its clock pinned at [`now`].
struct Demo {
    rt: tokio::runtime::Runtime,
    /// `127.0.0.1:PORT`.
    addr: String,
    token: String,
    _server: RunningServer,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn client(&self) -> Client {
        Client::new(&self.addr, &self.token).unwrap()
    }
}

/// One served demo for every test of this file: seeding 100 days of telemetry is the slow part.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = Engine::sqlite_url(&dir.path().join("engine.db"));
        let (server, token) = rt.block_on(async {
            let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
            let demo = edgecost_engine::seed_demo(&engine, now()).await.unwrap();
            let server = edgecost_server::spawn_with_clock(engine, "127.0.0.1:0".parse().unwrap(), Clock::manual(now())).await.unwrap();
            (server, demo.token)
        });
        let addr = server.url().trim_start_matches("http://").to_owned();
        Demo { rt, addr, token, _server: server, _dir: dir }
    })
}

/// `edgecost account ARGS` against `server` with `token` in EDGECOST_TOKEN (none when `None`).
fn account_with(server: &str, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("account").args(args).env("EDGECOST_SERVER", server).env_remove("EDGECOST_TOKEN");
    if let Some(token) = token {
        cmd.env("EDGECOST_TOKEN", token);
    }
    cmd.output().unwrap()
}

/// `edgecost account ARGS` as the demo account, expected to succeed; its standard output.
fn account(args: &[&str]) -> String {
    let d = demo();
    let out = account_with(&d.addr, Some(&d.token), args);
    assert!(out.status.success(), "edgecost account {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bill_json_is_the_engines_answer_and_the_text_shows_its_figures() {
    let d = demo();
    let api = d.rt.block_on(d.client().bill()).unwrap();
    let printed = account(&["bill", "--json"]);
    let cli: BillToDate = serde_json::from_str(&printed).unwrap();
    assert_eq!(cli, api);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&printed).unwrap(), serde_json::to_value(&api).unwrap());

    let text = account(&["bill"]);
    let money = |amount| money_in(amount, &api.bill.currency);
    assert!(text.starts_with("Production tier, Nov 1–Nov 30 2026 (day 23 of 30, 7 days left), USD\n"), "{text}");
    let total_row = text.lines().find(|l| l.starts_with("Total ")).unwrap_or_else(|| panic!("no total row in\n{text}"));
    assert!(total_row.ends_with(&money(api.bill.total)), "{total_row}");
    for line in &api.bill.base_fee_lines {
        assert!(text.contains(&line.explanation), "{} missing from\n{text}", line.explanation);
    }
    for line in &api.bill.lines {
        assert!(text.contains(&line.explanation), "{} missing from\n{text}", line.explanation);
    }
    assert!(text.contains(&format!("Projected cost: {}", money(api.projected_cost))), "{text}");
    assert!(text.contains(&format!("Basis: {}", api.basis.explanation)), "{text}");
    assert!(!text.contains(&d.token));
}

#[test]
fn usage_by_route_lists_the_demos_routes_over_this_period() {
    let d = demo();
    let series: UsageSeries = serde_json::from_str(&account(&["usage", "--by", "route", "--json"])).unwrap();
    // This period by default, as the engine counts it.
    assert_eq!(series.from, Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
    assert_eq!(series.to, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    assert_eq!(series.group_by, UsageGrouping::Route);
    let query = UsageQuery { from: series.from, to: series.to, granularity: series.granularity, group_by: UsageGrouping::Route };
    assert_eq!(d.rt.block_on(d.client().usage(&query)).unwrap(), series);

    let text = account(&["usage", "--by", "route"]);
    assert!(text.starts_with("Usage by route per day, Nov 1–Nov 30 2026\n"), "{text}");
    let mut routes: Vec<&str> = series.lines.iter().map(|l| l.key.as_str()).collect();
    routes.dedup();
    assert_eq!(routes, ["/api/orders", "/api/search", "/api/users", "/static/assets"]);
    for route in routes {
        assert!(text.contains(&format!("2026-11-23  {route}")), "{route} on Nov 23 missing from\n{text}");
        assert!(text.lines().any(|l| l.starts_with("Total") && l.contains(route)), "{route}'s total missing from\n{text}");
    }
    // The requests of the span add up to the bill's.
    let bill = d.rt.block_on(d.client().bill()).unwrap();
    let requests = edgecost_pricing::format::quantity(bill.totals.requests.into());
    let all = text.lines().find(|l| l.contains("all routes")).unwrap();
    assert!(all.contains(&format!(" {requests} ")), "{all} vs {requests}");

    // By meter per hour over one day given as a date: 24 hours and the total.
    let text = account(&["usage", "--granularity", "hour", "--from", "2026-11-22", "--to", "2026-11-22"]);
    assert!(text.starts_with("Usage by meter per hour, Nov 22 2026\n"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("2026-11-22 ")).count(), 24, "{text}");
}

#[test]
fn invoices_list_the_apis_numbers_and_one_invoice_shows_its_lines() {
    let d = demo();
    let page = d.rt.block_on(d.client().invoices(&InvoiceQuery::default())).unwrap();
    let numbers: Vec<&str> = page.invoices.iter().map(|i| i.number.as_str()).collect();
    assert!(numbers.len() >= 3, "{numbers:?}");

    let text = account(&["invoices"]);
    let listed: Vec<&str> = text.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(listed, numbers, "{text}");

    let newest = &page.invoices[0];
    let invoice: Invoice = d.rt.block_on(d.client().invoice(&newest.id)).unwrap();
    let text = account(&["invoice", &newest.number]);
    assert!(text.starts_with(&format!("Invoice {} ({})\nPeriod Oct 1–Oct 31 2026", newest.number, newest.id)), "{text}");
    for line in &invoice.bill.lines {
        assert!(text.contains(&line.explanation), "{} missing from\n{text}", line.explanation);
    }
    assert!(text.contains(&format!("due {}", money_in(invoice.total, &invoice.bill.currency))), "{text}");
    // By the number's digits alone, and by id, as JSON: the API's invoice.
    let by_digits = account(&["invoice", newest.number.trim_start_matches("INV-").trim_start_matches('0')]);
    assert_eq!(by_digits, text);
    let json: Invoice = serde_json::from_str(&account(&["invoice", &newest.id, "--json"])).unwrap();
    assert_eq!(json, invoice);

    for unknown in ["INV-09999", "inv_00000000000000000000"] {
        let out = account_with(&d.addr, Some(&d.token), &["invoice", unknown]);
        assert_eq!(out.status.code(), Some(2), "{unknown}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("there is no invoice {unknown}")), "{}", stderr(&out));
    }
}

#[test]
fn credits_show_the_balance_with_a_token_from_a_file() {
    let d = demo();
    let ledger = d.rt.block_on(d.client().credits()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{}\n", d.token)).unwrap();
    let out = account_with(&d.addr, None, &["credits", "--token-file", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("Burst credit balance: {}\n", money_in(ledger.balance, "USD"))), "{text}");
    let json: serde_json::Value = serde_json::from_str(&account(&["credits", "--json"])).unwrap();
    assert_eq!(json, serde_json::to_value(&ledger).unwrap());
}

#[test]
fn a_wrong_token_exits_1_naming_the_rejection_without_printing_the_token() {
    let d = demo();
    let wrong = "ec_acct_0000000000000000000000000000000000000000000000000000000000000000";
    let out = account_with(&d.addr, Some(wrong), &["bill"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("refused the account token"), "{err}");
    assert!(err.contains(&d.addr), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains(wrong) && !err.contains("0000000000"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_token_exits_2_saying_how_to_give_one() {
    let d = demo();
    let out = account_with(&d.addr, None, &["bill"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no account token") && err.contains("EDGECOST_TOKEN") && err.contains("--token-file"), "{err}");

    // A bad flag is the user's mistake too.
    let out = account_with(&d.addr, Some(&d.token), &["usage", "--by", "node"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = account_with(&d.addr, Some(&d.token), &["usage", "--from", "2026-11-20", "--to", "2026-11-10"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("must be before --to"), "{}", stderr(&out));
}

#[test]
fn a_server_that_is_down_exits_1_naming_its_address() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let out = account_with(&addr, Some("ec_acct_secret"), &["invoices"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("could not reach the server at http://{addr}")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("ec_acct_secret"), "{err}");
}
