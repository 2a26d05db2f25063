//! Extreme magnitudes fed to every planner parser and rating path: each answers with a value
//! or a clean error (with a code), never a panic.
//!
//! The number of cases comes from `PROPTEST_CASES` (256 by default); `make fuzz` runs these
//! at scale for a bounded time.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use edgecost_planner::{
    Contribution, EstimateOptions, Estimator, Growth, Middleware, Plan, Route, Uncertainty, allocate_cents, plan_from_usage, projection,
    read_usage,
};
use edgecost_pricing::{Decimal, PriceBook, Usage};
use proptest::prelude::*;

fn book() -> &'static PriceBook {
    PriceBook::published()
}

/// The refusals an extreme magnitude may earn: a value out of its range or past a bound, a
/// plan that no longer adds up, a usage record that cannot be read, or a total too large to
/// compute exactly. Any other code (an unknown route, a missing file) would be the wrong answer.
const MAGNITUDE_REFUSALS: [&str; 8] = [
    "value_out_of_range",
    "over_bound",
    "plan_invalid",
    "region_shares_not_one",
    "route_traffic_ambiguous",
    "usage_record_invalid",
    "usage_too_large",
    "overflow",
];

fn assert_magnitude_refusal(code: &str) {
    assert!(MAGNITUDE_REFUSALS.contains(&code), "refused with `{code}`, not a refusal of a magnitude");
}

/// Magnitudes at and past every bound, as decimals.
fn magnitude() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
        Just("70000000000000000000000000000".parse().unwrap()),
        Just("1e23".parse::<Decimal>().unwrap_or(Decimal::MAX)),
        Just(Decimal::from(u64::MAX)),
        Just(Decimal::new(1, 28)),
        Just(Decimal::from(1_000_000_000_000_000_000u64)),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<u64>(), 0u32..=28).prop_map(|(m, s)| Decimal::from_i128_with_scale(i128::from(m), s)),
    ]
}

/// The same magnitudes as YAML literals, quoted and plain (floats included).
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        magnitude().prop_map(|d| format!("\"{d}\"")),
        magnitude().prop_map(|d| d.to_string()),
        Just("1e23".to_owned()),
        Just("1.7976931348623157e308".to_owned()),
        Just("-1e-300".to_owned()),
        Just(".nan".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("340282366920938463463374607431768211455".to_owned()),
    ]
}

