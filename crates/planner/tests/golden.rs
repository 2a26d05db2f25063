//! The example plans priced end to end; every expected figure is worked out by hand below.

use std::path::PathBuf;

use chrono::NaiveDate;
use edgecost_planner::{Estimate, EstimateOptions, Estimator, Plan, Uncertainty, projection};
use edgecost_pricing::{Decimal, Meter, PriceBook};

fn example(name: &str) -> Plan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name);
    Plan::load(&path, PriceBook::published()).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn options() -> EstimateOptions {
    EstimateOptions { uncertainty: None, ..EstimateOptions::starting(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()) }
}

fn estimate(name: &str) -> Estimate {
    Estimator::new(example(name), PriceBook::published()).unwrap().estimate(&options()).unwrap()
}

fn day(e: &Estimate, meter: Meter, percent: u32) -> Option<u32> {
    e.thresholds.iter().find(|t| t.meter == meter && t.percent == percent).unwrap().day
}

#[test]
fn small_api_on_production() {
    let e = estimate("small-api.yaml");
    // /api/orders:   150,000 req; compute 4 + 0.5 + 1 = 5.5 ms -> 825 s;
    //                egress 150,000 x 20,000 x 0.5 = 1.5 GB.
    // /api/products: 100,000 req; compute 10 x (1 - 0.8) + 0.5 + 0.2 = 2.7 ms -> 270 s;
    //                egress 100,000 x 100,000 = 10 GB.
    // /healthz:      0.01 rps x 2,592,000 s = 25,920 req; 0.1 ms -> 2.592 s; 2,592,000 bytes.
    assert_eq!(e.usage.requests, d("275920"));
    assert_eq!(e.usage.compute_seconds, d("1097.592"));
    assert_eq!(e.usage.egress_bytes, d("11502592000"));
    // na and eu both weigh 1.0.
    assert_eq!(e.usage.billable_egress_gb, d("11.502592"));
    // 75,920 requests past 200,000 x $0.40 / 10,000 = $3.0368 -> $3.04; egress under 50 GB.
    assert_eq!(e.bill.total, d("22.04"));
    assert_eq!(e.bill.overage_total, d("3.04"));
    // Production is the cheapest month. One $25 pack would prepay the $3.04 of overage, with
    // $21.96 carried over: offered as a prepayment, not as part of the advice.
    let rec = e.comparison.recommendation.as_ref().unwrap();
    assert_eq!((rec.tier.as_str(), rec.monthly_cost), ("production", d("22.04")));
    let prepay = rec.prepay.as_ref().unwrap();
    assert_eq!((prepay.packs, prepay.overage_paid, prepay.carries_over), (1, d("3.04"), d("21.96")));
    assert!(!rec.summary.contains("buy"), "{}", rec.summary);
    // 304 cents over 150,000 : 100,000 : 25,920 requests = 165.27, 110.18, 28.56 cents:
    // floors 165 + 110 + 28 = 303, the last cent to the largest remainder (/healthz, .56).
    let costs: Vec<_> = e.routes.iter().map(|r| (r.name.as_str(), r.cost)).collect();
    assert_eq!(costs, [("/api/orders", d("1.65")), ("/api/products", d("1.10")), ("/healthz", d("0.29"))]);
    // Regions: requests split 0.6 / 0.4 everywhere: 182.4 and 121.6 cents -> $1.82 and $1.22.
    let regions: Vec<_> = e.regions.iter().map(|r| (r.name.as_str(), r.cost)).collect();
    assert_eq!(regions, [("eu", d("1.22")), ("na", d("1.82"))]);
    // 80% of 200,000 = 160,000 at 275,920 / 30 a day: day ceil(17.40) = 18; 100%: ceil(21.75) = 22.
    assert_eq!(day(&e, Meter::Requests, 80), Some(18));
    assert_eq!(day(&e, Meter::Requests, 100), Some(22));
    assert_eq!(day(&e, Meter::Egress, 80), None);
    // $3.04 of overage: one $25 pack covers it; with no credit, the day the overage first
    // exceeds $0 is the first day past 200,000 requests, day 22 (November 22).
    assert_eq!(e.credits.packs_needed, 1);
    assert_eq!(e.credits.runs_out_on, NaiveDate::from_ymd_opt(2026, 11, 22));
}

