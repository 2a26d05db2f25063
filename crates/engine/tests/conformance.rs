//! One conformance story, run against SQLite and against a throwaway PostgreSQL server.
//!
//! Each scenario is a plain async function over a fresh database; the macro at the bottom
//! instantiates every scenario once per backend.
//!
//! One file past 500 lines on purpose: it is one list of short stories, grouped by area under
//! the dashed headings, and the `scenarios!` list that runs each of them on both backends must
//! name every one. Split across files, that list would live apart from the stories it runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{
    AccountAlert, AlertKind, AutoTopUpSettings, BudgetSettings, CreditPurchaseRequest, ForecastBasis, Granularity, InvoiceQuery,
    InvoiceStatus, LedgerEntryKind, Meter, PaymentRequest, RejectionReason, TelemetryRecord, UsageGrouping, UsageLogQuery, UsageQuery,
};
use edgecost_engine::{AccountId, Engine, EngineError, NodeId, PointsIngested, SeriesPoint, Temporality};
use edgecost_pricing::{BaseFeeShare, Decimal, PriceBook, RateOptions, Usage};

mod common;
use common::*;

// ------------------------------------------------------------------------------ ingest

async fn a_replayed_batch_is_counted_once_and_answered_the_same(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let b = batch(
        &f,
        "b-1",
        vec![
            rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 1200, 9_600_000, 5400),
            rec(&f.account_id, "/api/search", "na", "2026-11-23T10:00:00Z", 300, 1_000, 100),
        ],
    );
    let first = f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap();
    assert!(!first.replayed);
    assert_eq!(first.receipt.accepted, 2);
    let again = f.engine.ingest(&f.node, &b, t("2026-11-23T10:05:00Z")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.receipt, first.receipt);
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.totals.requests, 1500);
    assert_eq!(bill.totals.egress_bytes, 9_601_000);
}

async fn racing_replays_on_two_replicas_count_once(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    let b = Arc::new(batch(&f, "race-1", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 1000, 0, 0)]));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let (node, b) = (f.node.clone(), b.clone());
        tasks.push(tokio::spawn(async move { engine.ingest(&node, &b, t(NOW)).await.unwrap() }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| !r.replayed).count(), 1, "exactly one attempt stores the batch");
    assert!(results.iter().all(|r| r.receipt == results[0].receipt));
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.totals.requests, 1000);
}

async fn a_crash_between_commit_and_answer_is_healed_by_the_replay(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let b = batch(&f, "crash-1", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 700, 0, 0)]);
    // The first attempt commits, then its answer is lost and the server restarts.
    let lost = f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap();
    let restarted = db.engine().await;
    let replay = restarted.ingest(&f.node, &b, t("2026-11-23T10:03:00Z")).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.receipt, lost.receipt);

    // An attempt cut off at an arbitrary point (before or after its commit) followed by a
    // replay also counts exactly once.
    for (i, cut_after_us) in [0u64, 200, 1_000, 3_000, 10_000].into_iter().enumerate() {
        let b = batch(&f, &format!("cut-{i}"), vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 1, 0, 0)]);
        let (engine, node, b2) = (restarted.clone(), f.node.clone(), b.clone());
        let attempt = tokio::spawn(async move { engine.ingest(&node, &b2, t(NOW)).await });
        tokio::time::sleep(std::time::Duration::from_micros(cut_after_us)).await;
        attempt.abort();
        let _ = attempt.await;
        let replay = restarted.ingest(&f.node, &b, t(NOW)).await.unwrap();
        assert_eq!(replay.receipt.accepted, 1);
    }
    let bill = restarted.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.totals.requests, 705);
}

async fn a_batch_id_reused_with_another_body_is_refused(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let b = batch(&f, "b-7", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 10, 0, 0)]);
    f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap();
    let other = batch(&f, "b-7", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 11, 0, 0)]);
    let err = f.engine.ingest(&f.node, &other, t(NOW)).await.unwrap_err();
    assert_eq!(err.code(), "batch_id_reused");
    assert_eq!(f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap().totals.requests, 10);
}

async fn malformed_input_is_refused_with_reasons(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let ok = rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 5, 0, 0);

    let too_big = batch(&f, "big", vec![ok.clone(); edgecost_api::MAX_BATCH_RECORDS + 1]);
    assert_eq!(f.engine.ingest(&f.node, &too_big, t(NOW)).await.unwrap_err().code(), "batch_too_large");
    let no_id = batch(&f, "", vec![ok.clone()]);
    assert_eq!(f.engine.ingest(&f.node, &no_id, t(NOW)).await.unwrap_err().code(), "invalid_batch");
    let mut other_node = batch(&f, "n", vec![ok.clone()]);
    other_node.node_id = "node_someone_else".into();
    assert_eq!(f.engine.ingest(&f.node, &other_node, t(NOW)).await.unwrap_err().code(), "node_mismatch");
    for token in ["", "ec_node_xyz", "Bearer nonsense", &format!("ec_node_{}", "0".repeat(64))] {
        assert_eq!(f.engine.authenticate_node(token).await.unwrap_err().code(), "unauthenticated");
        assert_eq!(f.engine.authenticate_account(token).await.unwrap_err().code(), "unauthenticated");
    }

    let mut records = vec![ok.clone()];
    let mut r = ok.clone();
    r.region = "mars".into();
    records.push(r);
    let mut r = ok.clone();
    r.account_id = "acct_nobody".into();
    records.push(r);
    let mut r = ok.clone();
    r.window_start = t("2026-11-23T11:00:00Z");
    records.push(r);
    let mut r = ok.clone();
    r.window_start = t("2026-10-31T23:00:00Z");
    records.push(r);
    let mut r = ok.clone();
    r.requests = u64::MAX;
    records.push(r);
    let mut r = ok.clone();
    r.route = "no-slash".into();
    records.push(r);
    let receipt = f.engine.ingest(&f.node, &batch(&f, "mixed", records), t(NOW)).await.unwrap().receipt;
    assert_eq!(receipt.accepted, 1);
    let reasons: Vec<_> = receipt.rejected.iter().map(|r| (r.index, r.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (1, RejectionReason::UnknownRegion),
            (2, RejectionReason::UnknownAccount),
            (3, RejectionReason::WindowInFuture),
            (4, RejectionReason::PeriodClosed),
            (5, RejectionReason::AbsurdValue),
            (6, RejectionReason::InvalidRoute),
        ]
    );
    assert!(receipt.rejected.iter().all(|r| !r.message.is_empty()));
    assert_eq!(f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap().totals.requests, 5);
}

