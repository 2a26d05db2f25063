//! The stored state of OpenTelemetry series: a node's series in 256 shards, each one row of
//! packed bytes (see `crate::points`).

use super::Counters;
use crate::error::Result;

/// The identity of a series of OpenTelemetry data points (128 bits), unique per node.
pub(crate) type SeriesKey = [u8; 16];

/// The shards a node's series are kept in, by the first byte of their identity: a request
/// reads and writes a row per shard it has points of, not one per series.
pub(crate) fn shard_of(series: &SeriesKey) -> i64 {
    i64::from(series[0])
}

/// One series of OpenTelemetry data points, as kept in its shard (see `usage_series`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeriesRow {
    pub series: SeriesKey,
    /// Points the series has counted.
    pub points: i64,
    /// The latest point: its start, time and values.
    pub start_ns: i64,
    pub time_ns: i64,
    pub counters: Counters,
    /// The latest time no longer in `recent` (0 when none is).
    pub forgotten_ns: i64,
    /// The times of the latest points, ascending.
    pub recent: Vec<i64>,
}

/// The times of a series' latest points that it keeps (see `usage_series`).
pub(crate) const RECENT_POINTS: usize = 64;

/// Bytes of a series in a shard before its recent times.
const SERIES_HEAD_BYTES: usize = 16 + 7 * 8 + 1;

impl SeriesRow {
    /// Counts a point claimed at `time` (not among `recent`, later than `forgotten_ns`) and
    /// keeps its time among the [`RECENT_POINTS`] latest; an earlier time that drops out moves
    /// `forgotten_ns` up to it.
    pub fn remember(&mut self, time: i64) {
        let at = self.recent.partition_point(|&t| t < time);
        self.recent.insert(at, time);
        if self.recent.len() > RECENT_POINTS {
            let dropped = self.recent.remove(0);
            self.forgotten_ns = self.forgotten_ns.max(dropped);
        }
        self.points += 1;
    }
}

/// A shard's series (sorted by identity) as stored: per series its identity (16 bytes), then
/// points, start, time, requests, compute ms, egress bytes and forgotten time (8 bytes each,
/// big-endian), the number of recent times (1 byte) and those times (8 bytes each, ascending).
pub(crate) fn encode_shard(series: &[SeriesRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(series.iter().map(|s| SERIES_HEAD_BYTES + 8 * s.recent.len()).sum());
    for s in series {
        out.extend_from_slice(&s.series);
        let c = &s.counters;
        for v in [s.points, s.start_ns, s.time_ns, c.requests, c.compute_ms, c.egress_bytes, s.forgotten_ns] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.push(s.recent.len() as u8);
        for t in &s.recent {
            out.extend_from_slice(&t.to_be_bytes());
        }
    }
    out
}

/// Reads a shard written by [`encode_shard`].
pub(crate) fn decode_shard(mut bytes: &[u8]) -> Result<Vec<SeriesRow>> {
    let corrupt = |reason: &str| crate::EngineError::CorruptRow { reason: format!("a shard of usage_series: {reason}") };
    let number = |b: &[u8], i: usize| i64::from_be_bytes(b[16 + 8 * i..24 + 8 * i].try_into().expect("8 bytes"));
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < SERIES_HEAD_BYTES {
            return Err(corrupt("a series cut short"));
        }
        let recent = usize::from(bytes[SERIES_HEAD_BYTES - 1]);
        let len = SERIES_HEAD_BYTES + 8 * recent;
        if bytes.len() < len || recent > RECENT_POINTS {
            return Err(corrupt("recent times cut short"));
        }
        let (b, rest) = bytes.split_at(len);
        out.push(SeriesRow {
            series: b[..16].try_into().expect("16 bytes"),
            points: number(b, 0),
            start_ns: number(b, 1),
            time_ns: number(b, 2),
            counters: Counters { requests: number(b, 3), compute_ms: number(b, 4), egress_bytes: number(b, 5) },
            forgotten_ns: number(b, 6),
            recent: b[SERIES_HEAD_BYTES..].chunks_exact(8).map(|t| i64::from_be_bytes(t.try_into().expect("8 bytes"))).collect(),
        });
        bytes = rest;
    }
    if !out.is_sorted_by(|a, b| a.series < b.series) {
        return Err(corrupt("series out of order"));
    }
    Ok(out)
}

/// A shard of a node's series, as read: its version and its encoded series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShardRow {
    pub shard: i64,
    pub version: i64,
    pub series: Vec<u8>,
}

/// A shard a batch claims points in: the version it was read at (0: not stored yet) and its
/// series as they are to be written, at the next version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShardClaim {
    pub read_version: i64,
    pub row: ShardRow,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_reads_back_as_written_and_its_series_remember_their_latest_times() {
        let mut a = SeriesRow { series: [1; 16], ..SeriesRow::default() };
        for t in 1..=70 {
            a.remember(t * 10);
        }
        assert_eq!((a.points, a.recent.len(), a.forgotten_ns, a.recent[0]), (70, RECENT_POINTS, 60, 70));
        // Later than the forgotten times, earlier than every remembered one: counted, and
        // forgotten at once.
        a.remember(65);
        assert_eq!((a.points, a.forgotten_ns, a.recent[0]), (71, 65, 70));

        let b = SeriesRow {
            series: [2; 16],
            points: 1,
            start_ns: 5,
            time_ns: 9,
            counters: Counters { requests: 1, compute_ms: 2, egress_bytes: 3 },
            forgotten_ns: 0,
            recent: vec![9],
        };
        let shard = vec![a.clone(), b.clone()];
        assert_eq!(decode_shard(&encode_shard(&shard)).unwrap(), shard);
        assert!(decode_shard(&encode_shard(&[b, a])).is_err(), "series out of order");
        assert!(decode_shard(&encode_shard(&shard)[..100]).is_err(), "cut short");
        assert_eq!(decode_shard(&[]).unwrap(), Vec::new());
    }
}
