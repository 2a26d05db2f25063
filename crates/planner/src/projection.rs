//! Projections of a month's usage: threshold days, credit run-out, growth, uncertainty.
//!
//! All of them assume steady traffic within a period: the usage to the end of day `d` of a
//! `period_days` period is the month's usage x d / period_days.

use chrono::{Days, NaiveDate};
use edgecost_pricing::format::round_to_cents;
use edgecost_pricing::{Decimal, Meter, PriceBook, RateOptions, Recommendation, THRESHOLDS_PERCENT, Usage, packs_to_cover};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};

use crate::error::PlanError;
use crate::quantity::fixed;
use crate::usage::{Contribution, UsageSummary};

/// The longest period, in days, a projection walks through.
pub const MAX_PERIOD_DAYS: u32 = 366;
/// The most months a growth projection covers.
pub const MAX_MONTHS: u32 = 120;
/// The most Monte Carlo samples one simulation draws.
pub const MAX_SAMPLES: u32 = 10_000;
/// The most route draws (samples x routes) one simulation makes, about 5 s of work: a
/// 10,000-route plan gets up to 5,000 samples.
pub const MAX_ROUTE_DRAWS: u64 = 50_000_000;

/// The day of the period a meter reaches a threshold of its included quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdDay {
    /// The meter.
    pub meter: Meter,
    /// The threshold, in percent of the included quantity (80 or 100).
    pub percent: u32,
    /// The tier's included quantity of the meter.
    pub included: Decimal,
    /// 1-based day of the period at whose end usage reaches the threshold; `None` when it
    /// does not within the period.
    pub day: Option<u32>,
}

/// For each metered quota of `tier`, the day usage reaches each of [`THRESHOLDS_PERCENT`].
pub fn threshold_days(book: &PriceBook, tier: &str, usage: &Usage, period_days: u32) -> Result<Vec<ThresholdDay>, PlanError> {
    check_period(period_days)?;
    let tier =
        book.tier(tier).ok_or_else(|| edgecost_pricing::RateError::UnknownTier { tier: tier.to_owned(), known: book.tier_names() })?;
    let mut days = Vec::new();
    for meter in Meter::ALL {
        let Some(included) = tier.included.get(meter).filter(|i| *i > Decimal::ZERO) else { continue };
        let monthly = usage.quantity(meter);
        for percent in THRESHOLDS_PERCENT {
            let target = included.checked_mul(Decimal::from(percent)).map(|t| t / Decimal::ONE_HUNDRED).ok_or(PlanError::Overflow)?;
            // used(d) = monthly x d / period_days >= target  <=>  d >= target x period_days / monthly.
            let day = if monthly.is_zero() {
                None
            } else {
                let exact =
                    target.checked_mul(Decimal::from(period_days)).and_then(|t| t.checked_div(monthly)).ok_or(PlanError::Overflow)?;
                let day = exact.ceil().max(Decimal::ONE);
                (day <= Decimal::from(period_days)).then(|| day.try_into().unwrap_or(period_days))
            };
            days.push(ThresholdDay { meter, percent, included: included.normalize(), day });
        }
    }
    Ok(days)
}

/// When a hard-capped tier's cap stops a month of steady traffic, and how much it refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapOutlook {
    /// The quota reached first (the one that caps the account).
    pub meter: Meter,
    /// 1-based day of the period during which the quota is reached.
    pub day: u32,
    /// The share of the month's traffic (requests) refused once capped, in percent, rounded
    /// half away from zero to one decimal place.
    pub refused_percent: Decimal,
}

impl CapOutlook {
    /// The outlook as the planner's headline says it, for a `period_days` period on `tier` of
    /// `book`: "Capped on day 19 of 30: 37.5% of the month's traffic is refused once the
    /// requests quota is reached. Sandbox bills nothing past it." The CLI's estimate and the
    /// desktop planner both show this sentence.
    pub fn headline(&self, period_days: u32, book: &PriceBook, tier: &str) -> String {
        let tier_label = book.tier(tier).map_or(tier, |t| t.display_name());
        format!(
            "Capped on day {} of {period_days}: {}% of the month's traffic is refused once the {} quota is reached. {tier_label} bills nothing past it.",
            self.day,
            self.refused_percent.normalize(),
            self.meter.label().to_lowercase(),
        )
    }
}

