//! Every metric of the operator's report on a hand-computed fixture: twelve accounts over
//! August to November 2026 on the published price book, with known upgrades, downgrades,
//! churn, a conversion, burst packs, a cap and an invoice. Each expected figure is worked out
//! in the comments beside it from the fixture's numbers, not read from the code's output.
//!
//! The accounts (usage as requests / raw GB, all in `na` unless named; production $19 with
//! 200k requests and 50 GB included, overage $0.40 per 10k requests and $0.05 per GB; scale
//! $79 with 2M and 200 GB, $0.25 and $0.03; sandbox free, capped at 50k and 10 GB):
//!
//! | id  | story                                             | Aug   | Sep   | Oct   | Nov   |
//! |-----|---------------------------------------------------|-------|-------|-------|-------|
//! | a01 | production throughout                             | 19.00 | 19.00 | 19.00 | 19.00 |
//! | a02 | production with overage, 80% every month          | 23.50 | 21.00 | 19.00 | 27.00 |
//! | a03 | production, 80% on Sep 10, scale from Sep 16      | 19.00 | 49.00 | 79.00 | 79.00 |
//! | a04 | scale, production from Sep 1, sandbox from Oct 1  | 79.00 | 19.00 |  0.00 |  0.00 |
//! | a05 | sandbox, 80% on Aug 20, production from Aug 25    |  4.29 | 19.00 | 19.00 | 19.00 |
//! | a06 | sandbox throughout                                |  0.00 |  0.00 |  0.00 |  0.00 |
//! | a07 | sandbox, capped in August                         |  0.00 |  0.00 |  0.00 |  0.00 |
//! | a08 | production, buys 2 packs on Sep 3                 | 19.00 | 29.50 | 23.00 | 19.00 |
//! | a09 | production, August invoiced at $22.00             | 22.00 | 19.00 | 19.00 | 19.00 |
//! | a10 | created Oct 10 on production                      |   —   |   —   | 19.00 | 19.00 |
//! | a11 | scale, apac egress in Oct, overage in Nov         | 79.00 | 79.00 | 79.00 | 90.50 |
//! | a12 | created Sep 1 on sandbox, production from Oct 15  |   —   |  0.00 | 10.42 | 19.00 |

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use edgecost_pricing::{Decimal, InfrastructureCost, PriceBook, UnitCost};

use super::fleet::{Fleet, FleetAccount, InvoicedMonth};
use super::*;
use crate::store::operator::{FleetLedgerRow, FleetNoticeRow};
use crate::store::{Counters, RegionCounters, TierChangeRow};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> i64 {
    s.parse::<DateTime<Utc>>().unwrap().timestamp()
}

fn month(m: &str) -> i64 {
    t(&format!("{m}-01T00:00:00Z"))
}

/// Usage in `region`: requests, raw GB and compute seconds.
fn used(region: &str, requests: i64, gb: i64, compute_s: i64) -> Vec<RegionCounters> {
    vec![RegionCounters {
        region: region.into(),
        counters: Counters { requests, compute_ms: compute_s * 1_000, egress_bytes: gb * 1_000_000_000 },
    }]
}

struct Account {
    a: FleetAccount,
}

impl Account {
    fn new(id: &str, changes: &[(&str, &str)]) -> Account {
        let changes =
            changes.iter().map(|(at, tier)| TierChangeRow { effective_at: t(at), tier: (*tier).into(), ..Default::default() }).collect();
        Account { a: FleetAccount { id: id.into(), name: format!("Account {id}"), changes, ..FleetAccount::default() } }
    }

    fn usage(mut self, m: &str, requests: i64, gb: i64) -> Account {
        self.a.usage.insert(month(m), used("na", requests, gb, 0));
        self
    }

    fn usage_in(mut self, m: &str, region: &str, requests: i64, gb: i64, compute_s: i64) -> Account {
        self.a.usage.insert(month(m), used(region, requests, gb, compute_s));
        self
    }

