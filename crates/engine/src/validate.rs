//! Per-record validation of telemetry and the late-record policy.
//!
//! Accepted windows: a window starts on a whole second, lasts 1 to 3600 seconds, stays inside
//! one clock hour (it rolls up into exactly one hourly bucket), and ends no later than five
//! minutes after the time of ingest (clock skew between a node and the engine).
//!
//! Late records: a billing period stays open for one hour after it ends, so a node that
//! flushes just after midnight on the first of a month still lands its last windows in the
//! month they belong to. Records for a period closed longer than that are rejected with
//! `period_closed`; the bill of a closed period never changes.

use chrono::{DateTime, Duration, Timelike, Utc};
use edgecost_api::{MAX_CONTROL_AMOUNT, MAX_ROUTE_CHARS, RecordRejection, RejectionReason, TelemetryRecord};
use edgecost_pricing::format::{money_in, round_to_cents};
use edgecost_pricing::{Decimal, PriceBook};

use crate::error::{EngineError, Result};
use crate::ledger;
use crate::period::Period;
use crate::store::Counters;

/// How long a period accepts late records after it ends.
pub const LATE_RECORD_GRACE_SECONDS: i64 = 3_600;
/// How far a window may end after the time of ingest.
pub const CLOCK_SKEW_SECONDS_MAX: i64 = 300;
/// Bounds per second of window for one node: what no single edge node can serve.
pub const REQUESTS_PER_SECOND_MAX: u64 = 1_000_000;
/// Egress bytes per second of window for one node (see [`REQUESTS_PER_SECOND_MAX`]).
pub const EGRESS_BYTES_PER_SECOND_MAX: u64 = 100_000_000_000;
/// Compute milliseconds per second of window for one node (see [`REQUESTS_PER_SECOND_MAX`]).
pub const COMPUTE_MS_PER_SECOND_MAX: u64 = 1_000_000;
/// The longest accepted account id, in characters.
pub const ACCOUNT_ID_CHARS_MAX: usize = 64;

/// Bounds on one account's usage in one billing period, summed over its routes and regions.
/// Far above any real use, yet low enough that every sum and the projection stay exact in
/// 64-bit integers: the projection multiplies a total by at most [`PROJECTION_FACTOR_MAX`].
/// A batch that would take a total past its bound is refused whole (`period_total_exceeded`).
pub const PERIOD_REQUESTS_MAX: i64 = 1_000_000_000_000_000;
/// The bound on one account's egress bytes in one period (see [`PERIOD_REQUESTS_MAX`]).
pub const PERIOD_EGRESS_BYTES_MAX: i64 = 10_000_000_000_000_000;
/// The bound on one account's compute milliseconds in one period (see [`PERIOD_REQUESTS_MAX`]).
pub const PERIOD_COMPUTE_MS_MAX: i64 = 1_000_000_000_000_000;
/// The shortest span a run rate is measured over, in seconds (see `rating`).
pub(crate) const MEASURED_SECONDS_MIN: i64 = 3_600;
/// The most the projection scales a period total by: the longest period (31 days) over the
/// shortest measured span (one hour).
pub const PROJECTION_FACTOR_MAX: i64 = 31 * 86_400 / MEASURED_SECONDS_MIN;

// The projection of a total at its bound stays in i64, and so does a total at its bound plus
// the largest batch one account can send (every record at its per-record maximum): the store
// adds a batch before it checks the bound, so that sum must not wrap either.
const _: () = {
    let batch_records = edgecost_api::MAX_BATCH_RECORDS as i64;
    let window_max = edgecost_api::MAX_WINDOW_SECONDS as i64;
    let bounds = [
        (PERIOD_REQUESTS_MAX, REQUESTS_PER_SECOND_MAX),
        (PERIOD_EGRESS_BYTES_MAX, EGRESS_BYTES_PER_SECOND_MAX),
        (PERIOD_COMPUTE_MS_MAX, COMPUTE_MS_PER_SECOND_MAX),
    ];
    let mut i = 0;
    while i < bounds.len() {
        let (bound, per_second) = bounds[i];
        assert!(bound <= i64::MAX / PROJECTION_FACTOR_MAX);
        assert!(per_second as i64 * window_max <= (i64::MAX - bound) / batch_records);
        i += 1;
    }
};

/// Refuses period totals of `account_id` (what is stored plus the batch) past their bounds.
pub(crate) fn check_period_totals(account_id: &str, period_start: i64, totals: &Counters) -> Result<(), EngineError> {
    for (meter, value, max) in [
        ("requests", totals.requests, PERIOD_REQUESTS_MAX),
        ("egress_bytes", totals.egress_bytes, PERIOD_EGRESS_BYTES_MAX),
        ("compute_ms", totals.compute_ms, PERIOD_COMPUTE_MS_MAX),
    ] {
        if value > max {
            return Err(EngineError::PeriodTotalExceeded {
                account_id: account_id.to_owned(),
                period_start: crate::period::from_unix(period_start),
                meter,
                max,
            });
        }
    }
    Ok(())
}