async fn a_sandbox_account_is_capped_and_holds_no_credit(db: Db) {
    let f = fixture(&db, "sandbox", "2026-11-01T00:00:00Z").await;
    use_requests(&f, "s-1", 40_000, NOW).await;
    let b = batch(&f, "s-2", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:01:00Z", 20_000, 0, 0)]);
    let receipt = f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap().receipt;
    assert_eq!(receipt.accounts.len(), 1);
    assert!(receipt.accounts[0].capped);
    assert_eq!(receipt.accounts[0].capped_meters, vec![Meter::Requests]);
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert!(bill.bill.capped);
    assert_eq!(bill.bill.total, d("0.00"));
    let err = f.engine.purchase_credits(&f.account, "k", &CreditPurchaseRequest { packs: 1 }, t(NOW)).await.unwrap_err();
    assert_eq!(err.code(), "credit_packs_not_allowed");
    assert_eq!(f.engine.credit_ledger(&f.account).await.unwrap().balance, d("0"));
}

async fn usage_a_sandbox_cap_refused_is_never_billed_after_an_upgrade(db: Db) {
    let f = fixture(&db, "sandbox", "2026-11-01T00:00:00Z").await;
    // 60,000 requests and 12 GB against the sandbox's 50,000 and 10 GB: capped.
    let b = batch(&f, "c-1", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-09T10:00:00Z", 60_000, 12_000_000_000, 0)]);
    let receipt = f.engine.ingest(&f.node, &b, t("2026-11-10T11:00:00Z")).await.unwrap().receipt;
    assert_eq!(receipt.accounts[0].capped_meters, vec![Meter::Requests, Meter::Egress]);
    let upgrade = f.engine.change_tier(&f.account, "up-1", &tier("production"), t("2026-11-10T12:00:00Z")).await.unwrap();
    assert!(upgrade.immediate);
    let refused =
        edgecost_api::RefusedUsage { tier: "sandbox".into(), requests: 10_000, compute_ms: 0, billable_egress_bytes: d("2000000000") };
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-10T12:00:00Z")).await.unwrap();
    assert_eq!(bill.totals.requests, 60_000, "the counters still show what was measured");
    assert_eq!(bill.totals.refused_by_cap.as_ref(), Some(&refused));
    assert_eq!(bill.projected_totals.refused_by_cap.as_ref(), Some(&refused));
    // 50,000 billable requests are a quarter of production's quota: no notice.
    assert!(f.engine.notices(&f.account, t("2026-11-10T12:00:00Z")).await.unwrap().notices.is_empty());

    // On production: 250,000 more requests and 45 GB more.
    let b = batch(&f, "c-2", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-20T10:00:00Z", 250_000, 45_000_000_000, 0)]);
    let receipt = f.engine.ingest(&f.node, &b, t("2026-11-20T11:00:00Z")).await.unwrap().receipt;
    assert!(!receipt.accounts[0].capped);
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-20T11:00:00Z")).await.unwrap();
    assert_eq!(bill.totals.requests, 310_000);
    // Billable: 300,000 requests and 55 GB. $19 x 21/30 = 13.30; 10 x $0.40 = 4.00 for the
    // 100,000 requests past 200,000; 5 GB x $0.05 = 0.25. Without the refusal it would be
    // 18.05 (11 x $0.40 and 7 GB x $0.05).
    let usage = Usage { requests: d("300000"), egress_bytes: d("55000000000"), compute_seconds: Decimal::ZERO };
    let shares = vec![
        BaseFeeShare { tier: "sandbox".into(), days: 9, period_days: 30 },
        BaseFeeShare { tier: "production".into(), days: 21, period_days: 30 },
    ];
    let expected = PriceBook::published()
        .rate("production", &usage, &RateOptions { credit_balance: Decimal::ZERO, base_fee_shares: shares, period_month: Some(11) })
        .unwrap();
    assert_eq!(bill.bill, expected.into());
    assert_eq!(bill.bill.total, d("17.55"));
    let reached: BTreeSet<u32> =
        f.engine.notices(&f.account, t("2026-11-20T11:00:00Z")).await.unwrap().notices.iter().map(|n| n.threshold_percent).collect();
    assert_eq!(reached, BTreeSet::from([80, 100]));

    // A second upgrade in the period keeps the refusal; the next period starts with none.
    f.engine.change_tier(&f.account, "up-2", &tier("scale"), t("2026-11-21T00:00:00Z")).await.unwrap();
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-21T01:00:00Z")).await.unwrap();
    assert_eq!(bill.totals.refused_by_cap.as_ref(), Some(&refused));
    assert_eq!(bill.bill.overage_total, Decimal::ZERO);
    let december = f.engine.bill_to_date(&f.account, t("2026-12-02T00:00:00Z")).await.unwrap();
    assert_eq!(december.totals.refused_by_cap, None);
    // What the upgrade quote offered a capped sandbox is what the upgrade then billed.
    let g = fixture(&db, "sandbox", "2026-11-01T00:00:00Z").await;
    let b = batch(&g, "q-1", vec![rec(&g.account_id, "/api/orders", "eu", "2026-11-09T10:00:00Z", 60_000, 0, 0)]);
    g.engine.ingest(&g.node, &b, t("2026-11-10T11:00:00Z")).await.unwrap();
    let quote = g.engine.upgrade_quote(&g.account, t("2026-11-10T12:00:00Z")).await.unwrap();
    let production = quote.tiers.iter().find(|q| q.tier == "production").unwrap();
    g.engine.change_tier(&g.account, "up-1", &tier("production"), t("2026-11-10T12:00:00Z")).await.unwrap();
    let bill = g.engine.bill_to_date(&g.account, t("2026-11-10T12:00:00Z")).await.unwrap();
    assert_eq!(production.projected, bill.projected);
}

async fn an_upgrade_raises_the_new_tiers_notices_at_once(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    // 1,700,000 requests: past production's quota, 85% of scale's 2,000,000.
    use_requests(&f, "n-1", 1_700_000, "2026-11-20T08:00:00Z").await;
    let before: BTreeSet<(String, u32)> =
        f.engine.notices(&f.account, t(NOW)).await.unwrap().notices.iter().map(|n| (n.tier.clone(), n.threshold_percent)).collect();
    assert_eq!(before, BTreeSet::from([("production".into(), 80), ("production".into(), 100)]));
    f.engine.change_tier(&f.account, "up", &tier("scale"), t(NOW)).await.unwrap();
    // No batch since the upgrade: the notice of the new tier is there at once.
    let after = f.engine.notices(&f.account, t(NOW)).await.unwrap().notices;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!((after[0].tier.as_str(), after[0].meter, after[0].threshold_percent), ("scale", Meter::Requests, 80));
    assert_eq!(after[0].reached_on.to_string(), "2026-11-23");
    assert_eq!(f.engine.account_summary(&f.account, t(NOW)).await.unwrap().notices, after);
    // Replaying the upgrade raises nothing twice.
    f.engine.change_tier(&f.account, "up", &tier("scale"), t(NOW)).await.unwrap();
    assert_eq!(f.engine.notices(&f.account, t(NOW)).await.unwrap().notices, after);
}

// ------------------------------------------------------------------------------ invoices

async fn a_closed_period_becomes_one_invoice_equal_to_its_last_bill(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    // November: 300,000 requests (100,000 past the quota, $4.00 of overage) and a pack.
    use_requests(&f, "i-1", 300_000, "2026-11-20T08:00:00Z").await;
    f.engine.purchase_credits(&f.account, "pack-1", &CreditPurchaseRequest { packs: 1 }, t("2026-11-20T09:00:00Z")).await.unwrap();
    // Before November's grace hour ends, only October is closed.
    let early = f.engine.invoices(&f.account, &InvoiceQuery::default(), t("2026-12-01T00:10:00Z")).await.unwrap();
    assert_eq!(early.invoices.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), vec!["INV-00001"]);
    assert_eq!(early.invoices[0].period_start, t("2026-10-01T00:00:00Z"));
    assert_eq!((early.invoices[0].total, early.invoices[0].status), (d("19.00"), InvoiceStatus::Due));
    // A late November record inside the grace hour is on November's invoice.
    let late = batch(&f, "i-late", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-30T23:50:00Z", 50_000, 0, 0)]);
    assert_eq!(f.engine.ingest(&f.node, &late, t("2026-12-01T00:30:00Z")).await.unwrap().receipt.accepted, 1);
    let last = f.engine.bill_to_date(&f.account, t("2026-11-30T23:59:59Z")).await.unwrap();
    // $19 + 15 x $0.40 = $25.00 of cost, $6.00 of it paid by the pack: $19.00 due.
    assert_eq!((last.cost, last.bill.credits_applied, last.bill.total), (d("25.00"), d("6.00"), d("19.00")));

    let page = f.engine.invoices(&f.account, &InvoiceQuery::default(), t("2026-12-01T01:00:00Z")).await.unwrap();
    assert_eq!(page.invoices.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), vec!["INV-00002", "INV-00001"]);
    let november = f.engine.invoice(&f.account, &page.invoices[0].id, t("2026-12-01T01:00:00Z")).await.unwrap();
    assert_eq!(november.bill, last.bill);
    assert_eq!((november.cost, november.paid_by_credit, november.total), (d("25.00"), d("6.00"), d("19.00")));
    assert_eq!(november.totals.requests, 350_000);
    let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
    let pack = ledger.entries.iter().find(|e| e.kind == LedgerEntryKind::Purchase).unwrap();
    assert_eq!(november.credits, vec![edgecost_api::InvoiceCredit { pack_id: pack.id.clone(), amount: d("6.00") }]);

    // After the grace hour, late records are refused and the invoice never changes.
    let too_late = batch(&f, "i-too-late", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-30T23:55:00Z", 9, 0, 0)]);
    assert_eq!(f.engine.ingest(&f.node, &too_late, t("2026-12-01T01:00:00Z")).await.unwrap().receipt.accepted, 0);
    let again = f.engine.invoice(&f.account, &november.id, t("2027-01-15T00:00:00Z")).await.unwrap();
    assert_eq!(again, november);
    // Paging: one at a time, newest first; December is closed by mid-January.
    let first = f.engine.invoices(&f.account, &InvoiceQuery { cursor: None, limit: Some(1) }, t("2027-01-15T00:00:00Z")).await.unwrap();
    assert_eq!(first.invoices[0].number, "INV-00003");
    let second = f
        .engine
        .invoices(&f.account, &InvoiceQuery { cursor: first.next_cursor, limit: Some(1) }, t("2027-01-15T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(second.invoices[0].number, "INV-00002");
    let err = f.engine.invoices(&f.account, &InvoiceQuery { cursor: Some("x".into()), limit: None }, t(NOW)).await.unwrap_err();
    assert_eq!(err.code(), "invalid_cursor");
}

async fn concurrent_closers_issue_each_period_once_and_accounts_see_only_their_own(db: Db) {
    let f = fixture(&db, "production", "2026-06-01T00:00:00Z").await;
    let replica = db.engine().await;
    let now = t("2026-12-01T02:00:00Z");
    // Two replicas close the same six periods at the same time, a few times over.
    let all = InvoiceQuery::default();
    for _ in 0..3 {
        let (a, b) = tokio::join!(f.engine.invoices(&f.account, &all, now), replica.invoices(&f.account, &all, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b);
        let numbers: Vec<_> = a.invoices.iter().map(|i| i.number.clone()).collect();
        assert_eq!(numbers, (1..=6).rev().map(|n| format!("INV-{n:05}")).collect::<Vec<_>>());
        let starts: BTreeSet<_> = a.invoices.iter().map(|i| i.period_start).collect();
        assert_eq!(starts.len(), 6);
    }
    // Another account's invoice answers as an id that does not exist.
    let other = f.engine.create_account("Other", "production", t("2026-06-01T00:00:00Z")).await.unwrap();
    let other = f.engine.authenticate_account(&other.token).await.unwrap();
    let mine = f.engine.invoices(&f.account, &InvoiceQuery::default(), now).await.unwrap().invoices[0].id.clone();
    let foreign = f.engine.invoice(&other, &mine, now).await.unwrap_err();
    let missing = f.engine.invoice(&other, "inv_nothing", now).await.unwrap_err();
    assert_eq!((foreign.code(), missing.code()), ("not_found", "not_found"));
    assert_eq!(foreign.to_string(), missing.to_string());
}

// ------------------------------------------------------------------------------ payments

fn payment(amount: &str, reference: &str, received_at: Option<&str>) -> PaymentRequest {
    PaymentRequest { amount: d(amount), currency: None, reference: reference.into(), received_at: received_at.map(t) }
}

/// A production account from October with October and November closed into $19.00 invoices.
async fn two_invoices(db: &Db) -> (Fixture, Vec<edgecost_api::InvoiceSummary>) {
    let f = fixture(db, "production", "2026-10-01T00:00:00Z").await;
    let page = f.engine.invoices(&f.account, &InvoiceQuery::default(), t(PAID_NOW)).await.unwrap();
    assert_eq!(
        page.invoices.iter().map(|i| (i.number.as_str(), i.total)).collect::<Vec<_>>(),
        [("INV-00002", d("19.00")), ("INV-00001", d("19.00"))]
    );
    (f, page.invoices)
}

const PAID_NOW: &str = "2026-12-05T12:00:00Z";

async fn a_payment_settles_an_invoice_partly_then_fully_and_its_replay_changes_nothing(db: Db) {
    let (f, invoices) = two_invoices(&db).await;
    let october = &invoices[1];
    assert_eq!((october.status, october.amount_paid, october.paid_at), (InvoiceStatus::Due, d("0.00"), None));
    // Part of it, named by number.
    let part = payment("10.00", "ch_1", Some("2026-11-03T09:00:00Z"));
    let first = f.engine.record_payment(&f.account_id, "INV-00001", &part, t(PAID_NOW)).await.unwrap();
    assert!(!first.replayed);
    let p = &first.recorded.payment;
    assert!(p.id.starts_with("pay_"), "{}", p.id);
    assert_eq!((p.invoice_id.as_str(), p.amount, p.reference.as_str()), (october.id.as_str(), d("10.00"), "ch_1"));
    assert_eq!((p.received_at, p.recorded_at), (t("2026-11-03T09:00:00Z"), t(PAID_NOW)));
    let summary = &first.recorded.invoice;
    assert_eq!((summary.status, summary.amount_paid, summary.paid_at), (InvoiceStatus::PartlyPaid, d("10.00"), None));
    // The same reference again, by id and later: nothing changes, and the first is answered.
    let replay = payment("10.00", "ch_1", None);
    let again = f.engine.record_payment(&f.account_id, &october.id, &replay, t("2026-12-06T00:00:00Z")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.recorded, first.recorded);
    // The rest: paid in full, when the last of it was received.
    let rest = f.engine.record_payment(&f.account_id, "1", &payment("9", "ch_2", Some("2026-12-03T10:30:00Z")), t(PAID_NOW)).await.unwrap();
    assert_eq!(rest.recorded.invoice.status, InvoiceStatus::Paid);
    assert_eq!(rest.recorded.invoice.amount_paid, d("19.00"));
    assert_eq!(rest.recorded.invoice.paid_at, Some(t("2026-12-03T10:30:00Z")));
    // The invoice shows its payments; its bill is as issued.
    let invoice = f.engine.invoice(&f.account, &october.id, t(PAID_NOW)).await.unwrap();
    assert_eq!(
        invoice.payments.iter().map(|p| (p.reference.as_str(), p.amount)).collect::<Vec<_>>(),
        [("ch_1", d("10.00")), ("ch_2", d("9.00"))]
    );
    assert_eq!((invoice.status, invoice.amount_paid, invoice.total), (InvoiceStatus::Paid, d("19.00"), d("19.00")));
    assert_eq!(invoice.summary(), rest.recorded.invoice);
    // A replay of a payment of a paid invoice is still a replay, not a refusal.
    let late = f.engine.record_payment(&f.account_id, "INV-00001", &payment("10.00", "ch_1", None), t(PAID_NOW)).await.unwrap();
    assert!(late.replayed);
    assert_eq!(late.recorded.payment, first.recorded.payment);
    // The list shows where each stands; November is untouched.
    let list = f.engine.invoices(&f.account, &InvoiceQuery::default(), t(PAID_NOW)).await.unwrap().invoices;
    assert_eq!(
        list.iter().map(|i| (i.number.as_str(), i.status)).collect::<Vec<_>>(),
        [("INV-00002", InvoiceStatus::Due), ("INV-00001", InvoiceStatus::Paid)]
    );
    assert_eq!((list[1].amount_paid, list[1].paid_at), (d("19.00"), Some(t("2026-12-03T10:30:00Z"))));
    // A second engine (another replica, or after a restart) reads the same.
    let replica = db.engine().await;
    assert_eq!(replica.invoice(&f.account, &october.id, t(PAID_NOW)).await.unwrap(), invoice);
}

async fn payments_are_refused_past_what_is_due_and_out_of_bounds(db: Db) {
    let (f, invoices) = two_invoices(&db).await;
    let november = &invoices[0];
    let record = |invoice: String, request: PaymentRequest| {
        let (engine, account_id) = (f.engine.clone(), f.account_id.clone());
        async move { engine.record_payment(&account_id, &invoice, &request, t(PAID_NOW)).await.unwrap_err() }
    };
    let code = |e: EngineError| e.code();
    // More than is due; then more than is left after a part.
    let err = record(november.id.clone(), payment("19.01", "ch_a", None)).await;
    assert_eq!(code(err), "payment_exceeds_due");
    f.engine.record_payment(&f.account_id, &november.id, &payment("15.00", "ch_b", None), t(PAID_NOW)).await.unwrap();
    let err = record(november.id.clone(), payment("4.01", "ch_c", None)).await;
    assert_eq!(err.to_string(), "the payment of $4.01 is more than the $4.00 still due on invoice INV-00002");
    // The same reference with another amount.
    let err = record(november.id.clone(), payment("4.00", "ch_b", None)).await;
    assert_eq!(code(err), "payment_reference_reused");
    // Out of bounds: the amount, the reference, the time, the currency.
    for (amount, reference, received_at) in [
        ("0", "ch_d", None),
        ("-1.00", "ch_d", None),
        ("1.005", "ch_d", None),
        ("1.00", "", None),
        ("1.00", "   ", None),
        ("1.00", "ch\nd", None),
        ("1.00", &"x".repeat(201), None),
        ("1.00", "ch_d", Some("2026-12-05T12:00:01Z")),
        ("1.00", "ch_d", Some("2026-11-30T23:59:59Z")),
    ] {
        let err = record(november.id.clone(), payment(amount, reference, received_at)).await;
        assert_eq!(code(err), "invalid_payment", "{amount} {reference:?} {received_at:?}");
    }
    let mut euros = payment("1.00", "ch_d", None);
    euros.currency = Some("EUR".into());
    assert_eq!(code(record(november.id.clone(), euros).await), "invalid_payment");
    let mut dollars = payment("1.00", "ch_d", None);
    dollars.currency = Some("usd".into());
    f.engine.record_payment(&f.account_id, &november.id, &dollars, t(PAID_NOW)).await.unwrap();
    // A 200-character reference is fine.
    let long = "y".repeat(200);
    let paid = f.engine.record_payment(&f.account_id, &november.id, &payment("3.00", &long, None), t(PAID_NOW)).await.unwrap();
    assert_eq!(paid.recorded.invoice.status, InvoiceStatus::Paid);
    // Paid in full: nothing is due any more.
    let err = record(november.id.clone(), payment("0.01", "ch_e", None)).await;
    assert_eq!((err.code(), err.to_string().as_str()), ("nothing_due", "invoice INV-00002 has nothing due (paid)"));
    // Unknown invoices and accounts, and another account's invoice.
    for invoice in ["inv_nothing", "INV-00009", "0", "x"] {
        assert_eq!(code(record(invoice.to_owned(), payment("1.00", "ch_f", None)).await), "invoice_not_found", "{invoice}");
    }
    let other = f.engine.create_account("Other", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let err = f.engine.record_payment(&other.account_id, &november.id, &payment("1.00", "ch_f", None), t(PAID_NOW)).await.unwrap_err();
    assert_eq!(err.code(), "invoice_not_found");
    let err = f.engine.record_payment("acct_nobody", "INV-00001", &payment("1.00", "ch_f", None), t(PAID_NOW)).await.unwrap_err();
    assert_eq!(err.code(), "invoice_not_found");
    // An invoice that credit paid whole has nothing due.
    let sandbox = fixture(&db, "sandbox", "2026-10-01T00:00:00Z").await;
    let list = sandbox.engine.invoices(&sandbox.account, &InvoiceQuery::default(), t(PAID_NOW)).await.unwrap().invoices;
    assert_eq!(list[0].status, InvoiceStatus::PaidByCredit);
    let one = payment("1.00", "ch_g", None);
    let err = sandbox.engine.record_payment(&sandbox.account_id, &list[0].id, &one, t(PAID_NOW)).await.unwrap_err();
    assert_eq!(err.code(), "nothing_due");
    // Nothing refused was recorded.
    let invoice = f.engine.invoice(&f.account, &november.id, t(PAID_NOW)).await.unwrap();
    assert_eq!(invoice.payments.iter().map(|p| p.amount).sum::<Decimal>(), d("19.00"));
    assert_eq!(invoice.payments.len(), 3);
    assert_eq!(f.engine.invoice(&f.account, &invoices[1].id, t(PAID_NOW)).await.unwrap().status, InvoiceStatus::Due);
}

async fn concurrent_replays_of_a_payment_on_two_replicas_record_it_once(db: Db) {
    let (f, invoices) = two_invoices(&db).await;
    let replica = db.engine().await;
    let october = invoices[1].id.clone();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let (account_id, october) = (f.account_id.clone(), october.clone());
        tasks.push(tokio::spawn(async move {
            engine.record_payment(&account_id, &october, &payment("12.50", "ch_race", None), t(PAID_NOW)).await.unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1, "exactly one attempt records the payment");
    assert!(outcomes.iter().all(|o| o.recorded.payment == outcomes[0].recorded.payment));
    // Payments with different references racing for the $6.50 left: never more than is due.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let (account_id, october) = (f.account_id.clone(), october.clone());
        tasks.push(tokio::spawn(async move {
            engine.record_payment(&account_id, &october, &payment("5.00", &format!("ch_{i}"), None), t(PAID_NOW)).await
        }));
    }
    let mut refused = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.unwrap() {
            refused.push(e.code());
        }
    }
    assert_eq!(refused, ["payment_exceeds_due"; 5]);
    let invoice = f.engine.invoice(&f.account, &october, t(PAID_NOW)).await.unwrap();
    assert_eq!((invoice.payments.len(), invoice.amount_paid, invoice.status), (2, d("17.50"), InvoiceStatus::PartlyPaid));
}

// ------------------------------------------------------------------------------ rating

async fn the_bill_to_date_is_the_pricing_core_rating_of_the_same_totals(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let b = batch(
        &f,
        "r-1",
        vec![
            rec(&f.account_id, "/api/orders", "eu", "2026-11-02T10:00:00Z", 150_000, 30_000_000_000, 1_000),
            rec(&f.account_id, "/api/orders", "apac", "2026-11-23T09:00:00Z", 200_001, 20_000_000_001, 2_345),
        ],
    );
    f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap();
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    // Billable egress: 30 GB in eu (x1.0) + 20.000000001 GB in apac (x1.5).
    let usage = Usage { requests: d("350001"), egress_bytes: d("60000000001.5"), compute_seconds: d("3.345") };
    let expected = PriceBook::published().rate("production", &usage, &RateOptions::default()).unwrap();
    assert_eq!(bill.bill, expected.clone().into());
    // $19 + 15.0001 x $0.40 (6.00) + 10.0000000015 GB x $0.05 (0.50).
    assert_eq!(bill.bill.total, d("25.50"));
    assert_eq!(serde_json::to_value(&bill.bill).unwrap(), serde_json::to_value(&expected).unwrap());
    assert!(bill.projected_totals.requests > bill.totals.requests);
    assert!(bill.projected.total >= bill.bill.total);
}

async fn an_upgrade_prorates_and_a_downgrade_waits_for_next_period(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    use_requests(&f, "u-1", 300_000, "2026-11-10T12:00:00Z").await;
    let change = f.engine.change_tier(&f.account, "k-1", &tier("scale"), t("2026-11-11T09:00:00Z")).await.unwrap();
    assert!(change.immediate);
    assert_eq!(change.previous_tier, "production");
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-11T10:00:00Z")).await.unwrap();
    let shares = vec![
        BaseFeeShare { tier: "production".into(), days: 10, period_days: 30 },
        BaseFeeShare { tier: "scale".into(), days: 20, period_days: 30 },
    ];
    let usage = Usage { requests: d("300000"), ..Usage::default() };
    let expected = PriceBook::published()
        .rate("scale", &usage, &RateOptions { credit_balance: Decimal::ZERO, base_fee_shares: shares, period_month: Some(11) })
        .unwrap();
    assert_eq!(bill.bill, expected.into());
    // Each tier's share names the tier and its days, the day of the change counting for scale.
    let labels: Vec<&str> = bill.bill.base_fee_lines.iter().map(|l| l.label.as_ref()).collect();
    assert_eq!(labels, ["Base fee, Production (Nov 1–Nov 10)", "Base fee, Scale (Nov 11–Nov 30)"]);
    // $19 x 10/30 = 6.33 and $79 x 20/30 = 52.67; the scale quota covers the usage.
    assert_eq!(bill.bill.base_fee, d("59.00"));
    assert_eq!(bill.bill.total, d("59.00"));
    assert_eq!(
        f.engine.change_tier(&f.account, "k-2", &tier("scale"), t("2026-11-12T00:00:00Z")).await.unwrap_err().code(),
        "tier_unchanged"
    );

    let down = f.engine.change_tier(&f.account, "k-3", &tier("production"), t("2026-11-20T00:00:00Z")).await.unwrap();
    assert!(!down.immediate);
    assert_eq!(down.effective_at, t("2026-12-01T00:00:00Z"));
    let summary = f.engine.account_summary(&f.account, t("2026-11-21T00:00:00Z")).await.unwrap();
    assert_eq!(summary.tier, "scale");
    assert_eq!(summary.scheduled_tier.unwrap().tier, "production");
    let december = f.engine.account_summary(&f.account, t("2026-12-02T00:00:00Z")).await.unwrap();
    assert_eq!(december.tier, "production");
    let december_bill = f.engine.bill_to_date(&f.account, t("2026-12-02T00:00:00Z")).await.unwrap();
    assert_eq!(december_bill.bill.base_fee, d("19.00"));
    assert_eq!(december_bill.totals.requests, 0);
    assert_eq!(f.engine.change_tier(&f.account, "k-4", &tier("enterprise"), t(NOW)).await.unwrap_err().code(), "negotiated_tier");
    assert_eq!(f.engine.change_tier(&f.account, "k-5", &tier("gold"), t(NOW)).await.unwrap_err().code(), "unknown_tier");
}

// ------------------------------------------------------------------------------ idempotent tier changes

async fn a_replayed_upgrade_changes_the_tier_once(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    use_requests(&f, "r-1", 150_000, "2026-11-10T08:00:00Z").await;
    let first = f.engine.change_tier(&f.account, "confirm-1", &tier("scale"), t("2026-11-11T09:00:00Z")).await.unwrap();
    assert_eq!((first.previous_tier.as_str(), first.tier.as_str(), first.immediate), ("production", "scale", true));
    // A repeat days later (a retry after a lost answer) is the first answer, not a new
    // change: proration still counts ten days of production.
    let again = f.engine.change_tier(&f.account, "confirm-1", &tier("scale"), t("2026-11-20T09:00:00Z")).await.unwrap();
    assert_eq!(again, first);
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-21T00:00:00Z")).await.unwrap();
    assert_eq!(bill.bill.base_fee, d("59.00"));
    // A new confirmation of the tier already held is still refused as unchanged.
    let err = f.engine.change_tier(&f.account, "confirm-2", &tier("scale"), t("2026-11-20T09:00:00Z")).await.unwrap_err();
    assert_eq!(err.code(), "tier_unchanged");
    // The refusal claimed nothing: the same key may name a later change.
    let down = f.engine.change_tier(&f.account, "confirm-2", &tier("production"), t("2026-11-20T10:00:00Z")).await.unwrap();
    assert!(!down.immediate);
    assert_eq!(f.engine.change_tier(&f.account, "confirm-2", &tier("production"), t(NOW)).await.unwrap(), down);
}

async fn a_tier_change_key_reused_for_another_tier_is_refused(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    f.engine.change_tier(&f.account, "confirm-1", &tier("scale"), t(NOW)).await.unwrap();
    let err = f.engine.change_tier(&f.account, "confirm-1", &tier("production"), t(NOW)).await.unwrap_err();
    assert_eq!(err.code(), "idempotency_key_reused");
    let summary = f.engine.account_summary(&f.account, t(NOW)).await.unwrap();
    assert_eq!(summary.tier, "scale");
    assert!(summary.scheduled_tier.is_none(), "the refused request scheduled nothing");
    let err = f.engine.change_tier(&f.account, "", &tier("scale"), t(NOW)).await.unwrap_err();
    assert_eq!(err.code(), "invalid_idempotency_key");
    // Keys are per account: another account's same key is its own change.
    let other = f.engine.create_account("Other", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let other = f.engine.authenticate_account(&other.token).await.unwrap();
    let change = f.engine.change_tier(&other, "confirm-1", &tier("scale"), t(NOW)).await.unwrap();
    assert_eq!(change.previous_tier, "production");
}

async fn racing_repeats_of_an_upgrade_on_two_replicas_change_it_once(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    use_requests(&f, "rr-1", 150_000, "2026-11-20T08:00:00Z").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let account = f.account.clone();
        tasks.push(tokio::spawn(async move { engine.change_tier(&account, "double-click", &tier("scale"), t(NOW)).await }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap().unwrap());
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "every repeat gets the first answer");
    assert_eq!(answers[0].previous_tier, "production");
    // Racing confirmations with distinct keys change the tier once; the others find it done.
    let other = f.engine.create_account("Other", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let other = f.engine.authenticate_account(&other.token).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let account = other.clone();
        tasks.push(tokio::spawn(async move { engine.change_tier(&account, &format!("click-{i}"), &tier("scale"), t(NOW)).await }));
    }
    let mut changed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => changed += 1,
            Err(e) => assert_eq!(e.code(), "tier_unchanged"),
        }
    }
    assert_eq!(changed, 1);
    assert_eq!(f.engine.account_summary(&other, t(NOW)).await.unwrap().tier, "scale");
}

async fn a_tier_change_lost_after_its_commit_is_answered_by_the_repeat(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    // The first attempt commits, then its answer is lost and the server restarts.
    let lost = f.engine.change_tier(&f.account, "confirm-1", &tier("scale"), t("2026-11-11T09:00:00Z")).await.unwrap();
    let restarted = db.engine().await;
    let repeat = restarted.change_tier(&f.account, "confirm-1", &tier("scale"), t("2026-11-11T09:00:05Z")).await.unwrap();
    assert_eq!(repeat, lost);
    assert_eq!(repeat.previous_tier, "production", "the repeat reports the change it made, not a no-op");

    // An attempt cut off at an arbitrary point (before or after its commit) followed by a
    // repeat upgrades exactly once and answers as the upgrade from production.
    for (i, cut_after_us) in [0u64, 200, 1_000, 3_000, 10_000].into_iter().enumerate() {
        let created = restarted.create_account(&format!("Cut {i}"), "production", t("2026-10-01T00:00:00Z")).await.unwrap();
        let account = restarted.authenticate_account(&created.token).await.unwrap();
        let (engine, a) = (restarted.clone(), account.clone());
        let attempt = tokio::spawn(async move { engine.change_tier(&a, "confirm", &tier("scale"), t(NOW)).await });
        tokio::time::sleep(std::time::Duration::from_micros(cut_after_us)).await;
        attempt.abort();
        let _ = attempt.await;
        let repeat = restarted.change_tier(&account, "confirm", &tier("scale"), t("2026-11-23T10:02:30Z")).await.unwrap();
        assert_eq!((repeat.previous_tier.as_str(), repeat.tier.as_str()), ("production", "scale"));
        assert_eq!(restarted.account_summary(&account, t("2026-11-23T10:03:00Z")).await.unwrap().tier, "scale");
    }
}

// ------------------------------------------------------------------------------ notices

async fn notices_appear_at_80_and_100_percent_and_resolve_on_upgrade(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    use_requests(&f, "n-1", 150_000, "2026-11-20T08:00:00Z").await;
    assert!(f.engine.notices(&f.account, t(NOW)).await.unwrap().notices.is_empty());
    use_requests(&f, "n-2", 10_000, "2026-11-21T08:00:00Z").await;
    let notices = f.engine.notices(&f.account, t(NOW)).await.unwrap().notices;
    assert_eq!(notices.len(), 1);
    let n = &notices[0];
    assert_eq!((n.meter, n.threshold_percent), (Meter::Requests, 80));
    assert_eq!(n.reached_on.to_string(), "2026-11-21");
    assert_eq!(n.days_left, 7);
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(n.projected_bill, bill.projected.total);
    let upgrade = n.offer.upgrade.as_ref().unwrap();
    assert_eq!(upgrade.tier, "scale");
    assert_eq!(upgrade.saving, n.projected_bill - upgrade.projected_bill);
    // Recommended as the upgrade quote recommends: when it costs no more than staying.
    assert_eq!(upgrade.recommended, upgrade.saving >= Decimal::ZERO, "{upgrade:?}");
    let packs = n.offer.credit_packs.as_ref().unwrap();
    assert!(packs.packs >= 1 && packs.projected_overage > Decimal::ZERO);
    assert!(n.message.contains("80%"), "{}", n.message);

    use_requests(&f, "n-3", 40_000, "2026-11-22T08:00:00Z").await;
    let notices = f.engine.notices(&f.account, t(NOW)).await.unwrap().notices;
    let reached: BTreeSet<_> = notices.iter().map(|n| (n.threshold_percent, n.reached_on.to_string())).collect();
    assert_eq!(reached, BTreeSet::from([(80, "2026-11-21".into()), (100, "2026-11-22".into())]));
    assert_eq!(f.engine.account_summary(&f.account, t(NOW)).await.unwrap().notices.len(), 2);

    f.engine.change_tier(&f.account, "k-6", &tier("scale"), t(NOW)).await.unwrap();
    assert!(f.engine.notices(&f.account, t(NOW)).await.unwrap().notices.is_empty());
    assert!(f.engine.notices(&f.account, t("2026-12-01T10:00:00Z")).await.unwrap().notices.is_empty());
}

/// A notice offers the upgrade its sheet quotes, priced the same way, also under a spend cap
/// the current tier never reaches. A sandbox account bills $0.00 however much it sends (here
/// 30,000 requests a day, capped at its 50,000). Moved to Production today, it would pay $5.07
/// of base fee for the 8 days left and, at this run rate, $2.93 of overage: $8.00. Under a
/// $6.00 cap that stops on Nov 28's end at $5.64. The notice offers Production at $5.64, as
/// the upgrade sheet does, never at the uncapped $8.00.
async fn a_notice_offers_the_upgrade_its_sheet_quotes_under_a_spend_cap(db: Db) {
    let f = november_days(&db, "sandbox", 22, t(NOW), |_| 30_000).await;
    let uncapped = f.engine.notices(&f.account, t(NOW)).await.unwrap().notices[0].offer.upgrade.clone().unwrap();
    f.engine.set_budget(&f.account, "cap", &cap("6.00"), t(NOW)).await.unwrap();
    let notice = f.engine.notices(&f.account, t(NOW)).await.unwrap().notices.remove(0);
    let offer = notice.offer.upgrade.unwrap();
    let quote = f.engine.upgrade_quote(&f.account, t(NOW)).await.unwrap();
    let offered = quote.tiers.iter().find(|q| q.offered).unwrap();
    assert_eq!(
        (offer.tier.as_str(), offer.projected_bill, Some(offer.saving), offer.recommended),
        (quote.upgrade_to.as_deref().unwrap(), offered.projected_cost, quote.saving, offered.recommended)
    );
    assert!(offer.recommended, "the sandbox caps this usage: the upgrade is recommended");
    assert_eq!((uncapped.tier.as_str(), uncapped.projected_bill), ("production", d("8.00")));
    assert_eq!((offer.projected_bill, offered.spend_capped_at), (d("5.64"), Some(t("2026-11-29T00:00:00Z"))));
}

// ------------------------------------------------------------------------------ credits

async fn a_purchase_is_idempotent_and_pays_overage_from_before_it(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    // 50,000 requests past the quota: 5 x $0.40 = $2.00 of overage before any credit.
    use_requests(&f, "c-1", 250_000, "2026-11-20T08:00:00Z").await;
    let req = CreditPurchaseRequest { packs: 1 };
    let first = f.engine.purchase_credits(&f.account, "key-1", &req, t(NOW)).await.unwrap();
    assert_eq!((first.price_paid, first.credit_added), (d("25.00"), d("25.00")));
    assert_eq!(first.consumed_now, d("2.00"));
    assert_eq!(first.balance, d("23.00"));
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.bill.credits_applied, d("2.00"));
    assert_eq!(bill.bill.total, d("19.00"));

    let again = f.engine.purchase_credits(&f.account, "key-1", &req, t("2026-11-23T11:00:00Z")).await.unwrap();
    assert_eq!(again, first);
    let err = f.engine.purchase_credits(&f.account, "key-1", &CreditPurchaseRequest { packs: 2 }, t(NOW)).await.unwrap_err();
    assert_eq!(err.code(), "idempotency_key_reused");
    assert_eq!(f.engine.purchase_credits(&f.account, "", &req, t(NOW)).await.unwrap_err().code(), "invalid_idempotency_key");
    assert_eq!(
        f.engine.purchase_credits(&f.account, "k0", &CreditPurchaseRequest { packs: 0 }, t(NOW)).await.unwrap_err().code(),
        "invalid_pack_count"
    );

    // New overage is paid as it accrues, from the same pack, continuing the paid range.
    use_requests(&f, "c-2", 25_000, NOW).await;
    let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
    assert_eq!(ledger.balance, d("22.00"));
    let kinds: Vec<_> = ledger.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![LedgerEntryKind::Purchase, LedgerEntryKind::Consumption, LedgerEntryKind::Consumption]);
    for e in &ledger.entries[1..] {
        assert_eq!(e.pack_id.as_deref(), Some(first.purchase_id.as_str()));
    }
    let paid: Vec<_> = ledger.entries[1..].iter().map(|e| e.paid_overage.clone().unwrap()).collect();
    assert_eq!((paid[0].from, paid[0].to, paid[1].from, paid[1].to), (d("0"), d("2.00"), d("2.00"), d("3.00")));
    let sum: Decimal = ledger.entries.iter().map(|e| e.amount).sum();
    assert_eq!(sum, ledger.balance);
    assert_eq!(f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap().bill.total, d("19.00"));

    // Sandbox cannot hold credit: the downgrade is refused while credit remains.
    assert_eq!(f.engine.change_tier(&f.account, "k-7", &tier("sandbox"), t(NOW)).await.unwrap_err().code(), "credits_held");
}

async fn a_purchase_racing_a_downgrade_to_a_tier_without_packs_never_both_succeed(db: Db) {
    // Each side checks the other's rows inside its own transaction, which holds the account:
    // either the purchase lands first and the downgrade is refused for the credit held, or
    // the downgrade lands first and the purchase is refused for the scheduled tier.
    for round in 0..12 {
        let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
        let other = db.engine().await;
        let (buy_key, down_key) = (format!("buy-{round}"), format!("down-{round}"));
        let (one_pack, sandbox) = (CreditPurchaseRequest { packs: 1 }, tier("sandbox"));
        let (purchase, downgrade) = tokio::join!(
            f.engine.purchase_credits(&f.account, &buy_key, &one_pack, t(NOW)),
            other.change_tier(&f.account, &down_key, &sandbox, t(NOW)),
        );
        match (purchase, downgrade) {
            (Ok(_), Err(e)) => assert_eq!(e.code(), "credits_held"),
            (Err(e), Ok(_)) => assert_eq!(e.code(), "credit_packs_not_allowed"),
            (p, d) => panic!("round {round}: purchase {p:?}, downgrade {d:?}"),
        }
    }
}

async fn concurrent_purchases_and_consumption_keep_the_balance_whole(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    use_requests(&f, "cc-0", 200_000, "2026-11-20T08:00:00Z").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let account = f.account.clone();
        tasks.push(tokio::spawn(async move {
            engine.purchase_credits(&account, &format!("buy-{i}"), &CreditPurchaseRequest { packs: 1 }, t(NOW)).await.map(|_| ())
        }));
        let engine = if i % 2 == 0 { replica.clone() } else { f.engine.clone() };
        let (node, b) = (
            f.node.clone(),
            batch(&f, &format!("cc-{}", i + 1), vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 100_000, 0, 0)]),
        );
        tasks.push(tokio::spawn(async move { engine.ingest(&node, &b, t(NOW)).await.map(|_| ()) }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // 800,000 requests past the quota cost $32.00; 8 packs bought $200.00 of credit.
    let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
    let sum: Decimal = ledger.entries.iter().map(|e| e.amount).sum();
    assert_eq!(sum, ledger.balance);
    assert!(ledger.entries.iter().all(|e| e.balance_after >= Decimal::ZERO));
    let sequences: Vec<u32> = ledger.entries.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=ledger.entries.len() as u32).collect::<Vec<_>>());
    assert_eq!(ledger.balance, d("168.00"));
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.bill.overage_total, d("32.00"));
    assert_eq!(bill.bill.credits_applied, d("32.00"));
    assert_eq!(bill.bill.total, d("19.00"));
}

/// Concurrent bursts of batches for one account that holds credit, on two replicas: however
/// they interleave, the credit paid on the period's overage ends equal to min(credit, overage)
/// and no credit is ever returned while the overage only rose.
async fn credit_settlement_under_concurrent_bursts_pays_min_of_credit_and_overage(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    f.engine.purchase_credits(&f.account, "buy", &CreditPurchaseRequest { packs: 2 }, t(NOW)).await.unwrap();
    use_requests(&f, "base", 200_000, "2026-11-20T08:00:00Z").await;
    for round in 0..4 {
        let mut tasks = Vec::new();
        for i in 0..6 {
            let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
            let records = vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 50_000, 0, 0)];
            let (node, b) = (f.node.clone(), batch(&f, &format!("burst-{round}-{i}"), records));
            tasks.push(tokio::spawn(async move { engine.ingest(&node, &b, t(NOW)).await.map(|_| ()) }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
        let credit = d("50.00");
        assert_eq!(bill.bill.credits_applied, bill.bill.overage_total.min(credit), "round {round}: {:?}", bill.bill);
        let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
        assert_eq!(ledger.balance, credit - bill.bill.credits_applied, "round {round}");
        assert!(
            ledger.entries.iter().all(|e| e.kind != LedgerEntryKind::Adjustment),
            "round {round}: credit was returned while the overage only rose: {:?}",
            ledger.entries
        );
    }
}

/// A December record accepted inside the grace hour raises December's overage; held credit
/// pays the rise too.
async fn late_records_in_the_grace_hour_are_paid_by_credit(db: Db) {
    let f = fixture(&db, "production", "2026-11-01T00:00:00Z").await;
    // 300,000 requests: $4.00 of overage, paid from one $25.00 pack.
    use_requests(&f, "dec", 300_000, "2026-12-20T10:00:00Z").await;
    f.engine.purchase_credits(&f.account, "buy", &CreditPurchaseRequest { packs: 1 }, t("2026-12-20T10:05:00Z")).await.unwrap();
    assert_eq!(f.engine.credit_ledger(&f.account).await.unwrap().balance, d("21.00"));
    // Jan 1 00:30: 100,000 more December requests arrive late; December's overage is $8.00.
    let late = vec![rec(&f.account_id, "/api/orders", "eu", "2026-12-31T23:50:00Z", 100_000, 0, 0)];
    let r = f.engine.ingest(&f.node, &batch(&f, "late", late), t("2027-01-01T00:30:00Z")).await.unwrap();
    assert_eq!(r.receipt.accepted, 1, "{:?}", r.receipt.rejected);
    let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
    assert_eq!(ledger.balance, d("17.00"), "{:?}", ledger.entries);
    let december: Decimal = ledger
        .entries
        .iter()
        .filter(|e| e.paid_overage.as_ref().is_some_and(|p| p.period_start == t("2026-12-01T00:00:00Z")))
        .map(|e| e.amount)
        .sum();
    assert_eq!(december, d("-8.00"));
}

// ------------------------------------------------------------------------------ isolation and queries

async fn accounts_never_see_each_other(db: Db) {
    let a = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let b_created = a.engine.create_account("Other", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let b = a.engine.authenticate_account(&b_created.token).await.unwrap();
    assert_ne!(a.account, b);
    use_requests(&a, "iso-1", 5_000, NOW).await;
    a.engine.purchase_credits(&a.account, "shared-key", &CreditPurchaseRequest { packs: 1 }, t(NOW)).await.unwrap();
    assert_eq!(a.engine.account_summary(&b, t(NOW)).await.unwrap().totals.requests, 0);
    assert_eq!(a.engine.credit_ledger(&b).await.unwrap().entries.len(), 0);
    // The same idempotency key on another account is that account's own purchase.
    let other = a.engine.purchase_credits(&b, "shared-key", &CreditPurchaseRequest { packs: 2 }, t(NOW)).await.unwrap();
    assert_eq!(other.credit_added, d("50.00"));
    let a_log = a.engine.usage_log(&a.account, &UsageLogQuery::default()).await.unwrap();
    assert_eq!(a_log.records.len(), 1);
    // A's record id is no position in B's log.
    let cursor = Some(a_log.records[0].id.clone());
    let err = a.engine.usage_log(&b, &UsageLogQuery { cursor, limit: None }).await.unwrap_err();
    assert_eq!(err.code(), "invalid_cursor");
    let q = UsageQuery {
        from: t("2026-11-01T00:00:00Z"),
        to: t("2026-12-01T00:00:00Z"),
        granularity: Granularity::Day,
        group_by: UsageGrouping::Meter,
    };
    assert!(a.engine.usage(&b, &q).await.unwrap().lines.is_empty());
    assert_eq!(a.engine.authenticate_account(&b_created.token).await.unwrap(), b);
}

async fn usage_log_ids_and_cursors_reveal_nothing_about_other_accounts(db: Db) {
    let a = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let b_created = a.engine.create_account("Other", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let b_id = b_created.account_id.clone();
    let b = a.engine.authenticate_account(&b_created.token).await.unwrap();
    use_requests(&a, "a-1", 1, NOW).await;
    // Fifty records of another account between two of A's.
    let others: Vec<_> = (0..50).map(|i| rec(&b_id, "/b", "eu", "2026-11-23T10:00:00Z", i + 1, 0, 0)).collect();
    a.engine.ingest(&a.node, &batch(&a, "b-1", others), t(NOW)).await.unwrap();
    use_requests(&a, "a-2", 2, NOW).await;

    let first = a.engine.usage_log(&a.account, &UsageLogQuery { cursor: None, limit: Some(1) }).await.unwrap();
    assert_eq!(first.records.len(), 1);
    assert_eq!(first.records[0].requests, 2);
    let newer = first.records[0].id.clone();
    let cursor = first.next_cursor.clone().unwrap();
    let second = a.engine.usage_log(&a.account, &UsageLogQuery { cursor: Some(cursor.clone()), limit: Some(1) }).await.unwrap();
    assert_eq!(second.records.iter().map(|r| r.requests).collect::<Vec<_>>(), vec![1]);
    assert_eq!(second.next_cursor, None);
    let older = second.records[0].id.clone();
    // Opaque: 32 hex digits that are no number in a shared sequence, neither close nor ordered.
    for id in [&newer, &older, &cursor] {
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
    }
    assert_ne!(newer[..8], older[..8]);
    // A cursor is a position for its own account only; guessed ones are refused.
    for bad in [cursor.clone(), "1".to_owned(), "0".repeat(32)] {
        let err = a.engine.usage_log(&b, &UsageLogQuery { cursor: Some(bad.clone()), limit: None }).await.unwrap_err();
        assert_eq!(err.code(), "invalid_cursor", "{bad}");
    }
    // Another replica (or the same engine after a restart) shows the same ids.
    let replica = db.engine().await;
    let again = replica.usage_log(&a.account, &UsageLogQuery::default()).await.unwrap();
    assert_eq!(again.records.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![newer, older]);
}

/// Routes are any printable text: quotes, backslashes, spaces and other scripts come back
/// from a usage query by route exactly as sent, whether the hour is rolled up or still queued.
async fn routes_of_any_printable_text_come_back_from_usage_by_route(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let routes = ["/q\"uoted\"", "/back\\slash", "/caf\u{e9}/\u{2615}", "/a b/[id]", "/\u{65e5}\u{672c}"];
    let records: Vec<_> = routes
        .iter()
        .enumerate()
        .map(|(i, route)| rec(&f.account_id, route, "eu", "2026-11-23T08:00:00Z", 10 + i as u64, 1_000, 10))
        .collect();
    f.engine.ingest(&f.node, &batch(&f, "r-1", records.clone()), t(NOW)).await.unwrap();
    // Once from the queue, once from the rollups.
    assert_usage_is_the_records_sums(&f.engine, &f.account, &records).await;
    while f.engine.roll_up().await.unwrap() > 0 {}
    assert_usage_is_the_records_sums(&f.engine, &f.account, &records).await;
    let q = UsageQuery {
        from: t("2026-11-23T00:00:00Z"),
        to: t("2026-11-24T00:00:00Z"),
        granularity: Granularity::Hour,
        group_by: UsageGrouping::Route,
    };
    let keys: BTreeSet<String> = f.engine.usage(&f.account, &q).await.unwrap().lines.into_iter().map(|l| l.key).collect();
    assert_eq!(keys, routes.iter().map(|r| r.to_string()).collect());
}

async fn usage_series_and_the_log_page_through_everything(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let mut records = Vec::new();
    for (i, hour) in ["2026-11-22T08", "2026-11-22T09", "2026-11-23T08"].iter().enumerate() {
        for (route, region) in [("/api/orders", "eu"), ("/api/search", "na"), ("/api/orders", "apac")] {
            records.push(rec(&f.account_id, route, region, &format!("{hour}:00:00Z"), 100 * (i as u64 + 1), 1_000, 10));
            records.push(rec(&f.account_id, route, region, &format!("{hour}:30:00Z"), 1, 0, 0));
        }
    }
    let total = records.len();
    f.engine.ingest(&f.node, &batch(&f, "q-1", records), t(NOW)).await.unwrap();

    let q = |granularity, group_by| UsageQuery { from: t("2026-11-22T00:00:00Z"), to: t("2026-11-24T00:00:00Z"), granularity, group_by };
    let hourly = f.engine.usage(&f.account, &q(Granularity::Hour, UsageGrouping::Meter)).await.unwrap();
    let requests = hourly.lines.iter().find(|l| l.meter == Meter::Requests).unwrap();
    let points: Vec<_> = requests.points.iter().map(|p| (p.start.to_rfc3339(), p.quantity)).collect();
    assert_eq!(
        points,
        vec![
            ("2026-11-22T08:00:00+00:00".to_owned(), 303),
            ("2026-11-22T09:00:00+00:00".to_owned(), 603),
            ("2026-11-23T08:00:00+00:00".to_owned(), 903),
        ]
    );
    let daily = f.engine.usage(&f.account, &q(Granularity::Day, UsageGrouping::Region)).await.unwrap();
    let eu = daily.lines.iter().find(|l| l.key == "eu" && l.meter == Meter::Requests).unwrap();
    assert_eq!(eu.points.iter().map(|p| p.quantity).collect::<Vec<_>>(), vec![302, 301]);
    let by_route = f.engine.usage(&f.account, &q(Granularity::Day, UsageGrouping::Route)).await.unwrap();
    let keys: BTreeSet<_> = by_route.lines.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, BTreeSet::from(["/api/orders", "/api/search"]));
    let bad = UsageQuery {
        from: t("2026-11-24T00:00:00Z"),
        to: t("2026-11-22T00:00:00Z"),
        granularity: Granularity::Hour,
        group_by: UsageGrouping::Meter,
    };
    assert_eq!(f.engine.usage(&f.account, &bad).await.unwrap_err().code(), "invalid_usage_query");

    let mut seen = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = f.engine.usage_log(&f.account, &UsageLogQuery { cursor: cursor.clone(), limit: Some(4) }).await.unwrap();
        assert!(page.records.len() <= 4);
        for r in &page.records {
            assert!(seen.insert(r.id.clone()), "a record appears on two pages");
            assert_eq!(r.batch_id, "q-1");
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    let bad_cursor = UsageLogQuery { cursor: Some("abc".into()), limit: None };
    assert_eq!(f.engine.usage_log(&f.account, &bad_cursor).await.unwrap_err().code(), "invalid_cursor");
}

async fn the_log_keeps_backslashes_verbatim(db: Db) {
    // Backslashes are printable and allowed in routes and batch ids; no bulk write path may
    // read them as escapes.
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let route = r"/files/a\tb\\c\.";
    let start = (t(NOW) - Duration::minutes(2)).to_rfc3339();
    let b = batch(&f, r"b\n-1", vec![rec(&f.account_id, route, "eu", &start, 1, 0, 0)]);
    assert_eq!(f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap().receipt.accepted, 1);
    let log = f.engine.usage_log(&f.account, &UsageLogQuery::default()).await.unwrap();
    assert_eq!(log.records.len(), 1);
    assert_eq!((log.records[0].route.as_str(), log.records[0].batch_id.as_str()), (route, r"b\n-1"));
}

async fn the_demo_account_sits_just_past_80_percent(db: Db) {
    let engine = db.engine().await;
    let now = t(NOW);
    let demo = edgecost_engine::seed_demo(&engine, now).await.unwrap();
    let account = engine.authenticate_account(&demo.token).await.unwrap();
    assert_eq!(account.as_str(), demo.account_id);
    let summary = engine.account_summary(&account, now).await.unwrap();
    let ratio = summary.totals.requests as f64 / 200_000.0;
    assert!((0.80..0.90).contains(&ratio), "requests at {ratio} of the quota");
    let thresholds: Vec<_> = summary.notices.iter().map(|n| (n.meter, n.threshold_percent)).collect();
    assert_eq!(thresholds, vec![(Meter::Requests, 80)]);
    let q = UsageQuery { from: now - Duration::days(110), to: now, granularity: Granularity::Day, group_by: UsageGrouping::Route };
    let series = engine.usage(&account, &q).await.unwrap();
    let days: BTreeSet<_> = series.lines.iter().flat_map(|l| l.points.iter().map(|p| p.start)).collect();
    assert!(days.len() >= 100, "{} days of history", days.len());
    // Three closed months at least, so the first run already lists invoices.
    let invoices = engine.invoices(&account, &InvoiceQuery::default(), now).await.unwrap().invoices;
    assert!(invoices.len() >= 3, "{} invoices", invoices.len());
    assert!(invoices.iter().all(|i| i.total > Decimal::ZERO && i.tier == "production"));
    // A paying customer's account: every invoice paid a few days after its period, but the
    // latest, still due.
    let (latest, older) = invoices.split_first().unwrap();
    assert_eq!((latest.status, latest.amount_paid, latest.paid_at), (InvoiceStatus::Due, Decimal::ZERO, None));
    for i in older {
        assert_eq!((i.status, i.amount_paid), (InvoiceStatus::Paid, i.total), "{}", i.number);
        assert_eq!(i.paid_at, Some(i.period_end + Duration::days(3) + Duration::hours(14)), "{}", i.number);
    }
    assert_eq!(series.lines.iter().map(|l| l.key.as_str()).collect::<BTreeSet<_>>().len(), 4);
    let log = engine.usage_log(&account, &UsageLogQuery { cursor: None, limit: Some(500) }).await.unwrap();
    let nodes: BTreeSet<_> = log.records.iter().map(|r| r.node_id.as_str()).collect();
    assert_eq!(nodes.len(), 3);
}

// ------------------------------------------------------------------------------ hourly rollups

/// The records of batch `i`: two routes, two regions, three hours, with counters that differ
/// per batch.
fn rollup_records(account_id: &str, i: u64) -> Vec<TelemetryRecord> {
    let mut records = Vec::new();
    for (h, hour) in ["2026-11-23T07", "2026-11-23T08", "2026-11-23T09"].iter().enumerate() {
        for (route, region) in [("/api/orders", "eu"), ("/api/search", "na"), ("/api/orders", "na")] {
            let n = i * 10 + h as u64 + 1;
            records.push(rec(account_id, route, region, &format!("{hour}:{:02}:00Z", i % 60), n, n * 1_000, n * 3));
        }
    }
    records
}

/// Sums of `records` per (hour, key), keyed as the usage query answers them.
fn expected_sums(records: &[TelemetryRecord], key: impl Fn(&TelemetryRecord) -> String) -> BTreeMap<(String, String, String), u64> {
    let mut sums = BTreeMap::new();
    for r in records {
        let hour = r.window_start.timestamp() / 3_600 * 3_600;
        let hour = DateTime::from_timestamp(hour, 0).unwrap().to_rfc3339();
        for (meter, value) in [("requests", r.requests), ("egress", r.egress_bytes), ("compute", r.compute_ms)] {
            *sums.entry((hour.clone(), key(r), meter.to_owned())).or_default() += value;
        }
    }
    sums
}

/// What the usage query answers for the fixture's account on 2026-11-23, hourly, per group.
async fn usage_sums(engine: &Engine, account: &AccountId, group_by: UsageGrouping) -> BTreeMap<(String, String, String), u64> {
    let q = UsageQuery { from: t("2026-11-23T00:00:00Z"), to: t("2026-11-24T00:00:00Z"), granularity: Granularity::Hour, group_by };
    let series = engine.usage(account, &q).await.unwrap();
    let mut sums = BTreeMap::new();
    for line in &series.lines {
        let meter = match line.meter {
            Meter::Requests => "requests",
            Meter::Egress => "egress",
            Meter::Compute => "compute",
        };
        let key = if group_by == UsageGrouping::Meter { String::new() } else { line.key.clone() };
        for p in &line.points {
            if p.quantity > 0 {
                *sums.entry((p.start.to_rfc3339(), key.clone(), meter.to_owned())).or_default() += p.quantity;
            }
        }
    }
    sums
}

async fn assert_usage_is_the_records_sums(engine: &Engine, account: &AccountId, records: &[TelemetryRecord]) {
    assert_eq!(usage_sums(engine, account, UsageGrouping::Meter).await, expected_sums(records, |_| String::new()));
    assert_eq!(usage_sums(engine, account, UsageGrouping::Route).await, expected_sums(records, |r| r.route.clone()));
    assert_eq!(usage_sums(engine, account, UsageGrouping::Region).await, expected_sums(records, |r| r.region.clone()));
}

async fn hourly_rollups_count_each_batch_once_while_two_replicas_roll_up(db: Db) {
    let f = fixture(&db, "scale", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Both replicas roll up as fast as they can, beside their own background tasks.
    let mut rollers = Vec::new();
    for engine in [f.engine.clone(), replica.clone()] {
        let done = done.clone();
        rollers.push(tokio::spawn(async move {
            let mut rolled = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                rolled += engine.roll_up().await.unwrap();
                tokio::task::yield_now().await;
            }
            rolled
        }));
    }
    let mut ingests = Vec::new();
    for i in 0..40u64 {
        // Each batch is sent to both replicas at once: one stores it, the other replays it.
        for engine in [f.engine.clone(), replica.clone()] {
            let b = batch(&f, &format!("roll-{i}"), rollup_records(&f.account_id, i));
            let node = f.node.clone();
            ingests.push(tokio::spawn(async move { engine.ingest(&node, &b, t(NOW)).await.unwrap().replayed }));
        }
    }
    let mut fresh = 0;
    for task in ingests {
        fresh += u64::from(!task.await.unwrap());
    }
    assert_eq!(fresh, 40, "each batch is stored once");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    for roller in rollers {
        roller.await.unwrap();
    }
    let records: Vec<_> = (0..40).flat_map(|i| rollup_records(&f.account_id, i)).collect();
    for engine in [&f.engine, &replica] {
        assert_usage_is_the_records_sums(engine, &f.account, &records).await;
    }
    assert_eq!(f.engine.rollups_pending().await.unwrap(), 0);
    // Nothing is left to roll up twice.
    assert_eq!(f.engine.roll_up().await.unwrap() + replica.roll_up().await.unwrap(), 0);
    assert_usage_is_the_records_sums(&f.engine, &f.account, &records).await;
}

async fn a_usage_query_after_an_ingest_answer_sees_the_batch(db: Db) {
    let f = fixture(&db, "scale", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let roller = {
        let (replica, done) = (replica.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                replica.roll_up().await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let mut records = Vec::new();
    for i in 0..20u64 {
        let b = batch(&f, &format!("seen-{i}"), rollup_records(&f.account_id, i));
        records.extend(b.records.iter().cloned());
        f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap();
        // Read on either replica, right after the answer, while the other rolls up.
        let reader = if i % 2 == 0 { &f.engine } else { &replica };
        assert_eq!(
            usage_sums(reader, &f.account, UsageGrouping::Meter).await,
            expected_sums(&records, |_| String::new()),
            "after batch {i}"
        );
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    roller.await.unwrap();
    assert_usage_is_the_records_sums(&replica, &f.account, &records).await;
}

async fn the_background_task_rolls_up_without_a_query(db: Db) {
    let f = fixture(&db, "scale", "2026-10-01T00:00:00Z").await;
    f.engine.ingest(&f.node, &batch(&f, "bg-1", rollup_records(&f.account_id, 1)), t(NOW)).await.unwrap();
    // Nothing here asks for usage: only the background task can empty the queue. The deadline
    // is far past its pace (a pass every 150 ms), so a loaded machine cannot fail this.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while f.engine.rollups_pending().await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "the background task rolled nothing up in 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_usage_is_the_records_sums(&f.engine, &f.account, &rollup_records(&f.account_id, 1)).await;
}

// ------------------------------------------------------------------------------ projections and quotes

/// A new account whose usage was backfilled from the period start: the run rate is measured
/// from its first usage window, not from when the account was created.
async fn a_backfilled_new_account_projects_from_its_first_usage_window(db: Db) {
    let now = "2026-12-02T17:33:00Z";
    let f = fixture(&db, "production", now).await;
    // 10,000 requests in each hour from Dec 1 00:00 to Dec 2 16:00: 41 hours, 410,000 requests.
    let records: Vec<TelemetryRecord> = (0..41)
        .map(|h| rec(&f.account_id, "/api", "na", &(t("2026-12-01T00:00:00Z") + Duration::hours(h)).to_rfc3339(), 10_000, 0, 0))
        .collect();
    let r = f.engine.ingest(&f.node, &batch(&f, "backfill", records), t(now)).await.unwrap();
    assert_eq!(r.receipt.accepted, 41, "{:?}", r.receipt.rejected);
    let bill = f.engine.bill_to_date(&f.account, t(now)).await.unwrap();
    assert_eq!(bill.basis.measured_from, Some(t("2026-12-01T00:00:00Z")));
    assert_eq!(bill.basis.measured_seconds, 41 * 3_600 + 33 * 60);
    assert!(!bill.basis.short_history, "{:?}", bill.basis);
    // usage x period / covered span, rounded down: 410,000 x 31 days / 41 h 33 min.
    let expected = 410_000u128 * (31 * 86_400) / (41 * 3_600 + 33 * 60);
    assert_eq!(u128::from(bill.projected_totals.requests), expected);
    assert_eq!(bill.projected_totals.requests, 7_341_516);
    // Production: $19 + (7,341,516 - 200,000) / 10,000 x $0.40 = $19 + $285.66.
    assert_eq!(bill.projected_cost, d("304.66"));

    // An account with a few hours of usage gets a projection marked as a rough guess, and
    // no credit packs are suggested from it.
    let g = fixture(&db, "production", "2026-12-05T09:00:00Z").await;
    let records = vec![rec(&g.account_id, "/api", "na", "2026-12-05T09:00:00Z", 170_000, 0, 0)];
    g.engine.ingest(&g.node, &batch(&g, "fresh", records), t("2026-12-05T12:00:00Z")).await.unwrap();
    let bill = g.engine.bill_to_date(&g.account, t("2026-12-05T12:00:00Z")).await.unwrap();
    assert!(bill.basis.short_history && bill.basis.explanation.contains("rough guess"), "{:?}", bill.basis);
    let notices = g.engine.notices(&g.account, t("2026-12-05T12:00:00Z")).await.unwrap().notices;
    assert!(!notices.is_empty(), "170,000 of 200,000 requests is past 80%");
    assert!(notices.iter().all(|n| n.offer.credit_packs.is_none()), "no packs suggested from a rough guess");
}

/// 100,000 requests a day from Nov 1 to Nov 10, quoted at Nov 11 00:00 (day 11 of 30):
/// 1,000,000 so far, 3,000,000 projected.
async fn steady_november(db: &Db) -> (Fixture, DateTime<Utc>) {
    let now = t("2026-11-11T00:00:00Z");
    (november_days(db, "production", 10, now, |_| 100_000).await, now)
}

/// A `tier` account since Oct 15 with `requests(day)` requests on each of November's first
/// `days` days (day 0 is Nov 1), in one batch ingested at `now`.
async fn november_days(db: &Db, tier: &str, days: i64, now: DateTime<Utc>, requests: impl Fn(i64) -> u64) -> Fixture {
    let f = fixture(db, tier, "2026-10-15T00:00:00Z").await;
    let records: Vec<TelemetryRecord> = (0..days)
        .map(|day| rec(&f.account_id, "/api", "na", &(t("2026-11-01T00:00:00Z") + Duration::days(day)).to_rfc3339(), requests(day), 0, 0))
        .collect();
    f.engine.ingest(&f.node, &batch(&f, "november", records), now).await.unwrap();
    f
}

/// 400,000 requests every third day of November's first ten, 50,000 on the others.
fn swinging(day: i64) -> u64 {
    if day % 3 == 0 { 400_000 } else { 50_000 }
}

async fn the_upgrade_quote_prices_every_tier_and_recommends_the_cheapest_that_does_not_cap(db: Db) {
    let (f, now) = steady_november(&db).await;
    let bill = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!(bill.projected_totals.requests, 3_000_000);
    let quote = f.engine.upgrade_quote(&f.account, now).await.unwrap();
    let costs: Vec<(&str, String, bool, bool)> =
        quote.tiers.iter().map(|q| (q.tier.as_str(), q.projected_cost.to_string(), q.caps_usage, q.recommended)).collect();
    assert_eq!(
        costs,
        vec![
            // A lower tier is priced as if the whole period had been on it: the sandbox caps it.
            ("sandbox", "0.00".to_owned(), true, false),
            // $19 + 2,800,000 over at $0.40 per 10,000.
            ("production", "131.00".to_owned(), false, false),
            // $6.33 production for 10 days + $52.67 scale for 20 + 1,000,000 over at $0.25.
            ("scale", "84.00".to_owned(), false, true),
        ]
    );
    assert_eq!((quote.upgrade_to.as_deref(), quote.recommended.as_deref()), (Some("scale"), Some("scale")));
    assert_eq!(quote.prorated_base_fee, Some(d("52.67")));
    assert_eq!(quote.saving, Some(d("47.00")));

    // A light account is offered the upgrade, but it is not recommended: it costs more.
    let light = fixture(&db, "production", "2026-10-15T00:00:00Z").await;
    let records = vec![rec(&light.account_id, "/api", "na", "2026-11-01T00:00:00Z", 20_000, 0, 0)];
    light.engine.ingest(&light.node, &batch(&light, "light", records), now).await.unwrap();
    let quote = light.engine.upgrade_quote(&light.account, now).await.unwrap();
    assert_eq!((quote.upgrade_to.as_deref(), quote.recommended), (Some("scale"), None));
    assert!(quote.saving.unwrap() < Decimal::ZERO, "{:?}", quote.saving);
    assert!(quote.tiers.iter().all(|t| !t.recommended));

    // A sandbox account over its cap is offered the cheapest tier that does not cap it.
    let s = fixture(&db, "sandbox", "2026-10-15T00:00:00Z").await;
    let records: Vec<TelemetryRecord> = (0..10)
        .map(|day| rec(&s.account_id, "/api", "na", &(t("2026-11-01T12:00:00Z") + Duration::days(day)).to_rfc3339(), 5_000_000, 0, 0))
        .collect();
    s.engine.ingest(&s.node, &batch(&s, "sandbox", records), now).await.unwrap();
    let quote = s.engine.upgrade_quote(&s.account, now).await.unwrap();
    let cheapest = quote.tiers.iter().filter(|q| q.upgrade && !q.caps_usage).min_by_key(|q| q.projected_cost).unwrap();
    assert_eq!(quote.recommended.as_deref(), Some(cheapest.tier.as_str()));
    assert_eq!(
        quote.recommended.as_deref(),
        Some("scale"),
        "{:?}",
        quote.tiers.iter().map(|q| (&q.tier, q.projected_cost)).collect::<Vec<_>>()
    );
}

async fn the_credits_quote_says_how_long_packs_last_and_what_carries_over(db: Db) {
    let (f, now) = steady_november(&db).await;
    // $32.00 of overage so far; $112.00 projected; 19 days left; $4.21 a day.
    let three = f.engine.credits_quote(&f.account, 3, now).await.unwrap();
    assert_eq!((three.total_price, three.balance_after, three.overage_per_day), (d("75.00"), d("43.00"), d("4.21")));
    assert_eq!((three.projected_overage, three.projected_carry_over), (d("112.00"), d("0.00")));
    // $32.00 + $80.00 x d / 19 passes $75.00 on day 11: the credit covers 10 days.
    assert_eq!(three.covers_days, Some(10));
    assert_eq!(three.runs_out_on, Some("2026-11-21".parse().unwrap()));
    let five = f.engine.credits_quote(&f.account, 5, now).await.unwrap();
    assert_eq!((five.covers_days, five.runs_out_on), (None, None));
    assert_eq!(five.projected_carry_over, d("13.00"), "$125.00 of credit less $112.00 of overage carries over");
    let err = f.engine.credits_quote(&f.account, 0, now).await.unwrap_err();
    assert!(matches!(err, edgecost_engine::EngineError::InvalidPackCount { .. }), "{err:?}");

    // Buying credit does not make the period look cheaper: it pays part of the same cost.
    let before = f.engine.bill_to_date(&f.account, now).await.unwrap();
    f.engine.purchase_credits(&f.account, "buy-2", &CreditPurchaseRequest { packs: 2 }, now).await.unwrap();
    let after = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!(after.projected_cost, before.projected_cost);
    assert_eq!(after.projected.credits_applied, d("50.00"));
    assert_eq!(after.projected.total, before.projected.total - d("50.00"));
}

async fn the_outlook_of_steady_days_is_the_run_rate_and_its_percentiles_are_ordered(db: Db) {
    let (f, now) = steady_november(&db).await;
    let report = f.engine.outlook(&f.account, now).await.unwrap();
    let outlook = report.outlook.expect("10 days of usage give an outlook");
    assert_eq!((outlook.simulations, outlook.history_days), (1_000, 10));
    // Every simulated day is the same: both percentiles are the run rate's $131.00.
    assert_eq!((outlook.p50.cost, outlook.p90.cost), (d("131.00"), d("131.00")));
    assert_eq!(outlook.p90_totals.requests, 3_000_000);

    // Swinging days spread the outcomes: P50 <= P90, each the bill of one simulated period.
    let g = november_days(&db, "production", 10, now, swinging).await;
    let outlook = g.engine.outlook(&g.account, now).await.unwrap().outlook.unwrap();
    assert!(outlook.p50.cost < outlook.p90.cost, "{} vs {}", outlook.p50.cost, outlook.p90.cost);
    assert_eq!(outlook.p90.cost, outlook.p90.bill.base_fee + outlook.p90.bill.overage_total);
    // Too little history: said, not guessed.
    let h = fixture(&db, "production", "2026-11-09T00:00:00Z").await;
    use_requests(&h, "new", 1_000, "2026-11-10T10:00:00Z").await;
    let report = h.engine.outlook(&h.account, now).await.unwrap();
    assert!(report.outlook.is_none() && report.unavailable.unwrap().contains("7 days"));
}

async fn cost_by_route_attributes_each_periods_bill_to_the_cent(db: Db) {
    let f = fixture(&db, "production", "2026-09-20T00:00:00Z").await;
    let gb = edgecost_pricing::BYTES_PER_GB;
    // October: /a 600,000 requests and 20 GB in eu; /b 200,000 requests and 100 GB in apac
    // (billed as 150 GB). Overage: 600,000 requests ($24.00) and 120 GB ($6.00).
    let october = vec![
        rec(&f.account_id, "/a", "eu", "2026-10-10T10:00:00Z", 600_000, 20 * gb, 0),
        rec(&f.account_id, "/b", "apac", "2026-10-10T10:00:00Z", 200_000, 100 * gb, 0),
    ];
    f.engine.ingest(&f.node, &batch(&f, "october", october), t("2026-10-10T10:05:00Z")).await.unwrap();
    let november = vec![rec(&f.account_id, "/a", "eu", "2026-11-05T10:00:00Z", 100_000, 0, 0)];
    f.engine.ingest(&f.node, &batch(&f, "november", november), t("2026-11-05T10:05:00Z")).await.unwrap();

    let now = t("2026-11-11T00:00:00Z");
    let report = f.engine.route_costs(&f.account, t("2026-10-01T00:00:00Z"), now, now).await.unwrap();
    assert_eq!(report.periods.len(), 2);
    let (oct, nov) = (&report.periods[0], &report.periods[1]);
    assert!(oct.closed && !nov.closed);
    assert_eq!(oct.overage, d("30.00"));
    let costs: Vec<(&str, Decimal)> = oct.routes.iter().map(|r| (r.route.as_str(), r.cost)).collect();
    // Requests: $18.00 and $6.00. Egress: $6.00 split 20:150, $0.70 and $5.29 with the
    // leftover cent to the larger remainder (/a).
    assert_eq!(costs, vec![("/a", d("18.71")), ("/b", d("11.29"))]);
    assert_eq!(oct.routes.iter().map(|r| r.cost).sum::<Decimal>(), oct.overage);
    // November so far is inside the quota; at the run rate (10 days measured) /a pays the
    // projected $4.00 of request overage.
    assert_eq!(nov.overage, d("0.00"));
    assert_eq!(nov.projected_overage, Some(d("4.00")));
    assert_eq!(nov.routes.iter().map(|r| (r.route.as_str(), r.projected_cost)).collect::<Vec<_>>(), vec![("/a", Some(d("4.00")))]);
    // A span inside one period touches that period only.
    let one = f.engine.route_costs(&f.account, t("2026-11-04T00:00:00Z"), now, now).await.unwrap();
    assert_eq!(one.periods.len(), 1);

    // Beside the routes, each period's base fee (which no route carries) and whole cost.
    assert_eq!((oct.base_fee, oct.cost, oct.projected_cost), (d("19.00"), d("49.00"), None));
    assert_eq!((nov.base_fee, nov.cost, nov.projected_cost), (d("19.00"), d("19.00"), Some(d("23.00"))));
    // A period that ended before the account existed billed nothing; the one it was created
    // in owes the whole base fee.
    let earlier = f.engine.route_costs(&f.account, t("2026-08-01T00:00:00Z"), now, now).await.unwrap();
    let (aug, sep) = (&earlier.periods[0], &earlier.periods[1]);
    assert_eq!((aug.base_fee, aug.cost, aug.routes.len()), (d("0.00"), d("0.00"), 0));
    assert_eq!((sep.base_fee, sep.cost), (d("19.00"), d("19.00")));

    // An upgrade to scale on day 11 of 30: scale's quotas take in what production billed as
    // overage, so every route's overage falls to nothing while the period costs more than
    // October: $19.00 x 10/30 + $79.00 x 20/30 = $6.33 + $52.67.
    f.engine.change_tier(&f.account, "up", &tier("scale"), now).await.unwrap();
    let upgraded = f.engine.route_costs(&f.account, t("2026-10-01T00:00:00Z"), now, now).await.unwrap();
    let nov = &upgraded.periods[1];
    assert_eq!(nov.routes.iter().map(|r| (r.route.as_str(), r.projected_cost)).collect::<Vec<_>>(), vec![("/a", Some(d("0.00")))]);
    assert_eq!(
        (nov.base_fee, nov.cost, nov.projected_overage, nov.projected_cost),
        (d("59.00"), d("59.00"), Some(d("0.00")), Some(d("59.00")))
    );
    assert!(nov.projected_cost.unwrap() > upgraded.periods[0].cost);
}

// ------------------------------------------------------------------------------ bounds

/// One hour of the most egress one node may report for one record: 3600 s at 100 GB/s.
const RECORD_EGRESS_BYTES_MAX: u64 = 360_000_000_000_000;

fn full_hour(account_id: &str, route: &str, hour: &str, egress_bytes: u64) -> TelemetryRecord {
    TelemetryRecord { window_seconds: 3_600, ..rec(account_id, route, "eu", hour, 0, egress_bytes, 0) }
}

async fn a_batch_past_a_period_bound_is_refused_whole_and_every_account_still_reads(db: Db) {
    // The first hour of a 31-day period, read at its end: the projection scales the totals by
    // the most it ever does (744).
    let now = "2026-12-01T01:00:00Z";
    let hour = "2026-12-01T00:00:00Z";
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let other = f.engine.create_account("Other", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let other_account = f.engine.authenticate_account(&other.token).await.unwrap();
    let fit = (edgecost_engine::PERIOD_EGRESS_BYTES_MAX as u64 / RECORD_EGRESS_BYTES_MAX) as usize;
    assert_eq!(fit, 27);

    // Up to the bound, record by record at the per-record maximum.
    let records: Vec<_> = (0..fit).map(|i| full_hour(&f.account_id, &format!("/r{i}"), hour, RECORD_EGRESS_BYTES_MAX)).collect();
    let first = f.engine.ingest(&f.node, &batch(&f, "max-1", records), t(now)).await.unwrap();
    assert_eq!(first.receipt.accepted as usize, fit, "{:?}", first.receipt.rejected);

    // One more record would pass the bound: the whole batch is refused, the other account's
    // record with it, and nothing of it is stored.
    let over = vec![full_hour(&other.account_id, "/x", hour, 1_000), full_hour(&f.account_id, "/r0", hour, RECORD_EGRESS_BYTES_MAX)];
    let e = f.engine.ingest(&f.node, &batch(&f, "max-2", over.clone()), t(now)).await.unwrap_err();
    assert_eq!(e.code(), "period_total_exceeded", "{e}");
    assert!(e.is_client_error());
    assert!(e.to_string().contains(&f.account_id), "{e}");
    // The refusal claimed nothing: the same batch is refused again, not replayed.
    let again = f.engine.ingest(&f.node, &batch(&f, "max-2", over), t(now)).await.unwrap_err();
    assert_eq!(again.code(), "period_total_exceeded");

    // The largest batch a node can send for one hour (the roll-up that once passed bigint).
    let flood: Vec<_> = (0..edgecost_api::MAX_BATCH_RECORDS)
        .map(|i| full_hour(&other.account_id, &format!("/f{}", i % 50), hour, RECORD_EGRESS_BYTES_MAX))
        .collect();
    for i in 0..3 {
        let e = f.engine.ingest(&f.node, &batch(&f, &format!("flood-{i}"), flood.clone()), t(now)).await.unwrap_err();
        assert_eq!(e.code(), "period_total_exceeded");
    }

    // The other account keeps ingesting, and every read of both answers with exact totals.
    let ok = f.engine.ingest(&f.node, &batch(&f, "other-1", vec![full_hour(&other.account_id, "/x", hour, 1_000)]), t(now)).await.unwrap();
    assert_eq!(ok.receipt.accepted, 1);
    let bill = f.engine.bill_to_date(&f.account, t(now)).await.unwrap();
    assert_eq!(bill.totals.egress_bytes, fit as u64 * RECORD_EGRESS_BYTES_MAX);
    assert_eq!(bill.projected_totals.egress_bytes, 744 * fit as u64 * RECORD_EGRESS_BYTES_MAX);
    assert_eq!(f.engine.account_summary(&f.account, t(now)).await.unwrap().totals.egress_bytes, bill.totals.egress_bytes);
    f.engine.notices(&f.account, t(now)).await.unwrap();
    f.engine.upgrade_quote(&f.account, t(now)).await.unwrap();
    assert_eq!(f.engine.bill_to_date(&other_account, t(now)).await.unwrap().totals.egress_bytes, 1_000);
    let q = UsageQuery {
        from: t("2026-11-01T00:00:00Z"),
        to: t("2026-12-02T00:00:00Z"),
        granularity: Granularity::Day,
        group_by: UsageGrouping::Meter,
    };
    let egress = |series: &edgecost_api::UsageSeries| -> u64 {
        series.lines.iter().filter(|l| l.meter == Meter::Egress).flat_map(|l| &l.points).map(|p| p.quantity).sum()
    };
    assert_eq!(egress(&f.engine.usage(&f.account, &q).await.unwrap()), bill.totals.egress_bytes);
    assert_eq!(egress(&f.engine.usage(&other_account, &q).await.unwrap()), 1_000);
    let by_route = UsageQuery { group_by: UsageGrouping::Route, granularity: Granularity::Hour, ..q };
    assert_eq!(egress(&f.engine.usage(&f.account, &by_route).await.unwrap()), bill.totals.egress_bytes);
    assert_eq!(f.engine.rollups_pending().await.unwrap(), 0, "the roll-up drained its queue");
}

async fn control_characters_in_record_strings_are_refused_alike_on_every_backend(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let ok = rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 5, 0, 0);
    let mut records = vec![ok.clone()];
    for bad in ["\0", "\u{1}", "\u{7f}"] {
        let mut r = ok.clone();
        r.account_id = format!("{}{bad}", f.account_id);
        records.push(r);
        let mut r = ok.clone();
        r.route = format!("/api{bad}orders");
        records.push(r);
        let mut r = ok.clone();
        r.region = format!("eu{bad}");
        records.push(r);
    }
    let receipt = f.engine.ingest(&f.node, &batch(&f, "nul", records), t(NOW)).await.unwrap().receipt;
    assert_eq!(receipt.accepted, 1);
    let reasons: Vec<_> = receipt.rejected.iter().map(|r| r.reason).collect();
    let each = [RejectionReason::UnknownAccount, RejectionReason::InvalidRoute, RejectionReason::UnknownRegion];
    assert_eq!(reasons, [each, each, each].concat());
    assert_eq!(f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap().totals.requests, 5);
}

async fn a_window_at_the_end_of_representable_time_is_refused_not_a_panic(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let ok = rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 5, 0, 0);
    let last_second = DateTime::<Utc>::MAX_UTC - Duration::nanoseconds(999_999_999);
    let mut records = vec![ok.clone()];
    for (start, window_seconds) in [(last_second, 1), (last_second - Duration::seconds(59), 60), (t("+262142-12-31T23:59:59Z"), 1)] {
        let mut r = ok.clone();
        r.window_start = start;
        r.window_seconds = window_seconds;
        records.push(r);
    }
    let receipt = f.engine.ingest(&f.node, &batch(&f, "eot", records), t(NOW)).await.unwrap().receipt;
    assert_eq!(receipt.accepted, 1);
    let reasons: Vec<_> = receipt.rejected.iter().map(|r| (r.index, r.reason)).collect();
    assert_eq!(reasons[..2], [(1, RejectionReason::InvalidWindow), (2, RejectionReason::InvalidWindow)]);
    assert!(matches!(reasons[2], (3, RejectionReason::InvalidWindow | RejectionReason::WindowInFuture)), "{reasons:?}");
}

/// Runs one SQL statement on the database behind `db`, beside the engine.
async fn execute_sql(db: &Db, sql: &str) {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn a_committed_batch_is_answered_with_its_receipt_when_settlement_after_it_fails(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    f.engine.purchase_credits(&f.account, "key-1", &CreditPurchaseRequest { packs: 1 }, t(NOW)).await.unwrap();
    // A ledger that no longer adds up makes the settlement after each batch fail.
    execute_sql(&db, "UPDATE ledger_entries SET balance_after_cents = balance_after_cents + 1").await;
    let b = batch(&f, "after-1", vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 250_000, 0, 0)]);
    let first = f.engine.ingest(&f.node, &b, t(NOW)).await.expect("a committed batch gets its receipt");
    assert_eq!((first.receipt.accepted, first.replayed), (1, false));
    let again = f.engine.ingest(&f.node, &b, t(NOW)).await.unwrap();
    assert_eq!((again.receipt, again.replayed), (first.receipt, true));
    let q = UsageQuery {
        from: t("2026-11-23T00:00:00Z"),
        to: t("2026-11-24T00:00:00Z"),
        granularity: Granularity::Day,
        group_by: UsageGrouping::Meter,
    };
    let series = f.engine.usage(&f.account, &q).await.unwrap();
    let requests: u64 = series.lines.iter().filter(|l| l.meter == Meter::Requests).flat_map(|l| &l.points).map(|p| p.quantity).sum();
    assert_eq!(requests, 250_000, "the batch counts once");
}

// ------------------------------------------------------------------------------ controls

fn budget(amount: &str) -> BudgetSettings {
    BudgetSettings { monthly_budget: Some(d(amount)), ..Default::default() }
}

fn top_up(below: &str, packs: u32, max: u32) -> AutoTopUpSettings {
    AutoTopUpSettings { enabled: true, below: d(below), packs, max_packs_per_period: max }
}

fn alert_messages(alerts: &[AccountAlert], kind: AlertKind) -> Vec<String> {
    alerts.iter().filter(|a| a.kind == kind).map(|a| a.message.clone()).collect()
}

/// Spend alerts fire once per threshold as the bill to date crosses 50, 75, 90 and 100% of the
/// budget, however often the budget is read or usage arrives.
async fn budget_alerts_fire_once_per_threshold(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let set = f.engine.set_budget(&f.account, "b-1", &budget("30.00"), t("2026-11-02T00:00:00Z")).await.unwrap();
    // The $19.00 base fee is 63% of $30.00.
    assert_eq!((set.spend_to_date, set.budget_used_percent), (d("19.00"), Some(63)));
    assert_eq!(alert_messages(&set.alerts, AlertKind::BudgetSpend).len(), 1);
    assert!(set.alerts[0].message.contains("50% of the $30.00 budget"), "{:?}", set.alerts);
    // 200,000 included, then 100,000 more: $4.00 overage, $23.00 is 76%.
    use_requests(&f, "c-1", 300_000, "2026-11-05T10:00:00Z").await;
    let status = f.engine.budget(&f.account, t("2026-11-05T10:00:00Z")).await.unwrap();
    assert_eq!(status.budget_used_percent, Some(76));
    assert_eq!(alert_messages(&status.alerts, AlertKind::BudgetSpend).len(), 2);
    // $9.00 of overage is 93%, then $12.40 is 104%: the 90% and 100% alerts, once each.
    use_requests(&f, "c-2", 125_000, "2026-11-06T10:00:00Z").await;
    use_requests(&f, "c-3", 75_000, "2026-11-07T10:00:00Z").await;
    use_requests(&f, "c-4", 10_000, "2026-11-07T11:00:00Z").await;
    for _ in 0..3 {
        f.engine.budget(&f.account, t("2026-11-07T12:00:00Z")).await.unwrap();
    }
    let status = f.engine.budget(&f.account, t("2026-11-07T12:00:00Z")).await.unwrap();
    let spend = alert_messages(&status.alerts, AlertKind::BudgetSpend);
    assert_eq!(spend.len(), 4, "{spend:?}");
    for (message, percent) in spend.iter().zip([50, 75, 90, 100]) {
        assert!(message.contains(&format!("{percent}% of the $30.00 budget")), "{message}");
    }
    // A new budget resolves the old amount's alerts and raises its own.
    let status = f.engine.set_budget(&f.account, "b-2", &budget("60.00"), t("2026-11-07T12:00:00Z")).await.unwrap();
    assert_eq!(status.budget_used_percent, Some(52));
    let spend = alert_messages(&status.alerts, AlertKind::BudgetSpend);
    assert_eq!(spend.len(), 1, "{spend:?}");
    assert!(spend[0].contains("50% of the $60.00 budget"));
    // The same key again changes nothing; with other settings it is refused.
    f.engine.set_budget(&f.account, "b-2", &budget("60.00"), t("2026-11-07T12:00:00Z")).await.unwrap();
    let reused = f.engine.set_budget(&f.account, "b-2", &budget("70.00"), t("2026-11-07T12:00:00Z")).await.unwrap_err();
    assert_eq!(reused.code(), "idempotency_key_reused");
    for bad in [budget("0"), budget("12.345"), BudgetSettings { alert_percents: vec![0, 50], ..budget("10") }] {
        let refused = f.engine.set_budget(&f.account, "bad", &bad, t("2026-11-07T12:00:00Z")).await.unwrap_err();
        assert_eq!(refused.code(), "invalid_controls", "{bad:?}");
    }
    assert_eq!(f.engine.budget(&f.account, t("2026-11-07T12:00:00Z")).await.unwrap().settings, budget("60.00"));
}

/// A projection past the budget alerts before the spend gets there, with the day it is
/// expected to: steady 100,000 requests a day reach $100.00 on Nov 23.
async fn a_projection_past_the_budget_alerts_with_the_day_it_gets_there(db: Db) {
    let (f, now) = steady_november(&db).await;
    let status = f.engine.set_budget(&f.account, "b", &budget("100.00"), now).await.unwrap();
    assert_eq!(status.spend_to_date, d("51.00"));
    let on = |basis| status.forecasts.iter().find(|f| f.basis == basis).unwrap();
    for basis in [ForecastBasis::RunRate, ForecastBasis::P50, ForecastBasis::P90] {
        assert_eq!(on(basis).projected_cost, d("131.00"), "{basis:?}");
        // Nov 22 ends at 2,200,000 requests ($99.00), Nov 23 at 2,300,000 ($103.00).
        assert_eq!(on(basis).reaches_budget_on, Some("2026-11-23".parse().unwrap()), "{basis:?}");
    }
    // With an outlook, the P50 alerts (not the run rate as well); the P90 only when asked.
    let forecast = alert_messages(&status.alerts, AlertKind::BudgetForecast);
    assert_eq!(forecast.len(), 1, "{forecast:?}");
    assert!(forecast[0].contains("P50") && forecast[0].contains("$131.00") && forecast[0].contains("Nov 23"), "{}", forecast[0]);
    let both = BudgetSettings { alert_on_p90: true, ..budget("100.00") };
    let status = f.engine.set_budget(&f.account, "b-p90", &both, now).await.unwrap();
    assert_eq!(alert_messages(&status.alerts, AlertKind::BudgetForecast).len(), 2);
    // A budget the projection stays under raises nothing, and has no day.
    let status = f.engine.set_budget(&f.account, "b-high", &budget("200.00"), now).await.unwrap();
    assert!(status.alerts.is_empty(), "{:?}", status.alerts);
    assert!(status.forecasts.iter().all(|f| f.reaches_budget_on.is_none()));
}

fn cap(amount: &str) -> BudgetSettings {
    BudgetSettings { spend_cap: Some(d(amount)), ..Default::default() }
}

const GB: u64 = 1_000_000_000;

/// Production: $19.00 a month, 200,000 requests and 50 GB included, then $0.40 per 10,000
/// requests and $0.05 per GB. A $30.00 cap leaves $11.00 for overage.
async fn the_spend_cap_refuses_what_would_cost_more_and_never_bills_it(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let f = &f;
    let send = |id: &'static str, requests: u64, egress_gb: u64, at: &'static str| {
        let start = (t(at) - Duration::minutes(2)).to_rfc3339();
        let b = batch(f, id, vec![rec(&f.account_id, "/api/orders", "eu", &start, requests, egress_gb * GB, 0)]);
        async move { f.engine.ingest(&f.node, &b, t(at)).await.unwrap().receipt.accounts.remove(0) }
    };
    f.engine.purchase_credits(&f.account, "pack", &CreditPurchaseRequest { packs: 1 }, t("2026-11-01T12:00:00Z")).await.unwrap();
    let set = f.engine.set_budget(&f.account, "cap-30", &cap("30.00"), t("2026-11-02T00:00:00Z")).await.unwrap();
    assert!(!set.capped && set.alerts.is_empty(), "{set:?}");
    // 300,000 then 150,000 requests: $4.00, then $10.00 of overage. $29.00 spent, not capped.
    assert!(!send("c-1", 300_000, 0, "2026-11-03T10:00:00Z").await.spend_capped);
    let status = send("c-2", 150_000, 0, "2026-11-04T10:00:00Z").await;
    assert!(!status.capped && !status.spend_capped, "{status:?}");
    // 50,000 more would make $31.00: the batch's requests are refused, its 10 GB (inside the
    // quota) still count, and requests are capped from now on. Egress is not, yet: 40 GB of
    // its quota are left.
    let status = send("c-3", 50_000, 10, "2026-11-05T10:00:00Z").await;
    assert!(status.capped && status.spend_capped, "{status:?}");
    assert_eq!(status.capped_meters, vec![Meter::Requests]);
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-05T10:00:00Z")).await.unwrap();
    assert_eq!((bill.cost, bill.bill.overage_total), (d("29.00"), d("10.00")));
    let spend_cap = bill.totals.spend_cap.clone().unwrap();
    assert_eq!((spend_cap.limit_requests, spend_cap.limit_billable_egress_bytes), (Some(450_000), Some(d("50000000000"))));
    assert_eq!(spend_cap.limit_compute_ms, None, "production bills no compute: it is never refused");
    // Past both limits now: 150,000 requests and 5 GB refused, the bill unchanged.
    let status = send("c-4", 100_000, 45, "2026-11-06T10:00:00Z").await;
    assert_eq!(status.capped_meters, vec![Meter::Requests, Meter::Egress]);
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-06T10:00:00Z")).await.unwrap();
    assert_eq!((bill.totals.requests, bill.totals.egress_bytes), (600_000, 55 * GB));
    assert_eq!((bill.cost, bill.bill.credits_applied), (d("29.00"), d("10.00")));
    // The ledger paid only what was billed: $10.00 of the $25.00 pack.
    assert_eq!(f.engine.credit_ledger(&f.account).await.unwrap().balance, d("15.00"));
    let status = f.engine.budget(&f.account, t("2026-11-06T10:00:00Z")).await.unwrap();
    assert!(status.capped);
    let reached = alert_messages(&status.alerts, AlertKind::SpendCapReached);
    assert_eq!(reached.len(), 1, "{:?}", status.alerts);
    assert!(reached[0].contains("$30.00 spend cap was reached on Nov 5 with $29.00 spent"), "{}", reached[0]);
    // Raising the cap lifts it at once; what it refused stays refused.
    let status = f.engine.set_budget(&f.account, "cap-40", &cap("40.00"), t("2026-11-07T00:00:00Z")).await.unwrap();
    assert!(!status.capped && alert_messages(&status.alerts, AlertKind::SpendCapReached).is_empty(), "{status:?}");
    let status = send("c-5", 100_000, 0, "2026-11-08T10:00:00Z").await;
    assert!(!status.capped, "{status:?}");
    let bill = f.engine.bill_to_date(&f.account, t("2026-11-08T10:00:00Z")).await.unwrap();
    // 700,000 measured, 150,000 refused: 350,000 past the quota, $14.00; 55 GB, 5 refused.
    assert_eq!((bill.cost, bill.bill.overage_total), (d("33.00"), d("14.00")));
    let refused = bill.totals.spend_cap.as_ref().unwrap().refused_earlier.clone();
    assert_eq!((refused.requests, refused.billable_egress_bytes), (150_000, d("5000000000")));
    // A cap set below the spend caps at once, from the usage measured then.
    let status = f.engine.set_budget(&f.account, "cap-20", &cap("20.00"), t("2026-11-09T00:00:00Z")).await.unwrap();
    assert!(status.capped);
    assert_eq!(alert_messages(&status.alerts, AlertKind::SpendCapReached).len(), 1);
    assert!(send("c-6", 10_000, 0, "2026-11-10T10:00:00Z").await.spend_capped);
    let last = f.engine.bill_to_date(&f.account, t("2026-11-30T23:59:59Z")).await.unwrap();
    assert_eq!(last.cost, d("33.00"));
    // The projection runs no further than the cap lets usage go.
    assert_eq!(last.projected_cost, d("33.00"));
    // November's invoice is the last bill; December starts uncapped.
    let page = f.engine.invoices(&f.account, &InvoiceQuery::default(), t("2026-12-02T00:00:00Z")).await.unwrap();
    let november = page.invoices.iter().find(|i| i.period_start == t("2026-11-01T00:00:00Z")).unwrap();
    assert_eq!((november.cost, november.total), (d("33.00"), d("19.00")));
    let december = send("c-7", 10_000, 0, "2026-12-02T10:00:00Z").await;
    assert!(!december.spend_capped, "{december:?}");
    // Removing the cap lifts it too.
    let status = f.engine.set_budget(&f.account, "no-cap", &BudgetSettings::default(), t("2026-12-02T11:00:00Z")).await.unwrap();
    assert!(!status.capped);
}

/// A run rate that would pass a cap not reached yet stops at it: steady 100,000 requests a day
/// project 3,000,000 ($131.00); a $100.00 cap is reached on Nov 23 ($103.00 at its end), so the
/// projection stops at Nov 22's end, 2,200,000 requests, $99.00.
async fn the_projection_stops_where_the_spend_cap_would_be_reached(db: Db) {
    let (f, now) = steady_november(&db).await;
    let with_budget = BudgetSettings { monthly_budget: Some(d("100.00")), spend_cap: Some(d("100.00")), ..Default::default() };
    let status = f.engine.set_budget(&f.account, "cap", &with_budget, now).await.unwrap();
    assert!(!status.capped);
    let bill = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!((bill.cost, bill.projected_cost), (d("51.00"), d("99.00")));
    assert_eq!(bill.projected_totals.requests, 3_000_000, "the projection still shows what would be measured");
    let cap = bill.projected_totals.spend_cap.unwrap();
    assert_eq!((cap.limit_requests, cap.capped_at), (Some(2_200_000), Some(t("2026-11-23T00:00:00Z"))));
    // Without a cap the same account projects the whole run rate.
    f.engine.set_budget(&f.account, "no-cap", &budget("100.00"), now).await.unwrap();
    assert_eq!(f.engine.bill_to_date(&f.account, now).await.unwrap().projected_cost, d("131.00"));
}

/// The outlook's simulated periods stop at a cap not reached yet as the run rate does: steady
/// 100,000 requests a day seen on Nov 11 simulate 3,000,000 requests ($131.00) every time,
/// and with a $100.00 cap each stops at Nov 22's end: $99.00, refused from Nov 23.
async fn the_outlook_stops_each_simulated_period_at_the_spend_cap(db: Db) {
    let (f, now) = steady_november(&db).await;
    let uncapped = f.engine.outlook(&f.account, now).await.unwrap().outlook.unwrap();
    assert_eq!((uncapped.p50.cost, uncapped.p90.cost), (d("131.00"), d("131.00")));
    assert_eq!(uncapped.p50.spend_capped_at, None);
    let with_cap = BudgetSettings { monthly_budget: Some(d("120.00")), spend_cap: Some(d("100.00")), ..Default::default() };
    f.engine.set_budget(&f.account, "cap", &with_cap, now).await.unwrap();
    let outlook = f.engine.outlook(&f.account, now).await.unwrap().outlook.unwrap();
    assert_eq!((outlook.p50.cost, outlook.p90.cost), (d("99.00"), d("99.00")));
    let reached = Some(t("2026-11-23T00:00:00Z"));
    assert_eq!((outlook.p50.spend_capped_at, outlook.p90.spend_capped_at), (reached, reached));
    assert_eq!(outlook.p90.bill.lines[0].quantity, d("2200000"), "2,200,000 requests billed of 3,000,000 simulated");
    // The forecasts rest on the same capped periods: none passes the $120.00 budget.
    let status = f.engine.budget(&f.account, now).await.unwrap();
    assert!(status.forecasts.iter().all(|f| f.projected_cost == d("99.00") && f.reaches_budget_on.is_none()), "{status:?}");
    assert!(alert_messages(&status.alerts, AlertKind::BudgetForecast).is_empty(), "{:?}", status.alerts);

    // Swinging days: every simulated period stays at or under the cap, P50 <= P90.
    let g = november_days(&db, "production", 10, now, swinging).await;
    let before = g.engine.outlook(&g.account, now).await.unwrap().outlook.unwrap();
    // $87.00 spent so far; uncapped, the median simulated period passes $120.00.
    assert!(before.p50.cost > d("120.00"), "{}", before.p50.cost);
    g.engine.set_budget(&g.account, "cap", &cap("120.00"), now).await.unwrap();
    let after = g.engine.outlook(&g.account, now).await.unwrap().outlook.unwrap();
    assert!(after.p50.cost <= after.p90.cost && after.p90.cost <= d("120.00"), "{} {}", after.p50.cost, after.p90.cost);
    assert!(after.p50.spend_capped_at.is_some_and(|at| at > now), "{:?}", after.p50.spend_capped_at);
}

/// Every tier of the upgrade quote is priced under the same cap. Steady November ($51.00 so
/// far) with a $55.00 cap: production stops at Nov 11's end ($55.00); scale's prorated base
/// fee alone puts the period at $59.00 the moment it applies, so it is capped from then:
/// $59.00, not the $84.00 of an uncapped scale. After the upgrade the account reads as capped
/// and the next batch is capped as the account stood before it.
async fn the_upgrade_quote_prices_every_tier_under_the_spend_cap(db: Db) {
    let (f, now) = steady_november(&db).await;
    f.engine.set_budget(&f.account, "cap", &cap("55.00"), now).await.unwrap();
    let quote = f.engine.upgrade_quote(&f.account, now).await.unwrap();
    assert_eq!(quote.spend_cap, Some(d("55.00")));
    let tiers: Vec<(&str, String, Option<DateTime<Utc>>)> =
        quote.tiers.iter().map(|q| (q.tier.as_str(), q.projected_cost.to_string(), q.spend_capped_at)).collect();
    assert_eq!(
        tiers,
        vec![
            ("sandbox", "0.00".to_owned(), None),
            ("production", "55.00".to_owned(), Some(t("2026-11-12T00:00:00Z"))),
            ("scale", "59.00".to_owned(), Some(now)),
        ]
    );
    let scale = quote.tiers.iter().find(|q| q.tier == "scale").unwrap();
    assert_eq!(scale.change.as_ref().unwrap().cost_at_change, Some(d("59.00")));
    assert_eq!((quote.saving, quote.recommended.as_deref()), (Some(d("-4.00")), None));
    // A cap the upgrade stays under leaves its projection whole.
    f.engine.set_budget(&f.account, "cap-2", &cap("200.00"), now).await.unwrap();
    let quote = f.engine.upgrade_quote(&f.account, now).await.unwrap();
    let scale = quote.tiers.iter().find(|q| q.tier == "scale").unwrap();
    assert_eq!((scale.projected_cost, scale.spend_capped_at), (d("84.00"), None));

    f.engine.set_budget(&f.account, "cap-3", &cap("55.00"), now).await.unwrap();
    f.engine.change_tier(&f.account, "up", &tier("scale"), now).await.unwrap();
    let status = f.engine.budget(&f.account, now).await.unwrap();
    assert_eq!(status.spend_to_date, d("59.00"));
    assert!(status.capped, "the bill is past the cap: usage that would cost more is refused");
    let bill = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!(bill.projected_cost, d("59.00"));
    let later = now + Duration::hours(2);
    let records = vec![rec(&f.account_id, "/api", "na", "2026-11-11T00:30:00Z", 1_500_000, 0, 0)];
    let receipt = f.engine.ingest(&f.node, &batch(&f, "after-upgrade", records), later).await.unwrap();
    assert!(receipt.receipt.accounts[0].spend_capped);
    let bill = f.engine.bill_to_date(&f.account, later).await.unwrap();
    // Capped as before the batch: 1,000,000 measured + scale's 1,000,000 left of its quota.
    assert_eq!((bill.totals.requests, bill.cost), (2_500_000, d("59.00")));
}

/// Two hundred batches on two replicas race past a $30.00 cap: whatever their order, the
/// spend stops exactly at the cap and everything past it is refused.
async fn concurrent_ingest_stops_at_the_spend_cap(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    let now = t(NOW);
    use_requests(&f, "quota", 200_000, "2026-11-20T08:00:00Z").await;
    f.engine.set_budget(&f.account, "cap", &cap("30.00"), now).await.unwrap();
    // Each batch is 2,500 requests past the quota, $0.10: the 110th reaches $30.00 exactly.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let records = vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 2_500, 0, 0)];
        let (node, b) = (f.node.clone(), batch(&f, &format!("burst-{i}"), records));
        tasks.push(tokio::spawn(async move { engine.ingest(&node, &b, now).await.map(|r| r.receipt.accounts[0].spend_capped) }));
    }
    let mut capped = 0;
    for task in tasks {
        capped += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(capped, 91, "the 110th batch and the 90 after it are answered capped");
    let bill = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!(bill.totals.requests, 700_000);
    assert_eq!((bill.cost, bill.bill.overage_total), (d("30.00"), d("11.00")));
    assert_eq!(bill.totals.spend_cap.unwrap().limit_requests, Some(475_000));
    let status = f.engine.budget(&f.account, now).await.unwrap();
    assert_eq!(alert_messages(&status.alerts, AlertKind::SpendCapReached).len(), 1);
}

/// Two hundred batches on two replicas take the balance below the threshold together: one
/// automatic purchase, marked as automatic with the crossing that caused it.
async fn concurrent_ingest_crossing_the_top_up_threshold_buys_exactly_once(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    let now = t(NOW);
    f.engine.purchase_credits(&f.account, "first", &CreditPurchaseRequest { packs: 1 }, now).await.unwrap();
    f.engine.set_auto_top_up(&f.account, "auto", &top_up("10.00", 2, 4), now).await.unwrap();
    use_requests(&f, "quota", 200_000, "2026-11-20T08:00:00Z").await;
    // 200 x 2,500 requests past the quota: $20.00 of overage; $25.00 falls below $10.00 once.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let engine = if i % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let records = vec![rec(&f.account_id, "/api/orders", "eu", "2026-11-23T10:00:00Z", 2_500, 0, 0)];
        let (node, b) = (f.node.clone(), batch(&f, &format!("burst-{i}"), records));
        tasks.push(tokio::spawn(async move { engine.ingest(&node, &b, now).await.map(|_| ()) }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // A settlement that gave up under contention is redone by the account's next write.
    f.engine.settle_credits(&f.account, now).await.unwrap();
    let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
    let automatic: Vec<_> = ledger.entries.iter().filter(|e| e.auto_top_up_after.is_some()).collect();
    assert_eq!(automatic.len(), 1, "{:?}", ledger.entries);
    assert_eq!((automatic[0].kind, automatic[0].amount), (LedgerEntryKind::Purchase, d("50.00")));
    let crossing = automatic[0].auto_top_up_after.unwrap() as usize;
    assert!(ledger.entries[crossing - 1].balance_after < d("10.00"), "the crossing took the balance below $10.00");
    assert!(automatic[0].note.contains("automatic top-up"), "{}", automatic[0].note);
    assert_eq!(ledger.balance, d("55.00"));
    let bill = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!((bill.bill.overage_total, bill.bill.credits_applied), (d("20.00"), d("20.00")));
    let status = f.engine.auto_top_up(&f.account, now).await.unwrap();
    assert_eq!((status.packs_this_period, status.spent_this_period, status.packs_left_this_period), (2, d("50.00"), 2));
    assert_eq!(alert_messages(&status.alerts, AlertKind::TopUpBought).len(), 1);
}

/// Automatic top-up buys at most its ceiling per period and then says so; a downgrade to a
/// tier without packs makes it fail with nothing charged; the sandbox cannot set it up.
async fn automatic_top_up_holds_its_ceiling_and_says_when_it_cannot_buy(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let now = t(NOW);
    f.engine.set_auto_top_up(&f.account, "auto", &top_up("10.00", 2, 4), now).await.unwrap();
    use_requests(&f, "quota", 200_000, "2026-11-20T08:00:00Z").await;
    // $150.00 of overage in $30.00 steps: 2 packs, 2 more, then the ceiling.
    for i in 0..5 {
        use_requests(&f, &format!("big-{i}"), 750_000, "2026-11-23T10:00:00Z").await;
    }
    let ledger = f.engine.credit_ledger(&f.account).await.unwrap();
    let bought: Decimal = ledger.entries.iter().filter(|e| e.auto_top_up_after.is_some()).map(|e| e.amount).sum();
    assert_eq!(bought, d("100.00"), "{:?}", ledger.entries);
    assert_eq!(ledger.balance, Decimal::ZERO);
    let bill = f.engine.bill_to_date(&f.account, now).await.unwrap();
    assert_eq!((bill.bill.overage_total, bill.bill.credits_applied, bill.bill.total), (d("150.00"), d("100.00"), d("69.00")));
    let status = f.engine.auto_top_up(&f.account, now).await.unwrap();
    assert_eq!((status.packs_this_period, status.packs_left_this_period), (4, 0));
    let ceiling = alert_messages(&status.alerts, AlertKind::TopUpCeiling);
    assert_eq!(ceiling.len(), 1, "{:?}", status.alerts);
    assert!(ceiling[0].contains("4 packs"), "{}", ceiling[0]);

    // A downgrade to the sandbox is scheduled: no purchase, an alert, nothing charged.
    let g = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    g.engine.set_auto_top_up(&g.account, "auto", &top_up("10.00", 1, 2), now).await.unwrap();
    g.engine.change_tier(&g.account, "down", &tier("sandbox"), now).await.unwrap();
    use_requests(&g, "over", 300_000, NOW).await;
    let status = g.engine.auto_top_up(&g.account, now).await.unwrap();
    assert_eq!((status.packs_this_period, status.balance), (0, Decimal::ZERO));
    let failed = alert_messages(&status.alerts, AlertKind::TopUpFailed);
    assert_eq!(failed.len(), 1, "{:?}", status.alerts);
    assert!(failed[0].contains("Nothing was charged"), "{}", failed[0]);

    let sandbox = fixture(&db, "sandbox", "2026-10-01T00:00:00Z").await;
    let refused = sandbox.engine.set_auto_top_up(&sandbox.account, "auto", &top_up("10.00", 1, 2), now).await.unwrap_err();
    assert_eq!(refused.code(), "credit_packs_not_allowed");
    let bad = f.engine.set_auto_top_up(&f.account, "bad", &top_up("10.00", 3, 2), now).await.unwrap_err();
    assert_eq!(bad.code(), "invalid_controls");
    // Switched off: the figures are kept, nothing more is bought.
    let off = AutoTopUpSettings { enabled: false, ..top_up("10.00", 2, 4) };
    let status = f.engine.set_auto_top_up(&f.account, "off", &off, now).await.unwrap();
    assert_eq!(status.settings, Some(off));
    assert!(status.alerts.is_empty(), "a new setting starts without the old one's alerts");
}

// ------------------------------------------------------------------------------ data points

fn nanos(at: DateTime<Utc>) -> u64 {
    at.timestamp_nanos_opt().unwrap() as u64
}

/// A point of series `series` of the fixture's account, on `/api/orders` in `eu`.
fn series_point(
    f: &Fixture,
    index: usize,
    series: u8,
    temporality: Temporality,
    start: DateTime<Utc>,
    time: DateTime<Utc>,
    requests: u64,
) -> SeriesPoint {
    SeriesPoint {
        index,
        series: [series; 16],
        account_id: f.account_id.as_str().into(),
        route: "/api/orders".into(),
        region: "eu".into(),
        temporality,
        start_ns: nanos(start),
        time_ns: nanos(time),
        requests,
        compute_ms: 0,
        egress_bytes: 0,
    }
}

/// Sends `points` as an exporter does: again while the engine answers contention.
async fn send_points(engine: &Engine, node: &NodeId, points: &[SeriesPoint]) -> PointsIngested {
    loop {
        match engine.ingest_points(node, points, t(NOW)).await {
            Err(EngineError::Contention) => continue,
            other => return other.unwrap(),
        }
    }
}

async fn points_racing_on_two_replicas_count_each_once(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let replica = db.engine().await;
    let first = t("2026-11-23T09:10:00Z");
    // A cumulative series whose running total grows by 10 requests a minute, and a delta
    // series of 1 request a minute: 40 points each.
    let points: Vec<SeriesPoint> = (0..40usize)
        .flat_map(|i| {
            let time = first + Duration::minutes(i as i64 + 1);
            [
                series_point(&f, 2 * i, 1, Temporality::Cumulative, first, time, 10 * (i as u64 + 1)),
                series_point(&f, 2 * i + 1, 2, Temporality::Delta, time - Duration::minutes(1), time, 1),
            ]
        })
        .collect();
    // Twelve requests racing on two replicas, each with points another request also carries,
    // some newest first.
    let mut tasks = Vec::new();
    for k in 0..12usize {
        let engine = if k % 2 == 0 { f.engine.clone() } else { replica.clone() };
        let node = f.node.clone();
        let mut slice: Vec<SeriesPoint> = points[(6 * k).min(points.len() - 24)..][..24].to_vec();
        if k % 3 == 0 {
            slice.reverse();
        }
        tasks.push(tokio::spawn(async move { send_points(&engine, &node, &slice).await }));
    }
    for task in tasks {
        let answer = task.await.unwrap();
        for r in &answer.refused {
            assert_eq!(r.code, "out_of_order", "{r:?}");
        }
    }
    // Everything once more: nothing counts twice, and whatever was out of order is in the
    // cumulative series' later points.
    let again = send_points(&f.engine, &f.node, &points).await;
    assert_eq!(again.counted + again.duplicates + again.refused.len(), points.len());
    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.totals.requests, 400 + 40, "the cumulative series' last total and every delta point, once");
}

async fn a_point_older_than_its_series_remembers_is_refused_as_too_old(db: Db) {
    let f = fixture(&db, "production", "2026-10-01T00:00:00Z").await;
    let first = t("2026-11-23T09:00:00Z");
    let at = |seconds: i64| first + Duration::seconds(seconds);
    let delta = |index, seconds| series_point(&f, index, 7, Temporality::Delta, at(seconds - 30), at(seconds), 1);
    // 70 points of one series, 30 s apart: all count, and the series remembers the 64 latest.
    let points: Vec<SeriesPoint> = (0..70).map(|i| delta(i, 30 * (i as i64 + 1))).collect();
    let answer = send_points(&f.engine, &f.node, &points).await;
    assert_eq!((answer.counted, answer.duplicates, answer.refused.len()), (70, 0, 0));

    // A retry of the six oldest cannot be told from new points: refused, and not counted.
    let answer = send_points(&f.engine, &f.node, &points[..7]).await;
    assert_eq!(answer.refused.iter().map(|r| (r.index, r.code)).collect::<Vec<_>>(), (0..6).map(|i| (i, "too_old")).collect::<Vec<_>>());
    assert!(answer.refused[0].message.contains("2026-11-23T09:00:30Z"), "{}", answer.refused[0].message);
    // The seventh is remembered: a duplicate.
    assert_eq!((answer.counted, answer.duplicates), (0, 1));

    // A point between the forgotten and the remembered ones is new: it counts, and is the
    // oldest of the 65 it would take to remember it, so a retry of it is refused.
    let late = delta(100, 30 * 6 + 15);
    let answer = send_points(&f.engine, &f.node, std::slice::from_ref(&late)).await;
    assert_eq!((answer.counted, answer.duplicates, answer.refused.len()), (1, 0, 0));
    let answer = send_points(&f.engine, &f.node, &[late]).await;
    assert_eq!(answer.refused.iter().map(|r| r.code).collect::<Vec<_>>(), ["too_old"]);

    let bill = f.engine.bill_to_date(&f.account, t(NOW)).await.unwrap();
    assert_eq!(bill.totals.requests, 71);
}

/// Points stored one row each (before series were kept in shards) are remembered after the
/// upgrade: a retry of one is not counted again, and a cumulative series goes on from its latest.
async fn points_stored_before_the_upgrade_are_remembered(db: Db) {
    use sha2::{Digest, Sha256};
    // The database as it was, with one node.
    let sqlite = db.url.starts_with("sqlite:");
    let (mut migrator, before) =
        if sqlite { (sqlx::migrate!("./migrations/sqlite"), 8) } else { (sqlx::migrate!("./migrations/postgres"), 11) };
    migrator.migrations = migrator.migrations.iter().filter(|m| m.version <= before).cloned().collect::<Vec<_>>().into();
    let token = format!("ec_node_{}", "ab".repeat(32));
    let token_hash = hex::encode(Sha256::digest(token.as_bytes()));
    let minute = |m: i64| (t("2026-11-23T09:00:00Z") + Duration::minutes(m)).timestamp_nanos_opt().unwrap();
    // Series 0x11..: cumulative, started at 09:00, points at 09:01 (100) and 09:02 (250).
    // Series 0x22..: delta, 70 points a minute apart from 08:00 (the oldest 6 forgotten).
    let mut rows: Vec<(String, i64, i64, i64, i64)> =
        vec![("11".repeat(16), minute(0), minute(1), minute(0), 100), ("11".repeat(16), minute(0), minute(2), minute(1), 250)];
    for i in 0..70 {
        rows.push(("22".repeat(16), minute(i - 61), minute(i - 60), -minute(i - 60), 1));
    }
    macro_rules! seed {
        ($pool:expr) => {{
            let pool = $pool;
            migrator.run(&pool).await.unwrap();
            sqlx::query("INSERT INTO nodes (id, name, token_hash, created_at) VALUES ('node_before', 'edge', $1, 0)")
                .bind(&token_hash)
                .execute(&pool)
                .await
                .unwrap();
            for (series, start, time, prev, requests) in &rows {
                sqlx::query(
                    "INSERT INTO usage_points (node_id, series, start_ns, time_ns, prev_ns, requests, compute_ms, egress_bytes) \
                     VALUES ('node_before', $1, $2, $3, $4, $5, 0, 0)",
                )
                .bind(series)
                .bind(start)
                .bind(time)
                .bind(prev)
                .bind(requests)
                .execute(&pool)
                .await
                .unwrap();
            }
            pool.close().await;
        }};
    }
    if sqlite {
        let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
        seed!(sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap());
    } else {
        seed!(sqlx::PgPool::connect(&db.url).await.unwrap());
    }

    // Upgraded.
    let engine = db.engine().await;
    let node = engine.authenticate_node(&token).await.unwrap();
    let created = engine.create_account("Acme", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
    let account = engine.authenticate_account(&created.token).await.unwrap();
    let at = |m: i64| t("2026-11-23T09:00:00Z") + Duration::minutes(m);
    let point = |index, series: u8, temporality, start: i64, time: i64, requests| SeriesPoint {
        index,
        series: [series * 17; 16],
        account_id: created.account_id.as_str().into(),
        route: "/api/orders".into(),
        region: "eu".into(),
        temporality,
        start_ns: nanos(at(start)),
        time_ns: nanos(at(time)),
        requests,
        compute_ms: 0,
        egress_bytes: 0,
    };
    let answer = send_points(
        &engine,
        &node,
        &[
            // Retries of stored points.
            point(0, 1, Temporality::Cumulative, 0, 1, 100),
            point(1, 1, Temporality::Cumulative, 0, 2, 250),
            point(2, 2, Temporality::Delta, 8, 9, 1),
            // Older than the 64 points remembered.
            point(3, 2, Temporality::Delta, -61, -60, 1),
            // New: the cumulative series goes on from 250; a delta point after the stored ones.
            point(4, 1, Temporality::Cumulative, 0, 3, 400),
            point(5, 2, Temporality::Delta, 9, 10, 1),
        ],
    )
    .await;
    assert_eq!(answer.refused.iter().map(|r| (r.index, r.code)).collect::<Vec<_>>(), [(3, "too_old")]);
    assert_eq!((answer.counted, answer.duplicates), (2, 3));
    let bill = engine.bill_to_date(&account, t(NOW)).await.unwrap();
    assert_eq!(bill.totals.requests, 150 + 1);
}

scenarios!(
    a_replayed_batch_is_counted_once_and_answered_the_same,
    routes_of_any_printable_text_come_back_from_usage_by_route,
    racing_replays_on_two_replicas_count_once,
    a_crash_between_commit_and_answer_is_healed_by_the_replay,
    a_batch_id_reused_with_another_body_is_refused,
    malformed_input_is_refused_with_reasons,
    a_sandbox_account_is_capped_and_holds_no_credit,
    a_closed_period_becomes_one_invoice_equal_to_its_last_bill,
    concurrent_closers_issue_each_period_once_and_accounts_see_only_their_own,
    a_payment_settles_an_invoice_partly_then_fully_and_its_replay_changes_nothing,
    payments_are_refused_past_what_is_due_and_out_of_bounds,
    concurrent_replays_of_a_payment_on_two_replicas_record_it_once,
    usage_a_sandbox_cap_refused_is_never_billed_after_an_upgrade,
    an_upgrade_raises_the_new_tiers_notices_at_once,
    the_bill_to_date_is_the_pricing_core_rating_of_the_same_totals,
    an_upgrade_prorates_and_a_downgrade_waits_for_next_period,
    a_replayed_upgrade_changes_the_tier_once,
    a_tier_change_key_reused_for_another_tier_is_refused,
    racing_repeats_of_an_upgrade_on_two_replicas_change_it_once,
    a_tier_change_lost_after_its_commit_is_answered_by_the_repeat,
    notices_appear_at_80_and_100_percent_and_resolve_on_upgrade,
    a_notice_offers_the_upgrade_its_sheet_quotes_under_a_spend_cap,
    a_purchase_is_idempotent_and_pays_overage_from_before_it,
    concurrent_purchases_and_consumption_keep_the_balance_whole,
    a_purchase_racing_a_downgrade_to_a_tier_without_packs_never_both_succeed,
    accounts_never_see_each_other,
    usage_log_ids_and_cursors_reveal_nothing_about_other_accounts,
    usage_series_and_the_log_page_through_everything,
    the_log_keeps_backslashes_verbatim,
    the_demo_account_sits_just_past_80_percent,
    hourly_rollups_count_each_batch_once_while_two_replicas_roll_up,
    a_usage_query_after_an_ingest_answer_sees_the_batch,
    the_background_task_rolls_up_without_a_query,
    a_backfilled_new_account_projects_from_its_first_usage_window,
    the_upgrade_quote_prices_every_tier_and_recommends_the_cheapest_that_does_not_cap,
    the_credits_quote_says_how_long_packs_last_and_what_carries_over,
    the_outlook_of_steady_days_is_the_run_rate_and_its_percentiles_are_ordered,
    cost_by_route_attributes_each_periods_bill_to_the_cent,
    credit_settlement_under_concurrent_bursts_pays_min_of_credit_and_overage,
    late_records_in_the_grace_hour_are_paid_by_credit,
    a_batch_past_a_period_bound_is_refused_whole_and_every_account_still_reads,
    control_characters_in_record_strings_are_refused_alike_on_every_backend,
    a_window_at_the_end_of_representable_time_is_refused_not_a_panic,
    a_committed_batch_is_answered_with_its_receipt_when_settlement_after_it_fails,
    budget_alerts_fire_once_per_threshold,
    a_projection_past_the_budget_alerts_with_the_day_it_gets_there,
    concurrent_ingest_crossing_the_top_up_threshold_buys_exactly_once,
    automatic_top_up_holds_its_ceiling_and_says_when_it_cannot_buy,
    the_spend_cap_refuses_what_would_cost_more_and_never_bills_it,
    concurrent_ingest_stops_at_the_spend_cap,
    the_projection_stops_where_the_spend_cap_would_be_reached,
    the_outlook_stops_each_simulated_period_at_the_spend_cap,
    the_upgrade_quote_prices_every_tier_under_the_spend_cap,
    points_racing_on_two_replicas_count_each_once,
    a_point_older_than_its_series_remembers_is_refused_as_too_old,
    points_stored_before_the_upgrade_are_remembered,
);
