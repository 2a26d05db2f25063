//! The rating contract: exact overage, one rounding per line, credits on overage only, caps.

use std::str::FromStr;

use edgecost_pricing::{BaseFeeShare, Decimal, Meter, PriceBook, RateError, RateOptions, Usage};
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn usage(requests: u64, egress_gb: &str, compute_seconds: u64) -> Usage {
    Usage {
        requests: Decimal::from(requests),
        egress_bytes: d(egress_gb) * Decimal::from(1_000_000_000u64),
        compute_seconds: Decimal::from(compute_seconds),
    }
}

fn rate(tier: &str, u: &Usage, credits: &str) -> edgecost_pricing::Bill {
    let options = RateOptions { credit_balance: d(credits), ..RateOptions::default() };
    PriceBook::published().rate(tier, u, &options).unwrap()
}

#[test]
fn production_overage_is_prorated_not_rounded_to_blocks() {
    // 205,000 requests: 5,000 past the quota = half a 10,000 block = $0.20, not $0.40.
    let bill = rate("production", &usage(205_000, "0", 0), "0");
    assert_eq!(bill.lines[0].amount, d("0.20"));
    assert_eq!(bill.total, d("19.20"));
}

#[test]
fn lines_that_charge_nothing_read_quantities_as_the_rest_of_the_bill() {
    let u = Usage { requests: d("150000"), egress_bytes: d("15411718500"), compute_seconds: d("1097.592") };
    let bill = rate("production", &u, "0");
    let explanations: Vec<&str> = bill.lines.iter().map(|l| l.explanation.as_str()).collect();
    assert_eq!(
        explanations,
        ["150,000 of 200,000 requests included", "15.41 of 50 GB included", "1,097.59 seconds, not charged on this tier"]
    );
    // The lines themselves keep the exact quantities.
    assert_eq!(bill.lines[1].quantity, d("15.4117185"));
    // A charged line keeps its exact overage, so its amount can be worked out again.
    let u = Usage { egress_bytes: d("66336824086.4"), ..u };
    let egress = rate("production", &u, "0").lines.into_iter().find(|l| l.meter == Meter::Egress).unwrap();
    assert_eq!(egress.explanation, "16.3368240864 GB past the 50 GB included x $0.05 per GB = $0.82");
}

#[test]
fn each_line_rounds_half_away_from_zero_once() {
    // 50.5 GB past 50 included = 0.5 GB x $0.05 = $0.025 -> $0.03.
    let bill = rate("production", &usage(0, "50.5", 0), "0");
    let egress = bill.lines.iter().find(|l| l.meter == Meter::Egress).unwrap();
    assert_eq!(egress.amount.to_string(), "0.03");
    // 200,625 requests: 625 x 0.40 / 10,000 = $0.025 -> $0.03; with the egress line the total
    // is the sum of rounded lines ($0.06), not the rounded sum ($0.05).
    let bill = rate("production", &usage(200_625, "50.5", 0), "0");
    assert_eq!(bill.overage_total.to_string(), "0.06");
    assert_eq!(bill.total.to_string(), "19.06");
}

#[test]
fn credits_pay_overage_only_and_never_more_than_the_balance() {
    let heavy = usage(450_000, "70", 0); // $10.00 + $1.00 overage
    let bill = rate("production", &heavy, "25.00");
    assert_eq!(bill.overage_total, d("11.00"));
    assert_eq!(bill.credits_applied, d("11.00"));
    assert_eq!(bill.total, d("19.00"), "credits never pay the base fee");
    let bill = rate("production", &heavy, "4.00");
    assert_eq!(bill.credits_applied, d("4.00"));
    assert_eq!(bill.total, d("26.00"));
    let bill = rate("production", &usage(1_000, "1", 0), "50");
    assert_eq!(bill.credits_applied, Decimal::ZERO);
}