#[test]
fn busy_multi_region_is_cheaper_on_scale() {
    let e = estimate("busy-multi-region.yaml");
    // /v1/search: 0.5 rps = 1,296,000 req; compute 12 x 0.1 + 0.5 + 0.2 + 1 = 2.9 ms -> 3,758.4 s;
    //             egress 1,296,000 x 50,000 x 0.4 = 25.92 GB, billable x (0.5 + 0.3 + 0.2 x 1.5)
    //             = x 1.1 -> 28.512 GB.
    // /v1/events: 400,000 req; 2.5 ms -> 1,000 s; 0.4 GB, all in na -> 0.4 GB billable.
    // /v1/assets: 100,000 req; 1 x 0.1 + 0.2 = 0.3 ms -> 30 s; 50 GB x 1.1 = 55 GB billable.
    assert_eq!(e.usage.requests, d("1796000"));
    assert_eq!(e.usage.compute_seconds, d("4788.4"));
    assert_eq!(e.usage.egress_bytes, d("76320000000"));
    assert_eq!(e.usage.billable_egress_gb, d("83.912"));
    // Production: 1,596,000 extra requests x $0.40 / 10,000 = $63.84, 33.912 GB x $0.05 =
    // $1.6956 -> $1.70; $19 + $63.84 + $1.70 = $84.54.
    assert_eq!(e.bill.total, d("84.54"));
    // Scale includes 2,000,000 requests and 200 GB: $79 flat, $5.54 less.
    let rec = e.comparison.recommendation.as_ref().unwrap();
    assert_eq!(rec.tier, "scale");
    assert_eq!(rec.monthly_cost, d("79.00"));
    assert_eq!(rec.saving, d("5.54"));
    // The egress line splits by billable egress: apac carries 0.2 x 1.5 of the weighted
    // bytes of search and assets: (5.184 + 10) x 1.5 = 22.776 GB of 83.912.
    let apac = e.regions.iter().find(|r| r.name == "apac").unwrap();
    assert_eq!(apac.usage.billable_egress_gb, d("22.776"));
    let egress_line = e.bill.lines.iter().find(|l| l.meter == Meter::Egress).unwrap().amount;
    let egress_shares: Decimal = e.regions.iter().map(|r| r.egress_cost).sum();
    assert_eq!(egress_shares, egress_line);
    // Requests pass 80% of 200,000 on day ceil(160,000 x 30 / 1,796,000) = ceil(2.67) = 3.
    assert_eq!(day(&e, Meter::Requests, 80), Some(3));
}

#[test]
fn sandbox_prototype_nears_its_cap() {
    let e = estimate("sandbox-prototype.yaml");
    // 36,000 + 0.002 rps x 2,592,000 = 5,184 -> 41,184 requests of the 50,000 cap (82%).
    assert_eq!(e.usage.requests, d("41184"));
    // 36,000 x 150,000 + 5,184 x 2,000 bytes = 5.410368 GB of 10 GB.
    assert_eq!(e.usage.billable_egress_gb, d("5.410368"));
    // 36,000 x 20.5 ms + 5,184 x 5 ms = 738 + 25.92 s.
    assert_eq!(e.usage.compute_seconds, d("763.92"));
    assert_eq!(e.bill.total, d("0.00"));
    assert!(!e.bill.capped);
    // 80% = 40,000 requests on day ceil(40,000 x 30 / 41,184) = ceil(29.14) = 30; never 100%.
    assert_eq!(day(&e, Meter::Requests, 80), Some(30));
    assert_eq!(day(&e, Meter::Requests, 100), None);
    assert_eq!(e.bill.utilization[&Meter::Requests].thresholds_crossed, vec![80]);
    // With 20% growth, month 2 has 49,420.8 requests (still under the cap) and month 3
    // 59,304.96, past it: the sandbox caps, so the cheapest option becomes production.
    let months = projection::project_months(
        PriceBook::published(),
        "sandbox",
        Estimator::new(example("sandbox-prototype.yaml"), PriceBook::published()).unwrap().totals(),
        d("20"),
        3,
    )
    .unwrap();
    assert_eq!(months[1].usage.requests, d("49420.8"));
    assert!(!months[1].capped);
    assert!(months[2].capped);
    assert_eq!(months[2].cheapest.as_ref().unwrap().tier, "production");
}

