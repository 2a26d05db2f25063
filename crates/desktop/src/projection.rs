//! The P90 projection of the end-of-period bill.
//!
//! The engine's projection (P50) carries this period's run rate to period end. How far the
//! bill may go above it depends on how much usage swings from day to day, so the P90 comes
//! from the account's recent days: the rest of the period is simulated many times by drawing
//! whole days, with replacement, from the last [`HISTORY_DAYS`] complete days (a bootstrap),
//! each outcome is rated exactly with the price book, and the P90 is the outcome that 9 in 10
//! simulated periods stay at or below.
//!
//! Everything is integer and decimal arithmetic, and the draws come from a fixed seed, so the
//! same data always gives the same figure and every line of the P90 bill is explainable: it
//! is the bill of one concrete simulated period.

use chrono::{DateTime, Duration, DurationRound, Utc};
use edgecost_api::{BillToDate, UsageSeries, UsageTotals};
use edgecost_pricing::{Bill, Meter, PriceBook, RateOptions};
use rust_decimal::Decimal;

/// How many complete days before today the simulation draws from.
pub const HISTORY_DAYS: i64 = 28;
/// Fewer days with usage than this give no P90: the spread would be guesswork.
pub const MIN_HISTORY_DAYS: usize = 7;
/// Simulated periods per projection.
pub const SIMULATIONS: usize = 1_000;
/// The outcome at this rank (1-based) of the sorted simulations is the P90.
const P90_RANK: usize = SIMULATIONS * 9 / 10;
const DAY_SECONDS: i64 = 86_400;

/// `[from, to)` of the history the P90 draws from: the complete days before `now`'s day.
pub fn history_span(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    (today - Duration::days(HISTORY_DAYS), today)
}

/// One day of usage, in the units bills are rated in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Day {
    requests: u64,
    compute_ms: u64,
    /// Egress as measured, for the usage charts.
    egress_bytes: u64,
    /// Egress weighted by region, as the price book bills it.
    billable_egress_bytes: Decimal,
}

/// The P90 bill, and what it rests on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P90 {
    pub bill: Bill,
    /// The days of history the simulation drew from.
    pub history_days: usize,
}

/// Each meter's P90 of the usage still to come this period (each meter on its own), in the
/// engine's units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemainingP90 {
    pub requests: u64,
    pub egress_bytes: u64,
    pub compute_ms: u64,
}

/// The usage of the rest of the period in each of [`SIMULATIONS`] simulated periods, and the
/// days of history drawn from. `None` when there is too little history or no time left.
fn simulate(book: &PriceBook, history: &UsageSeries, period_end: DateTime<Utc>, now: DateTime<Utc>) -> Option<(Vec<Day>, usize)> {
    let days = days_of(book, history)?;
    if days.len() < MIN_HISTORY_DAYS {
        return None;
    }
    let left = (period_end - now).num_seconds();
    if left <= 0 {
        return None;
    }
    let (whole_days, part_seconds) = (left / DAY_SECONDS, left % DAY_SECONDS);
    let mut draws = SplitMix64(0x5eed_ec05_7000_0090);
    let rests = (0..SIMULATIONS)
        .map(|_| {
            let mut rest = Day::default();
            for _ in 0..whole_days {
                rest.add(&days[draws.below(days.len())], DAY_SECONDS);
            }
            if part_seconds > 0 {
                rest.add(&days[draws.below(days.len())], part_seconds);
            }
            rest
        })
        .collect();
    Some((rests, days.len()))
}

/// The P90 end-of-period bill for `bill` (the engine's bill to date and P50 projection) on
/// `tier`, drawing from `history` (daily usage grouped by region over [`history_span`]).
/// `credit` is the credit the projection may spend. `None` when there are fewer than
/// [`MIN_HISTORY_DAYS`] days with usage, when the period has ended, or when the tier cannot
/// be rated.
pub fn p90(
    book: &PriceBook,
    tier: &str,
    bill: &BillToDate,
    history: &UsageSeries,
    credit: Decimal,
    now: DateTime<Utc>,
) -> Option<P90> {
    let (rests, history_days) = simulate(book, history, bill.period.end, now)?;
    let options = RateOptions { credit_balance: credit, base_fee_shares: bill.projected.base_fee_shares() };
    let to_date = &bill.totals;
    let mut outcomes = Vec::with_capacity(SIMULATIONS);
    for rest in &rests {
        let totals = UsageTotals {
            requests: to_date.requests.checked_add(rest.requests)?,
            egress_bytes: to_date.egress_bytes.checked_add(rest.egress_bytes)?,
            billable_egress_bytes: to_date.billable_egress_bytes.checked_add(rest.billable_egress_bytes)?,
            compute_ms: to_date.compute_ms.checked_add(rest.compute_ms)?,
        };
        outcomes.push(book.rate(tier, &totals.usage(), &options).ok()?);
    }
    outcomes.sort_by_key(|b| b.total);
    let simulated = outcomes.swap_remove(P90_RANK - 1);
    // A period that is running hotter than its recent days: the run rate is the higher bound.
    let bill = if simulated.total >= bill.projected.total { simulated } else { bill.projected.clone() };
    Some(P90 { bill, history_days })
}

