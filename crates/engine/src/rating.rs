//! From stored counters to the pricing core's inputs: period totals, tier timelines with
//! day-prorated base fees, and run-rate projections. Pure functions of their arguments.

use chrono::{DateTime, Utc};
use edgecost_api::{ProjectionBasis, RefusedUsage, SHORT_HISTORY_SECONDS, ScheduledTierChange, UsageTotals};
use edgecost_pricing::{BYTES_PER_GB, BaseFeeShare, Decimal, Meter, PriceBook, Tier};

use crate::error::{EngineError, Result};
use crate::period::{Period, from_unix};
use crate::store::{Counters, RegionCounters, TierChangeRow};
use crate::validate::MEASURED_SECONDS_MIN;

/// Everything about the account's current period that bills, quotes and notices need.
#[derive(Clone)]
pub(crate) struct PeriodState {
    pub(crate) name: String,
    pub(crate) tier: String,
    pub(crate) scheduled: Option<ScheduledTierChange>,
    pub(crate) period: Period,
    pub(crate) regions: Vec<RegionCounters>,
    pub(crate) totals: UsageTotals,
    pub(crate) balance_cents: i64,
    pub(crate) paid_cents: i64,
    pub(crate) shares: Vec<edgecost_pricing::BaseFeeShare>,
    pub(crate) changes: Vec<TierChangeRow>,
}

/// Period totals from per-region counters; billable egress weighs each region's bytes.
pub(crate) fn totals(book: &PriceBook, regions: &[RegionCounters]) -> Result<UsageTotals> {
    let mut t = UsageTotals::default();
    for r in regions {
        let weight = book.region_weight(&r.region).unwrap_or(Decimal::ONE);
        let c = &r.counters;
        t.requests = t.requests.checked_add(nonneg(c.requests)?).ok_or(EngineError::Overflow)?;
        t.compute_ms = t.compute_ms.checked_add(nonneg(c.compute_ms)?).ok_or(EngineError::Overflow)?;
        t.egress_bytes = t.egress_bytes.checked_add(nonneg(c.egress_bytes)?).ok_or(EngineError::Overflow)?;
        let billable = Decimal::from(c.egress_bytes).checked_mul(weight).ok_or(EngineError::Overflow)?;
        t.billable_egress_bytes = t.billable_egress_bytes.checked_add(billable).ok_or(EngineError::Overflow)?;
    }
    t.billable_egress_bytes = t.billable_egress_bytes.normalize();
    Ok(t)
}

/// `totals` less `added`, region by region: a period's counters without a batch.
pub(crate) fn without(totals: &[RegionCounters], added: &[RegionCounters]) -> Result<Vec<RegionCounters>> {
    totals
        .iter()
        .map(|r| {
            let mut c = r.counters;
            if let Some(a) = added.iter().find(|a| a.region == r.region) {
                let sub = |x: i64, y: i64| x.checked_sub(y).filter(|v| *v >= 0).ok_or(EngineError::Overflow);
                c = Counters {
                    requests: sub(c.requests, a.counters.requests)?,
                    compute_ms: sub(c.compute_ms, a.counters.compute_ms)?,
                    egress_bytes: sub(c.egress_bytes, a.counters.egress_bytes)?,
                };
            }
            Ok(RegionCounters { region: r.region.clone(), counters: c })
        })
        .collect()
}

fn nonneg(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| EngineError::CorruptRow { reason: format!("negative counter {v}") })
}

/// What a hard cap refused in `period` as of `now`, as the tier change in effect at `now`
/// recorded it when the account left the capped tier; `None` when nothing was refused.
/// Each change carries the period's refusals so far, so the latest one has them all.
pub(crate) fn refused_in(changes: &[TierChangeRow], period: &Period, now: DateTime<Utc>) -> Option<RefusedUsage> {
    let latest = changes.iter().rev().find(|c| c.effective_at <= now.timestamp())?;
    if latest.effective_at < period.start_unix() {
        return None;
    }
    refused_usage(&latest.refused, latest.refused_by.as_deref().unwrap_or_default())
}