    fn notice_80(mut self, m: &str, at: &str, tier: &str) -> Account {
        self.a.notices.push(FleetNoticeRow {
            account_id: self.a.id.clone(),
            period_start: month(m),
            tier: tier.into(),
            meter: "requests".into(),
            threshold_percent: 80,
            reached_at: t(at),
        });
        self
    }

    fn ledger(mut self, kind: &str, cents: i64, period: Option<&str>, at: &str) -> Account {
        self.a.ledger.push(FleetLedgerRow {
            account_id: self.a.id.clone(),
            kind: kind.into(),
            amount_cents: cents,
            period_start: period.map(month),
            created_at: t(at),
        });
        self
    }
}

const CREATED: &str = "2026-08-01T00:00:00Z";

fn fleet() -> Fleet {
    let accounts = vec![
        Account::new("a01", &[(CREATED, "production")])
            .usage("2026-08", 100_000, 20)
            .usage("2026-09", 100_000, 20)
            .usage("2026-10", 100_000, 20)
            .usage("2026-11", 100_000, 20),
        // Aug: 100k requests over = 10 x 0.40 = 4.00, 10 GB over x 0.05 = 0.50: 23.50.
        // Sep: 5 x 0.40 = 2.00: 21.00. Oct: at the quotas: 19.00. Nov: 20 x 0.40 = 8.00: 27.00.
        Account::new("a02", &[(CREATED, "production")])
            .usage("2026-08", 300_000, 60)
            .usage("2026-09", 250_000, 50)
            .usage("2026-10", 200_000, 50)
            .usage("2026-11", 400_000, 50)
            .notice_80("2026-08", "2026-08-15T00:00:00Z", "production")
            .notice_80("2026-09", "2026-09-15T00:00:00Z", "production")
            .notice_80("2026-10", "2026-10-20T00:00:00Z", "production")
            .notice_80("2026-11", "2026-11-10T00:00:00Z", "production"),
        // Sep: production days 1-15, scale days 16-30: 19 x 15/30 = 9.50 + 79 x 15/30 = 39.50.
        Account::new("a03", &[(CREATED, "production"), ("2026-09-16T00:00:00Z", "scale")])
            .usage("2026-08", 150_000, 30)
            .usage("2026-09", 500_000, 80)
            .usage("2026-10", 1_000_000, 100)
            .usage("2026-11", 1_000_000, 100)
            .notice_80("2026-09", "2026-09-10T00:00:00Z", "production"),
        Account::new("a04", &[(CREATED, "scale"), ("2026-09-01T00:00:00Z", "production"), ("2026-10-01T00:00:00Z", "sandbox")])
            .usage("2026-08", 500_000, 50)
            .usage("2026-09", 100_000, 10)
            .usage("2026-10", 20_000, 2)
            .usage("2026-11", 10_000, 1),
        // Aug: sandbox days 1-24, production days 25-31: 19 x 7/31 = 4.2903... -> 4.29.
        Account::new("a05", &[(CREATED, "sandbox"), ("2026-08-25T00:00:00Z", "production")])
            .usage("2026-08", 45_000, 6)
            .usage("2026-09", 100_000, 10)
            .usage("2026-10", 100_000, 10)
            .usage("2026-11", 100_000, 10)
            .notice_80("2026-08", "2026-08-20T00:00:00Z", "sandbox"),
        Account::new("a06", &[(CREATED, "sandbox")])
            .usage("2026-08", 10_000, 1)
            .usage("2026-09", 10_000, 1)
            .usage("2026-10", 10_000, 1)
            .usage("2026-11", 10_000, 1),
        Account::new("a07", &[(CREATED, "sandbox")]).usage("2026-08", 60_000, 12).usage("2026-09", 30_000, 3).notice_80(
            "2026-08",
            "2026-08-05T00:00:00Z",
            "sandbox",
        ),
        // Sep: 20 x 0.40 = 8.00 + 50 GB x 0.05 = 2.50: 29.50, of which packs paid 10.50.
        // Oct: 10 x 0.40 = 4.00: 23.00, all paid by packs.
        Account::new("a08", &[(CREATED, "production")])
            .usage("2026-08", 100_000, 10)
            .usage("2026-09", 400_000, 100)
            .usage("2026-10", 300_000, 50)
            .usage("2026-11", 200_000, 50)
            .notice_80("2026-09", "2026-09-05T00:00:00Z", "production")
            .notice_80("2026-10", "2026-10-05T00:00:00Z", "production")
            .ledger("purchase", 5_000, None, "2026-09-03T00:00:00Z")
            .ledger("consumption", -1_050, Some("2026-09"), "2026-09-30T00:00:00Z")
            .ledger("consumption", -400, Some("2026-10"), "2026-10-31T00:00:00Z"),
        Account::new("a09", &[(CREATED, "production")])
            .usage("2026-09", 100_000, 10)
            .usage("2026-10", 100_000, 10)
            .usage("2026-11", 100_000, 10),
        // The first period owes the whole base fee.
        Account::new("a10", &[("2026-10-10T00:00:00Z", "production")]).usage("2026-10", 50_000, 5).usage("2026-11", 100_000, 10),
        // Oct: 100 raw GB in apac x 1.5 = 150 billable GB, inside 200. Nov: 400k requests
        // over = 40 x 0.25 = 10.00, 50 GB x 0.03 = 1.50: 90.50. An hour of compute a month.
        Account::new("a11", &[(CREATED, "scale")])
            .usage_in("2026-08", "na", 1_000_000, 100, 3_600)
            .usage_in("2026-09", "na", 1_000_000, 100, 3_600)
            .usage_in("2026-10", "apac", 1_000_000, 100, 3_600)
            .usage_in("2026-11", "na", 2_400_000, 250, 3_600)
            .notice_80("2026-11", "2026-11-20T00:00:00Z", "scale"),
        // Oct: sandbox days 1-14, production days 15-31: 19 x 17/31 = 10.4193... -> 10.42.
        Account::new("a12", &[("2026-09-01T00:00:00Z", "sandbox"), ("2026-10-15T00:00:00Z", "production")])
            .usage("2026-09", 20_000, 2)
            .usage("2026-10", 150_000, 20)
            .usage("2026-11", 100_000, 10),
    ];
    let mut accounts: Vec<FleetAccount> = accounts.into_iter().map(|a| a.a).collect();
    // a09's August was invoiced (base 19.00 + overage 3.00) and its usage rows are not read:
    // the invoice is what the month was billed, whatever rating its usage would give now.
    accounts[8].invoices = BTreeMap::from([(
        month("2026-08"),
        InvoicedMonth { tier: "production".into(), base_fee: d("19.00"), overage: d("3.00"), capped: false },
    )]);
    Fleet { accounts }
}