/// The earliest window start accepted at `now`.
pub fn earliest_accepted(now: DateTime<Utc>) -> DateTime<Utc> {
    Period::containing(now - Duration::seconds(LATE_RECORD_GRACE_SECONDS)).start
}

/// The time of ingest and the earliest window start accepted then, worked out once per batch.
pub(crate) struct IngestTime {
    now: DateTime<Utc>,
    earliest: DateTime<Utc>,
}

impl IngestTime {
    pub(crate) fn at(now: DateTime<Utc>) -> IngestTime {
        IngestTime { now, earliest: earliest_accepted(now) }
    }
}

/// Checks one record; `account_known` says whether its account exists.
pub(crate) fn check_record(
    index: usize,
    r: &TelemetryRecord,
    account_known: bool,
    book: &PriceBook,
    at: &IngestTime,
) -> Result<(), RecordRejection> {
    let now = at.now;
    let reject = |reason: RejectionReason, message: String| RecordRejection {
        index: index as u32,
        account_id: r.account_id.clone(),
        reason,
        message,
    };
    if !account_known {
        return Err(reject(RejectionReason::UnknownAccount, format!("no account '{}'", r.account_id)));
    }
    let route_ok = r.route.starts_with('/') && r.route.chars().count() <= MAX_ROUTE_CHARS && !r.route.chars().any(char::is_control);
    if !route_ok {
        return Err(reject(
            RejectionReason::InvalidRoute,
            format!("route must start with '/', hold no control characters and be at most {MAX_ROUTE_CHARS} characters"),
        ));
    }
    if book.region_weight(&r.region).is_none() {
        let known: Vec<_> = book.regions.keys().map(String::as_str).collect();
        return Err(reject(
            RejectionReason::UnknownRegion,
            format!("region '{}' is not in the price book (known: {})", r.region, known.join(", ")),
        ));
    }
    let start = r.window_start;
    let into_hour = i64::from(start.minute() * 60 + start.second());
    if r.window_seconds == 0
        || r.window_seconds > edgecost_api::MAX_WINDOW_SECONDS
        || start.nanosecond() != 0
        || into_hour + i64::from(r.window_seconds) > 3_600
    {
        return Err(reject(
            RejectionReason::InvalidWindow,
            "a window starts on a whole second, lasts 1 to 3600 seconds and stays within one clock hour".into(),
        ));
    }
    // A window ending past the last representable instant is no window at all.
    let Some(end) = start.checked_add_signed(Duration::seconds(i64::from(r.window_seconds))) else {
        return Err(reject(RejectionReason::InvalidWindow, "the window ends after the last representable date".into()));
    };
    if end > now + Duration::seconds(CLOCK_SKEW_SECONDS_MAX) {
        return Err(reject(RejectionReason::WindowInFuture, format!("the window ends at {end}, after the time of ingest {now}")));
    }
    if start < at.earliest {
        return Err(reject(
            RejectionReason::PeriodClosed,
            format!("the billing period of {start} is closed; records are accepted from {}", at.earliest),
        ));
    }
    let seconds = u64::from(r.window_seconds);
    for (name, value, per_second) in [
        ("requests", r.requests, REQUESTS_PER_SECOND_MAX),
        ("egress_bytes", r.egress_bytes, EGRESS_BYTES_PER_SECOND_MAX),
        ("compute_ms", r.compute_ms, COMPUTE_MS_PER_SECOND_MAX),
    ] {
        if value > per_second * seconds {
            return Err(reject(
                RejectionReason::AbsurdValue,
                format!("{name} = {value} in {seconds} s is more than one node can serve ({per_second} per second)"),
            ));
        }
    }
    Ok(())
}