#[test]
fn sandbox_caps_instead_of_billing() {
    let bill = rate("sandbox", &usage(80_000, "12", 0), "0");
    assert!(bill.capped);
    assert_eq!(bill.total, d("0.00"));
    let req = &bill.lines[0];
    assert!(req.capped);
    assert_eq!(req.overage, d("30000"));
    assert_eq!(req.amount, d("0.00"));
}

#[test]
fn utilization_reports_thresholds_crossed() {
    let bill = rate("production", &usage(160_000, "50", 0), "0");
    let req = &bill.utilization[&Meter::Requests];
    assert_eq!(req.ratio, d("0.8"));
    assert_eq!(req.thresholds_crossed, vec![80]);
    let egress = &bill.utilization[&Meter::Egress];
    assert_eq!(egress.thresholds_crossed, vec![80, 100]);
    let bill = rate("production", &usage(159_999, "0", 0), "0");
    assert!(bill.utilization[&Meter::Requests].thresholds_crossed.is_empty());
    assert!(!bill.utilization.contains_key(&Meter::Compute), "compute has no quota");
}

#[test]
fn base_fee_prorates_by_day_across_a_tier_change() {
    let options = RateOptions {
        credit_balance: Decimal::ZERO,
        base_fee_shares: vec![
            BaseFeeShare { tier: "production".into(), days: 10, period_days: 30 },
            BaseFeeShare { tier: "scale".into(), days: 20, period_days: 30 },
        ],
        period_month: Some(11),
    };
    let bill = PriceBook::published().rate("scale", &usage(0, "0", 0), &options).unwrap();
    // 19 x 10/30 = 6.333.. -> 6.33; 79 x 20/30 = 52.666.. -> 52.67.
    let amounts: Vec<String> = bill.base_fee_lines.iter().map(|l| l.amount.to_string()).collect();
    assert_eq!(amounts, ["6.33", "52.67"]);
    assert_eq!(bill.base_fee, d("59.00"));
    // Each share is named by its tier and the days it covers.
    let labels: Vec<&str> = bill.base_fee_lines.iter().map(|l| l.label.as_ref()).collect();
    assert_eq!(labels, ["Base fee, Production (Nov 1–Nov 10)", "Base fee, Scale (Nov 11–Nov 30)"]);
    let without_month = RateOptions { period_month: None, ..options };
    let bill = PriceBook::published().rate("scale", &usage(0, "0", 0), &without_month).unwrap();
    let labels: Vec<&str> = bill.base_fee_lines.iter().map(|l| l.label.as_ref()).collect();
    assert_eq!(labels, ["Base fee, Production (10 of 30 days)", "Base fee, Scale (20 of 30 days)"]);
    // A whole period on one tier is one line, "Base fee".
    let whole = PriceBook::published().rate("scale", &usage(0, "0", 0), &RateOptions::default()).unwrap();
    assert_eq!(whole.base_fee_lines.iter().map(|l| l.label.as_ref()).collect::<Vec<_>>(), ["Base fee"]);
}

#[test]
fn unknown_and_negotiated_tiers_are_errors() {
    let book = PriceBook::published();
    let u = usage(1, "1", 1);
    assert_eq!(book.rate("gold", &u, &RateOptions::default()).unwrap_err().code(), "unknown_tier");
    assert!(matches!(book.rate("enterprise", &u, &RateOptions::default()), Err(RateError::Negotiated { .. })));
}

