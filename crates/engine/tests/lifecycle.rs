//! The data lifecycle on both backends: the limits the edge enforces, and the expiry of
//! usage past its retention, which must never change a bill or an invoice.

use edgecost_api::{
    BudgetSettings, Granularity, Invoice, InvoiceQuery, Meter, RejectionReason, TelemetryRecord, UsageGrouping, UsageLogQuery, UsageQuery,
};
use edgecost_engine::retention::RetentionSettings;
use edgecost_engine::{AccountId, Engine};

mod common;
use common::*;

/// A second account (and the node) on the fixture's engine.
async fn another(f: &Fixture, name: &str, tier: &str, created: &str) -> (AccountId, String) {
    let a = f.engine.create_account(name, tier, t(created)).await.unwrap();
    (f.engine.authenticate_account(&a.token).await.unwrap(), a.account_id)
}

async fn send(f: &Fixture, id: &str, records: Vec<TelemetryRecord>, now: &str) {
    let r = f.engine.ingest(&f.node, &batch(f, id, records), t(now)).await.unwrap();
    assert!(r.receipt.rejected.is_empty(), "{:?}", r.receipt.rejected);
}

async fn node_limits_list_rate_limits_caps_and_spend_caps(db: Db) {
    let f = fixture(&db, "sandbox", "2026-11-01T00:00:00Z").await;
    let (_quiet, quiet_id) = another(&f, "Quiet", "production", "2026-11-01T00:00:00Z").await;
    let (capped, capped_id) = another(&f, "Capped", "production", "2026-11-01T00:00:00Z").await;
    let now = "2026-11-23T10:02:00Z";
    let limits = f.engine.node_limits(t(now)).await.unwrap();
    assert_eq!(limits.period_start, t("2026-11-01T00:00:00Z"));
    // The sandbox's 50 requests a second is listed before any usage; a production account
    // with nothing to enforce is not listed.
    let ids: Vec<&str> = limits.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, vec![f.account_id.as_str()]);
    assert!(!ids.contains(&quiet_id.as_str()));
    let sandbox = &limits.accounts[0];
    assert_eq!((sandbox.tier.as_str(), sandbox.requests_per_second), ("sandbox", Some(50)));
    assert!(sandbox.capped_meters.is_empty() && sandbox.spend_cap.is_none() && !sandbox.spend_capped);

    // The sandbox uses up its 50,000 requests: requests are closed, as in the ingest receipt.
    send(&f, "s-1", vec![rec(&f.account_id, "/a", "eu", "2026-11-23T10:00:00Z", 50_000, 0, 0)], now).await;
    // A $30.00 spend cap on production: listed at once, not reached.
    f.engine.set_budget(&capped, "cap", &BudgetSettings { spend_cap: Some(d("30.00")), ..Default::default() }, t(now)).await.unwrap();
    let limits = f.engine.node_limits(t(now)).await.unwrap();
    let by_id = |id: &str| limits.accounts.iter().find(|a| a.account_id == id).cloned().unwrap();
    assert_eq!(by_id(&f.account_id).capped_meters, vec![Meter::Requests]);
    let c = by_id(&capped_id);
    assert_eq!((c.requests_per_second, c.spend_cap, c.spend_capped), (None, Some(d("30.00")), false));
    assert!(c.capped_meters.is_empty());

    // $19.00 + 300,000 requests past the quota ($12.00) would pass $30.00: capped.
    send(&f, "p-1", vec![rec(&capped_id, "/a", "eu", "2026-11-23T10:00:00Z", 500_000, 0, 0)], now).await;
    let limits = f.engine.node_limits(t(now)).await.unwrap();
    let c = limits.accounts.iter().find(|a| a.account_id == capped_id).unwrap();
    assert!(c.spend_capped);
    assert_eq!(c.capped_meters, vec![Meter::Requests]);
    // The receipt of the next batch says the same.
    let b = batch(&f, "p-2", vec![rec(&capped_id, "/a", "eu", "2026-11-23T10:01:00Z", 1, 0, 0)]);
    let receipt = f.engine.ingest(&f.node, &b, t(now)).await.unwrap().receipt;
    assert_eq!((receipt.accounts[0].capped_meters.clone(), receipt.accounts[0].spend_capped), (c.capped_meters.clone(), true));

    // A new period opens every meter again; the rate limit stays.
    let limits = f.engine.node_limits(t("2026-12-01T00:00:00Z")).await.unwrap();
    let ids: Vec<(&str, usize)> = limits.accounts.iter().map(|a| (a.account_id.as_str(), a.capped_meters.len())).collect();
    let mut expected = vec![(f.account_id.as_str(), 0), (capped_id.as_str(), 0)];
    expected.sort();
    assert_eq!(ids, expected);
}