#[test]
fn twelve_months_of_growth() {
    let book = PriceBook::published();
    let est = Estimator::new(example("small-api.yaml"), book).unwrap();
    let months = projection::project_months(book, "production", est.totals(), d("10"), 12).unwrap();
    assert_eq!(months.len(), 12);
    // Month 2: 275,920 x 1.1 = 303,512 requests; 103,512 extra x $0.00004 = $4.14048 -> $4.14.
    assert_eq!(months[1].usage.requests, d("303512"));
    assert_eq!(months[1].total, d("23.14"));
    assert!(months.windows(2).all(|w| w[1].total >= w[0].total), "growing traffic never costs less");
}

#[test]
fn projected_months_report_egress_served_and_billable_as_the_estimate_does() {
    let book = PriceBook::published();
    // 1,000,000 requests x 1,000 bytes, all from apac (weight 1.5): 1 GB served, 1.5 GB billable.
    let plan = Plan::parse(
        "tier: production\nregions: {apac: 1}\ngrowth: {monthly_percent: 10}\nroutes:\n  - {path: /a, requests_per_month: 1000000, response_bytes: 1000}\n",
        "plan.yaml",
        book,
    )
    .unwrap();
    let e = Estimator::new(plan, book).unwrap().estimate(&options()).unwrap();
    assert_eq!((e.usage.egress_bytes, e.usage.billable_egress_bytes), (d("1000000000"), d("1500000000")));
    // Month 1 is the plan's month, reported field for field as the estimate's own usage.
    assert_eq!(e.months[0].usage, e.usage);
    // Month 2 grows 10%: 1.1 GB served, 1.65 GB billable, and the bill rates the billable.
    let m = &e.months[1].usage;
    assert_eq!((m.egress_bytes, m.billable_egress_bytes, m.billable_egress_gb), (d("1100000000"), d("1650000000"), d("1.65")));
}

#[test]
fn the_bill_range_is_reproducible_and_ordered() {
    let book = PriceBook::published();
    let est = Estimator::new(example("busy-multi-region.yaml"), book).unwrap();
    let run = |seed| {
        let mut o = options();
        o.uncertainty = Some(Uncertainty { seed, samples: 400, ..Uncertainty::default() });
        est.estimate(&o).unwrap().range.unwrap()
    };
    let a = run(7);
    assert_eq!(a, run(7), "the same seed gives the same range");
    assert!(a.min <= a.p50 && a.p50 <= a.p90 && a.p90 <= a.max);
    // Multipliers have mean 1, so the median bill sits near the steady one ($84.54).
    assert!(a.p50 > d("60") && a.p50 < d("110"), "{a:?}");
    assert!(a.p90 > a.p50);
    let none = Uncertainty { plan_sigma: 0.0, route_sigma: 0.0, samples: 10, seed: 1 };
    let flat = projection::simulate(book, "production", &est.route_usages().iter().map(|r| r.total).collect::<Vec<_>>(), &none).unwrap();
    assert_eq!((flat.p50, flat.p90), (d("84.54"), d("84.54")), "no uncertainty, no spread");
    let too_many = Uncertainty { samples: projection::MAX_SAMPLES + 1, ..none };
    assert_eq!(projection::simulate(book, "production", &[], &too_many).unwrap_err().code(), "over_bound");
}

#[test]
fn credit_balance_runs_out_mid_period() {
    let book = PriceBook::published();
    let est = Estimator::new(example("busy-multi-region.yaml"), book).unwrap();
    // Production overage is $65.54 for the month. Requests alone accrue 1,796,000 / 30 =
    // 59,866.67 a day; past 200,000 from day 4. A $25 balance covers 625,000 extra requests,
    // i.e. 825,000 in all, reached on day ceil(825,000 x 30 / 1,796,000) = ceil(13.78) = 14
    // (egress overage starts only on day 18, so it does not move the day).
    let runway =
        projection::credit_runway(book, "production", &est.totals().to_usage(), d("25"), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), 30)
            .unwrap();
    assert_eq!(runway.overage_total, d("65.54"));
    assert_eq!(runway.packs_needed, 2, "$40.54 more needs two $25 packs");
    // $25 held + $50 bought - $65.54 of overage leaves $9.46 for the next period.
    assert_eq!(runway.credit_left.to_string(), "9.46");
    assert_eq!(runway.runs_out_day, Some(14));
    assert_eq!(runway.runs_out_on, NaiveDate::from_ymd_opt(2026, 11, 14));
}

