//! Usage that arrives as data points of series (OpenTelemetry) or as single events
//! (CloudEvents), counted exactly once however often it is resent.
//!
//! Both become ordinary telemetry records and go through the same batch transaction as the
//! native format; what differs is the idempotency key. An event is claimed by (source, id) in
//! the transaction that counts it. Points are claimed per series (node, series identity): each
//! series keeps its latest point, the number of points it has counted, and the times of its
//! latest points (`RECENT_POINTS`, 64). A node's series are kept in 256 shards by the first
//! byte of their identity, one stored row each (`usage_series`), so a request reads and writes
//! a row per shard it has points in, not one per point or series. A request reads its shards
//! once, decides every point against them, and writes them back in the transaction that counts
//! the points, each only if it still has the version it was read at: a retry (a time among the
//! recent ones) is not counted again, a cumulative series is turned into deltas against its
//! latest point, and of two requests racing with points of one shard the second's transaction
//! fails, so it reads again and counts what is left.
//!
//! Points may arrive out of order (an exporter's queue has several consumers, and retries
//! come late): a delta point later than the series' forgotten times counts, wherever it falls
//! among the recent ones. A point at or before the latest time that dropped out of the recent
//! ones cannot be told from a retry, and is refused as `too_old`.
//!
//! Where a point's window lies: usage is counted at the point's time. Its record's window ends
//! at that time (rounded up to the second) and starts at the previous point of the series (for
//! a cumulative series), or at the point's start time (delta), but never before the clock hour
//! the point's time falls in; a record needs at least one second.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use edgecost_api::{AccountIngestStatus, MAX_BATCH_RECORDS, TelemetryBatch, TelemetryRecord};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::engine::{Engine, NodeId};
use crate::error::{EngineError, Result};
use crate::ingest::Claims;
use crate::period::from_unix;
use crate::store::{Counters, RECENT_POINTS, RecentLists, SeriesRow, ShardClaim, ShardRow, decode_shard, encode_shard, shard_of};

/// Attempts when other writers keep claiming the same points first.
const CLAIM_ATTEMPTS_MAX: u32 = 8;
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// How a series reports: each point's values cover its own window (delta), or everything
/// since the series' start time (cumulative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporality {
    /// Each point counts the usage of its own window.
    Delta,
    /// Each point counts everything since the series' start; what counts is the difference
    /// from the series' latest point.
    Cumulative,
}

/// One data point of a usage series, whatever the wire format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesPoint {
    /// Index of the point in the request, for refusals.
    pub index: usize,
    /// Identity of the series (metric, resource and attributes; 128 bits), unique per node.
    pub series: [u8; 16],
    /// The account the usage is billed to.
    pub account_id: Arc<str>,
    /// The route served, as in a telemetry record.
    pub route: Arc<str>,
    /// The region served from, as in a telemetry record.
    pub region: Arc<str>,
    /// How the point's values relate to the series' earlier points.
    pub temporality: Temporality,
    /// Start of the series (cumulative) or of the point's window (delta); 0 when unknown.
    pub start_ns: u64,
    /// The point's time, in unix nanoseconds: where its usage is counted.
    pub time_ns: u64,
    /// Requests, as of the point (delta: in its window; cumulative: since the series' start).
    pub requests: u64,
    /// Compute time in milliseconds, counted as `requests` is.
    pub compute_ms: u64,
    /// Egress in bytes, counted as `requests` is.
    pub egress_bytes: u64,
}

/// One usage event (CloudEvents): a record and its (source, id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageEvent {
    /// Index of the event in the request, for refusals.
    pub index: usize,
    /// The event's `source`: with `id`, what makes it count once.
    pub source: String,
    /// The event's `id`, unique within its `source`.
    pub id: String,
    /// The usage the event reports.
    pub record: TelemetryRecord,
}

/// Why a point or event was not counted; `code` is stable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Index of the point or event in the request.
    pub index: usize,
    /// The reason, as a stable snake_case code (`too_old`, `missing_account`, a record's
    /// reason such as `unknown_account`...).
    pub code: &'static str,
    /// The reason, for a person.
    pub message: String,
}

