//! The simulated outlook of a period: how far the end-of-period bill may swing, from how the
//! account's usage swings from day to day.
//!
//! The rest of the period is simulated [`SIMULATIONS`] times by drawing whole days, with
//! replacement, from the last [`HISTORY_DAYS`] complete days of the account's usage (a
//! bootstrap); each outcome (usage so far + the simulated rest) is rated exactly with the
//! account's price book. The P50 and P90 are the outcomes at the median and at the 90th
//! percentile of the simulated periods' costs.
//!
//! Integer and decimal arithmetic only, and the draws come from a fixed seed, so the same data
//! always gives the same figures and each is the bill of one concrete simulated period.

use chrono::{DateTime, Duration, DurationRound, Utc};
use edgecost_api::{Meter, UsageSeries, UsageTotals};
use edgecost_pricing::{Decimal, PriceBook};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// How many complete days before today the simulation draws from.
pub const HISTORY_DAYS: i64 = 28;
/// Fewer days with usage than this give no outlook: the spread would be guesswork.
pub const MIN_HISTORY_DAYS: usize = 7;
/// Simulated periods per outlook.
pub const SIMULATIONS: usize = 1_000;
/// 1-based ranks of the sorted outcomes: the median and the 90th percentile.
pub(crate) const P50_RANK: usize = SIMULATIONS / 2;
pub(crate) const P90_RANK: usize = SIMULATIONS * 9 / 10;
const DAY_SECONDS: i64 = 86_400;
const SEED: u64 = 0x5eed_ec05_7000_0090;

/// `[from, to)` of the history the simulation draws from: the complete days before `now`'s day.
pub(crate) fn history_span(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    (today - Duration::days(HISTORY_DAYS), today)
}

/// One day of usage, in the engine's units, with egress also weighted by region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Day {
    pub requests: u64,
    pub compute_ms: u64,
    pub egress_bytes: u64,
    pub billable_egress_bytes: Decimal,
}

impl Day {
    /// Adds `seconds` of `day` (all of it when `seconds` is a day), rounded down to whole
    /// units as the run-rate projection rounds.
    fn add(&mut self, day: &Day, seconds: i64) {
        let part = |v: u64| (u128::from(v) * seconds as u128 / DAY_SECONDS as u128) as u64;
        self.requests = self.requests.saturating_add(part(day.requests));
        self.compute_ms = self.compute_ms.saturating_add(part(day.compute_ms));
        self.egress_bytes = self.egress_bytes.saturating_add(part(day.egress_bytes));
        let egress = day.billable_egress_bytes * Decimal::from(seconds) / Decimal::from(DAY_SECONDS);
        self.billable_egress_bytes = self.billable_egress_bytes.saturating_add(egress.floor());
    }

    /// `to_date` plus this rest of the period; `None` past the counters' range.
    pub(crate) fn after(&self, to_date: &UsageTotals) -> Option<UsageTotals> {
        Some(UsageTotals {
            requests: to_date.requests.checked_add(self.requests)?,
            egress_bytes: to_date.egress_bytes.checked_add(self.egress_bytes)?,
            billable_egress_bytes: to_date.billable_egress_bytes.checked_add(self.billable_egress_bytes)?,
            compute_ms: to_date.compute_ms.checked_add(self.compute_ms)?,
            refused_by_cap: to_date.refused_by_cap.clone(),
            spend_cap: to_date.spend_cap.clone(),
        })
    }
}

/// Why there is no outlook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoOutlook {
    TooLittleHistory,
    PeriodEnded,
}

impl NoOutlook {
    pub(crate) fn sentence(self) -> String {
        match self {
            NoOutlook::TooLittleHistory => format!("Shows once the account has {MIN_HISTORY_DAYS} days of usage"),
            NoOutlook::PeriodEnded => "The period has ended".to_owned(),
        }
    }
}

/// The usage of the rest of the period in each of [`SIMULATIONS`] simulated periods, and the
/// days of history drawn from. `history` is daily usage grouped by region over [`history_span`].
pub(crate) fn simulate_rests(
    book: &PriceBook,
    history: &UsageSeries,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Vec<Day>, usize), NoOutlook> {
    let left = (period_end - now).num_seconds();
    if left <= 0 {
        return Err(NoOutlook::PeriodEnded);
    }
    let days = days_of(book, history).ok_or(NoOutlook::TooLittleHistory)?;
    if days.len() < MIN_HISTORY_DAYS {
        return Err(NoOutlook::TooLittleHistory);
    }
    let (whole_days, part_seconds) = (left / DAY_SECONDS, left % DAY_SECONDS);
    let mut draws = ChaCha8Rng::seed_from_u64(SEED);
    let mut below = |n: usize| ((u128::from(draws.next_u64()) * n as u128) >> 64) as usize;
    let rests = (0..SIMULATIONS)
        .map(|_| {
            let mut rest = Day::default();
            for _ in 0..whole_days {
                rest.add(&days[below(days.len())], DAY_SECONDS);
            }
            if part_seconds > 0 {
                rest.add(&days[below(days.len())], part_seconds);
            }
            rest
        })
        .collect();
    Ok((rests, days.len()))
}

/// Each meter's own 90th percentile of the rests (the meters ranked separately).
pub(crate) fn rest_p90_per_meter(rests: &[Day]) -> Day {
    fn rank<T: Ord + Copy>(mut values: Vec<T>) -> T {
        values.sort_unstable();
        values[P90_RANK - 1]
    }
    Day {
        requests: rank(rests.iter().map(|d| d.requests).collect()),
        compute_ms: rank(rests.iter().map(|d| d.compute_ms).collect()),
        egress_bytes: rank(rests.iter().map(|d| d.egress_bytes).collect()),
        billable_egress_bytes: rank(rests.iter().map(|d| d.billable_egress_bytes).collect()),
    }
}