#[test]
fn held_credit_pays_the_estimated_bill_as_it_pays_the_real_one() {
    // `edgecost estimate --credits 10` used to ignore the credit: the total stayed at the
    // month's cost while `edgecost bill` with the same usage took the credit off.
    let book = PriceBook::published();
    let est = Estimator::new(example("small-api.yaml"), book).unwrap();
    let options = EstimateOptions { credit_balance: d("10.00"), ..options() };
    let e = est.estimate(&options).unwrap();
    let same_usage = book
        .rate("production", &est.totals().to_usage(), &edgecost_pricing::RateOptions { credit_balance: d("10.00"), ..Default::default() })
        .unwrap();
    assert_eq!(e.bill, same_usage);
    // $19 + $3.04 is what the month costs; credit pays the $3.04 and $19.00 is left to invoice.
    assert_eq!((e.bill.credits_applied, e.bill.total), (d("3.04"), d("19.00")));
    let rec = e.comparison.recommendation.as_ref().unwrap();
    assert_eq!((rec.monthly_cost, rec.credit_pays, rec.invoice, rec.credit_carries_over), (d("22.04"), d("3.04"), d("19.00"), d("6.96")));
    assert_eq!(rec.prepay, None);
    assert_eq!((e.credits.credit_balance.to_string(), e.credits.credit_left.to_string()), ("10.00".into(), "6.96".into()));
    // Route costs attribute the overage lines, which credit does not change.
    assert_eq!(e.routes.iter().map(|r| r.cost).sum::<Decimal>(), d("3.04"));
}

#[test]
fn reordering_routes_changes_no_figure() {
    // Moving a route (Alt+Up / Alt+Down in the editor) changes nothing deployed: the simulated
    // P50/P90 and every other figure stay as they were, route by route.
    let book = PriceBook::published();
    let plan = example("busy-multi-region.yaml");
    assert_eq!(plan.routes.len(), 3);
    let mut o = options();
    o.uncertainty = Some(Uncertainty { samples: 400, ..Uncertainty::default() });
    let by_name = |mut e: Estimate| {
        e.routes.sort_by(|a, b| a.name.cmp(&b.name));
        e
    };
    let first = by_name(Estimator::new(plan.clone(), book).unwrap().estimate(&o).unwrap());
    for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let mut permuted = plan.clone();
        permuted.routes = order.iter().map(|&i| plan.routes[i].clone()).collect();
        let e = by_name(Estimator::new(permuted, book).unwrap().estimate(&o).unwrap());
        assert_eq!(e.range, first.range, "order {order:?}");
        assert_eq!(e, first, "order {order:?}");
    }
    // The same through the editor's move, down and back up again.
    let mut est = Estimator::new(plan, book).unwrap();
    est.move_route(0, 1).unwrap();
    let moved = by_name(est.estimate(&o).unwrap());
    est.move_route(1, 0).unwrap();
    assert_eq!(moved, first);
    assert_eq!(by_name(est.estimate(&o).unwrap()), first);
}

#[test]
fn the_simulation_does_not_depend_on_the_order_of_its_routes() {
    let book = PriceBook::published();
    let est = Estimator::new(example("busy-multi-region.yaml"), book).unwrap();
    let parts: Vec<_> = est.route_usages().iter().map(|r| r.total).collect();
    let u = Uncertainty { samples: 300, seed: 11, ..Uncertainty::default() };
    let forward = projection::simulate(book, "production", &parts, &u).unwrap();
    let reversed: Vec<_> = parts.iter().rev().copied().collect();
    assert_eq!(projection::simulate(book, "production", &reversed, &u).unwrap(), forward);
    // Two identical routes are interchangeable, wherever they stand.
    let doubled: Vec<_> = parts.iter().chain(&parts[..1]).copied().collect();
    let front: Vec<_> = parts[..1].iter().chain(&parts).copied().collect();
    assert_eq!(
        projection::simulate(book, "production", &doubled, &u).unwrap(),
        projection::simulate(book, "production", &front, &u).unwrap()
    );
}
