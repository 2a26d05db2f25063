//! Gross margin: what serving an account's usage costs the operator, by the price book's
//! infrastructure cost per unit of each meter, against what the account is billed.

use edgecost_api::Margin;
use edgecost_pricing::format::round_to_cents;
use edgecost_pricing::{BYTES_PER_GB, Decimal, InfrastructureCost};

use crate::error::{EngineError, Result};
use crate::store::RegionCounters;

/// Requests one `requests_per_10k` price covers.
const REQUESTS_PER_BLOCK: u32 = 10_000;
const MS_PER_SECOND: u32 = 1_000;

/// The infrastructure cost of a month of measured usage (everything served, whether billed,
/// included or refused by a cap): bytes served from each region x that region's price per GB,
/// plus requests / 10,000 x the price per 10,000 requests, plus compute seconds x the price
/// per second. The exact sum is rounded once, to the cent, half away from zero.
pub(crate) fn usage_cost(costs: &InfrastructureCost, regions: &[RegionCounters]) -> Result<Decimal> {
    let mut sum = Decimal::ZERO;
    let mut add = |quantity: i64, per: u32, price: Option<Decimal>| -> Result<()> {
        let Some(price) = price else { return Ok(()) };
        let units = Decimal::from(quantity).checked_div(Decimal::from(per)).ok_or(EngineError::Overflow)?;
        sum = units.checked_mul(price).and_then(|c| sum.checked_add(c)).ok_or(EngineError::Overflow)?;
        Ok(())
    };
    for r in regions {
        add(r.counters.egress_bytes, BYTES_PER_GB as u32, costs.egress_gb_in(&r.region))?;
        add(r.counters.requests, REQUESTS_PER_BLOCK, costs.requests_per_10k.map(|c| c.0))?;
        add(r.counters.compute_ms, MS_PER_SECOND, costs.compute_second.map(|c| c.0))?;
    }
    Ok(round_to_cents(sum))
}

/// `part / whole` in percent, to two places, half away from zero; `None` when `whole` is zero.
pub(crate) fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    let ratio = part.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(whole)?;
    let mut p = ratio.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    p.rescale(2);
    Some(p)
}

/// Revenue against cost.
pub(crate) fn margin(revenue: Decimal, cost: Decimal) -> Margin {
    let m = revenue - cost;
    Margin { revenue, cost, margin: m, margin_percent: percent(m, revenue) }
}

/// Whether a margin is to be flagged: below `threshold_percent`, or cost with no revenue.
pub(crate) fn below_threshold(m: &Margin, threshold_percent: Decimal) -> bool {
    match m.margin_percent {
        Some(p) => p < threshold_percent,
        None => m.cost > Decimal::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Counters;
    use edgecost_pricing::UnitCost;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_month_costs_each_meter_at_its_unit_price_rounded_once() {
        let costs = InfrastructureCost {
            compute_second: Some(UnitCost(d("0.00002"))),
            requests_per_10k: Some(UnitCost(d("0.015"))),
            egress_gb: [("default".to_owned(), UnitCost(d("0.01"))), ("apac".to_owned(), UnitCost(d("0.025")))].into(),
        };
        let regions = [
            RegionCounters {
                region: "eu".into(),
                counters: Counters { requests: 150_000, compute_ms: 500_000, egress_bytes: 40_000_000_000 },
            },
            RegionCounters { region: "apac".into(), counters: Counters { requests: 50_000, compute_ms: 0, egress_bytes: 3_000_000_000 } },
        ];
        // eu: 40 GB x 0.01 = 0.40; 15 x 0.015 = 0.225; 500 s x 0.00002 = 0.01
        // apac: 3 GB x 0.025 = 0.075; 5 x 0.015 = 0.075
        // 0.40 + 0.225 + 0.01 + 0.075 + 0.075 = 0.785 -> 0.79 (half away from zero)
        assert_eq!(usage_cost(&costs, &regions).unwrap(), d("0.79"));
        assert_eq!(usage_cost(&InfrastructureCost::default(), &regions).unwrap(), d("0.00"));
    }

    #[test]
    fn percentages_round_half_away_from_zero_and_margins_flag_below_the_threshold() {
        assert_eq!(percent(d("1"), d("8")), Some(d("12.50")));
        assert_eq!(percent(d("2"), d("3")), Some(d("66.67")));
        assert_eq!(percent(d("-1"), d("8")), Some(d("-12.50")));
        assert_eq!(percent(d("1"), d("0")), None);
        let m = margin(d("19.00"), d("10.45"));
        // 8.55 / 19 = 45%
        assert_eq!((m.margin, m.margin_percent), (d("8.55"), Some(d("45.00"))));
        assert!(below_threshold(&m, d("50")));
        assert!(!below_threshold(&m, d("45")));
        assert!(below_threshold(&margin(d("0.00"), d("0.05")), d("50")), "cost without revenue");
        assert!(!below_threshold(&margin(d("0.00"), d("0.00")), d("50")));
    }
}