/// `refused` as the API shows it, refused by `tier`; `None` when nothing was.
pub(crate) fn refused_usage(refused: &Counters, tier: &str) -> Option<RefusedUsage> {
    (*refused != Counters::default()).then(|| RefusedUsage {
        tier: tier.to_owned(),
        requests: refused.requests.max(0) as u64,
        compute_ms: refused.compute_ms.max(0) as u64,
        billable_egress_bytes: Decimal::from(refused.egress_bytes.max(0)),
    })
}

/// What the account has had refused this period once it leaves `tier` with `totals` used:
/// the refusals already recorded (`totals.refused_by_cap`) plus, when `tier` has a hard cap,
/// each meter's billable usage past its included quantity (compute in ms and billable egress
/// in bytes, rounded up, so nothing refused is ever billed). Counters in `Counters` units,
/// egress as billable bytes.
pub(crate) fn refused_on_leaving(tier: &Tier, totals: &UsageTotals) -> Result<Counters> {
    let earlier = totals.refused_by_cap.clone().unwrap_or_default();
    let mut refused = Counters {
        requests: i64::try_from(earlier.requests).map_err(|_| EngineError::Overflow)?,
        compute_ms: i64::try_from(earlier.compute_ms).map_err(|_| EngineError::Overflow)?,
        egress_bytes: whole_up(earlier.billable_egress_bytes)?,
    };
    if !tier.hard_cap {
        return Ok(refused);
    }
    let usage = totals.usage();
    for meter in Meter::ALL {
        let Some(included) = tier.included.get(meter) else { continue };
        let past = usage.quantity(meter) - included;
        if past <= Decimal::ZERO {
            continue;
        }
        let (slot, unit) = match meter {
            Meter::Requests => (&mut refused.requests, Decimal::ONE),
            Meter::Compute => (&mut refused.compute_ms, Decimal::from(1000u32)),
            Meter::Egress => (&mut refused.egress_bytes, Decimal::from(BYTES_PER_GB)),
        };
        let amount = whole_up(past.checked_mul(unit).ok_or(EngineError::Overflow)?)?;
        *slot = slot.checked_add(amount).ok_or(EngineError::Overflow)?;
    }
    Ok(refused)
}

fn whole_up(v: Decimal) -> Result<i64> {
    i64::try_from(v.ceil()).map_err(|_| EngineError::Overflow)
}

/// The tier in effect at `at`.
pub(crate) fn tier_at(changes: &[TierChangeRow], at: DateTime<Utc>) -> Option<&str> {
    changes.iter().rev().find(|c| c.effective_at <= at.timestamp()).map(|c| c.tier.as_str())
}

/// Base fee shares of `period` up to `now`: each tier's days, the day of a change counting
/// for the new tier. Empty when one tier covers the whole period (the whole base fee).
///
/// An account created during the period owes its first tier from the period's first day.
pub(crate) fn base_fee_shares(changes: &[TierChangeRow], period: &Period, now: DateTime<Utc>) -> Vec<BaseFeeShare> {
    let mut segments: Vec<(u32, String)> = Vec::new();
    let start_tier = tier_at(changes, period.start).or_else(|| changes.first().map(|c| c.tier.as_str()));
    if let Some(t) = start_tier {
        segments.push((1, t.to_owned()));
    }
    for c in changes {
        let at = from_unix(c.effective_at);
        if at > period.start && at < period.end && at <= now {
            let day = period.day_of(at);
            // A later change on the same day replaces an earlier one: a day has one tier.
            while segments.last().is_some_and(|(d, _)| *d >= day) {
                segments.pop();
            }
            if segments.last().is_none_or(|(_, t)| *t != c.tier) {
                segments.push((day, c.tier.clone()));
            }
        }
    }
    if segments.len() <= 1 {
        return Vec::new();
    }
    let period_days = period.days();
    segments
        .iter()
        .enumerate()
        .map(|(i, (day, tier))| {
            let next = segments.get(i + 1).map_or(period_days + 1, |s| s.0);
            BaseFeeShare { tier: tier.clone(), days: next - day, period_days }
        })
        .collect()
}