/// $0.01 per 10k requests, $0.05 per GB ($0.10 in apac), $0.00001 per compute second.
fn costs() -> InfrastructureCost {
    InfrastructureCost {
        compute_second: Some(UnitCost(d("0.00001"))),
        requests_per_10k: Some(UnitCost(d("0.01"))),
        egress_gb: [("default".to_owned(), UnitCost(d("0.05"))), ("apac".to_owned(), UnitCost(d("0.10")))].into(),
    }
}

fn now() -> DateTime<Utc> {
    "2026-12-06T12:00:00Z".parse().unwrap()
}

fn months(from: &str, to: &str) -> Vec<Period> {
    report_months(Some(from), Some(to), now()).unwrap()
}

fn report(threshold: &str) -> edgecost_api::OperatorReport {
    let costs = costs();
    metrics::report(PriceBook::published(), &fleet(), &months("2026-08", "2026-11"), now(), Some(&costs), d(threshold)).unwrap()
}

fn tier_revenue(m: &edgecost_api::MonthMetrics) -> Vec<(String, u32, Decimal, Decimal, Decimal)> {
    m.revenue_by_tier.iter().map(|t| (t.tier.clone(), t.accounts, t.base_fees, t.overage, t.revenue)).collect()
}

fn ratio(count: u32, of: u32, percent: Option<&str>) -> edgecost_api::Ratio {
    edgecost_api::Ratio { count, of, percent: percent.map(d) }
}

