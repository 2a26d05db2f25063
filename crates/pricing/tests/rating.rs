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
    };
    let bill = PriceBook::published().rate("scale", &usage(0, "0", 0), &options).unwrap();
    // 19 x 10/30 = 6.333.. -> 6.33; 79 x 20/30 = 52.666.. -> 52.67.
    let amounts: Vec<String> = bill.base_fee_lines.iter().map(|l| l.amount.to_string()).collect();
    assert_eq!(amounts, ["6.33", "52.67"]);
    assert_eq!(bill.base_fee, d("59.00"));
}

#[test]
fn unknown_and_negotiated_tiers_are_errors() {
    let book = PriceBook::published();
    let u = usage(1, "1", 1);
    assert_eq!(book.rate("gold", &u, &RateOptions::default()).unwrap_err().code(), "unknown_tier");
    assert!(matches!(
        book.rate("enterprise", &u, &RateOptions::default()),
        Err(RateError::Negotiated { .. })
    ));
}

#[test]
fn compare_recommends_packs_or_a_move() {
    let book = PriceBook::published();
    // $19.50 overage on production ($38.50) beats scale ($79): stay and buy one pack.
    let c = book.compare(&usage(600_000, "120", 0), Decimal::ZERO, Some("production")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.packs), ("production", 1));
    assert_eq!(r.saving, d("40.50"));
    assert!(r.summary.starts_with("Stay on production and buy 1 burst pack"), "{}", r.summary);
    // 2M requests: production costs 19 + 72 = $91 > $79 on scale.
    let c = book.compare(&usage(2_000_000, "50", 0), Decimal::ZERO, Some("production")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!((r.tier.as_str(), r.packs, r.saving), ("scale", 0, d("12.00")));
    assert!(r.summary.starts_with("Move to scale"), "{}", r.summary);
    // Sandbox would cap 70k requests, so it is never the advice even though it is free.
    let c = book.compare(&usage(70_000, "1", 0), Decimal::ZERO, Some("sandbox")).unwrap();
    let r = c.recommendation.unwrap();
    assert_eq!(r.tier, "production");
    assert!(r.summary.contains("sandbox would cap this usage"), "{}", r.summary);
    // Credits on hand reduce the packs to buy.
    let c = book.compare(&usage(600_000, "120", 0), d("25"), Some("production")).unwrap();
    assert_eq!(c.recommendation.unwrap().packs, 0);
    assert_eq!(c.negotiated, vec!["enterprise".to_owned()]);
}

fn arb_usage() -> impl Strategy<Value = Usage> {
    (0u64..50_000_000, 0u64..2_000_000_000_000, 0u64..10_000_000).prop_map(|(r, e, c)| {
        Usage::from_counters(r, e, c)
    })
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