/// Each meter's P90 of the usage still to come before `period_end`, drawn as [`p90`] draws.
pub fn remaining_p90(book: &PriceBook, history: &UsageSeries, period_end: DateTime<Utc>, now: DateTime<Utc>) -> Option<RemainingP90> {
    let (rests, _) = simulate(book, history, period_end, now)?;
    let rank = |mut values: Vec<u64>| {
        values.sort_unstable();
        values[P90_RANK - 1]
    };
    Some(RemainingP90 {
        requests: rank(rests.iter().map(|d| d.requests).collect()),
        egress_bytes: rank(rests.iter().map(|d| d.egress_bytes).collect()),
        compute_ms: rank(rests.iter().map(|d| d.compute_ms).collect()),
    })
}

impl Day {
    /// Adds `seconds` of `day` (a whole day when `seconds` is a day), rounded down to whole
    /// units as the engine rounds its projection.
    fn add(&mut self, day: &Day, seconds: i64) {
        let part = |v: u64| (u128::from(v) * seconds as u128 / DAY_SECONDS as u128) as u64;
        self.requests = self.requests.saturating_add(part(day.requests));
        self.compute_ms = self.compute_ms.saturating_add(part(day.compute_ms));
        self.egress_bytes = self.egress_bytes.saturating_add(part(day.egress_bytes));
        let egress = day.billable_egress_bytes * Decimal::from(seconds) / Decimal::from(DAY_SECONDS);
        self.billable_egress_bytes = self.billable_egress_bytes.saturating_add(egress.floor());
    }
}