#[test]
fn august_revenue_comes_from_bills_and_the_invoice_and_has_no_cohort_yet() {
    let r = report("90");
    let aug = &r.months[0];
    assert_eq!((aug.month.as_str(), aug.closed, aug.accounts), ("2026-08", true, 10), "a10 and a12 did not exist yet");
    // 19 + 23.50 + 19 + 79 + 4.29 + 0 + 0 + 19 + 22 (a09's invoice) + 79 = 264.79
    assert_eq!(aug.mrr, d("264.79"));
    assert_eq!(aug.paying_accounts, 8);
    // production: a01 a02 a03 a08 a09 at 19 + a05 4.29 = 99.29 base; a02 4.50 + a09 3.00 overage.
    assert_eq!(
        tier_revenue(aug),
        vec![
            ("sandbox".into(), 2, d("0"), d("0"), d("0")),
            ("production".into(), 6, d("99.29"), d("7.50"), d("106.79")),
            ("scale".into(), 2, d("158.00"), d("0.00"), d("158.00")),
        ]
    );
    // Nobody existed in July: no cohort, no retention or churn figures.
    assert_eq!((aug.nrr_percent, aug.grr_percent, aug.revenue_churn_percent), (None, None, None));
    assert_eq!(aug.logo_churn, ratio(0, 0, None));
    // On sandbox in August: a05, a06, a07; a05 ends it on production: 1 / 3 = 33.33%.
    assert_eq!(aug.sandbox_conversion, ratio(1, 3, Some("33.33")));
    assert_eq!((aug.upgrades, aug.downgrades), (1, 0), "a05 to production on Aug 25");
    // 80% in August: a02, a05, a07; only a05 upgraded (5 days later): 1 / 3.
    assert_eq!(aug.quota_funnel, ratio(1, 3, Some("33.33")));
    assert_eq!(aug.capped_accounts, 1, "a07 past the sandbox's 50k requests");
    assert_eq!(aug.credit_packs.packs_sold, 0);
    // Costs: a01 0.10 + 1.00; a02 0.30 + 3.00; a03 0.15 + 1.50; a04 0.50 + 2.50;
    // a05 0.045 + 0.30 = 0.345 -> 0.35; a06 0.01 + 0.05; a07 0.06 + 0.60; a08 0.10 + 0.50;
    // a09 no usage read; a11 1.00 + 5.00 + 3,600 s x 0.00001 = 6.036 -> 6.04.
    // 1.10 + 3.30 + 1.65 + 3.00 + 0.35 + 0.06 + 0.66 + 0.60 + 0 + 6.04 = 16.76
    assert_eq!(aug.infrastructure_cost, Some(d("16.76")));
    // 264.79 - 16.76 = 248.03; / 264.79 = 93.67%
    assert_eq!((aug.gross_margin, aug.gross_margin_percent), (Some(d("248.03")), Some(d("93.67"))));
}