/// The days of `history` from the first day with usage on (days before an account had usage
/// would understate it); days without usage after that count as quiet days. `None` when a
/// region is not in the price book.
fn days_of(book: &PriceBook, history: &UsageSeries) -> Option<Vec<Day>> {
    let first = history.from.duration_trunc(Duration::days(1)).ok()?;
    let count = usize::try_from((history.to - first).num_days()).ok()?;
    let mut days = vec![Day::default(); count];
    let mut first_used = count;
    for line in &history.lines {
        let weight = match line.meter {
            Meter::Egress => book.region_weight(&line.key).unwrap_or(Decimal::ONE),
            _ => Decimal::ONE,
        };
        for point in &line.points {
            let Ok(i) = usize::try_from((point.start - first).num_days()) else { continue };
            let Some(day) = days.get_mut(i) else { continue };
            if point.quantity > 0 {
                first_used = first_used.min(i);
            }
            match line.meter {
                Meter::Requests => day.requests = day.requests.saturating_add(point.quantity),
                Meter::Compute => day.compute_ms = day.compute_ms.saturating_add(point.quantity),
                Meter::Egress => {
                    day.egress_bytes = day.egress_bytes.saturating_add(point.quantity);
                    day.billable_egress_bytes = day.billable_egress_bytes.checked_add(Decimal::from(point.quantity) * weight)?;
                }
            }
        }
    }
    Some(days.split_off(first_used.min(count)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgecost_api::{Granularity, UsageGrouping, UsageLine, UsagePoint};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// `requests` per day for the last days of the history, all in one region.
    fn history(now: DateTime<Utc>, requests: &[u64]) -> UsageSeries {
        let (from, to) = history_span(now);
        let start = to - Duration::days(requests.len() as i64);
        let points =
            requests.iter().enumerate().map(|(i, q)| UsagePoint { start: start + Duration::days(i as i64), quantity: *q }).collect();
        UsageSeries {
            from,
            to,
            granularity: Granularity::Day,
            group_by: UsageGrouping::Region,
            lines: vec![UsageLine { key: "na".into(), meter: Meter::Requests, unit: "requests".into(), points }],
        }
    }

    #[test]
    fn steady_days_simulate_the_same_rest_every_time_and_swinging_days_spread() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let end = at("2026-12-01T00:00:00Z");
        let (steady, days) = simulate_rests(book, &history(now, &[2_000_000; 20]), end, now).unwrap();
        assert_eq!(days, 20);
        assert!(steady.iter().all(|d| d.requests == 20_000_000));

        let swinging: Vec<u64> = (0..20).map(|i| if i % 4 == 0 { 5_000_000 } else { 1_000_000 }).collect();
        let (rests, _) = simulate_rests(book, &history(now, &swinging), end, now).unwrap();
        let mut sorted: Vec<u64> = rests.iter().map(|d| d.requests).collect();
        sorted.sort_unstable();
        let (p50, p90) = (sorted[P50_RANK - 1], sorted[P90_RANK - 1]);
        // The mean day is 2M: the median rest sits near 20M, the P90 clearly above it and
        // below every remaining day being the busiest one.
        assert!((16_000_000..=24_000_000).contains(&p50), "{p50}");
        assert!(p90 > p50 && p90 < 50_000_000, "{p90}");
        assert_eq!(rest_p90_per_meter(&rests).requests, p90);
        // The same data gives the same figures.
        assert_eq!(simulate_rests(book, &history(now, &swinging), end, now).unwrap().0, rests);
    }

    #[test]
    fn too_little_history_or_an_ended_period_gives_no_outlook() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let end = at("2026-12-01T00:00:00Z");
        assert_eq!(simulate_rests(book, &history(now, &[2_000_000; 6]), end, now).unwrap_err(), NoOutlook::TooLittleHistory);
        assert_eq!(simulate_rests(book, &history(end, &[2_000_000; 20]), end, end).unwrap_err(), NoOutlook::PeriodEnded);
    }

    #[test]
    fn quiet_days_after_the_first_used_day_count_and_days_before_it_do_not() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let mut series = history(now, &[0, 0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
        series.lines[0].points.retain(|p| p.quantity > 0);
        let days = days_of(book, &series).unwrap();
        assert_eq!(days.len(), 8);
        assert_eq!(days.iter().filter(|d| d.requests == 0).count(), 1);
    }

    #[test]
    fn egress_is_weighted_by_the_regions_price_book_weight() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let mut series = history(now, &[1; 8]);
        series.lines[0].meter = Meter::Egress;
        series.lines[0].key = "apac".into();
        let days = days_of(book, &series).unwrap();
        assert_eq!(days[0].billable_egress_bytes, book.region_weight("apac").unwrap());
        assert_eq!(days[0].egress_bytes, 1);
    }

    #[test]
    fn a_part_day_adds_its_share_rounded_down() {
        let mut rest = Day::default();
        let day = Day { requests: 1_000, compute_ms: 7, egress_bytes: 3, billable_egress_bytes: Decimal::from(3) };
        rest.add(&day, DAY_SECONDS / 2);
        assert_eq!(rest, Day { requests: 500, compute_ms: 3, egress_bytes: 1, billable_egress_bytes: Decimal::ONE });
    }
}
