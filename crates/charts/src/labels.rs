//! Human text for axes and legends: `1.2M`, `45 GB`, `$12.50`, `Nov 24`, `06:00`.
//!
//! Tick labels are drawn from plot coordinates, which are `f64`; nothing here is on a money
//! path. Amounts shown in legends come from the exact `Decimal` values.

use chrono::{DateTime, Utc};
use edgecost_pricing::format::{money_in, round_to_cents};
use edgecost_pricing::{Decimal, Meter};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

const SECONDS_PER_HOUR: i64 = 3_600;
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// 1970-01-05 was a Monday: weekly ticks are aligned to it so they fall on Mondays.
const FIRST_MONDAY_UNIX_S: i64 = 4 * SECONDS_PER_DAY;

/// `950`, `12.5k`, `1.2M`, `3B`: a number with an SI-style suffix and at most three
/// significant digits, trailing zeros dropped.
pub(crate) fn compact(value: f64) -> String {
    if !value.is_finite() {
        return String::from("-");
    }
    let abs = value.abs();
    let (scaled, suffix) = if abs >= 1e12 {
        (value / 1e12, "T")
    } else if abs >= 1e9 {
        (value / 1e9, "B")
    } else if abs >= 1e6 {
        (value / 1e6, "M")
    } else if abs >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let places = if scaled.abs() >= 100.0 {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{scaled:.places$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
    // "-0" reads as a glitch on an axis.
    let text = if text == "-0" { String::from("0") } else { text };
    format!("{text}{suffix}")
}

/// Egress in GB as people read it: `500 MB`, `45 GB`, `1.2 TB`.
fn gigabytes(value_gb: f64) -> String {
    let abs = value_gb.abs();
    if abs == 0.0 {
        String::from("0 GB")
    } else if abs < 1.0 {
        format!("{} MB", compact(value_gb * 1e3))
    } else if abs >= 1e3 {
        format!("{} TB", compact(value_gb / 1e3))
    } else {
        format!("{} GB", compact(value_gb))
    }
}

/// A short tick label for a meter's quantity (requests, GB, seconds). Zero is written bare,
/// so an axis whose other ticks are in MB does not start at "0 GB".
pub(crate) fn meter_tick(meter: Meter, value: f64) -> String {
    if value == 0.0 {
        return String::from("0");
    }
    match meter {
        Meter::Requests => compact(value),
        Meter::Egress => gigabytes(value),
        Meter::Compute => format!("{} s", compact(value)),
    }
}

/// A quantity with its unit for legends and notes: `1.2M requests`, `45 GB`, `12.5k s`.
pub(crate) fn meter_amount(meter: Meter, value: Decimal) -> String {
    let value = value.to_f64().unwrap_or(f64::MAX);
    match meter {
        Meter::Requests => format!("{} requests", compact(value)),
        Meter::Egress => gigabytes(value),
        Meter::Compute => format!("{} s", compact(value)),
    }
}

/// A money tick: the axis position rounded to the cent and written in `currency` (an ISO 4217
/// code, as the price book names it): `$12.50`, `€12.50`.
pub(crate) fn money_tick(value: f64, currency: &str) -> String {
    match Decimal::from_f64(value) {
        Some(amount) => money_in(round_to_cents(amount), currency),
        None => String::from("-"),
    }
}

fn utc(at_unix_s: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at_unix_s, 0)
}

/// `2026-11-24T06:00:00Z`, for CSV.
pub(crate) fn rfc3339(at_unix_s: i64) -> String {
    utc(at_unix_s).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// Tick instants for a time axis from `start_unix_s` to `end_unix_s`, at most `max_ticks`
/// of them, on whole hours, UTC midnights or Mondays, with the step between them.
pub(crate) fn time_ticks(start_unix_s: i64, end_unix_s: i64, max_ticks: usize) -> (Vec<i64>, i64) {
    const STEPS_S: [i64; 12] = [
        SECONDS_PER_HOUR,
        2 * SECONDS_PER_HOUR,
        3 * SECONDS_PER_HOUR,
        6 * SECONDS_PER_HOUR,
        12 * SECONDS_PER_HOUR,
        SECONDS_PER_DAY,
        2 * SECONDS_PER_DAY,
        7 * SECONDS_PER_DAY,
        14 * SECONDS_PER_DAY,
        28 * SECONDS_PER_DAY,
        91 * SECONDS_PER_DAY,
        364 * SECONDS_PER_DAY,
    ];
    let span_s = (end_unix_s - start_unix_s).max(1);
    let max_ticks = max_ticks.max(2) as i64;
    let step_s = STEPS_S.iter().copied().find(|step| span_s / step < max_ticks).unwrap_or(STEPS_S[STEPS_S.len() - 1]);
    let anchor_s = if step_s >= 7 * SECONDS_PER_DAY { FIRST_MONDAY_UNIX_S } else { 0 };
    let first = start_unix_s + (anchor_s - start_unix_s).rem_euclid(step_s);
    // Bounded by the step choice above: at most `max_ticks` instants.
    let ticks = (0..max_ticks).map(|i| first + i * step_s).take_while(|t| *t <= end_unix_s).collect();
    (ticks, step_s)
}

/// `Nov 24` on a day boundary or for day steps, `06:00` within a day.
pub(crate) fn time_tick(at_unix_s: i64, step_s: i64) -> String {
    let Some(t) = utc(at_unix_s) else {
        return String::new();
    };
    if step_s >= SECONDS_PER_DAY || at_unix_s.rem_euclid(SECONDS_PER_DAY) == 0 {
        t.format("%b %-d").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

/// Shortens `text` to at most `max_chars` characters, ending with an ellipsis when cut.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{kept}\u{2026}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(1_200_000.0), "1.2M");
        assert_eq!(compact(45_000.0), "45k");
        assert_eq!(compact(12_500.0), "12.5k");
        assert_eq!(compact(2_000_000_000.0), "2B");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(meter_tick(Meter::Egress, 45.0), "45 GB");
        assert_eq!(meter_tick(Meter::Egress, 0.5), "500 MB");
        assert_eq!(meter_tick(Meter::Egress, 1_200.0), "1.2 TB");
        assert_eq!(meter_tick(Meter::Compute, 12_000.0), "12k s");
        assert_eq!(meter_amount(Meter::Requests, Decimal::from(1_200_000)), "1.2M requests");
        assert_eq!(money_tick(12.5, "USD"), "$12.50");
        assert_eq!(money_tick(12.5, "EUR"), "\u{20AC}12.50");
        assert_eq!(money_tick(1_234.0, "CHF"), "CHF 1,234.00");
    }

    #[test]
    fn time_ticks_fall_on_hours_midnights_and_mondays() {
        // 2026-11-01T00:00:00Z, a Sunday.
        let start = 1_793_491_200;
        let (ticks, step) = time_ticks(start, start + 90 * SECONDS_PER_DAY, 8);
        assert_eq!(step, 14 * SECONDS_PER_DAY);
        // Nov 9 2026 is a Monday.
        assert_eq!(time_tick(ticks[0], step), "Nov 9");
        assert!(ticks.len() <= 8);

        let (ticks, step) = time_ticks(start + 3_000, start + SECONDS_PER_DAY, 8);
        assert_eq!(step, 3 * SECONDS_PER_HOUR);
        assert_eq!(time_tick(ticks[0], step), "03:00");
        assert_eq!(time_tick(ticks[7], step), "Nov 2");
        assert_eq!(rfc3339(start), "2026-11-01T00:00:00Z");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("/v1/short", 20), "/v1/short");
        assert_eq!(truncate("/v1/a-very-long-route-name", 10), "/v1/a-ver\u{2026}");
    }
}
