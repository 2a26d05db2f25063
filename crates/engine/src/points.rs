//! Usage that arrives as data points of series (OpenTelemetry) or as single events
//! (CloudEvents), counted exactly once however often it is resent.
//!
//! Both become ordinary telemetry records and go through the same batch transaction as the
//! native format; what differs is the idempotency key. A point is claimed by (node, series,
//! time), an event by (source, id), in the transaction that counts it. A cumulative series is
//! turned into deltas against its latest stored point; the claim also records which point the
//! delta was taken from, and that is unique per series, so two requests racing with points of
//! one series cannot both count from the same point: the loser's transaction fails, and it
//! reads again and counts what is left.
//!
//! Where a point's window lies: usage is counted at the point's time. Its record's window ends
//! at that time (rounded up to the second) and starts at the previous point of the series (for
//! a cumulative series), or at the point's start time (delta), but never before the clock hour
//! the point's time falls in; a record needs at least one second.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use edgecost_api::{AccountIngestStatus, MAX_BATCH_RECORDS, TelemetryBatch, TelemetryRecord};
use sha2::{Digest, Sha256};

use crate::engine::{Claims, Engine, NodeId};
use crate::error::{EngineError, Result};
use crate::period::from_unix;
use crate::store::{Counters, PointRow};

/// Attempts when other writers keep claiming the same points first.
const CLAIM_ATTEMPTS_MAX: u32 = 8;
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// How a series reports: each point's values cover its own window (delta), or everything
/// since the series' start time (cumulative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporality {
    Delta,
    Cumulative,
}

/// One data point of a usage series, whatever the wire format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesPoint {
    /// Index of the point in the request, for refusals.
    pub index: usize,
    /// Identity of the series (metric, resource and attributes), unique per node.
    pub series: String,
    pub account_id: String,
    pub route: String,
    pub region: String,
    pub temporality: Temporality,
    /// Start of the series (cumulative) or of the point's window (delta); 0 when unknown.
    pub start_ns: u64,
    pub time_ns: u64,
    pub requests: u64,
    pub compute_ms: u64,
    pub egress_bytes: u64,
}

/// One usage event (CloudEvents): a record and its (source, id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageEvent {
    /// Index of the event in the request, for refusals.
    pub index: usize,
    pub source: String,
    pub id: String,
    pub record: TelemetryRecord,
}

/// Why a point or event was not counted; `code` is stable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub index: usize,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(index: usize, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { index, code, message: message.into() }
    }
}

/// The outcome of a request of points or events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PointsIngested {
    /// Points or events counted now (including those whose usage was zero).
    pub counted: usize,
    /// Points or events counted by an earlier request: not counted again.
    pub duplicates: usize,
    pub refused: Vec<Refusal>,
    /// Per known account touched, whether it is capped (as in the batch receipt).
    pub accounts: Vec<AccountIngestStatus>,
}

/// What one attempt prepared: records to count, what claims them, and which request items
/// each record came from.
#[derive(Default)]
struct Prepared {
    records: Vec<TelemetryRecord>,
    origins: Vec<Vec<usize>>,
    claims: Claims,
    counted: usize,
    duplicates: usize,
    refused: Vec<Refusal>,
}

impl Engine {
    /// Counts data points of usage series sent by `node` (see the module documentation).
    /// `refused` are the request's points refused before this (by the decoder); they are
    /// returned with the others.
    /// A request of more points than one batch holds is counted in batches of consecutive
    /// times, each its own transaction, so an exporter's large request is never refused whole.
    pub async fn ingest_points(&self, node: &NodeId, points: &[SeriesPoint], now: DateTime<Utc>) -> Result<PointsIngested> {
        if points.len() <= MAX_BATCH_RECORDS {
            return self.ingest_point_batch(node, points, now).await;
        }
        let mut by_time = points.to_vec();
        by_time.sort_by_key(|p| (p.time_ns, p.index));
        let mut total = PointsIngested::default();
        let mut accounts = BTreeMap::new();
        for chunk in by_time.chunks(MAX_BATCH_RECORDS) {
            let part = self.ingest_point_batch(node, chunk, now).await?;
            total.counted += part.counted;
            total.duplicates += part.duplicates;
            total.refused.extend(part.refused);
            // The latest status of each account: later batches see the earlier ones' usage.
            accounts.extend(part.accounts.into_iter().map(|a| (a.account_id.clone(), a)));
        }
        total.refused.sort_by_key(|r| r.index);
        total.accounts = accounts.into_values().collect();
        Ok(total)
    }

