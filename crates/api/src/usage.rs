//! Usage series for charts and the raw usage log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

/// How long one bucket of a usage series is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One bucket per clock hour.
    Hour,
    /// One bucket per UTC day, from 00:00.
    Day,
}

/// What one line of a series stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageGrouping {
    /// One line per meter.
    Meter,
    /// One line per route and meter.
    Route,
    /// One line per region and meter.
    Region,
}

/// `GET /v1/account/usage?from=&to=&granularity=hour|day&group_by=meter|route|region`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// Start of the span, inclusive; usage counts by the hour its window starts in. Must be
    /// before `to`, and the span at most 400 days.
    pub from: DateTime<Utc>,
    /// End of the span, exclusive.
    pub to: DateTime<Utc>,
    /// How long each bucket is.
    pub granularity: Granularity,
    /// What each line stands for.
    pub group_by: UsageGrouping,
}

/// One bucket of a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsagePoint {
    /// The bucket's first instant (an hour, or a day at 00:00 UTC).
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub start: DateTime<Utc>,
    /// The meter's usage in the bucket, in the line's `unit`.
    #[ts(type = "number")]
    pub quantity: u64,
}

/// One meter's buckets for one key; buckets without usage are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLine {
    /// The meter id, the route or the region, by grouping.
    pub key: String,
    /// The meter the buckets count.
    pub meter: Meter,
    /// `requests`, `bytes` (raw egress) or `ms` (compute).
    pub unit: String,
    /// The buckets with usage, oldest first.
    pub points: Vec<UsagePoint>,
}

/// The answer to `GET /v1/account/usage`: the query as it was read, and its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageSeries {
    /// Start of the span, inclusive, as asked for.
    pub from: DateTime<Utc>,
    /// End of the span, exclusive, as asked for.
    pub to: DateTime<Utc>,
    /// How long each bucket is.
    pub granularity: Granularity,
    /// What each line stands for.
    pub group_by: UsageGrouping,
    /// By meter: one line per meter, sorted by meter id. By route or region: three lines per
    /// key (requests, egress, compute), keys sorted.
    pub lines: Vec<UsageLine>,
}

/// The most records one page of the usage log may hold (at least one).
pub const MAX_USAGE_LOG_PAGE: u32 = 500;
/// Hex digits of a usage-log record id and cursor.
pub const USAGE_LOG_ID_HEX_DIGITS: usize = 32;

/// Records per page of the usage log when the query names no `limit`.
pub const DEFAULT_USAGE_LOG_PAGE: u32 = 100;

/// `GET /v1/account/usage/log?cursor=&limit=`: newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageLogQuery {
    /// `next_cursor` of the previous page; absent for the first page. A cursor works only for
    /// the account it was given to.
    pub cursor: Option<String>,
    /// Records per page, 1 to 500; 100 when absent.
    pub limit: Option<u32>,
}

/// One stored telemetry record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLogEntry {
    /// The record's id: 32 hex digits, stable, unique within the account and opaque (it says
    /// nothing about other accounts' records or how many there are).
    pub id: String,
    /// The batch that carried the record: the node's `batch_id`, or one the server derived
    /// for OTLP points and CloudEvents (`otlp-...`, `events-...`).
    pub batch_id: String,
    /// The node that sent the record.
    pub node_id: String,
    /// The route, as sent.
    pub route: String,
    /// The region, as sent.
    pub region: String,
    /// Start of the window, UTC.
    pub window_start: DateTime<Utc>,
    /// Length of the window in seconds.
    pub window_seconds: u32,
    /// Requests served in the window.
    #[ts(type = "number")]
    pub requests: u64,
    /// Compute time in the window, in milliseconds.
    #[ts(type = "number")]
    pub compute_ms: u64,
    /// Raw response bytes in the window, before region weights.
    #[ts(type = "number")]
    pub egress_bytes: u64,
    /// When the record's batch was stored.
    pub received_at: DateTime<Utc>,
}

/// `GET /v1/account/usage/log`: one page of the account's stored telemetry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageLogPage {
    /// Newest first.
    pub records: Vec<UsageLogEntry>,
    /// Pass as `cursor` for the next page; `None` on the last page. Opaque, like record ids.
    pub next_cursor: Option<String>,
}

