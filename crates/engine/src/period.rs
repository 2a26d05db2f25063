//! Billing periods: calendar months in UTC.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use edgecost_api::BillingPeriod;
use edgecost_pricing::{BaseFeeShare, Decimal, RateOptions};

/// One calendar month in UTC, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    /// The first instant of the month, 00:00 UTC on its first day.
    pub start: DateTime<Utc>,
    /// The first instant of the next month: not part of the period.
    pub end: DateTime<Utc>,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Period {
    /// The month that contains `t`.
    pub fn containing(t: DateTime<Utc>) -> Period {
        let start = month_start(t.year(), t.month());
        let (y, m) = if t.month() == 12 { (t.year() + 1, 1) } else { (t.year(), t.month() + 1) };
        Period { start, end: month_start(y, m) }
    }

    /// The month after this one.
    pub fn next(&self) -> Period {
        Period::containing(self.end)
    }

    /// Days in the month.
    pub fn days(&self) -> u32 {
        ((self.end - self.start).num_seconds() / SECONDS_PER_DAY) as u32
    }

    /// The 1-based day of the month of `t`, clamped to the period.
    pub fn day_of(&self, t: DateTime<Utc>) -> u32 {
        let t = t.clamp(self.start, self.end - chrono::Duration::seconds(1));
        ((t - self.start).num_seconds() / SECONDS_PER_DAY) as u32 + 1
    }

    /// Whole days after the day of `t` until the period ends.
    pub fn days_left(&self, t: DateTime<Utc>) -> u32 {
        self.days() - self.day_of(t)
    }

    /// Rating options for this period: the credit to spend and the base fee shares, with the
    /// month so each share's bill line names its dates.
    pub(crate) fn rate_options(&self, credit_balance: Decimal, base_fee_shares: Vec<BaseFeeShare>) -> RateOptions {
        RateOptions { credit_balance, base_fee_shares, period_month: Some(self.start.month()) }
    }

    /// The start in unix seconds, as the store keys periods.
    pub fn start_unix(&self) -> i64 {
        self.start.timestamp()
    }

    /// The period as the API shows it on the day of `now`.
    pub fn to_api(&self, now: DateTime<Utc>) -> BillingPeriod {
        BillingPeriod { start: self.start, end: self.end, days: self.days(), day: self.day_of(now), days_left: self.days_left(now) }
    }
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists");
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// A Unix timestamp as a UTC time; stored timestamps are always in range.
pub(crate) fn from_unix(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_is_the_utc_calendar_month() {
        let p = Period::containing(t("2026-11-23T10:00:00Z"));
        assert_eq!(p.start, t("2026-11-01T00:00:00Z"));
        assert_eq!(p.end, t("2026-12-01T00:00:00Z"));
        assert_eq!(p.days(), 30);
        assert_eq!(p.day_of(t("2026-11-23T10:00:00Z")), 23);
        assert_eq!(p.days_left(t("2026-11-23T10:00:00Z")), 7);
        let dec = Period::containing(t("2026-12-31T23:59:59Z"));
        assert_eq!(dec.end, t("2027-01-01T00:00:00Z"));
        assert_eq!(Period::containing(t("2028-02-10T00:00:00Z")).days(), 29);
        assert_eq!(p.next(), Period::containing(t("2026-12-05T00:00:00Z")));
    }
}