    async fn ingest_point_batch(&self, node: &NodeId, points: &[SeriesPoint], now: DateTime<Utc>) -> Result<PointsIngested> {
        for _ in 0..CLAIM_ATTEMPTS_MAX {
            let prepared = self.prepare_points(node, points).await?;
            match self.count_prepared(node, "otlp", prepared, now).await {
                Err(EngineError::Contention) => continue,
                other => return other,
            }
        }
        Err(EngineError::Contention)
    }

    /// Counts usage events sent by `node`, each once per (source, id).
    pub async fn ingest_events(&self, node: &NodeId, events: &[UsageEvent], now: DateTime<Utc>) -> Result<PointsIngested> {
        for _ in 0..CLAIM_ATTEMPTS_MAX {
            let keys: Vec<(&str, &str)> = events.iter().map(|e| (e.source.as_str(), e.id.as_str())).collect();
            let stored: HashSet<(String, String)> = self.store.stored_events(&keys).await?.into_iter().collect();
            let mut prepared = Prepared::default();
            let mut seen = HashSet::new();
            for e in events {
                let key = (e.source.clone(), e.id.clone());
                if stored.contains(&key) || !seen.insert(key.clone()) {
                    prepared.duplicates += 1;
                    continue;
                }
                prepared.claims.events.push((prepared.records.len(), key));
                prepared.records.push(e.record.clone());
                prepared.origins.push(vec![e.index]);
            }
            match self.count_prepared(node, "events", prepared, now).await {
                Err(EngineError::Contention) => continue,
                other => return other,
            }
        }
        Err(EngineError::Contention)
    }