/// A bucket start as RFC 3339, exactly as chrono writes it (`2026-11-23T08:00:00Z`), without
/// chrono's general formatter: a 90-day hourly answer by route is tens of thousands of
/// points, and formatting their times took most of the time its JSON took to write (5.9 ms of
/// a 1.9 MB answer; 2.5 ms without).
fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    // The UTC date and time once: each accessor of a `DateTime` works out its local time.
    let at_utc = at.naive_utc();
    let (year, nanos) = (at_utc.year(), at_utc.nanosecond());
    if nanos != 0 || !(0..=9999).contains(&year) {
        return serde::Serialize::serialize(at, serializer);
    }
    let mut text = [0u8; 20];
    let two = |out: &mut [u8], v: u32| {
        out[0] = b'0' + (v / 10) as u8;
        out[1] = b'0' + (v % 10) as u8;
    };
    two(&mut text[0..2], year as u32 / 100);
    two(&mut text[2..4], year as u32 % 100);
    text[4] = b'-';
    two(&mut text[5..7], at_utc.month());
    text[7] = b'-';
    two(&mut text[8..10], at_utc.day());
    text[10] = b'T';
    two(&mut text[11..13], at_utc.hour());
    text[13] = b':';
    two(&mut text[14..16], at_utc.minute());
    text[16] = b':';
    two(&mut text[17..19], at_utc.second());
    text[19] = b'Z';
    serializer.serialize_str(std::str::from_utf8(&text).expect("ASCII digits"))
}

/// Reads a bucket start as chrono reads RFC 3339: the form [`rfc3339`] writes is taken apart
/// directly, anything else (offsets, fractions, leap seconds, and every error) goes to chrono.
fn from_rfc3339<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    if let Some(at) = plain_utc(text.as_bytes()) {
        return Ok(at);
    }
    text.parse::<DateTime<Utc>>().map_err(serde::de::Error::custom)
}

/// `YYYY-MM-DDTHH:MM:SSZ` with a valid date and a second below 60, else `None`.
fn plain_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let date = chrono::NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if second > 59 {
        return None;
    }
    Some(date.and_hms_opt(hour, minute, second)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bucket starts are written and read as chrono writes and reads them, fast path or not.
    #[test]
    fn bucket_starts_read_and_write_as_chrono_does() {
        let point = |start: DateTime<Utc>| UsagePoint { start, quantity: 1 };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut times: Vec<DateTime<Utc>> = vec![
            DateTime::from_timestamp(0, 0).unwrap(),
            "0001-01-01T00:00:00Z".parse().unwrap(),
            "0999-12-31T23:59:59Z".parse().unwrap(),
            "9999-12-31T23:59:59Z".parse().unwrap(),
            "2024-02-29T12:00:00Z".parse().unwrap(),
            "2026-11-23T08:00:00.5Z".parse().unwrap(),
            "-0001-06-01T00:00:00Z".parse().unwrap(),
            "+10000-01-01T00:00:00Z".parse().unwrap(),
        ];
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Anywhere from year 0 to 9999, whole seconds (and now and then a fraction).
            let secs = (seed % 315_537_897_600) as i64 - 62_167_219_200;
            let nanos = if seed.is_multiple_of(7) { (seed % 1_000_000_000) as u32 } else { 0 };
            times.push(DateTime::from_timestamp(secs, nanos).unwrap());
        }
        for at in times {
            let ours = serde_json::to_string(&point(at)).unwrap();
            let chrono = format!(r#"{{"start":{},"quantity":1}}"#, serde_json::to_string(&at).unwrap());
            assert_eq!(ours, chrono);
            assert_eq!(serde_json::from_str::<UsagePoint>(&ours).unwrap().start, at);
        }
        // What chrono reads, this reads the same; what it refuses, this refuses.
        for text in ["2026-11-23T08:00:00+02:00", "2026-11-23t08:00:00z", "2016-12-31T23:59:60Z", "2026-11-23T08:00:00.25Z"] {
            let json = format!(r#"{{"start":"{text}","quantity":1}}"#);
            assert_eq!(serde_json::from_str::<UsagePoint>(&json).unwrap().start, text.parse::<DateTime<Utc>>().unwrap(), "{text}");
        }
        for text in
            ["2026-02-30T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T08:60:00Z", "2026-1a-23T08:00:00Z", "2026-11-23 08:00:00Z", ""]
        {
            let json = format!(r#"{{"start":"{text}","quantity":1}}"#);
            assert_eq!(serde_json::from_str::<UsagePoint>(&json).is_err(), text.parse::<DateTime<Utc>>().is_err(), "{text}");
        }
    }
}
