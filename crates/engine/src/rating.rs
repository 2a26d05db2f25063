//! From stored counters to the pricing core's inputs: period totals, tier timelines with
//! day-prorated base fees, and run-rate projections. Pure functions of their arguments.

use chrono::{DateTime, Utc};
use edgecost_api::UsageTotals;
use edgecost_pricing::{BaseFeeShare, Decimal, PriceBook};

use crate::error::{EngineError, Result};
use crate::period::{Period, from_unix};
use crate::store::{Counters, RegionCounters, TierChangeRow};

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

fn nonneg(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| EngineError::CorruptRow { reason: format!("negative counter {v}") })
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

/// Counters at period end if usage goes on at the run rate since `since` (the later of the
/// period start and the account's creation); at least one hour is taken as elapsed so a
/// fresh period does not project from seconds. Rounded down to whole units.
pub(crate) fn project(book: &PriceBook, regions: &[RegionCounters], period: &Period, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<UsageTotals> {
    let from = since.max(period.start);
    let elapsed = (now.min(period.end) - from).num_seconds().max(3_600) as i128;
    let span = (period.end - from).num_seconds().max(3_600) as i128;
    let scale = |v: i64| -> Result<i64> {
        let projected = i128::from(v) * span / elapsed;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(at: &str, tier: &str) -> TierChangeRow {
        TierChangeRow { effective_at: at.parse::<DateTime<Utc>>().unwrap().timestamp(), tier: tier.into() }
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
    fn the_run_rate_projects_to_period_end() {
        let book = PriceBook::published();
        let period = Period::containing("2026-11-11T00:00:00Z".parse().unwrap());
        let regions = [RegionCounters { region: "apac".into(), counters: Counters { requests: 100, compute_ms: 10, egress_bytes: 1000 } }];
        let t = project(book, &regions, &period, period.start, "2026-11-11T00:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(t.requests, 300);
        assert_eq!(t.egress_bytes, 3000);
        assert_eq!(t.billable_egress_bytes, Decimal::from(4500));
    }
}