/// Whether a batch or node id is acceptable: 1 to `max` printable ASCII characters.
pub(crate) fn is_printable_id(id: &str, max: usize) -> bool {
    !id.is_empty() && id.len() <= max && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The most packs one purchase may buy.
pub const PACKS_PER_PURCHASE_MAX: u32 = edgecost_api::MAX_PACKS_PER_PURCHASE;

/// An amount of money a control takes: above zero (or at least zero), whole cents, at most
/// [`MAX_CONTROL_AMOUNT`]; in cents. A refusal writes amounts in `currency`, the book's.
pub(crate) fn checked_amount(field: &str, amount: Decimal, zero_allowed: bool, currency: &str) -> Result<i64> {
    let refuse = |why: &str| EngineError::InvalidControls { reason: format!("{field} {why}; got {amount}") };
    if amount < Decimal::ZERO || (!zero_allowed && amount.is_zero()) {
        return Err(refuse(if zero_allowed { "must not be negative" } else { "must be above zero" }));
    }
    if amount > Decimal::from(MAX_CONTROL_AMOUNT) {
        return Err(refuse(&format!("must be at most {}", money_in(Decimal::from(MAX_CONTROL_AMOUNT), currency))));
    }
    if amount.normalize().scale() > 2 {
        return Err(refuse("must be whole cents"));
    }
    ledger::to_cents(round_to_cents(amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TelemetryRecord {
        TelemetryRecord {
            account_id: "acct_1".into(),
            route: "/api/orders".into(),
            region: "eu".into(),
            window_start: "2026-11-23T10:00:00Z".parse().unwrap(),
            window_seconds: 60,
            requests: 1200,
            compute_ms: 5400,
            egress_bytes: 9_600_000,
        }
    }

    fn check(r: &TelemetryRecord, now: &str) -> Option<RejectionReason> {
        check_record(0, r, true, PriceBook::published(), &IngestTime::at(now.parse().unwrap())).err().map(|e| e.reason)
    }

    #[test]
    fn the_documented_example_is_accepted() {
        assert_eq!(check(&record(), "2026-11-23T10:02:00Z"), None);
    }

    #[test]
    fn bad_records_are_rejected_with_their_reason() {
        let now = "2026-11-23T10:02:00Z";
        let mut r = record();
        r.region = "mars".into();
        assert_eq!(check(&r, now), Some(RejectionReason::UnknownRegion));
        let mut r = record();
        r.route = "api".into();
        assert_eq!(check(&r, now), Some(RejectionReason::InvalidRoute));
        let mut r = record();
        r.window_start = "2026-11-23T10:59:30Z".parse().unwrap();
        assert_eq!(check(&r, "2026-11-23T11:02:00Z"), Some(RejectionReason::InvalidWindow));
        let mut r = record();
        r.window_seconds = 0;
        assert_eq!(check(&r, now), Some(RejectionReason::InvalidWindow));
        assert_eq!(check(&record(), "2026-11-23T09:00:00Z"), Some(RejectionReason::WindowInFuture));
        let mut r = record();
        r.requests = 60_000_001;
        assert_eq!(check(&r, now), Some(RejectionReason::AbsurdValue));
    }

    #[test]
    fn period_totals_past_a_bound_are_refused_with_the_meter() {
        let at = |requests, egress_bytes, compute_ms| Counters { requests, compute_ms, egress_bytes };
        assert!(check_period_totals("acct_1", 0, &at(PERIOD_REQUESTS_MAX, PERIOD_EGRESS_BYTES_MAX, PERIOD_COMPUTE_MS_MAX)).is_ok());
        for (c, meter) in [
            (at(PERIOD_REQUESTS_MAX + 1, 0, 0), "requests"),
            (at(0, PERIOD_EGRESS_BYTES_MAX + 1, 0), "egress_bytes"),
            (at(0, 0, PERIOD_COMPUTE_MS_MAX + 1), "compute_ms"),
        ] {
            match check_period_totals("acct_1", 0, &c) {
                Err(e @ EngineError::PeriodTotalExceeded { meter: m, .. }) => {
                    assert_eq!((m, e.code()), (meter, "period_total_exceeded"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_window_ending_after_the_last_representable_instant_is_invalid() {
        let mut r = record();
        r.window_start = DateTime::<Utc>::MAX_UTC - Duration::nanoseconds(999_999_999);
        r.window_seconds = 1;
        assert_eq!(check(&r, "2026-11-23T10:02:00Z"), Some(RejectionReason::InvalidWindow));
    }

    #[test]
    fn a_period_takes_late_records_for_one_hour_after_it_ends() {
        let mut r = record();
        r.window_start = "2026-11-30T23:59:00Z".parse().unwrap();
        assert_eq!(check(&r, "2026-12-01T00:30:00Z"), None);
        assert_eq!(check(&r, "2026-12-01T01:00:01Z"), Some(RejectionReason::PeriodClosed));
    }

    #[test]
    fn amounts_are_whole_cents_within_bounds() {
        let checked = |amount: Decimal, zero_allowed| checked_amount("x", amount, zero_allowed, "USD");
        assert_eq!(checked("12.50".parse().unwrap(), false).unwrap(), 1250);
        assert_eq!(checked("12.5".parse().unwrap(), false).unwrap(), 1250);
        assert!(checked("12.505".parse().unwrap(), false).is_err());
        assert!(checked(Decimal::ZERO, false).is_err());
        assert_eq!(checked(Decimal::ZERO, true).unwrap(), 0);
        assert!(checked(Decimal::from(-1), true).is_err());
        assert!(checked(Decimal::from(MAX_CONTROL_AMOUNT + 1), true).is_err());
    }

    #[test]
    fn an_amount_past_the_bound_is_refused_in_the_books_currency() {
        let reason = |currency| match checked_amount("spend_cap", Decimal::from(MAX_CONTROL_AMOUNT + 1), false, currency) {
            Err(EngineError::InvalidControls { reason }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason("USD"), "spend_cap must be at most $10,000,000.00; got 10000001");
        assert_eq!(reason("EUR"), "spend_cap must be at most €10,000,000.00; got 10000001");
        assert_eq!(reason("CHF"), "spend_cap must be at most CHF 10,000,000.00; got 10000001");
    }
}