/// On a hard-capped tier, where steady traffic of `usage` a month outgrows a quota: the cap
/// is hit at the fraction `included / usage` of the period for the meter reached first, and
/// every request after that is refused, so the refused share is `1 - that fraction`.
/// `None` on a tier without a hard cap, or when no quota is exceeded (usage exactly at a quota
/// is not capped).
pub fn cap_outlook(book: &PriceBook, tier: &str, usage: &Usage, period_days: u32) -> Result<Option<CapOutlook>, PlanError> {
    check_period(period_days)?;
    let tier =
        book.tier(tier).ok_or_else(|| edgecost_pricing::RateError::UnknownTier { tier: tier.to_owned(), known: book.tier_names() })?;
    if !tier.hard_cap {
        return Ok(None);
    }
    // The meter with the smallest served fraction caps first; ties go to the first in Meter::ALL.
    let mut first: Option<(Meter, Decimal)> = None;
    for meter in Meter::ALL {
        let Some(included) = tier.included.get(meter) else { continue };
        let used = usage.quantity(meter);
        if used <= included {
            continue;
        }
        let served = included.checked_div(used).ok_or(PlanError::Overflow)?;
        if first.is_none_or(|(_, f)| served < f) {
            first = Some((meter, served));
        }
    }
    let Some((meter, served)) = first else { return Ok(None) };
    // Reached at served x period_days days in: during day ceil(that), at least day 1.
    let exact_days = served.checked_mul(Decimal::from(period_days)).ok_or(PlanError::Overflow)?;
    let day = exact_days.ceil().max(Decimal::ONE).try_into().unwrap_or(period_days).min(period_days);
    let refused_percent =
        ((Decimal::ONE - served) * Decimal::ONE_HUNDRED).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    Ok(Some(CapOutlook { meter, day, refused_percent }))
}

/// How long a credit balance lasts against a month's overage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRunway {
    /// The tier the runway is worked out on.
    pub tier: String,
    /// The month's overage on the tier.
    pub overage_total: Decimal,
    /// The credit balance held at the start of the period.
    pub credit_balance: Decimal,
    /// Packs that would prepay the overage the balance leaves (a prepayment at face value: it
    /// keeps overage off the invoice but does not lower the month's cost).
    pub packs_needed: u32,
    /// What `packs_needed` packs cost at the book's pack price.
    pub packs_cost: Decimal,
    /// Credit left at the end of the period (the balance plus any packs bought, less the
    /// overage they pay), carried over to the next period.
    pub credit_left: Decimal,
    /// The first day whose overage to date exceeds the balance; `None` when it lasts.
    pub runs_out_day: Option<u32>,
    /// The calendar date of `runs_out_day`.
    pub runs_out_on: Option<NaiveDate>,
}

/// When `credit_balance` runs out during the period starting `period_start`.
pub fn credit_runway(
    book: &PriceBook,
    tier: &str,
    usage: &Usage,
    credit_balance: Decimal,
    period_start: NaiveDate,
    period_days: u32,
) -> Result<CreditRunway, PlanError> {
    check_period(period_days)?;
    // Rating with the balance checks it is money a ledger can hold.
    let bill = book.rate(tier, usage, &RateOptions { credit_balance, ..RateOptions::default() })?;
    let credit_balance = round_to_cents(credit_balance);
    let takes_packs = book.tier(tier).is_some_and(|t| t.credit_packs);
    let uncovered = bill.overage_total.checked_sub(bill.credits_applied).ok_or(PlanError::Overflow)?;
    let packs_needed = if takes_packs { packs_to_cover(uncovered, book.credit_pack.credit) } else { 0 };
    let packs = Decimal::from(packs_needed);
    let packs_cost = book.credit_pack.price.checked_mul(packs).map(round_to_cents).ok_or(PlanError::Overflow)?;
    let credit_left = book
        .credit_pack
        .credit
        .checked_mul(packs)
        .and_then(|bought| bought.checked_add(credit_balance))
        .and_then(|held| held.checked_sub(bill.overage_total))
        .map(|left| round_to_cents(left.max(Decimal::ZERO)))
        .ok_or(PlanError::Overflow)?;
    let mut runs_out_day = None;
    if bill.overage_total > credit_balance {
        for day in 1..=period_days {
            let to_date = usage_to_day(usage, day, period_days)?;
            let so_far = book.rate(tier, &to_date, &RateOptions::default())?;
            if so_far.overage_total > credit_balance {
                runs_out_day = Some(day);
                break;
            }
        }
    }
    Ok(CreditRunway {
        tier: tier.to_owned(),
        overage_total: bill.overage_total,
        credit_balance,
        packs_needed,
        packs_cost,
        credit_left,
        runs_out_day,
        runs_out_on: runs_out_day.and_then(|d| period_start.checked_add_days(Days::new(u64::from(d - 1)))),
    })
}