impl Refusal {
    /// The refusal of the item at `index` for `code`, explained by `message`.
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
    /// Points or events not counted, and why, in request order.
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
    /// A digest of the points claimed (series and time), for the batch id.
    claimed_points: String,
    /// The shards as the claims write them: (shard, version, series).
    written_shards: Vec<(i64, i64, Arc<Vec<SeriesRow>>)>,
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
            let mut prepared = self.prepare_points(node, points).await?;
            let written = std::mem::take(&mut prepared.written_shards);
            let outcome = self.count_prepared(node, "otlp", prepared, now).await;
            let mut cache = self.shard_cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match &outcome {
                // Written as prepared: the next request of the node starts from these.
                Ok((_, false)) => {
                    for (shard, version, series) in written {
                        cache.put(node.as_str(), shard, version, series);
                    }
                }
                // Not written by this attempt, whatever is stored now: read again next time.
                _ => {
                    for (shard, _, _) in written {
                        cache.forget(node.as_str(), shard);
                    }
                }
            }
            match outcome {
                Err(EngineError::Contention) => continue,
                other => return other.map(|(ingested, _)| ingested),
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
                other => return other.map(|(ingested, _)| ingested),
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
        // Each series in time order; the shards they are kept in, read once.
        usable.sort_unstable_by_key(|p| (u128::from_be_bytes(p.series), p.time_ns, p.index));
        let shards: Vec<i64> = {
            let mut shards: Vec<i64> = usable.iter().map(|p| shard_of(&p.series)).collect();
            shards.dedup();
            shards
        };
        // Per shard: the version read (0: none stored) and its series, sorted.
        let mut stored: BTreeMap<i64, (i64, Vec<SeriesRow>)> = BTreeMap::new();
        let mut missing = Vec::new();
        {
            let mut cache = self.shard_cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for &shard in &shards {
                match cache.take(node.as_str(), shard) {
                    Some((version, series)) => {
                        stored.insert(shard, (version, Arc::unwrap_or_clone(series)));
                    }
                    None => missing.push(shard),
                }
            }
        }
        if !missing.is_empty() {
            for row in self.store.series_shards(node.as_str(), &missing).await? {
                stored.insert(row.shard, (row.version, decode_shard(row.shard, &row.series)?));
            }
        }
        let mut touched: Vec<i64> = Vec::new();

        // (account, route, region, window start, window seconds): the usage and the points in it.
        type RecordKey<'a> = (&'a str, &'a str, &'a str, i64, u32);
        let mut records: FxHashMap<RecordKey, (Counters, Vec<usize>)> = FxHashMap::default();
        records.reserve(usable.len() / 2);
        let mut claimed_points = Sha256::new();
        let mut lists = RecentLists::default();
        for group in usable.chunk_by(|a, b| a.series == b.series) {
            let key = group[0].series;
            let shard = shard_of(&key);
            let (_, series) = stored.entry(shard).or_insert_with(|| (0, Vec::new()));
            let at = match series.binary_search_by(|s| s.series.cmp(&key)) {
                Ok(at) => at,
                Err(at) => {
                    series.insert(at, SeriesRow { series: key, ..SeriesRow::default() });
                    at
                }
            };
            let row = &mut series[at];
            let read_points = row.points;
            for &p in group {
                let time = p.time_ns as i64;
                if row.recent.binary_search(&time).is_ok() {
                    prepared.duplicates += 1;
                    continue;
                }
                if time <= row.forgotten_ns {
                    prepared.refused.push(Refusal::new(
                        p.index,
                        "too_old",
                        format!(
                            "the point at {} is older than the {RECENT_POINTS} latest points of its series, which are all that is \
                             remembered of it: it cannot be told from a retry of a point counted already, and is not counted",
                            nanos_text(time)
                        ),
                    ));
                    continue;
                }
                let values = Counters { requests: p.requests as i64, compute_ms: p.compute_ms as i64, egress_bytes: p.egress_bytes as i64 };
                let start = p.start_ns as i64;
                // Whether the series has a latest point (every point claimed moves it or is older).
                let has_latest = row.points > 0;
                let (usage, from_ns) = match p.temporality {
                    Temporality::Delta => (values, if start > 0 && start < time { start } else { time - NANOS_PER_SECOND }),
                    Temporality::Cumulative => {
                        if has_latest && row.time_ns > time {
                            prepared.refused.push(Refusal::new(
                                p.index,
                                "out_of_order",
                                format!(
                                    "a cumulative point at {} arrived after the series' point at {}; points of a cumulative series must arrive in time order",
                                    nanos_text(time),
                                    nanos_text(row.time_ns)
                                ),
                            ));
                            continue;
                        }
                        // A new start time: the series restarted and counts from zero again.
                        let (base, from) =
                            if has_latest && row.start_ns == start { (row.counters, row.time_ns) } else { (Counters::default(), start) };
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
                        (delta, from)
                    }
                };
                if !has_latest || time > row.time_ns {
                    row.start_ns = start;
                    row.time_ns = time;
                    row.counters = values;
                }
                row.remember(time, &mut lists);
                let mut claimed = [0u8; 24];
                claimed[..16].copy_from_slice(&key);
                claimed[16..].copy_from_slice(&time.to_be_bytes());
                claimed_points.update(claimed);
                if usage == Counters::default() {
                    prepared.counted += 1;
                    continue;
                }
                let (window_start, window_seconds) = window(from_ns, time);
                let entry = records
                    .entry((&*p.account_id, &*p.route, &*p.region, window_start, window_seconds))
                    .or_insert_with(|| (Counters::default(), Vec::new()));
                entry.0.checked_add(&usage)?;
                entry.1.push(p.index);
            }
            if row.points == 0 {
                // A new series none of whose points counted: not stored.
                series.remove(at);
            } else if row.points != read_points && touched.last() != Some(&shard) {
                touched.push(shard);
            }
        }
        for shard in touched {
            let (read_version, series) = stored.remove(&shard).expect("a touched shard was read");
            claimed_points.update(shard.to_be_bytes());
            claimed_points.update(read_version.to_be_bytes());
            prepared.claims.series.push(ShardClaim {
                read_version,
                row: ShardRow { shard, version: read_version + 1, series: encode_shard(shard, &series) },
            });
            prepared.written_shards.push((shard, read_version + 1, Arc::new(series)));
        }
        // The shards read but not written, as read: kept for the next request.
        {
            let mut cache = self.shard_cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for (shard, (version, series)) in stored {
                if version > 0 {
                    cache.put(node.as_str(), shard, version, Arc::new(series));
                }
            }
        }
        prepared.claimed_points = hex::encode(claimed_points.finalize());
        // In key order: the same points give the same batch.
        let mut records: Vec<(RecordKey, (Counters, Vec<usize>))> = records.into_iter().collect();
        records.sort_unstable_by_key(|r| r.0);
        for ((account_id, route, region, window_start, window_seconds), (c, origin)) in records {
            prepared.records.push(TelemetryRecord {
                account_id: account_id.to_owned(),
                route: route.to_owned(),
                region: region.to_owned(),
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

    /// Counts the prepared records with their claims in one batch transaction; answers also
    /// whether the batch had been stored already (and nothing was written now).
    async fn count_prepared(&self, node: &NodeId, kind: &str, p: Prepared, now: DateTime<Utc>) -> Result<(PointsIngested, bool)> {
        let Prepared { records, origins, mut claims, claimed_points, written_shards: _, mut counted, duplicates, mut refused } = p;
        if records.len() > MAX_BATCH_RECORDS {
            return Err(EngineError::BatchTooLarge { records: records.len(), max: MAX_BATCH_RECORDS });
        }
        let mut accounts = Vec::new();
        let mut replayed = false;
        if !claims.series.is_empty() || !claims.events.is_empty() {
            let digest = claims_digest(&claimed_points, &claims);
            let batch_id = format!("{kind}-{}", &digest[..40]);
            claims.fingerprint = Some(digest);
            let batch = TelemetryBatch { batch_id, node_id: node.as_str().to_owned(), records };
            let ingested = self.ingest_claiming(node, &batch, claims, now).await?;
            replayed = ingested.replayed;
            let receipt = ingested.receipt;
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
        Ok((PointsIngested { counted, duplicates, refused, accounts }, replayed))
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

/// A digest of the claims (hex), which decide the batch they are counted in: its id is
/// the first 40 digits, and the whole is its fingerprint. The same claims give the same batch.
fn claims_digest(claimed_points: &str, claims: &Claims) -> String {
    let mut h = Sha256::new();
    h.update(claimed_points.as_bytes());
    for (_, (source, id)) in &claims.events {
        h.update(source.len().to_be_bytes());
        h.update(source.as_bytes());
        h.update(id.len().to_be_bytes());
        h.update(id.as_bytes());
    }
    hex::encode(h.finalize())
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