/// Every invoice of an account, oldest first, as issued.
async fn all_invoices(engine: &Engine, account: &AccountId, now: &str) -> Vec<Invoice> {
    let page = engine.invoices(account, &InvoiceQuery { cursor: None, limit: Some(100) }, t(now)).await.unwrap();
    let mut out = Vec::new();
    for s in page.invoices.iter().rev() {
        out.push(engine.invoice(account, &s.id, t(now)).await.unwrap());
    }
    out
}

async fn log_windows(engine: &Engine, account: &AccountId) -> Vec<String> {
    let page = engine.usage_log(account, &UsageLogQuery { cursor: None, limit: Some(100) }).await.unwrap();
    let mut w: Vec<String> = page.records.iter().map(|r| r.window_start.format("%Y-%m-%d").to_string()).collect();
    w.sort();
    w
}

async fn daily_requests(engine: &Engine, account: &AccountId, from: &str, to: &str) -> Vec<(String, String)> {
    let q = UsageQuery { from: t(from), to: t(to), granularity: Granularity::Day, group_by: UsageGrouping::Meter };
    let series = engine.usage(account, &q).await.unwrap();
    let requests = series.lines.iter().find(|l| l.meter == Meter::Requests);
    requests
        .map(|l| {
            l.points.iter().filter(|p| p.quantity > 0).map(|p| (p.start.format("%Y-%m-%d").to_string(), p.quantity.to_string())).collect()
        })
        .unwrap_or_default()
}