/// One month of a growth projection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthProjection {
    /// 1 for the plan's month as written.
    pub month: u32,
    /// The month's usage after growth, in the shape of the estimate's own `usage`: egress
    /// served (`egress_bytes`) and billable after region weights (`billable_egress_bytes`,
    /// `billable_egress_gb`, what the bill rates) side by side.
    pub usage: UsageSummary,
    /// The bill on the plan's tier.
    pub total: Decimal,
    /// The tier caps some of this usage (a hard quota).
    pub capped: bool,
    /// The price book's recommendation for this month's usage (a cheaper tier), if any.
    pub cheapest: Option<Recommendation>,
}

/// `months` months of a plan's month of usage (`totals`, served and billable egress) growing by
/// `monthly_percent` each month, billed on `tier`.
pub fn project_months(
    book: &PriceBook,
    tier: &str,
    totals: &Contribution,
    monthly_percent: Decimal,
    months: u32,
) -> Result<Vec<MonthProjection>, PlanError> {
    if months > MAX_MONTHS {
        return Err(PlanError::Bound { what: "months", value: months.into(), max: MAX_MONTHS.into() });
    }
    let step = Decimal::ONE.checked_add(monthly_percent / Decimal::ONE_HUNDRED).ok_or(PlanError::Overflow)?;
    let mut factor = Decimal::ONE;
    let mut out = Vec::with_capacity(months as usize);
    for month in 1..=months {
        let grown = |v: Decimal| v.checked_mul(factor).map(fixed).ok_or(PlanError::Overflow);
        let scaled = Contribution {
            requests: grown(totals.requests)?,
            compute_seconds: grown(totals.compute_seconds)?,
            egress_bytes: grown(totals.egress_bytes)?,
            billable_egress_bytes: grown(totals.billable_egress_bytes)?,
        };
        let rated = scaled.to_usage();
        let bill = book.rate(tier, &rated, &RateOptions::default())?;
        let cheapest = book.compare(&rated, Decimal::ZERO, Some(tier))?.recommendation;
        out.push(MonthProjection { month, usage: (&scaled).into(), total: bill.total, capped: bill.capped, cheapest });
        // Keep the factor to 12 places so 120 months of compounding stays well inside a decimal.
        factor = factor.checked_mul(step).ok_or(PlanError::Overflow)?.round_dp_with_strategy(12, RoundingStrategy::MidpointAwayFromZero);
    }
    Ok(out)
}

/// How uncertain traffic is, as lognormal multipliers with mean 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Uncertainty {
    /// Spread (sigma of the log) of one multiplier shared by every route: the whole plan's
    /// traffic being higher or lower than assumed.
    pub plan_sigma: f64,
    /// Spread of each route's own multiplier, drawn independently.
    pub route_sigma: f64,
    /// Simulated months drawn (at most the simulation bound).
    pub samples: u32,
    /// Seed of the random draws: the same seed gives the same range.
    pub seed: u64,
}

impl Default for Uncertainty {
    fn default() -> Self {
        Uncertainty { plan_sigma: 0.2, route_sigma: 0.3, samples: 200, seed: 1 }
    }
}