#[test]
fn compare_ranks_tiers_by_what_the_month_costs() {
    let book = PriceBook::published();
    // $19.50 overage on production ($38.50) beats scale ($79).
    let c = book.compare(&usage(600_000, "120", 0), Decimal::ZERO, Some("production")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.monthly_cost, r.saving), ("production", d("38.50"), d("40.50")));
    assert!(
        r.summary.starts_with("Stay on Production: $38.50 this month ($19.00 base fee + $19.50 overage), $40.50 less than Scale."),
        "{}",
        r.summary
    );
    // 2M requests: production costs 19 + 72 = $91 > $79 on scale.
    let c = book.compare(&usage(2_000_000, "50", 0), Decimal::ZERO, Some("production")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.saving, r.prepay), ("scale", d("12.00"), None));
    assert!(r.summary.starts_with("Move to Scale"), "{}", r.summary);
    // Sandbox would cap 70k requests, so it is never the advice even though it is free.
    let c = book.compare(&usage(70_000, "1", 0), Decimal::ZERO, Some("sandbox")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!(r.tier, "production");
    assert!(r.summary.contains("Sandbox would cap this usage"), "{}", r.summary);
    assert_eq!(c.negotiated, vec!["enterprise".to_owned()]);
    assert_eq!(c.ranking, edgecost_pricing::RANKING_RULE);
}

#[test]
fn a_burst_pack_is_shown_as_a_prepayment_never_as_a_saving() {
    let book = PriceBook::published();
    let c = book.compare(&usage(600_000, "120", 0), Decimal::ZERO, Some("production")).unwrap();
    let r = c.recommendation.unwrap();
    // The advice is to stay; packs are optional prepayment of the $19.50 of overage, and the
    // $5.50 they do not spend this month carries over.
    assert!(!r.summary.contains(" and buy "), "{}", r.summary);
    let p = r.prepay.clone().unwrap();
    assert_eq!((p.packs, p.price, p.credit, p.overage_paid, p.carries_over), (1, d("25.00"), d("25.00"), d("19.50"), d("5.50")));
    assert!(r.summary.contains("1 burst pack ($25.00) would prepay the $19.50 of overage so it never reaches the invoice; the $5.50 left carries over to the next period"), "{}", r.summary);
    assert!(r.summary.contains("it does not lower it"), "{}", r.summary);
    // What the month costs does not move with packs: buying one pays $25 now for $25 of credit.
    assert_eq!(r.monthly_cost, d("38.50"));
    let production = c.options.iter().find(|o| o.tier == "production").unwrap();
    assert_eq!((production.monthly_cost, production.packs_needed), (d("38.50"), 1));
}

#[test]
fn packs_past_one_purchase_are_counted_in_purchases_and_grouped() {
    let book = PriceBook::published();
    // 5 billion requests: scale is cheapest, $79 + 499,800 x $0.25 = $124,950.00 of overage,
    // 4,998 packs. One purchase buys at most 100, so they take 50 purchases.
    let r = book.compare(&usage(5_000_000_000, "0", 0), Decimal::ZERO, None).unwrap().recommendation.unwrap();
    let p = r.prepay.clone().unwrap();
    assert_eq!((r.tier.as_str(), p.packs, p.purchases, p.price), ("scale", 4_998, 50, d("124950.00")));
    assert!(
        r.summary.contains(
            "Optionally, 4,998 burst packs ($124,950.00, bought in 50 purchases of at most 100) would prepay the $124,950.00 of overage"
        ),
        "{}",
        r.summary
    );
    // Up to one purchase's worth, the advice names no purchases.
    let r = book.compare(&usage(600_000, "120", 0), Decimal::ZERO, Some("production")).unwrap().recommendation.unwrap();
    assert_eq!(r.prepay.unwrap().purchases, 1);
    assert!(!r.summary.contains("purchases"), "{}", r.summary);
}