    /// Reads the series' stored state and turns the points into records and claims.
    async fn prepare_points(&self, node: &NodeId, points: &[SeriesPoint]) -> Result<Prepared> {
        let mut prepared = Prepared::default();
        let mut usable = Vec::with_capacity(points.len());
        for p in points {
            match check_point(p) {
                Ok(()) => usable.push(p),
                Err(r) => prepared.refused.push(r),
            }
        }
        // Cumulative series chain from their latest stored point; delta points stand alone.
        let series: Vec<&str> = {
            let mut s: Vec<&str> = usable.iter().filter(|p| p.temporality == Temporality::Cumulative).map(|p| p.series.as_str()).collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let latest: HashMap<String, PointRow> = if series.is_empty() {
            HashMap::new()
        } else {
            self.store.latest_points(node.as_str(), &series).await?.into_iter().map(|p| (p.series.clone(), p)).collect()
        };
        // A delta point, or a cumulative one at or before its series' latest stored point, may
        // have been stored already.
        let maybe_stored: Vec<(&str, i64)> = usable
            .iter()
            .filter(|p| match p.temporality {
                Temporality::Delta => true,
                Temporality::Cumulative => latest.get(&p.series).is_some_and(|l| p.time_ns as i64 <= l.time_ns),
            })
            .map(|p| (p.series.as_str(), p.time_ns as i64))
            .collect();
        let stored_rows = if maybe_stored.is_empty() { Vec::new() } else { self.store.stored_points(node.as_str(), &maybe_stored).await? };
        // Looked up by the request's own strings: no copy of a series id per point.
        let stored: HashSet<(&str, i64)> = stored_rows.iter().map(|(series, time)| (series.as_str(), *time)).collect();

        // Each series in time order, chained from its latest stored point.
        usable.sort_by(|a, b| (&a.series, a.time_ns, a.index).cmp(&(&b.series, b.time_ns, b.index)));
        let mut last: HashMap<&str, PointRow> = latest.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let mut claimed: HashSet<(&str, i64)> = HashSet::new();
        // (account, route, region, window start, window seconds): the usage and the points in it.
        type RecordKey = (String, String, String, i64, u32);
        let mut records: BTreeMap<RecordKey, (Counters, Vec<usize>)> = BTreeMap::new();
        for p in usable {
            let time = p.time_ns as i64;
            if stored.contains(&(p.series.as_str(), time)) || !claimed.insert((p.series.as_str(), time)) {
                prepared.duplicates += 1;
                continue;
            }
            let values = Counters { requests: p.requests as i64, compute_ms: p.compute_ms as i64, egress_bytes: p.egress_bytes as i64 };
            let start = p.start_ns as i64;
            let (row, usage, from_ns) = match p.temporality {
                Temporality::Delta => {
                    // Delta points chain to nothing: their `prev_ns` is their negated time, unique
                    // per series like the time itself.
                    let from = if start > 0 && start < time { start } else { time - NANOS_PER_SECOND };
                    (PointRow { series: p.series.clone(), start_ns: start, time_ns: time, prev_ns: -time, counters: values }, values, from)
                }
                Temporality::Cumulative => {
                    let previous = last.get(p.series.as_str());
                    let (prev_ns, base) = match previous {
                        Some(l) if l.start_ns == start && l.time_ns < time => (l.time_ns, l.counters),
                        Some(l) if l.time_ns >= time => {
                            prepared.refused.push(Refusal::new(
                                p.index,
                                "out_of_order",
                                format!(
                                    "a cumulative point at {} arrived after the series' point at {}; points of a cumulative series must arrive in time order",
                                    nanos_text(time),
                                    nanos_text(l.time_ns)
                                ),
                            ));
                            continue;
                        }
                        // A new start time: the series restarted and counts from zero again.
                        _ => (start, Counters::default()),
                    };
                    let delta = Counters {
                        requests: values.requests - base.requests,
                        compute_ms: values.compute_ms - base.compute_ms,
                        egress_bytes: values.egress_bytes - base.egress_bytes,
                    };
                    if delta.requests < 0 || delta.compute_ms < 0 || delta.egress_bytes < 0 {
                        prepared.refused.push(Refusal::new(
                            p.index,
                            "counter_decreased",
                            "a cumulative value went down without a new start time; a restarted series must send a new start time",
                        ));
                        continue;
                    }
                    (PointRow { series: p.series.clone(), start_ns: start, time_ns: time, prev_ns, counters: values }, delta, prev_ns)
                }
            };
            last.insert(p.series.as_str(), row.clone());
            prepared.claims.points.push(row);
            if usage == Counters::default() {
                prepared.counted += 1;
                continue;
            }
            let (window_start, window_seconds) = window(from_ns, time);
            let entry = records
                .entry((p.account_id.clone(), p.route.clone(), p.region.clone(), window_start, window_seconds))
                .or_insert_with(|| (Counters::default(), Vec::new()));
            entry.0.checked_add(&usage)?;
            entry.1.push(p.index);
        }
        for ((account_id, route, region, window_start, window_seconds), (c, origin)) in records {
            prepared.records.push(TelemetryRecord {
                account_id,
                route,
                region,
                window_start: from_unix(window_start),
                window_seconds,
                requests: c.requests as u64,
                compute_ms: c.compute_ms as u64,
                egress_bytes: c.egress_bytes as u64,
            });
            prepared.origins.push(origin);
        }
        Ok(prepared)
    }

    /// Counts the prepared records with their claims in one batch transaction.
    async fn count_prepared(&self, node: &NodeId, kind: &str, p: Prepared, now: DateTime<Utc>) -> Result<PointsIngested> {
        let Prepared { records, origins, claims, mut counted, duplicates, mut refused } = p;
        if records.len() > MAX_BATCH_RECORDS {
            return Err(EngineError::BatchTooLarge { records: records.len(), max: MAX_BATCH_RECORDS });
        }
        let mut accounts = Vec::new();
        if !claims.points.is_empty() || !claims.events.is_empty() {
            let batch = TelemetryBatch { batch_id: batch_id(kind, &claims), node_id: node.as_str().to_owned(), records };
            let receipt = self.ingest_claiming(node, &batch, claims, now).await?.receipt;
            let mut rejected = vec![false; origins.len()];
            for r in &receipt.rejected {
                let i = r.index as usize;
                rejected[i] = true;
                refused.extend(origins[i].iter().map(|&index| Refusal::new(index, r.reason.code(), r.message.clone())));
            }
            counted += origins.iter().zip(&rejected).filter(|(_, r)| !**r).map(|(o, _)| o.len()).sum::<usize>();
            accounts = receipt.accounts;
        }
        refused.sort_by_key(|r| r.index);
        Ok(PointsIngested { counted, duplicates, refused, accounts })
    }
}

/// Refuses what no series can count: times out of range.
fn check_point(p: &SeriesPoint) -> std::result::Result<(), Refusal> {
    if p.time_ns == 0 || p.time_ns > i64::MAX as u64 || p.start_ns > i64::MAX as u64 {
        return Err(Refusal::new(p.index, "invalid_time", "the point's time is missing or out of range"));
    }
    if p.temporality == Temporality::Cumulative && (p.start_ns == 0 || p.start_ns > p.time_ns) {
        return Err(Refusal::new(
            p.index,
            "missing_start_time",
            "a cumulative point needs a start time at or before its time, to tell a restarted series from a continuing one",
        ));
    }
    if [p.requests, p.compute_ms, p.egress_bytes].iter().any(|&v| v > i64::MAX as u64) {
        return Err(Refusal::new(p.index, "absurd_value", "a value is beyond what one series can count"));
    }
    Ok(())
}

/// The record window of usage counted at `to_ns` since `from_ns` (see the module docs):
/// (start, unix seconds; length, seconds).
fn window(from_ns: i64, to_ns: i64) -> (i64, u32) {
    let end = to_ns.div_euclid(NANOS_PER_SECOND) + i64::from(to_ns.rem_euclid(NANOS_PER_SECOND) != 0);
    let hour = (to_ns - 1).div_euclid(NANOS_PER_SECOND * 3_600) * 3_600;
    let end = end.min(hour + 3_600);
    let start = from_ns.div_euclid(NANOS_PER_SECOND).max(hour).min(end - 1);
    (start, (end - start) as u32)
}

/// A batch id for the claims: the same claims give the same id.
fn batch_id(kind: &str, claims: &Claims) -> String {
    let mut h = Sha256::new();
    for p in &claims.points {
        h.update(p.series.as_bytes());
        h.update(p.time_ns.to_be_bytes());
    }
    for (_, (source, id)) in &claims.events {
        h.update(source.len().to_be_bytes());
        h.update(source.as_bytes());
        h.update(id.len().to_be_bytes());
        h.update(id.as_bytes());
    }
    format!("{kind}-{}", &hex::encode(h.finalize())[..40])
}

fn nanos_text(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = NANOS_PER_SECOND;

    #[test]
    fn a_window_ends_at_the_point_and_stays_in_its_hour() {
        let h = 1_800_000_000 / 3_600 * 3_600; // an hour boundary, in seconds
        // Within the hour: from the previous point to this one.
        assert_eq!(window((h + 60) * S, (h + 120) * S), (h + 60, 60));
        // A fraction of a second rounds the end up.
        assert_eq!(window((h + 60) * S, (h + 120) * S + 1), (h + 60, 61));
        // Crossing the hour: cut at the hour the point's time falls in.
        assert_eq!(window((h - 30) * S, (h + 30) * S), (h, 30));
        // Exactly on the hour: the point's usage belongs to the hour that just ended.
        assert_eq!(window((h - 60) * S, h * S), (h - 60, 60));
        // A series that started days ago: its first point counts within its own hour.
        assert_eq!(window((h - 86_400) * S, (h + 10) * S), (h, 10));
        // No empty windows.
        assert_eq!(window((h + 10) * S, (h + 10) * S), (h + 9, 1));
    }
}