/// Percentiles of the simulated monthly bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillRange {
    /// Simulated months drawn.
    pub samples: u32,
    /// The median simulated bill.
    pub p50: Decimal,
    /// The 90th percentile of the simulated bills: the busy case.
    pub p90: Decimal,
    /// The lowest simulated bill.
    pub min: Decimal,
    /// The highest simulated bill.
    pub max: Decimal,
}

/// P50 and P90 of the bill on `tier` when each route's traffic is uncertain.
///
/// The draws are traffic multipliers only; each is taken to four decimal places and the
/// usage and money stay exact decimals. The same seed gives the same answer, whatever the
/// order of `routes`: moving a route in a plan changes nothing deployed, so no figure moves.
pub fn simulate(book: &PriceBook, tier: &str, routes: &[Contribution], uncertainty: &Uncertainty) -> Result<BillRange, PlanError> {
    let samples = uncertainty.samples;
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(PlanError::Bound { what: "samples", value: samples.into(), max: MAX_SAMPLES.into() });
    }
    let draws = u64::from(samples) * routes.len() as u64;
    if draws > MAX_ROUTE_DRAWS {
        return Err(PlanError::Bound { what: "samples x routes", value: draws, max: MAX_ROUTE_DRAWS });
    }
    let routes = canonical_order(routes);
    let mut rng = ChaCha8Rng::seed_from_u64(uncertainty.seed);
    let mut totals = Vec::with_capacity(samples as usize);
    for _ in 0..samples {
        let plan_factor = multiplier(&mut rng, uncertainty.plan_sigma)?;
        let mut sum = Contribution::default();
        for route in &routes {
            let m = multiplier(&mut rng, uncertainty.route_sigma)?;
            // Exact: a 6-place quantity times a 4-place multiplier has 10 places.
            let scaled = |v: Decimal| v.checked_mul(m).ok_or(PlanError::Overflow);
            sum.requests = sum.requests.checked_add(scaled(route.requests)?).ok_or(PlanError::Overflow)?;
            sum.compute_seconds = sum.compute_seconds.checked_add(scaled(route.compute_seconds)?).ok_or(PlanError::Overflow)?;
            sum.billable_egress_bytes =
                sum.billable_egress_bytes.checked_add(scaled(route.billable_egress_bytes)?).ok_or(PlanError::Overflow)?;
        }
        let whole = |v: Decimal| v.checked_mul(plan_factor).map(fixed).ok_or(PlanError::Overflow);
        let usage = Usage {
            requests: whole(sum.requests)?,
            egress_bytes: whole(sum.billable_egress_bytes)?,
            compute_seconds: whole(sum.compute_seconds)?,
        };
        totals.push(book.rate_totals(tier, &usage, &RateOptions::default())?.total);
    }
    totals.sort_unstable();
    Ok(BillRange { samples, p50: nearest_rank(&totals, 50), p90: nearest_rank(&totals, 90), min: totals[0], max: totals[totals.len() - 1] })
}

/// The routes in the order the simulation draws their multipliers: by what they add to the
/// meters, never by their place in the plan. The draws follow one random stream, so drawing in
/// plan order would hand another route's multiplier to each route that moved. Routes that add
/// the same to every meter are interchangeable, so any order among them gives the same sums.
fn canonical_order(routes: &[Contribution]) -> Vec<&Contribution> {
    let mut ordered: Vec<&Contribution> = routes.iter().collect();
    ordered.sort_unstable_by(|a, b| {
        (a.requests, a.compute_seconds, a.billable_egress_bytes, a.egress_bytes).cmp(&(
            b.requests,
            b.compute_seconds,
            b.billable_egress_bytes,
            b.egress_bytes,
        ))
    });
    ordered
}

/// The nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[Decimal], percent: usize) -> Decimal {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// A lognormal draw with mean 1: exp(sigma x z - sigma^2 / 2), z standard normal by Box-Muller.
fn multiplier(rng: &mut ChaCha8Rng, sigma: f64) -> Result<Decimal, PlanError> {
    if sigma == 0.0 {
        return Ok(Decimal::ONE);
    }
    // 53 random bits give a uniform in (0, 1]; never 0, so the logarithm is finite.
    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let m = (sigma * z - sigma * sigma / 2.0).exp();
    // Ten-thousandths of the multiplier, rounded half away from zero; `f64::round` rounds
    // halves away from zero too. The cast saturates, and a multiplier past 10^14 is refused.
    let units = (m * 10_000.0).round();
    if !units.is_finite() || units > 1e18 {
        return Err(PlanError::Overflow);
    }
    Ok(Decimal::new(units as i64, 4))
}