/// The run rate's measured span: from the later of the period start and `first_usage` (the
/// start of the account's first hour with usage) to `now`, at least [`MEASURED_SECONDS_MIN`]
/// so a fresh span does not project from seconds.
pub(crate) fn projection_basis(period: &Period, first_usage: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ProjectionBasis {
    let Some(first) = first_usage.filter(|f| *f < period.end) else {
        return ProjectionBasis {
            measured_from: None,
            measured_seconds: 0,
            short_history: true,
            explanation: "No usage recorded yet this period: nothing to project from.".to_owned(),
        };
    };
    let from = first.max(period.start);
    let measured = (now.min(period.end) - from).num_seconds().max(MEASURED_SECONDS_MIN);
    let measured_seconds = u64::try_from(measured).unwrap_or(0);
    let short_history = measured_seconds < SHORT_HISTORY_SECONDS;
    let since = if from == period.start {
        "the period start".to_owned()
    } else {
        format!("the first recorded usage at {}", from.format("%b %-d %H:%M UTC"))
    };
    let span = span_text(measured_seconds);
    let explanation = if short_history {
        format!("At the run rate of the {span} since {since}: under a day of usage, so this is a rough guess.")
    } else {
        format!("At the run rate of the {span} since {since}.")
    };
    ProjectionBasis { measured_from: Some(from), measured_seconds, short_history, explanation }
}

fn span_text(seconds: u64) -> String {
    let hours = seconds / 3_600;
    match (hours / 24, hours % 24) {
        (0, 1) => "1 hour".to_owned(),
        (0, h) => format!("{h} hours"),
        (1, 0) => "1 day".to_owned(),
        (d, 0) => format!("{d} days"),
        (d, h) => format!("{d} days {h} h"),
    }
}

/// Counters at period end if usage goes on at the run rate of `basis`: each counter x
/// (period end - measured start) / measured span, rounded down to whole units, and never
/// below what was already used.
pub(crate) fn project(book: &PriceBook, regions: &[RegionCounters], period: &Period, basis: &ProjectionBasis) -> Result<UsageTotals> {
    let Some(from) = basis.measured_from else {
        return totals(book, regions);
    };
    let elapsed = i128::from(basis.measured_seconds.max(1));
    let span = i128::from((period.end - from).num_seconds().max(MEASURED_SECONDS_MIN));
    let scale = |v: i64| -> Result<i64> {
        let projected = i128::from(v).checked_mul(span).ok_or(EngineError::Overflow)? / elapsed;
        i64::try_from(projected.max(i128::from(v))).map_err(|_| EngineError::Overflow)
    };
    let projected: Vec<RegionCounters> = regions
        .iter()
        .map(|r| {
            Ok(RegionCounters {
                region: r.region.clone(),
                counters: Counters {
                    requests: scale(r.counters.requests)?,
                    compute_ms: scale(r.counters.compute_ms)?,
                    egress_bytes: scale(r.counters.egress_bytes)?,
                },
            })
        })
        .collect::<Result<_>>()?;
    totals(book, &projected)
}

/// Totals `elapsed / total` of the way from `from` to `to`, each counter rounded down.
pub(crate) fn between(from: &UsageTotals, to: &UsageTotals, elapsed: i64, total: i64) -> Result<UsageTotals> {
    let (elapsed, total) = (i128::from(elapsed.min(total)), i128::from(total));
    let step = |a: u64, b: u64| -> Result<u64> {
        let grown = i128::from(b.saturating_sub(a)) * elapsed / total;
        u64::try_from(i128::from(a) + grown).map_err(|_| EngineError::Overflow)
    };
    let egress_growth = (to.billable_egress_bytes - from.billable_egress_bytes).max(Decimal::ZERO);
    let egress = (egress_growth.checked_mul(Decimal::from(elapsed)).ok_or(EngineError::Overflow)? / Decimal::from(total)).floor();
    Ok(UsageTotals {
        requests: step(from.requests, to.requests)?,
        egress_bytes: step(from.egress_bytes, to.egress_bytes)?,
        billable_egress_bytes: from.billable_egress_bytes + egress,
        compute_ms: step(from.compute_ms, to.compute_ms)?,
        refused_by_cap: from.refused_by_cap.clone(),
        spend_cap: from.spend_cap.clone(),
    })
}

/// Base fee shares if the tier changed to `target` at `now`: the shares so far, then the
/// new tier from today (the day of a change counts for the new tier).
pub(crate) fn shares_if_changed_today(
    changes: &[TierChangeRow],
    period: &Period,
    target: &str,
    now: DateTime<Utc>,
) -> Vec<edgecost_pricing::BaseFeeShare> {
    let mut changes: Vec<TierChangeRow> = changes.iter().filter(|c| c.effective_at <= now.timestamp()).cloned().collect();
    changes.push(TierChangeRow { effective_at: now.timestamp(), tier: target.to_owned(), ..Default::default() });
    base_fee_shares(&changes, period, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(requests: u64, egress: u64) -> UsageTotals {
        UsageTotals {
            requests,
            egress_bytes: egress,
            billable_egress_bytes: Decimal::from(egress),
            compute_ms: 0,
            ..UsageTotals::default()
        }
    }

    #[test]
    fn usage_grows_evenly_and_rounds_down() {
        let t = between(&usage(100, 1_000), &usage(400, 2_001), 1, 3).unwrap();
        assert_eq!((t.requests, t.egress_bytes, t.billable_egress_bytes), (200, 1_333, Decimal::from(1_333)));
        assert_eq!(between(&usage(100, 10), &usage(400, 20), 3, 3).unwrap(), usage(400, 20));
        assert_eq!(between(&usage(100, 10), &usage(400, 20), 0, 3).unwrap(), usage(100, 10));
    }

    fn change(at: &str, tier: &str) -> TierChangeRow {
        TierChangeRow { effective_at: at.parse::<DateTime<Utc>>().unwrap().timestamp(), tier: tier.into(), ..Default::default() }
    }

    #[test]
    fn an_upgrade_prorates_base_fees_by_day() {
        let now: DateTime<Utc> = "2026-11-11T12:00:00Z".parse().unwrap();
        let period = Period::containing(now);
        let changes = [change("2026-10-02T00:00:00Z", "production"), change("2026-11-11T09:00:00Z", "scale")];
        let shares = base_fee_shares(&changes, &period, now);
        assert_eq!(
            shares,
            vec![
                BaseFeeShare { tier: "production".into(), days: 10, period_days: 30 },
                BaseFeeShare { tier: "scale".into(), days: 20, period_days: 30 },
            ]
        );
        assert!(base_fee_shares(&changes[..1], &period, now).is_empty());
    }

    #[test]
    fn totals_at_the_period_bounds_project_and_rate_on_every_tier_within_the_pricing_bounds() {
        use crate::validate::{PERIOD_COMPUTE_MS_MAX, PERIOD_EGRESS_BYTES_MAX, PERIOD_REQUESTS_MAX, PROJECTION_FACTOR_MAX};
        use edgecost_pricing::{RateError, RateOptions, bounds};
        // Whatever the price book, a projected total at the engine's bound stays inside the
        // pricing core's: rating a valid account never answers `usage_too_large`.
        let factor = Decimal::from(PROJECTION_FACTOR_MAX);
        assert!(Decimal::from(PERIOD_REQUESTS_MAX) * factor <= bounds::REQUESTS_MAX);
        assert!(Decimal::from(PERIOD_EGRESS_BYTES_MAX) * factor * bounds::REGION_WEIGHT_MAX <= bounds::EGRESS_BYTES_MAX);
        assert!(Decimal::from(PERIOD_COMPUTE_MS_MAX) / Decimal::ONE_THOUSAND * factor <= bounds::COMPUTE_SECONDS_MAX);

        // The first hour of a 31-day period, all of it in the heaviest region.
        let book = PriceBook::published();
        let now: DateTime<Utc> = "2026-12-01T01:00:00Z".parse().unwrap();
        let period = Period::containing(now);
        let basis = projection_basis(&period, Some(period.start), now);
        let heaviest = book.regions.keys().max_by_key(|r| book.region_weight(r)).unwrap();
        let counters = Counters { requests: PERIOD_REQUESTS_MAX, compute_ms: PERIOD_COMPUTE_MS_MAX, egress_bytes: PERIOD_EGRESS_BYTES_MAX };
        let regions = [RegionCounters { region: heaviest.clone(), counters }];
        let projected = project(book, &regions, &period, &basis).unwrap();
        assert_eq!(projected.requests, PERIOD_REQUESTS_MAX as u64 * PROJECTION_FACTOR_MAX as u64);
        assert_eq!(projected.egress_bytes, PERIOD_EGRESS_BYTES_MAX as u64 * PROJECTION_FACTOR_MAX as u64);
        for tier in &book.tiers {
            match book.rate(&tier.name, &projected.usage(), &RateOptions::default()) {
                Ok(bill) => assert!(bill.is_consistent(), "tier {}: {bill:?}", tier.name),
                Err(RateError::Negotiated { .. }) => {}
                Err(e) => panic!("tier {}: {e}", tier.name),
            }
        }
    }

    #[test]
    fn the_run_rate_projects_to_period_end() {
        let book = PriceBook::published();
        let period = Period::containing("2026-11-11T00:00:00Z".parse().unwrap());
        let regions = [RegionCounters { region: "apac".into(), counters: Counters { requests: 100, compute_ms: 10, egress_bytes: 1000 } }];
        let basis = projection_basis(&period, Some(period.start - chrono::Duration::days(40)), "2026-11-11T00:00:00Z".parse().unwrap());
        assert_eq!(basis.measured_from, Some(period.start), "an established account is measured from the period start");
        assert!(!basis.short_history);
        let t = project(book, &regions, &period, &basis).unwrap();
        assert_eq!(t.requests, 300);
        assert_eq!(t.egress_bytes, 3000);
        assert_eq!(t.billable_egress_bytes, Decimal::from(4500));
    }

    #[test]
    fn a_new_account_is_measured_from_its_first_usage_not_the_period_start() {
        let book = PriceBook::published();
        let period = Period::containing("2026-11-11T00:00:00Z".parse().unwrap());
        // First usage on Nov 21 00:00, now Nov 26 00:00: 5 days measured, 10 days to go.
        let first: DateTime<Utc> = "2026-11-21T00:00:00Z".parse().unwrap();
        let now: DateTime<Utc> = "2026-11-26T00:00:00Z".parse().unwrap();
        let basis = projection_basis(&period, Some(first), now);
        assert_eq!(basis.measured_from, Some(first));
        assert_eq!(basis.measured_seconds, 5 * 86_400);
        let regions = [RegionCounters { region: "na".into(), counters: Counters { requests: 500, compute_ms: 0, egress_bytes: 0 } }];
        assert_eq!(project(book, &regions, &period, &basis).unwrap().requests, 1_000);
    }

    #[test]
    fn under_a_day_of_usage_is_a_short_history_and_no_usage_projects_nothing() {
        let period = Period::containing("2026-12-02T00:00:00Z".parse().unwrap());
        let now: DateTime<Utc> = "2026-12-02T17:33:00Z".parse().unwrap();
        let basis = projection_basis(&period, Some("2026-12-02T09:00:00Z".parse().unwrap()), now);
        assert!(basis.short_history, "{basis:?}");
        assert!(basis.explanation.contains("rough guess"), "{}", basis.explanation);
        let minutes = projection_basis(&period, Some("2026-12-02T17:00:00Z".parse().unwrap()), now);
        assert_eq!(minutes.measured_seconds, 3_600, "at least an hour is measured");
        let none = projection_basis(&period, None, now);
        assert_eq!((none.measured_from, none.short_history), (None, true));
    }
}