async fn expiry_removes_old_usage_and_never_changes_a_bill_or_invoice(db: Db) {
    // Two production accounts with the same usage in July, August, September and November,
    // and a sandbox account with usage on Oct 20, Nov 20 and Dec 2.
    let f = fixture(&db, "production", "2026-07-01T00:00:00Z").await;
    let (twin, twin_id) = another(&f, "Twin", "production", "2026-07-01T00:00:00Z").await;
    let (sandbox, sandbox_id) = another(&f, "Proto", "sandbox", "2026-10-01T00:00:00Z").await;
    // The job as it ran on the first of some months: on PostgreSQL it created that month's
    // partitions and the next's, ahead of their data; there was nothing to expire.
    let settings = RetentionSettings::default();
    for day in ["2026-07-01", "2026-09-01", "2026-10-01"] {
        assert_eq!(f.engine.expire_usage(&settings, t(&format!("{day}T00:00:00Z"))).await.unwrap(), Default::default());
    }
    for (i, day) in ["2026-07-10", "2026-08-10", "2026-09-10", "2026-11-10"].iter().enumerate() {
        let start = format!("{day}T10:00:00Z");
        let now = format!("{day}T10:05:00Z");
        let records = |id: &str| vec![rec(id, "/api/orders", "eu", &start, 250_000, 60_000_000_000, 1_000)];
        send(&f, &format!("p-{i}"), [records(&f.account_id), records(&twin_id)].concat(), &now).await;
    }
    for (i, day) in ["2026-10-20", "2026-11-20", "2026-12-02"].iter().enumerate() {
        let start = format!("{day}T10:00:00Z");
        send(&f, &format!("s-{i}"), vec![rec(&sandbox_id, "/", "na", &start, 1_000, 0, 0)], &format!("{day}T10:05:00Z")).await;
    }
    let now = "2026-12-06T15:30:00Z";
    // The first account's invoices and bills are read before expiry; the twin's invoices are
    // first issued after it.
    let invoices_before = all_invoices(&f.engine, &f.account, now).await;
    assert_eq!(invoices_before.len(), 5, "July to November");
    let sandbox_invoices_before = all_invoices(&f.engine, &sandbox, now).await;
    let bill_before = f.engine.bill_to_date(&f.account, t(now)).await.unwrap();
    let sandbox_bill_before = f.engine.bill_to_date(&sandbox, t(now)).await.unwrap();
    assert_eq!(log_windows(&f.engine, &f.account).await, vec!["2026-07-10", "2026-08-10", "2026-09-10", "2026-11-10"]);

    // Every batch is rolled up, so expiry sees the hours it may remove.
    f.engine.roll_up().await.unwrap();
    let report = f.engine.expire_usage(&settings, t(now)).await.unwrap();
    // Paid: raw records of periods closed over 90 days ago (July, August) go, two per account;
    // hourly usage stays 13 months. Sandbox: 30 days, so Oct 20 goes from the log and the charts.
    assert_eq!(report.records, 2 + 2 + 1, "{report:?}");
    assert_eq!(report.hourly_rows, 2, "the sandbox's Oct 20 hour, by route and in total: {report:?}");
    assert_eq!(report.batches, 2, "the batches of July and August");
    assert_eq!(log_windows(&f.engine, &f.account).await, vec!["2026-09-10", "2026-11-10"]);
    // On PostgreSQL July's and August's records went with their partitions; the rollups'
    // partitions stay (13 months). October's has the sandbox's row deleted from it. December's
    // data came before the job did, so it stays in the default partition.
    if db.url.starts_with("postgres") {
        let parts = edgecost_engine::testing::usage_partitions(&db.url).await;
        let records: Vec<&str> = parts.iter().filter(|p| p.starts_with("usage_records_p")).map(|p| p.as_str()).collect();
        assert_eq!(
            records,
            vec!["usage_records_p202609", "usage_records_p202610", "usage_records_p202611", "usage_records_p202701"],
            "no December partition: the default one already held the Dec 2 record, which stays there"
        );
        assert!(parts.contains(&"usage_hourly_p202607".to_owned()), "{parts:?}");
        assert!(parts.contains(&"usage_hourly_total_p202701".to_owned()), "{parts:?}");
    }
    assert_eq!(log_windows(&f.engine, &sandbox).await, vec!["2026-11-20", "2026-12-02"]);
    let paid_days = daily_requests(&f.engine, &f.account, "2026-07-01T00:00:00Z", "2026-12-06T00:00:00Z").await;
    assert_eq!(paid_days.len(), 4, "hourly usage of paid tiers is kept: {paid_days:?}");
    let sandbox_days = daily_requests(&f.engine, &sandbox, "2026-10-01T00:00:00Z", "2026-12-06T00:00:00Z").await;
    assert_eq!(sandbox_days, vec![("2026-11-20".into(), "1000".into()), ("2026-12-02".into(), "1000".into())]);

    // Nothing billed changed: stored invoices, invoices issued after expiry, bills to date.
    assert_eq!(all_invoices(&f.engine, &f.account, now).await, invoices_before);
    let twin_invoices = all_invoices(&f.engine, &twin, now).await;
    let totals = |v: &[Invoice]| v.iter().map(|i| (i.period_start, i.totals.clone(), i.total)).collect::<Vec<_>>();
    assert_eq!(totals(&twin_invoices), totals(&invoices_before));
    // July: $19.00 + 50,000 requests past the quota ($2.00) + 10 GB past it ($0.50).
    assert_eq!(invoices_before[0].total, d("21.50"));
    assert_eq!(all_invoices(&f.engine, &sandbox, now).await, sandbox_invoices_before);
    assert_eq!(f.engine.bill_to_date(&f.account, t(now)).await.unwrap().bill, bill_before.bill);
    assert_eq!(f.engine.bill_to_date(&sandbox, t(now)).await.unwrap().bill, sandbox_bill_before.bill);

    // A second run finds nothing; a batch claim whose records went is forgotten, and the batch
    // sent again is refused record by record as too late: nothing counts twice.
    assert_eq!(f.engine.expire_usage(&settings, t(now)).await.unwrap(), Default::default());
    let again = batch(&f, "p-0", vec![rec(&f.account_id, "/api/orders", "eu", "2026-07-10T10:00:00Z", 250_000, 60_000_000_000, 1_000)]);
    let receipt = f.engine.ingest(&f.node, &again, t(now)).await.unwrap().receipt;
    assert_eq!(receipt.accepted, 0);
    assert_eq!(receipt.rejected[0].reason, RejectionReason::PeriodClosed);
    assert_eq!(all_invoices(&f.engine, &f.account, now).await, invoices_before);
}

scenarios!(node_limits_list_rate_limits_caps_and_spend_caps, expiry_removes_old_usage_and_never_changes_a_bill_or_invoice);