#[test]
fn september_an_upgrade_a_downgrade_and_two_packs() {
    let r = report("90");
    let sep = &r.months[1];
    assert_eq!(sep.accounts, 11, "a12 joined on Sep 1");
    // 19 + 21 + 49 + 19 + 19 + 29.50 + 19 + 79 = 254.50
    assert_eq!(sep.mrr, d("254.50"));
    assert_eq!(sep.paying_accounts, 8);
    // production: a01 a02 a04 a05 a08 a09: 6 x 19 = 114 base; 2.00 + 10.50 overage.
    // scale: a03 9.50 + 39.50 = 49.00 and a11 79.00.
    assert_eq!(
        tier_revenue(sep),
        vec![
            ("sandbox".into(), 3, d("0"), d("0"), d("0")),
            ("production".into(), 6, d("114.00"), d("12.50"), d("126.50")),
            ("scale".into(), 2, d("128.00"), d("0.00"), d("128.00")),
        ]
    );
    // Cohort: August's eight paying accounts, 264.79 in August, 254.50 now: 96.11%.
    assert_eq!(sep.nrr_percent, Some(d("96.11")));
    // Each at most its August: 19 + 21 + 19 + 19 + 4.29 + 19 + 19 + 79 = 199.29; / 264.79 = 75.26%.
    assert_eq!(sep.grr_percent, Some(d("75.26")));
    assert_eq!(sep.logo_churn, ratio(0, 8, Some("0.00")));
    assert_eq!(sep.revenue_churn_percent, Some(d("0.00")));
    // On sandbox: a06, a07, a12 (created on it); none converts.
    assert_eq!(sep.sandbox_conversion, ratio(0, 3, Some("0.00")));
    assert_eq!((sep.upgrades, sep.downgrades), (1, 1), "a03 to scale; a04 scale to production");
    // a08 bought one purchase of 2 x $25 packs and spent 10.50 of it on September.
    assert_eq!(sep.credit_packs.packs_sold, 2);
    assert_eq!((sep.credit_packs.credit_sold, sep.credit_packs.credit_consumed), (d("50.00"), d("10.50")));
    // 80%: a02, a03, a08; a03 upgraded 6 days after its notice.
    assert_eq!(sep.quota_funnel, ratio(1, 3, Some("33.33")));
    assert_eq!(sep.capped_accounts, 0);
    // 1.10 + 2.75 + 4.50 + 0.60 + 0.60 + 0.06 + 0.18 + 5.40 + 0.60 + 6.04 + 0.12 = 21.95
    assert_eq!(sep.infrastructure_cost, Some(d("21.95")));
    // 254.50 - 21.95 = 232.55; / 254.50 = 91.38%
    assert_eq!(sep.gross_margin_percent, Some(d("91.38")));
}

#[test]
fn october_a_logo_churns_and_a_late_sandbox_account_converts() {
    let r = report("90");
    let oct = &r.months[2];
    // 19 + 19 + 79 + 0 + 19 + 23 + 19 + 19 + 79 + 10.42 = 286.42
    assert_eq!(oct.mrr, d("286.42"));
    assert_eq!(oct.paying_accounts, 9);
    // production: a01 a02 a05 a08 a09 a10 at 19 + a12 10.42 = 124.42 base; a08 4.00 overage.
    assert_eq!(tier_revenue(oct)[1], ("production".into(), 7, d("124.42"), d("4.00"), d("128.42")));
    // Cohort: September's eight paying accounts (254.50), now 19 + 19 + 79 + 0 + 19 + 23 + 19 + 79 = 257: 100.98%.
    assert_eq!(oct.nrr_percent, Some(d("100.98")));
    // 19 + 19 + 49 + 0 + 19 + 23 + 19 + 79 = 227; / 254.50 = 89.19%
    assert_eq!(oct.grr_percent, Some(d("89.19")));
    // a04 went to sandbox: 1 of 8 = 12.50%; its 19.00 of 254.50 = 7.47%.
    assert_eq!(oct.logo_churn, ratio(1, 8, Some("12.50")));
    assert_eq!((oct.churned_revenue, oct.revenue_churn_percent), (d("19.00"), Some(d("7.47"))));
    // On sandbox at Oct 1: a04, a06, a07, a12; a12 ends on production: 1 / 4.
    assert_eq!(oct.sandbox_conversion, ratio(1, 4, Some("25.00")));
    assert_eq!((oct.upgrades, oct.downgrades), (1, 1), "a12 to production; a04 to sandbox");
    assert_eq!(oct.credit_packs.packs_sold, 0);
    assert_eq!(oct.credit_packs.credit_consumed, d("4.00"));
    assert_eq!(oct.quota_funnel, ratio(0, 2, Some("0.00")), "a02 and a08 stayed");
    // 1.10 + 2.70 + 6.00 + 0.12 + 0.60 + 0.06 + 0 + 2.80 + 0.60 + 0.30
    // + a11 in apac 1.00 + 100 x 0.10 + 0.036 = 11.04 + a12 1.15 = 26.47
    assert_eq!(oct.infrastructure_cost, Some(d("26.47")));
    assert_eq!(oct.gross_margin_percent, Some(d("90.76")), "(286.42 - 26.47) / 286.42");
}