#[test]
fn held_credit_pays_part_of_the_month_but_does_not_pick_the_tier() {
    let book = PriceBook::published();
    // 1.725M requests: production costs $19 + $61 = $80, scale $79 with no overage. $100 of
    // held credit would leave only $19 to invoice on production, but it is money already
    // paid, so scale is still the cheaper month.
    let u = usage(1_725_000, "0", 0);
    let c = book.compare(&u, d("100.00"), Some("production")).unwrap();
    let production = c.options.iter().find(|o| o.tier == "production").unwrap();
    assert_eq!((production.monthly_cost, production.credit_pays, production.bill.total), (d("80.00"), d("61.00"), d("19.00")));
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.saving, r.credit_pays, r.invoice), ("scale", d("1.00"), d("0.00"), d("79.00")));
    assert_eq!(r.credit_carries_over, d("100.00"));
    assert!(r.summary.contains("Held credit of $100.00 pays none of it (there is no overage on Scale) and carries over"), "{}", r.summary);

    // Where the cheapest tier has overage, the advice says how much held credit would pay.
    let c = book.compare(&usage(600_000, "120", 0), d("10.00"), Some("production")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.credit_pays, r.invoice, r.credit_carries_over), ("production", d("10.00"), d("28.50"), d("0.00")));
    assert!(r.summary.contains("Held credit of $10.00 would pay $10.00 of it (the overage), leaving $28.50 to invoice"), "{}", r.summary);
    // One pack would prepay the $9.50 credit leaves; $15.50 of it carries over.
    let p = r.prepay.unwrap();
    assert_eq!((p.packs, p.overage_paid, p.carries_over), (1, d("9.50"), d("15.50")));
    // With enough credit held, no pack is suggested at all.
    let c = book.compare(&usage(600_000, "120", 0), d("25.00"), Some("production")).unwrap();
    assert_eq!(c.recommendation.unwrap().prepay, None);
}

#[test]
fn ties_go_to_the_lower_tier_and_say_so() {
    let book = PriceBook::published();
    // 1.7M requests: production $19 + $60 = $79, exactly scale's $79.
    let c = book.compare(&usage(1_700_000, "0", 0), Decimal::ZERO, Some("scale")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.saving, r.tied_with.clone()), ("production", d("0.00"), vec!["scale".to_owned()]));
    assert!(r.summary.contains("Scale costs the same, and ties go to the lower tier"), "{}", r.summary);
}

#[test]
fn sandbox_is_never_recommended_when_it_would_cap_any_meter() {
    let book = PriceBook::published();
    // Requests fit the sandbox, egress does not: sandbox would cap it.
    let c = book.compare(&usage(10_000, "10.5", 0), Decimal::ZERO, None).unwrap();
    assert!(c.options[0].caps_usage);
    assert_eq!(c.recommendation.unwrap().tier, "production");
    // At exactly the quota nothing is capped, and the free tier is the cheapest.
    let c = book.compare(&usage(50_000, "10", 0), Decimal::ZERO, None).unwrap();
    assert_eq!(c.recommendation.unwrap().tier, "sandbox");
}