fn options() -> EstimateOptions {
    EstimateOptions {
        uncertainty: Some(Uncertainty { samples: 10, ..Uncertainty::default() }),
        ..EstimateOptions::starting(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
    }
}

/// Estimates a parsed or built plan; every step may refuse, none may panic.
fn estimate_all_the_way(plan: Plan) {
    let Ok(mut est) = Estimator::new(plan, book()) else { return };
    if let Err(e) = est.estimate(&options()) {
        assert_magnitude_refusal(e.code());
    }
    let _ = est.comparison(Decimal::new(1_000, 2));
    let _ = est.set_tier("scale");
    let _ = est.estimate(&EstimateOptions { credit_balance: Decimal::MAX, ..options() });
}

proptest! {
    #[test]
    fn plan_files_with_extreme_literals_parse_or_refuse_cleanly(
        rpm in literal(), rps in literal(), ms in literal(), bytes in literal(),
        ratio in literal(), hit in literal(), growth in literal(), share in literal(),
    ) {
        let text = format!(
            "tier: production\nregions: {{na: {share}, eu: 0.5}}\nroutes:\n  - path: /a\n    requests_per_month: {rpm}\n    compute_ms: {ms}\n    response_bytes: {bytes}\n    middleware: [m]\n  - path: /b\n    requests_per_second: {rps}\n    response_bytes: {bytes}\nmiddleware:\n  m: {{compute_ms: {ms}, egress_ratio: {ratio}, hit_ratio: {hit}}}\ngrowth: {{monthly_percent: {growth}}}\n"
        );
        match Plan::parse(&text, "plan.yaml", book()) {
            Ok(plan) => estimate_all_the_way(plan),
            Err(e) => assert_magnitude_refusal(e.code()),
        }
    }

    #[test]
    fn plans_built_in_memory_with_extreme_values_estimate_or_refuse_cleanly(
        rpm in magnitude(), rps in magnitude(), ms in magnitude(), bytes in magnitude(),
        ratio in magnitude(), growth in magnitude(), by_second in any::<bool>(),
    ) {
        // The desktop editor builds routes without parsing text: the same bounds hold.
        let route = Route {
            path: "/a".into(),
            requests_per_month: (!by_second).then_some(rpm),
            requests_per_second: by_second.then_some(rps),
            compute_ms: ms,
            response_bytes: bytes,
            middleware: vec!["m".into()],
            regions: None,
        };
        let plan = Plan {
            tier: "production".into(),
            regions: BTreeMap::from([("na".to_owned(), Decimal::ONE)]),
            routes: vec![route.clone()],
            middleware: BTreeMap::from([("m".to_owned(), Middleware { compute_ms: ms, egress_ratio: Some(ratio), hit_ratio: None })]),
            growth: Some(Growth { monthly_percent: growth }),
        };
        estimate_all_the_way(plan);
        let small = Plan {
            tier: "production".into(),
            regions: BTreeMap::from([("na".to_owned(), Decimal::ONE)]),
            routes: vec![],
            middleware: BTreeMap::new(),
            growth: None,
        };
        let mut est = Estimator::new(small, book()).unwrap();
        let _ = est.add_route(Route { middleware: vec![], ..route.clone() });
        let _ = est.set_growth(Some(Growth { monthly_percent: growth }));
        let _ = est.estimate(&options());
    }

    #[test]
    fn projections_and_attribution_at_extreme_magnitudes_never_panic(
        requests in magnitude(), egress in magnitude(), compute in magnitude(), credit in magnitude(),
        growth in magnitude(), period_days in 0u32..400, months in 0u32..130,
        weights in prop::collection::vec(magnitude(), 0..6), amount in magnitude(),
    ) {
        let usage = Usage { requests, egress_bytes: egress, compute_seconds: compute };
        // Billable egress at twice the bytes served (a weight of 2), or the most a decimal holds.
        let billable_egress_bytes = egress.checked_mul(Decimal::TWO).unwrap_or(Decimal::MAX);
        let totals = Contribution { requests, compute_seconds: compute, egress_bytes: egress, billable_egress_bytes };
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for tier in ["sandbox", "production", "scale", "enterprise"] {
            let _ = projection::threshold_days(book(), tier, &usage, period_days);
            let _ = projection::cap_outlook(book(), tier, &usage, period_days);
            let _ = projection::credit_runway(book(), tier, &usage, credit, start, period_days.min(40));
            let _ = projection::project_months(book(), tier, &totals, growth, months.min(24));
        }
        if let Ok(parts) = allocate_cents(amount, &weights)
            && amount >= Decimal::ZERO
            && weights.iter().any(|w| *w > Decimal::ZERO)
        {
            prop_assert_eq!(parts.iter().sum::<Decimal>(), amount.trunc_with_scale(2));
        }
    }

    #[test]
    fn usage_exports_with_extreme_counters_calibrate_or_refuse_cleanly(
        requests in any::<u64>(), compute in any::<u64>(), bytes in any::<u64>(), seconds in any::<u32>(), copies in 1usize..4,
    ) {
        let line = format!(
            "{{\"route\": \"/a\", \"region\": \"na\", \"window_start\": \"2026-01-01T00:00:00Z\", \"window_seconds\": {seconds}, \"requests\": {requests}, \"compute_ms\": {compute}, \"egress_bytes\": {bytes}}}\n"
        );
        let text: String = (0..copies).map(|i| line.replace("00:00:00", &format!("0{i}:00:00"))).collect();
        match read_usage(&text, "usage.jsonl") {
            Ok(records) => {
                if let Ok(plan) = plan_from_usage(&records, "production", book()) {
                    estimate_all_the_way(plan);
                }
            }
            Err(e) => assert_magnitude_refusal(e.code()),
        }
    }
}