#[test]
fn november_net_revenue_retention_passes_100_percent() {
    let r = report("90");
    let nov = &r.months[3];
    // 19 + 27 + 79 + 19 + 19 + 19 + 19 + 90.50 + 19 = 310.50
    assert_eq!(nov.mrr, d("310.50"));
    assert_eq!(tier_revenue(nov)[2], ("scale".into(), 2, d("158.00"), d("11.50"), d("169.50")));
    // October's nine paying accounts: 286.42 then, 310.50 now: 108.41%.
    assert_eq!(nov.nrr_percent, Some(d("108.41")));
    // 6 x 19 (a01, a02 at most 19, a05, a08 at most 23 -> 19, a09, a10) + 79 + 79 + a12 10.42 = 282.42: 98.60%.
    assert_eq!(nov.grr_percent, Some(d("98.60")));
    assert_eq!(nov.logo_churn, ratio(0, 9, Some("0.00")));
    assert_eq!(nov.sandbox_conversion, ratio(0, 3, Some("0.00")));
    assert_eq!((nov.upgrades, nov.downgrades), (0, 0));
    assert_eq!(nov.quota_funnel, ratio(0, 2, Some("0.00")), "a02 and a11 at 80%, neither moved up");
    assert_eq!(nov.quota_funnel_open, 0, "by Dec 6 both had their 14 days");
    // Read on Nov 25, a11 (80% on Nov 20) still has 9 of its 14 days: the share may yet rise.
    let earlier: DateTime<Utc> = "2026-11-25T00:00:00Z".parse().unwrap();
    let months = report_months(Some("2026-11"), Some("2026-11"), earlier).unwrap();
    let then = metrics::report(PriceBook::published(), &fleet(), &months, earlier, None, d("90")).unwrap();
    assert_eq!((then.months[0].quota_funnel.clone(), then.months[0].quota_funnel_open), (ratio(0, 2, Some("0.00")), 1));
    // 1.10 + 2.90 + 6.00 + 0.06 + 0.60 + 0.06 + 0 + 2.70 + 0.60 + 0.60 + 14.94 + 0.60 = 30.16
    assert_eq!(nov.infrastructure_cost, Some(d("30.16")));
    assert_eq!(nov.gross_margin, Some(d("280.34")));
}

#[test]
fn margin_per_tier_and_per_account_flags_the_accounts_below_the_threshold() {
    let r = report("90");
    let m = r.margin.unwrap();
    // Revenue 264.79 + 254.50 + 286.42 + 310.50 = 1116.21; cost 16.76 + 21.95 + 26.47 + 30.16 = 95.34.
    assert_eq!((m.total.revenue, m.total.cost, m.total.margin), (d("1116.21"), d("95.34"), d("1020.87")));
    assert_eq!(m.total.margin_percent, Some(d("91.46")));
    let tiers: BTreeMap<&str, &edgecost_api::Margin> = m.by_tier.iter().map(|t| (t.tier.as_str(), &t.margin)).collect();
    // sandbox: a06 4 x 0.06, a07 0.66 + 0.18, a12 0.12, a04 0.12 + 0.06 = 1.38, no revenue.
    assert_eq!((tiers["sandbox"].cost, tiers["sandbox"].margin_percent), (d("1.38"), None));
    // scale: 158 + 128 + 158 + 169.50 = 613.50; 3.00 + 6.04 + 4.50 + 6.04 + 6.00 + 11.04 + 6.00 + 14.94 = 57.56.
    assert_eq!((tiers["scale"].revenue, tiers["scale"].cost, tiers["scale"].margin_percent), (d("613.50"), d("57.56"), Some(d("90.62"))));
    // production: 106.79 + 126.50 + 128.42 + 141.00 = 502.71; 7.00 + 11.05 + 9.25 + 9.10 = 36.40.
    assert_eq!(
        (tiers["production"].revenue, tiers["production"].cost, tiers["production"].margin_percent),
        (d("502.71"), d("36.40"), Some(d("92.76")))
    );
    // Lowest first: no revenue (a06, a07), then a02 78.85/90.50 = 87.13%, a08 79/90.50 = 87.29%,
    // a11 289.44/327.50 = 88.38%, a03 207.85/226 = 91.97%, a12 27.55/29.42 = 93.64%, ...
    let order: Vec<(&str, Option<Decimal>, bool)> =
        m.by_account.iter().map(|a| (a.account_id.as_str(), a.margin.margin_percent, a.below_threshold)).collect();
    assert_eq!(
        order[..7],
        [
            ("a06", None, true),
            ("a07", None, true),
            ("a02", Some(d("87.13")), true),
            ("a08", Some(d("87.29")), true),
            ("a11", Some(d("88.38")), true),
            ("a03", Some(d("91.97")), false),
            ("a12", Some(d("93.64")), false),
        ]
    );
    assert_eq!(m.by_account.iter().filter(|a| a.below_threshold).count(), 5);
    assert_eq!(m.by_account.iter().find(|a| a.account_id == "a04").unwrap().tier, "sandbox", "the tier of its last month");
}