/// Every money field of a JSON document: two decimal places, as a string.
fn assert_money_fields_have_cents(value: &serde_json::Value, path: &str) {
    const MONEY: [&str; 14] = [
        "amount",
        "base_fee",
        "overage_total",
        "credits_applied",
        "total",
        "monthly_cost",
        "credit_pays",
        "saving",
        "invoice",
        "credit_carries_over",
        "price",
        "credit",
        "overage_paid",
        "carries_over",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{path}.{k}");
                if MONEY.contains(&k.as_str()) && !v.is_object() {
                    let text = v.as_str().unwrap_or_else(|| panic!("{here} is not a string: {v}"));
                    let (int, frac) = text.trim_start_matches('-').split_once('.').unwrap_or((text, ""));
                    assert!(
                        !int.is_empty()
                            && int.chars().all(|c| c.is_ascii_digit())
                            && frac.len() == 2
                            && frac.chars().all(|c| c.is_ascii_digit()),
                        "{here} is {text:?}, not an amount with two places"
                    );
                } else {
                    assert_money_fields_have_cents(v, &here);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                assert_money_fields_have_cents(v, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

#[test]
fn zero_amounts_are_written_with_two_places() {
    let book = PriceBook::published();
    // No credit passed as a plain zero, a sandbox bill of nothing, and a whole-dollar credit.
    for (tier, u, credits) in [
        ("sandbox", usage(0, "0", 0), Decimal::ZERO),
        ("production", usage(0, "0", 0), Decimal::ZERO),
        ("production", usage(600_000, "120", 0), Decimal::from(10)),
        ("scale", usage(3_000_000, "0", 500), Decimal::ZERO),
    ] {
        let bill = book.rate(tier, &u, &RateOptions { credit_balance: credits, ..RateOptions::default() }).unwrap();
        let json = serde_json::to_value(&bill).unwrap();
        assert_money_fields_have_cents(&json, tier);
        let c = book.compare(&u, credits, Some("production")).unwrap();
        assert_money_fields_have_cents(&serde_json::to_value(&c).unwrap(), "compare");
    }
    let sandbox = book.rate("sandbox", &usage(0, "0", 0), &RateOptions::default()).unwrap();
    assert_eq!(serde_json::to_value(&sandbox).unwrap()["credits_applied"], "0.00");
    assert_eq!(serde_json::to_value(&sandbox).unwrap()["total"], "0.00");
}

#[test]
fn usage_past_its_bound_is_refused_not_a_panic() {
    let book = PriceBook::published();
    // 7 x 10^28 requests used to overflow the utilization product and panic.
    let huge = Usage { requests: d("70000000000000000000000000000"), ..usage(0, "1", 0) };
    let e = book.rate("production", &huge, &RateOptions::default()).unwrap_err();
    assert_eq!(e.code(), "usage_too_large");
    assert!(e.to_string().contains("1000000000000000000 requests"), "{e}");
    assert_eq!(book.compare(&huge, Decimal::ZERO, None).unwrap_err().code(), "usage_too_large");
    // Right at the bounds every tier still rates.
    let at = Usage {
        requests: edgecost_pricing::bounds::REQUESTS_MAX,
        egress_bytes: edgecost_pricing::bounds::EGRESS_BYTES_MAX,
        compute_seconds: edgecost_pricing::bounds::COMPUTE_SECONDS_MAX,
    };
    let credit = edgecost_pricing::bounds::MONEY_MAX;
    let c = book.compare(&at, credit, Some("production")).unwrap();
    assert_eq!(c.recommendation.unwrap().tier, "scale");
    // A credit balance a ledger cannot hold is refused.
    let e = book.rate("production", &usage(1, "1", 0), &RateOptions { credit_balance: d("0.005"), ..RateOptions::default() });
    assert_eq!(e.unwrap_err().code(), "credit_not_whole_cents");
}

fn arb_magnitude() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(d("70000000000000000000000000000")),
        Just(Decimal::from(u64::MAX)),
        Just(d("0.0000000000000000000000000001")),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<u64>(), 0u32..=28).prop_map(|(m, s)| Decimal::from_i128_with_scale(i128::from(m), s)),
    ]
}

fn arb_usage() -> impl Strategy<Value = Usage> {
    (0u64..50_000_000, 0u64..2_000_000_000_000, 0u64..10_000_000).prop_map(|(r, e, c)| Usage::from_counters(r, e, c))
}

fn arb_credits() -> impl Strategy<Value = Decimal> {
    (0i64..50_000).prop_map(|cents| Decimal::new(cents, 2))
}

proptest! {
    #[test]
    fn more_usage_never_lowers_a_bill(a in arb_usage(), extra in arb_usage(), credits in arb_credits(),
                                      tier in prop::sample::select(vec!["sandbox", "production", "scale"])) {
        let book = PriceBook::published();
        let options = RateOptions { credit_balance: credits, ..RateOptions::default() };
        let more = a.checked_add(&extra).unwrap();
        let low = book.rate(tier, &a, &options).unwrap();
        let high = book.rate(tier, &more, &options).unwrap();
        prop_assert!(high.total >= low.total, "{} < {}", high.total, low.total);
    }

    #[test]
    fn credits_never_exceed_overage_or_balance(u in arb_usage(), credits in arb_credits(),
                                               tier in prop::sample::select(vec!["production", "scale"])) {
        let bill = PriceBook::published()
            .rate(tier, &u, &RateOptions { credit_balance: credits, ..RateOptions::default() })
            .unwrap();
        prop_assert!(bill.credits_applied <= bill.overage_total);
        prop_assert!(bill.credits_applied <= credits);
        prop_assert!(bill.credits_applied >= Decimal::ZERO);
        prop_assert!(bill.total >= bill.base_fee);
    }

    #[test]
    fn totals_equal_the_sum_of_rounded_lines(u in arb_usage(), credits in arb_credits(),
                                             tier in prop::sample::select(vec!["sandbox", "production", "scale"])) {
        let bill = PriceBook::published()
            .rate(tier, &u, &RateOptions { credit_balance: credits, ..RateOptions::default() })
            .unwrap();
        let lines: Decimal = bill.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(lines, bill.overage_total);
        prop_assert_eq!(bill.total, bill.base_fee + lines - bill.credits_applied);
        for line in &bill.lines {
            prop_assert_eq!(line.amount.scale(), 2, "every amount is in cents");
        }
    }

    #[test]
    fn each_line_is_the_exact_charge_rounded_half_away_from_zero(requests in 0u64..100_000_000) {
        let bill = PriceBook::published()
            .rate("production", &Usage::from_counters(requests, 0, 0), &RateOptions::default())
            .unwrap();
        // Exact charge in hundredths of a cent: overage x 0.40 / 10,000 dollars = overage x 4 / 10,000 ... cents x 100.
        let overage = requests.saturating_sub(200_000) as u128;
        let tenths_of_millicents = overage * 40; // charge in 1/10,000 of a cent
        let cents = tenths_of_millicents / 10_000 + u128::from(tenths_of_millicents % 10_000 >= 5_000);
        prop_assert_eq!(bill.lines[0].amount, Decimal::new(cents as i64, 2));
    }

    #[test]
    fn rating_and_comparing_extreme_magnitudes_never_panic(
        requests in arb_magnitude(), egress in arb_magnitude(), compute in arb_magnitude(), credit in arb_magnitude(),
        days in 0u32..400, period_days in 0u32..400,
        tier in prop::sample::select(vec!["sandbox", "production", "scale", "enterprise", "gold"])) {
        let book = PriceBook::published();
        let u = Usage { requests, egress_bytes: egress, compute_seconds: compute };
        let shares = vec![BaseFeeShare { tier: tier.to_owned(), days, period_days }];
        for options in [
            RateOptions { credit_balance: credit, ..RateOptions::default() },
            RateOptions { credit_balance: Decimal::ZERO, base_fee_shares: shares, period_month: Some(12) },
        ] {
            if let Ok(bill) = book.rate(tier, &u, &options) {
                prop_assert!(bill.is_consistent());
            }
        }
        let _ = book.compare(&u, credit, Some(tier));
        let _ = edgecost_pricing::packs_to_cover(requests, egress);
    }

    #[test]
    fn money_figures_alone_are_the_bills_own(
        requests in arb_magnitude(), egress in arb_magnitude(), compute in arb_magnitude(), credit in arb_magnitude(),
        small in arb_usage(), included_gb in 0u64..1_000_000_000_000_000, per_places in 0u32..8, per_any in 1u64..30_000,
        days in 0u32..40, tier in prop::sample::select(vec!["sandbox", "production", "scale", "enterprise", "gold"])) {
        // Blocks of a power of ten and of any size, and any quota, beside the published terms.
        let mut book = PriceBook::published().clone();
        book.tiers[1].overage.requests.as_mut().unwrap().per = Decimal::from(10u64.pow(per_places));
        book.tiers[2].overage.requests.as_mut().unwrap().per = Decimal::from(per_any);
        book.tiers[2].included.egress_gb = Some(Decimal::new(included_gb as i64, 3));
        let shares = vec![BaseFeeShare { tier: "production".into(), days, period_days: 30 }, BaseFeeShare { tier: tier.to_owned(), days: 3, period_days: 30 }];
        for u in [Usage { requests, egress_bytes: egress, compute_seconds: compute }, small] {
            for options in [
                RateOptions { credit_balance: credit, ..RateOptions::default() },
                RateOptions { credit_balance: Decimal::new(2500, 2), ..RateOptions::default() },
                RateOptions { credit_balance: Decimal::ZERO, base_fee_shares: shares.clone(), period_month: Some(11) },
            ] {
                // Debug shows each figure's scale too: "19.00" and "19" would differ.
                match (book.rate(tier, &u, &options), book.rate_totals(tier, &u, &options)) {
                    (Ok(bill), Ok(totals)) => prop_assert_eq!(format!("{:?}", bill.totals()), format!("{totals:?}")),
                    (Err(a), Err(b)) => prop_assert_eq!(a, b),
                    (a, b) => prop_assert!(false, "rate {a:?}, rate_totals {b:?}"),
                }
            }
        }
    }

    #[test]
    fn price_books_survive_parse_serialize_parse(base_cents in 0i64..1_000_000, price_cents in 0i64..10_000,
                                                 per in 1u64..1_000_000, included in 0u64..10_000_000) {
        let mut book = PriceBook::published().clone();
        let tier = &mut book.tiers[1];
        tier.base_fee = Some(Decimal::new(base_cents, 2));
        tier.included.requests = Some(Decimal::from(included));
        let rate = tier.overage.requests.as_mut().unwrap();
        rate.price = Decimal::new(price_cents, 2);
        rate.per = Decimal::from(per);
        let yaml = PriceBook::from_yaml_str(&book.to_yaml(), "p.yaml").unwrap();
        prop_assert_eq!(&yaml, &book);
        let json = PriceBook::from_json_str(&book.to_json(), "p.json").unwrap();
        prop_assert_eq!(&json, &book);
    }
}

/// The published book with another currency, as an operator outside the US would publish it.
fn book_in(currency: &str) -> PriceBook {
    let mut book = PriceBook::published().clone();
    book.currency = currency.to_owned();
    book
}

#[test]
fn explanations_write_amounts_in_the_books_currency() {
    let u = usage(350_000, "60", 0);
    let options = RateOptions { credit_balance: d("25"), ..RateOptions::default() };
    for (currency, fee, overage) in [
        ("USD", "Production base fee $19.00", "150,000 requests past the 200,000 requests included x $0.40 per 10,000 requests = $6.00"),
        ("EUR", "Production base fee €19.00", "150,000 requests past the 200,000 requests included x €0.40 per 10,000 requests = €6.00"),
        ("GBP", "Production base fee £19.00", "150,000 requests past the 200,000 requests included x £0.40 per 10,000 requests = £6.00"),
        (
            "CHF",
            "Production base fee CHF 19.00",
            "150,000 requests past the 200,000 requests included x CHF 0.40 per 10,000 requests = CHF 6.00",
        ),
    ] {
        let book = book_in(currency);
        let bill = book.rate("production", &u, &options).unwrap();
        assert_eq!(bill.base_fee_lines[0].explanation, fee);
        assert_eq!(bill.lines[0].explanation, overage);
        let summary = book.compare(&u, d("25"), Some("production")).unwrap().recommendation.unwrap().summary;
        let symbol = match currency {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => "CHF ",
        };
        assert!(summary.contains(&format!("{symbol}25.50 this month")), "{summary}");
        let others: String = ["$", "€", "£", "CHF "].into_iter().filter(|s| *s != symbol).collect::<Vec<_>>().join("|");
        assert!(others.split('|').all(|s| !summary.contains(s)), "{summary}");
    }
}