/// The days of `history` from the first day with usage on (days before an account had usage
/// would understate it); days without usage after that count as quiet days.
fn days_of(book: &PriceBook, history: &UsageSeries) -> Option<Vec<Day>> {
    let first = history.from.duration_trunc(Duration::days(1)).ok()?;
    let count = usize::try_from((history.to - first).num_days()).ok()?;
    let mut days = vec![Day::default(); count];
    let mut first_used = count;
    for line in &history.lines {
        let weight = match line.meter {
            Meter::Egress => book.region_weight(&line.key)?,
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

/// A small, fast generator with a fixed seed: the same history gives the same P90.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (multiply-shift; the bias is below 2^-40 for any history).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgecost_api::{BillingPeriod, Granularity, UsageGrouping, UsageLine, UsagePoint};
    use edgecost_pricing::Usage;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// `requests` per day for the days of the history, all in one region.
    fn history(now: DateTime<Utc>, requests: &[u64]) -> UsageSeries {
        let (from, to) = history_span(now);
        let start = to - Duration::days(requests.len() as i64);
        let points = requests
            .iter()
            .enumerate()
            .map(|(i, q)| UsagePoint { start: start + Duration::days(i as i64), quantity: *q })
            .collect();
        UsageSeries {
            from,
            to,
            granularity: Granularity::Day,
            group_by: UsageGrouping::Region,
            lines: vec![UsageLine { key: "us".into(), meter: Meter::Requests, unit: "requests".into(), points }],
        }
    }

    fn bill_to_date(book: &PriceBook, now: DateTime<Utc>, requests_to_date: u64, projected_requests: u64) -> BillToDate {
        let rate = |r: u64| book.rate("production", &Usage { requests: r.into(), ..Usage::default() }, &RateOptions::default()).unwrap();
        let totals = |r: u64| UsageTotals { requests: r, egress_bytes: 0, billable_egress_bytes: Decimal::ZERO, compute_ms: 0 };
        BillToDate {
            as_of: now,
            period: BillingPeriod { start: at("2026-11-01T00:00:00Z"), end: at("2026-12-01T00:00:00Z"), days: 30, day: 21, days_left: 9 },
            totals: totals(requests_to_date),
            bill: rate(requests_to_date),
            projected_totals: totals(projected_requests),
            projected: rate(projected_requests),
        }
    }

    #[test]
    fn steady_days_project_the_run_rate_and_swinging_days_project_higher() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        // 20 days at 2M requests a day; 10 days left.
        let bill = bill_to_date(book, now, 40_000_000, 60_000_000);
        let steady = p90(book, "production", &bill, &history(now, &[2_000_000; 20]), Decimal::ZERO, now).unwrap();
        assert_eq!(steady.bill.total, bill.projected.total, "no swing: the P90 is the run rate");
        assert_eq!(steady.history_days, 20);

        // Same mean, but every fourth day is four times as busy.
        let swinging: Vec<u64> = (0..20).map(|i| if i % 4 == 0 { 5_000_000 } else { 1_000_000 }).collect();
        let high = p90(book, "production", &bill, &history(now, &swinging), Decimal::ZERO, now).unwrap();
        assert!(high.bill.total > bill.projected.total, "{} > {}", high.bill.total, bill.projected.total);
        // Never above every remaining day being the busiest one.
        let ceiling = bill_to_date(book, now, 40_000_000, 90_000_000).projected.total;
        assert!(high.bill.total < ceiling);
        // The P90 bill is a real bill: its lines add up to its total.
        let lines: Decimal = high.bill.lines.iter().map(|l| l.amount).sum::<Decimal>() + high.bill.base_fee;
        assert_eq!(lines - high.bill.credits_applied, high.bill.total);
        // And the same data gives the same figure.
        assert_eq!(p90(book, "production", &bill, &history(now, &swinging), Decimal::ZERO, now).unwrap(), high);
    }

    #[test]
    fn each_meters_remaining_p90_lies_between_the_mean_and_the_busiest_days() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let end = at("2026-12-01T00:00:00Z");
        let steady = remaining_p90(book, &history(now, &[2_000_000; 20]), end, now).unwrap();
        assert_eq!(steady, RemainingP90 { requests: 20_000_000, egress_bytes: 0, compute_ms: 0 });
        let swinging: Vec<u64> = (0..20).map(|i| if i % 4 == 0 { 5_000_000 } else { 1_000_000 }).collect();
        let busy = remaining_p90(book, &history(now, &swinging), end, now).unwrap();
        assert!(busy.requests > 20_000_000 && busy.requests < 50_000_000, "{}", busy.requests);
        assert!(remaining_p90(book, &history(now, &[1; 3]), end, now).is_none());
    }

    #[test]
    fn too_little_history_or_an_ended_period_gives_no_p90() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let bill = bill_to_date(book, now, 40_000_000, 60_000_000);
        assert!(p90(book, "production", &bill, &history(now, &[2_000_000; 6]), Decimal::ZERO, now).is_none());
        let later = at("2026-12-01T00:00:00Z");
        assert!(p90(book, "production", &bill, &history(later, &[2_000_000; 20]), Decimal::ZERO, later).is_none());
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
    fn egress_is_weighted_by_region_and_an_unknown_region_gives_no_p90() {
        let book = PriceBook::published();
        let now = at("2026-11-21T00:00:00Z");
        let mut series = history(now, &[1; 8]);
        series.lines[0].meter = Meter::Egress;
        series.lines[0].key = "apac".into();
        let days = days_of(book, &series).unwrap();
        assert_eq!(days[0].billable_egress_bytes, book.region_weight("apac").unwrap());
        assert_eq!(days[0].egress_bytes, 1, "the charts get the bytes as measured");
        series.lines[0].key = "atlantis".into();
        assert!(days_of(book, &series).is_none());
    }

    #[test]
    fn a_part_day_adds_its_share_rounded_down() {
        let mut rest = Day::default();
        let day = Day { requests: 1_000, compute_ms: 7, egress_bytes: 3, billable_egress_bytes: Decimal::from(3) };
        rest.add(&day, DAY_SECONDS / 2);
        assert_eq!(rest, Day { requests: 500, compute_ms: 3, egress_bytes: 1, billable_egress_bytes: Decimal::ONE });
    }
}