fn usage_to_day(usage: &Usage, day: u32, period_days: u32) -> Result<Usage, PlanError> {
    let part = |v: Decimal| v.checked_mul(Decimal::from(day)).map(|x| fixed(x / Decimal::from(period_days))).ok_or(PlanError::Overflow);
    Ok(Usage { requests: part(usage.requests)?, egress_bytes: part(usage.egress_bytes)?, compute_seconds: part(usage.compute_seconds)? })
}

fn check_period(period_days: u32) -> Result<(), PlanError> {
    if period_days == 0 || period_days > MAX_PERIOD_DAYS {
        return Err(PlanError::Bound { what: "period_days", value: period_days.into(), max: MAX_PERIOD_DAYS.into() });
    }
    Ok(())
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    fn usage(requests: u64, egress_gb: u64) -> Usage {
        Usage {
            requests: Decimal::from(requests),
            egress_bytes: Decimal::from(egress_gb) * Decimal::from(edgecost_pricing::BYTES_PER_GB),
            compute_seconds: Decimal::ZERO,
        }
    }

    #[test]
    fn the_sandbox_cap_day_and_refused_share_follow_the_first_quota_reached() {
        let book = PriceBook::published();
        // 50,000 requests included; 80,000 a month reach it 62.5% of the way in: day 19 of 30,
        // and the remaining 37.5% of the traffic is refused.
        let cap = cap_outlook(book, "sandbox", &usage(80_000, 1), 30).unwrap().unwrap();
        assert_eq!((cap.meter, cap.day, cap.refused_percent), (Meter::Requests, 19, Decimal::new(375, 1)));
        // Egress (10 GB included) at 40 GB is reached first, on day 8 (7.5 days in): 75% refused.
        let cap = cap_outlook(book, "sandbox", &usage(80_000, 40), 30).unwrap().unwrap();
        assert_eq!((cap.meter, cap.day, cap.refused_percent), (Meter::Egress, 8, Decimal::new(750, 1)));
        // A thousand times the quota is capped on day 1, refusing 99.9%.
        let cap = cap_outlook(book, "sandbox", &usage(50_000_000, 0), 30).unwrap().unwrap();
        assert_eq!((cap.day, cap.refused_percent), (1, Decimal::new(999, 1)));
    }

    #[test]
    fn the_headline_names_the_day_the_share_refused_the_quota_and_the_tier() {
        let book = PriceBook::published();
        let cap = cap_outlook(book, "sandbox", &usage(80_000, 1), 30).unwrap().unwrap();
        assert_eq!(
            cap.headline(30, book, "sandbox"),
            "Capped on day 19 of 30: 37.5% of the month's traffic is refused once the requests quota is reached. Sandbox bills nothing past it."
        );
        // A whole percent reads without a trailing ".0", the egress quota by its label, and a
        // 31-day period by its length.
        let cap = cap_outlook(book, "sandbox", &usage(80_000, 40), 31).unwrap().unwrap();
        assert_eq!(
            cap.headline(31, book, "sandbox"),
            "Capped on day 8 of 31: 75% of the month's traffic is refused once the egress quota is reached. Sandbox bills nothing past it."
        );
        // A tier the book does not name reads as written.
        assert!(cap.headline(31, book, "custom").ends_with(" custom bills nothing past it."));
    }

    #[test]
    fn no_cap_at_the_quota_or_on_a_tier_without_one() {
        let book = PriceBook::published();
        assert_eq!(cap_outlook(book, "sandbox", &usage(50_000, 10), 30).unwrap(), None);
        assert_eq!(cap_outlook(book, "production", &usage(80_000_000, 400), 30).unwrap(), None);
        assert!(cap_outlook(book, "nope", &usage(1, 1), 30).is_err());
    }
}