#[test]
fn without_infrastructure_cost_the_report_has_no_margin() {
    let r = metrics::report(PriceBook::published(), &fleet(), &months("2026-10", "2026-11"), now(), None, d("50")).unwrap();
    assert!(r.margin.is_none());
    assert_eq!(r.months.len(), 2);
    assert_eq!((r.months[0].infrastructure_cost, r.months[0].gross_margin), (None, None));
    // October still compares with September, read though not reported.
    assert_eq!(r.months[0].nrr_percent, Some(d("100.98")));
}

/// Production at $25 with 250k requests included and $0.50 per 10k past them; scale at $59.
fn proposed_book() -> PriceBook {
    let yaml = PriceBook::published_yaml()
        .replace("base_fee: \"19.00\"", "base_fee: \"25.00\"")
        .replace("requests: 200000\n", "requests: 250000\n")
        .replace("requests: { price: \"0.40\", per: 10000 }", "requests: { price: \"0.50\", per: 10000 }")
        .replace("base_fee: \"79.00\"", "base_fee: \"59.00\"");
    PriceBook::from_yaml_str(&yaml, "proposed.yaml").unwrap()
}

#[test]
fn what_if_rerates_the_last_three_months_under_the_proposed_book() {
    let mut current = PriceBook::published().clone();
    current.infrastructure_cost = Some(costs());
    let r = what_if::what_if(&current, &proposed_book(), &fleet(), &months("2026-09", "2026-11"), now()).unwrap();
    assert_eq!(r.months, ["2026-09", "2026-10", "2026-11"]);
    // Before: 254.50 + 286.42 + 310.50 = 851.42.
    // After, per account over Sep-Nov:
    //   a01, a05, a09: 3 x 25 = 75 (before 57); a04: Sep 25 (before 19)
    //   a02: Sep 25, Oct 25, Nov 150k over = 15 x 0.50 = 7.50 -> 32.50: 82.50 (before 67)
    //   a03: Sep 25 x 15/30 = 12.50 + 59 x 15/30 = 29.50 = 42, Oct 59, Nov 59: 160 (before 207)
    //   a08: Sep 25 + 7.50 + 2.50 = 35, Oct 25 + 2.50 = 27.50, Nov 25: 87.50 (before 71.50)
    //   a10: 2 x 25 = 50 (before 38); a11: 59 + 59 + 70.50 = 188.50 (before 248.50)
    //   a12: Oct 25 x 17/31 = 13.7096... -> 13.71, Nov 25: 38.71 (before 29.42)
    // 75 x 3 + 25 + 82.50 + 160 + 87.50 + 50 + 188.50 + 38.71 = 857.21; +5.79 = +0.68%.
    assert_eq!((r.total.before, r.total.after, r.total.change), (d("851.42"), d("857.21"), d("5.79")));
    assert_eq!(r.total.change_percent, Some(d("0.68")));
    let tiers: Vec<(&str, u32, Decimal, Decimal, Option<Decimal>)> = r
        .by_tier
        .iter()
        .map(|t| (t.tier.as_str(), t.account_months, t.revenue.before, t.revenue.after, t.revenue.change_percent))
        .collect();
    // production account-months: 6 in Sep, 7 in Oct and Nov; scale: a03 and a11 each month.
    // production after: 160 + 166.21 + 182.50 = 508.71 (+112.79 on 395.92 = +28.49%);
    // scale after: 101 + 118 + 129.50 = 348.50 (-107 on 455.50 = -23.49%).
    assert_eq!(
        tiers,
        [
            ("sandbox", 9, d("0.00"), d("0.00"), None),
            ("production", 20, d("395.92"), d("508.71"), Some(d("28.49"))),
            ("scale", 6, d("455.50"), d("348.50"), Some(d("-23.49"))),
        ]
    );
    let rises: Vec<(&str, Decimal)> = r.rises.iter().map(|a| (a.account_id.as_str(), a.revenue.change)).collect();
    assert_eq!(
        rises,
        [
            ("a01", d("18.00")),
            ("a05", d("18.00")),
            ("a09", d("18.00")),
            ("a08", d("16.00")),
            ("a02", d("15.50")),
            ("a10", d("12.00")),
            ("a12", d("9.29")),
            ("a04", d("6.00")),
        ]
    );
    let falls: Vec<(&str, Decimal)> = r.falls.iter().map(|a| (a.account_id.as_str(), a.revenue.change)).collect();
    assert_eq!(falls, [("a11", d("-60.00")), ("a03", d("-47.00"))]);
    // a03's November (1M requests, 100 GB): production 19 + 80 x 0.40 + 50 x 0.05 = 53.50 beats
    // scale's 79; under the proposed book 25 + 75 x 0.50 + 2.50 = 65.00 loses to scale's 59.
    assert_eq!(r.cheapest_tier_changes.len(), 1);
    let c = &r.cheapest_tier_changes[0];
    assert_eq!((c.account_id.as_str(), c.before.as_deref(), c.after.as_deref()), ("a03", Some("production"), Some("scale")));
    // The proposed book carries no cost: the current one's prices both.
    // Cost 21.95 + 26.47 + 30.16 = 78.58; (851.42 - 78.58) / 851.42 = 90.77%; (857.21 - 78.58) / 857.21 = 90.83%.
    let (before, after) = (r.margin_before.unwrap(), r.margin_after.unwrap());
    assert_eq!((before.cost, before.margin_percent, after.margin_percent), (d("78.58"), Some(d("90.77")), Some(d("90.83"))));
    assert!(r.unrated.is_empty());
}

#[test]
fn what_if_leaves_out_accounts_whose_tier_the_proposed_book_lacks() {
    let yaml = PriceBook::published_yaml().replace("name: scale", "name: growth");
    let proposed = PriceBook::from_yaml_str(&yaml, "renamed.yaml").unwrap();
    let r = what_if::what_if(PriceBook::published(), &proposed, &fleet(), &months("2026-11", "2026-11"), now()).unwrap();
    // Each is named with the tier the proposed book lacks, so the operator knows whom and why.
    let left_out: Vec<(&str, &str, &str)> = r.unrated.iter().map(|u| (u.account_id.as_str(), u.name.as_str(), u.tier.as_str())).collect();
    assert_eq!(left_out, [("a03", "Account a03", "scale"), ("a11", "Account a11", "scale")]);
    // Nothing else changed: November without a03 and a11 is 310.50 - 79 - 90.50 = 141.00 either way.
    assert_eq!((r.total.before, r.total.after), (d("141.00"), d("141.00")));
    assert!(r.margin_before.is_none(), "neither book carries cost");
}

#[test]
fn report_months_default_to_the_last_six_and_refuse_bad_ranges() {
    let m = report_months(None, None, now()).unwrap();
    assert_eq!(m.iter().map(fleet::month_label).collect::<Vec<_>>(), ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]);
    assert_eq!(report_months(Some("2025-12"), Some("2026-02"), now()).unwrap().len(), 3);
    for (from, to) in [(Some("2026-13"), None), (Some("2026-9"), None), (Some("2026-11"), Some("2026-10")), (None, Some("2027-01"))] {
        assert_eq!(report_months(from, to, now()).unwrap_err().code(), "invalid_report_range", "{from:?} {to:?}");
    }
    assert!(report_months(Some("2023-01"), None, now()).is_err(), "more than 36 months");
}
