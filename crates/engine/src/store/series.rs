//! The stored state of OpenTelemetry series: a node's series in 256 shards, each one row of
//! packed bytes (see `crate::points`).

use std::sync::Arc;

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
    /// The times of the latest points, ascending. Series that got points at the same times
    /// share them (see [`RecentLists`]).
    pub recent: Arc<[i64]>,
}

/// The times of a series' latest points that it keeps (see `usage_series`).
pub(crate) const RECENT_POINTS: usize = 64;

/// Bytes of a series in a shard before its recent times, in the first encoding.
const SERIES_HEAD_BYTES: usize = 16 + 7 * 8 + 1;

/// Lists of recent times made by one request, by what each was made from: a series whose
/// recent times are those of another's and that gets a point at the same time gets the same
/// new list, made once. Series of one exporter share their point times, so most series of a
/// request share a few lists, which keeps them few in memory and quick to update.
#[derive(Default)]
pub(crate) struct RecentLists {
    /// The lists made, the latest last.
    made: Vec<MadeList>,
}

/// A list of recent times made from another by adding a time.
struct MadeList {
    before: Arc<[i64]>,
    time: i64,
    after: Arc<[i64]>,
}

/// Lists a [`RecentLists`] keeps, beyond which it forgets the earliest made.
const RECENT_LISTS_KEPT: usize = 8;

impl SeriesRow {
    /// Counts a point claimed at `time` (not among `recent`, later than `forgotten_ns`) and
    /// keeps its time among the [`RECENT_POINTS`] latest; an earlier time that drops out moves
    /// `forgotten_ns` up to it.
    pub fn remember(&mut self, time: i64, lists: &mut RecentLists) {
        if self.recent.len() >= RECENT_POINTS {
            // The earliest of the times and the new one drops out.
            self.forgotten_ns = self.forgotten_ns.max(self.recent[0].min(time));
        }
        let made = lists
            .made
            .iter()
            .rev()
            .find(|m| m.time == time && (Arc::ptr_eq(&m.before, &self.recent) || *m.before == *self.recent))
            .map(|m| m.after.clone());
        self.recent = match made {
            Some(after) => after,
            None => {
                let at = self.recent.partition_point(|&t| t < time);
                let mut times = Vec::with_capacity(self.recent.len() + 1);
                times.extend_from_slice(&self.recent[..at]);
                times.push(time);
                times.extend_from_slice(&self.recent[at..]);
                let after: Arc<[i64]> = Arc::from(&times[times.len().saturating_sub(RECENT_POINTS)..]);
                if lists.made.len() == RECENT_LISTS_KEPT {
                    lists.made.remove(0);
                }
                lists.made.push(MadeList { before: self.recent.clone(), time, after: after.clone() });
                after
            }
        };
        self.points += 1;
    }
}

/// Recent-time lists a series can refer to in [`encode_shard`]: the latest written in full.
const SHARED_LISTS: usize = 15;
/// In a series' reference byte: its forgotten time is the referred series' one.
const SAME_FORGOTTEN: u8 = 0x10;
/// What the first byte of a shard is xor-ed with in the third encoding (the second uses the
/// complement of the shard number, the first begins with it).
const THIRD_ENCODING: u8 = 0x5a;

/// A shard's series (sorted by identity, all of `shard`) as stored, compactly: a shard is
/// rewritten whole by every request with points in it, so its size is what a request of points
/// costs the database beyond its records.
///
/// Series of one exporter share their point times (an SDK stamps a collection once, for every
/// series in it), so a series' recent times are most often those of a series before it: it
/// then refers to them in one byte instead of writing them again.
///
/// The first byte is the shard number xor 0x5a, which tells this encoding from the earlier two
/// (see [`decode_shard`]). Then per series: the last 15 bytes of its identity (the first is the
/// shard number); a byte with the number of recent times (low 7 bits) and whether a time has
/// been forgotten (high bit); a reference byte: 0 when its recent times follow, or `r` (1 to
/// 15) when they are those of the `r`-th latest series whose times were written out, plus 0x10
/// when its forgotten time is that series' too. Then, each number as [`put_number`] writes it:
/// the recent times when they follow (the latest; the distance to the next; then each distance
/// less the one before, which is 0 for a steady interval); points; the latest time as its
/// distance from the latest recent time (itself when there is none); the latest time minus the
/// latest start; requests, compute ms and egress bytes; and the forgotten time, unless referred
/// to, as its distance from the earliest recent time (from the latest time when there is none).
/// Differences wrap, so any values read back exactly.
pub(crate) fn encode_shard(shard: i64, series: &[SeriesRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 48 * series.len());
    out.push(shard as u8 ^ THIRD_ENCODING);
    // The series whose recent times were written out, latest last.
    let mut written: Vec<&SeriesRow> = Vec::new();
    for s in series {
        debug_assert_eq!(shard_of(&s.series), shard, "a series kept in another shard");
        debug_assert!(s.recent.len() <= RECENT_POINTS);
        out.extend_from_slice(&s.series[1..]);
        out.push(s.recent.len() as u8 | if s.forgotten_ns != 0 { 0x80 } else { 0 });
        let referred = if s.recent.is_empty() {
            None
        } else {
            written
                .iter()
                .rev()
                .take(SHARED_LISTS)
                .position(|w| Arc::ptr_eq(&w.recent, &s.recent) || w.recent == s.recent)
                .map(|back| (back + 1, written[written.len() - 1 - back]))
        };
        let same_forgotten = referred.is_some_and(|(_, w)| s.forgotten_ns != 0 && w.forgotten_ns == s.forgotten_ns);
        match referred {
            Some((r, _)) => out.push(r as u8 | if same_forgotten { SAME_FORGOTTEN } else { 0 }),
            None => {
                out.push(0);
                put_times(&mut out, &s.recent);
                if !s.recent.is_empty() {
                    written.push(s);
                }
            }
        }
        let latest_recent = s.recent.last().copied().unwrap_or(0);
        let c = &s.counters;
        for v in
            [s.points, s.time_ns.wrapping_sub(latest_recent), s.time_ns.wrapping_sub(s.start_ns), c.requests, c.compute_ms, c.egress_bytes]
        {
            put_number(&mut out, v);
        }
        if s.forgotten_ns != 0 && !same_forgotten {
            put_number(&mut out, s.recent.first().copied().unwrap_or(s.time_ns).wrapping_sub(s.forgotten_ns));
        }
    }
    out
}

/// Writes ascending times from the latest down: the latest, the distance to the next, then
/// each distance less the one before.
fn put_times(out: &mut Vec<u8>, times: &[i64]) {
    let mut rev = times.iter().rev();
    let Some(&latest) = rev.next() else { return };
    put_number(out, latest);
    let (mut before, mut distance) = (latest, 0i64);
    for (i, &t) in rev.enumerate() {
        let d = before.wrapping_sub(t);
        put_number(out, if i == 0 { d } else { d.wrapping_sub(distance) });
        (before, distance) = (t, d);
    }
}

/// Reads `n` times written by [`put_times`], ascending.
fn take_times(bytes: &mut &[u8], n: usize) -> Result<Vec<i64>> {
    let mut times = vec![0; n];
    let (mut before, mut distance) = (0i64, 0i64);
    for (i, t) in times.iter_mut().rev().enumerate() {
        let v = take_number(bytes)?;
        *t = match i {
            0 => v,
            1 => {
                distance = v;
                before.wrapping_sub(v)
            }
            _ => {
                distance = distance.wrapping_add(v);
                before.wrapping_sub(distance)
            }
        };
        before = *t;
    }
    Ok(times)
}

/// Reads a shard written by [`encode_shard`], or in the second encoding (the shard number's
/// complement first, then every series' recent times written out as distances) or the first
/// (see `usage_series`).
pub(crate) fn decode_shard(shard: i64, bytes: &[u8]) -> Result<Vec<SeriesRow>> {
    let out = match bytes.first() {
        Some(&first) if first == shard as u8 ^ THIRD_ENCODING => decode_third(shard, &bytes[1..])?,
        Some(&first) if first == !(shard as u8) => decode_compact(shard, &bytes[1..])?,
        _ => decode_first_encoding(bytes)?,
    };
    if !out.is_sorted_by(|a, b| a.series < b.series) {
        return Err(corrupt("series out of order"));
    }
    if out.iter().any(|s| shard_of(&s.series) != shard) {
        return Err(corrupt("a series of another shard"));
    }
    Ok(out)
}

fn decode_third(shard: i64, mut bytes: &[u8]) -> Result<Vec<SeriesRow>> {
    let mut out: Vec<SeriesRow> = Vec::new();
    // Indexes in `out` of the series whose recent times were written out, latest last.
    let mut written: Vec<usize> = Vec::new();
    while !bytes.is_empty() {
        let (series, count, forgotten) = take_series_head(shard, &mut bytes)?;
        let (&reference, rest) = bytes.split_first().ok_or_else(|| corrupt("a series cut short"))?;
        bytes = rest;
        let r = usize::from(reference & 0x0f);
        if reference & !(0x0f | SAME_FORGOTTEN) != 0 || (r == 0 && reference != 0) || r > written.len() {
            return Err(corrupt("a reference to no series"));
        }
        let (recent, referred_forgotten) = if r == 0 {
            let recent: Arc<[i64]> = take_times(&mut bytes, count)?.into();
            if count > 0 {
                written.push(out.len());
            }
            (recent, None)
        } else {
            let w = &out[written[written.len() - r]];
            (w.recent.clone(), Some(w.forgotten_ns))
        };
        if recent.len() != count {
            return Err(corrupt("a reference to times of another number"));
        }
        let [points, since_recent, since_start, requests, compute_ms, egress_bytes] = take_numbers(&mut bytes)?;
        let time_ns = recent.last().copied().unwrap_or(0).wrapping_add(since_recent);
        let forgotten_ns = match (forgotten, reference & SAME_FORGOTTEN != 0) {
            (false, false) => 0,
            (true, true) => referred_forgotten.unwrap_or(0),
            (true, false) => recent.first().copied().unwrap_or(time_ns).wrapping_sub(take_number(&mut bytes)?),
            (false, true) => return Err(corrupt("a forgotten time referred to but none kept")),
        };
        if forgotten && forgotten_ns == 0 {
            return Err(corrupt("a forgotten time of 0"));
        }
        out.push(SeriesRow {
            series,
            points,
            start_ns: time_ns.wrapping_sub(since_start),
            time_ns,
            counters: Counters { requests, compute_ms, egress_bytes },
            forgotten_ns,
            recent,
        });
    }
    Ok(out)
}

/// Reads what a series begins with in the second and third encodings: the last 15 bytes of
/// its identity (the first is the shard number), and a byte with its number of recent times
/// (low 7 bits) and whether a time has been forgotten (high bit).
fn take_series_head(shard: i64, bytes: &mut &[u8]) -> Result<(SeriesKey, usize, bool)> {
    if bytes.len() < 16 {
        return Err(corrupt("a series cut short"));
    }
    let mut series = [shard as u8; 16];
    series[1..].copy_from_slice(&bytes[..15]);
    let (count, forgotten) = (usize::from(bytes[15] & 0x7f), bytes[15] & 0x80 != 0);
    if count > RECENT_POINTS {
        return Err(corrupt("too many recent times"));
    }
    *bytes = &bytes[16..];
    Ok((series, count, forgotten))
}

/// Reads `N` numbers written by [`put_number`].
fn take_numbers<const N: usize>(bytes: &mut &[u8]) -> Result<[i64; N]> {
    let mut numbers = [0i64; N];
    for n in &mut numbers {
        *n = take_number(bytes)?;
    }
    Ok(numbers)
}

fn corrupt(reason: &str) -> crate::EngineError {
    crate::EngineError::CorruptRow { reason: format!("a shard of usage_series: {reason}") }
}

/// Reads a shard in the second encoding: after the complement of the shard number, per series
/// the last 15 bytes of its identity, the byte of the number of recent times and whether one
/// was forgotten, then as [`put_number`] writes them: points, the latest time, the latest time
/// minus the latest start, requests, compute ms, egress bytes, the recent times from the
/// latest down (each as its distance from the one before, the first from the latest time), and
/// the forgotten time as its distance from the earliest recent time (from the latest time when
/// there is none).
fn decode_compact(shard: i64, mut bytes: &[u8]) -> Result<Vec<SeriesRow>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (series, recent, forgotten) = take_series_head(shard, &mut bytes)?;
        let [points, time_ns, since_start, requests, compute_ms, egress_bytes] = take_numbers(&mut bytes)?;
        let mut times = vec![0; recent];
        let mut before = time_ns;
        for t in times.iter_mut().rev() {
            *t = before.wrapping_sub(take_number(&mut bytes)?);
            before = *t;
        }
        let forgotten_ns = if forgotten { before.wrapping_sub(take_number(&mut bytes)?) } else { 0 };
        out.push(SeriesRow {
            series,
            points,
            start_ns: time_ns.wrapping_sub(since_start),
            time_ns,
            counters: Counters { requests, compute_ms, egress_bytes },
            forgotten_ns,
            recent: times.into(),
        });
    }
    Ok(out)
}

/// Decimal exponents a number's trailing zeros are taken out as (see [`put_number`]); 15
/// marks a number written whole.
const POWERS_OF_TEN: [i64; 15] = {
    let mut p = [1i64; 15];
    let mut i = 1;
    while i < 15 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// Writes `v` in few bytes when it is small or round: with its trailing decimal zeros taken
/// out (times in whole seconds or milliseconds, round byte counts), as `m × 10^k`, the
/// zigzag of `m` shifted left by four bits and `k` in those bits, as a LEB128 varint; a
/// number that does not fit so is written as `k = 15` and its 8 bytes, big-endian.
fn put_number(out: &mut Vec<u8>, v: i64) {
    let (m, k) = decimal_zeros_out(v);
    let zigzag = ((m << 1) ^ (m >> 63)) as u64;
    if zigzag >> 60 != 0 {
        out.push(15);
        out.extend_from_slice(&v.to_be_bytes());
        return;
    }
    let mut u = zigzag << 4 | k as u64;
    while u >= 0x80 {
        out.push(u as u8 | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

/// `v` as `m × 10^k` with `k` as large as it goes up to 14. Divisions by constants (a
/// multiplication each) in steps of 8, 4, 2 and 1 zeros: this runs for every number of every
/// shard a request writes.
fn decimal_zeros_out(v: i64) -> (i64, usize) {
    if v == 0 {
        return (0, 0);
    }
    let (mut m, mut k) = (v, 0);
    if m % 100_000_000 == 0 {
        (m, k) = (m / 100_000_000, k + 8);
    }
    if m % 10_000 == 0 {
        (m, k) = (m / 10_000, k + 4);
    }
    if m % 100 == 0 {
        (m, k) = (m / 100, k + 2);
    }
    if m % 10 == 0 {
        (m, k) = (m / 10, k + 1);
    }
    if k == 15 {
        // 15 marks a number written whole: one zero stays in `m` (which cannot overflow, as
        // `v` itself is `m × 10`).
        (m, k) = (m * 10, 14);
    }
    (m, k)
}

/// Reads a number written by [`put_number`].
fn take_number(bytes: &mut &[u8]) -> Result<i64> {
    let mut u = 0u64;
    let mut shift = 0;
    loop {
        let (&b, rest) = bytes.split_first().ok_or_else(|| corrupt("a number cut short"))?;
        *bytes = rest;
        if shift > 63 {
            return Err(corrupt("a number too long"));
        }
        u |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b < 0x80 {
            break;
        }
    }
    let k = (u & 15) as usize;
    if k == 15 {
        if u != 15 || bytes.len() < 8 {
            return Err(corrupt("a whole number cut short"));
        }
        let (whole, rest) = bytes.split_at(8);
        *bytes = rest;
        return Ok(i64::from_be_bytes(whole.try_into().expect("8 bytes")));
    }
    let zigzag = u >> 4;
    let m = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
    m.checked_mul(POWERS_OF_TEN[k]).ok_or_else(|| corrupt("a number out of range"))
}

/// Reads a shard in the first encoding: per series its identity (16 bytes), then points,
/// start, time, requests, compute ms, egress bytes and forgotten time (8 bytes each,
/// big-endian), the number of recent times (1 byte) and those times (8 bytes each, ascending).
fn decode_first_encoding(mut bytes: &[u8]) -> Result<Vec<SeriesRow>> {
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
    Ok(out)
}

/// A shard of a node's series, as read: its version and its encoded series.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
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

    /// A shard in the second encoding, as it was written before the third.
    fn encode_second(shard: i64, series: &[SeriesRow]) -> Vec<u8> {
        let mut out = vec![!(shard as u8)];
        for s in series {
            out.extend_from_slice(&s.series[1..]);
            out.push(s.recent.len() as u8 | if s.forgotten_ns != 0 { 0x80 } else { 0 });
            let c = &s.counters;
            for v in [s.points, s.time_ns, s.time_ns.wrapping_sub(s.start_ns), c.requests, c.compute_ms, c.egress_bytes] {
                put_number(&mut out, v);
            }
            let mut before = s.time_ns;
            for &t in s.recent.iter().rev() {
                put_number(&mut out, before.wrapping_sub(t));
                before = t;
            }
            if s.forgotten_ns != 0 {
                put_number(&mut out, before.wrapping_sub(s.forgotten_ns));
            }
        }
        out
    }

    #[test]
    fn a_shard_reads_back_as_written_and_its_series_remember_their_latest_times() {
        let mut a = SeriesRow { series: [1; 16], ..SeriesRow::default() };
        for t in 1..=70 {
            a.remember(t * 10, &mut RecentLists::default());
        }
        assert_eq!((a.points, a.recent.len(), a.forgotten_ns, a.recent[0]), (70, RECENT_POINTS, 60, 70));
        // Later than the forgotten times, earlier than every remembered one: counted, and
        // forgotten at once.
        a.remember(65, &mut RecentLists::default());
        assert_eq!((a.points, a.forgotten_ns, a.recent[0]), (71, 65, 70));

        let b = SeriesRow {
            series: [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
            points: 1,
            start_ns: 5,
            time_ns: 9,
            counters: Counters { requests: 1, compute_ms: 2, egress_bytes: 3 },
            forgotten_ns: 0,
            recent: vec![9].into(),
        };
        let shard = vec![a.clone(), b.clone()];
        let encoded = encode_shard(1, &shard);
        assert_eq!(decode_shard(1, &encoded).unwrap(), shard);
        assert!(decode_shard(1, &encode_shard(1, &[b.clone(), a.clone()])).is_err(), "series out of order");
        assert!(decode_shard(1, &encoded[..100]).is_err(), "cut short");
        assert!(decode_shard(2, &encoded).is_err(), "another shard's");
        assert_eq!(decode_shard(1, &[]).unwrap(), Vec::new());
        assert_eq!(decode_shard(1, &encode_shard(1, &[])).unwrap(), Vec::new());

        // Shards written in the first encoding read as they always did.
        let mut first = Vec::new();
        for s in &shard {
            first.extend_from_slice(&s.series);
            let c = &s.counters;
            for v in [s.points, s.start_ns, s.time_ns, c.requests, c.compute_ms, c.egress_bytes, s.forgotten_ns] {
                first.extend_from_slice(&v.to_be_bytes());
            }
            first.push(s.recent.len() as u8);
            for t in s.recent.iter() {
                first.extend_from_slice(&t.to_be_bytes());
            }
        }
        assert_eq!(decode_shard(1, &first).unwrap(), shard);
        assert!(decode_shard(1, &first[..100]).is_err(), "cut short");

        // And those written in the second.
        let second = encode_second(1, &shard);
        assert_eq!(decode_shard(1, &second).unwrap(), shard);
        assert!(decode_shard(1, &second[..100]).is_err(), "cut short");
        assert!(decode_shard(2, &second).is_err(), "another shard's");
    }

    #[test]
    fn series_getting_points_at_the_same_times_share_their_recent_times() {
        // Three series of two histories (two share one), with points in and out of order,
        // remembered with one request's lists: each ends as remembered alone, and series of
        // one history share one list.
        let mut rng = 11u64;
        let mut shared = [SeriesRow::default(), SeriesRow::default(), SeriesRow::default()];
        let mut alone = shared.clone();
        for round in 0..200i64 {
            let mut lists = RecentLists::default();
            let late = (next(&mut rng) % 3) as i64 * 7;
            for (i, (s, a)) in shared.iter_mut().zip(alone.iter_mut()).enumerate() {
                let time = round * 100 - late + if i == 2 { 1 } else { 0 };
                if s.recent.binary_search(&time).is_ok() || time <= s.forgotten_ns {
                    continue;
                }
                s.remember(time, &mut lists);
                a.remember(time, &mut RecentLists::default());
            }
            assert_eq!(shared, alone, "round {round}");
            assert!(Arc::ptr_eq(&shared[0].recent, &shared[1].recent), "round {round}");
            assert!(alone[0].recent.is_empty() || !Arc::ptr_eq(&alone[0].recent, &alone[1].recent));
        }
        assert_eq!((shared[0].recent.len(), shared[2].points), (RECENT_POINTS, 200));
    }

    #[test]
    fn any_numbers_read_back_exactly_and_round_times_take_few_bytes() {
        let minute_ns = 60_000_000_000;
        let time_ns = 1_800_000_000 * 1_000_000_000;
        let series = |key: u8, start_ns: i64, time_ns: i64, counters: [i64; 3], forgotten_ns: i64, recent: Vec<i64>| SeriesRow {
            series: [7, key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, key],
            points: recent.len() as i64 + 3,
            start_ns,
            time_ns,
            counters: Counters { requests: counters[0], compute_ms: counters[1], egress_bytes: counters[2] },
            forgotten_ns,
            recent: recent.into(),
        };
        let recent: Vec<i64> = (0..RECENT_POINTS as i64).map(|i| time_ns - (RECENT_POINTS as i64 - 1 - i) * minute_ns).collect();
        let regular = series(1, time_ns - minute_ns, time_ns, [10, 50, 20_000], recent[0] - minute_ns, recent);
        let shard = vec![
            regular.clone(),
            series(2, 0, i64::MAX, [i64::MAX, i64::MIN, -1], i64::MIN, vec![i64::MIN, -7, 0, 123_456_789_012_345_678, i64::MAX]),
            series(3, i64::MAX, 1, [0, 0, 0], 0, vec![]),
            series(4, i64::MIN, i64::MIN, [1_000_000_000_000_000_000, 999_999_999_999_999_999, 5], 1, vec![1]),
            series(5, 3, 1_000_000_000_000_000_001, [i64::MIN + 1, i64::MAX - 1, 1 << 60], 0, vec![2, 4]),
        ];
        let encoded = encode_shard(7, &shard);
        assert_eq!(decode_shard(7, &encoded).unwrap(), shard);
        for n in [0, 1, -1, 9, 10, 60_000_000_000, time_ns, 1 << 59, 1 << 60, -(1 << 60), i64::MAX, i64::MIN, i64::MIN + 1] {
            let mut bytes = Vec::new();
            put_number(&mut bytes, n);
            let mut read = &bytes[..];
            assert_eq!(take_number(&mut read).unwrap(), n);
            assert!(read.is_empty());
        }
        // A series reporting every minute, in whole seconds, with all its recent times:
        // a byte a time instead of 8.
        let compact = encode_shard(7, std::slice::from_ref(&regular)).len();
        assert!(compact < 16 + 40 + RECENT_POINTS, "{compact} bytes");
        assert_eq!(decode_shard(7, &encode_second(7, &shard)).unwrap(), shard);
    }

    /// A little deterministic randomness (xorshift).
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn series_sharing_their_times_write_them_once() {
        let minute_ns = 60_000_000_000;
        let base = 1_800_000_000 * 1_000_000_000;
        let mut rng = 0x9e37_79b9_7f4a_7c15;
        // Two instruments of one SDK: each collection stamps every series of an instrument
        // with one time, to the nanosecond, a little after the minute.
        let times = |instrument: i64, rng: &mut u64| -> Vec<i64> {
            (0..RECENT_POINTS as i64).map(|m| base + m * minute_ns + instrument * 41_000 + (next(rng) % 5_000_000) as i64).collect()
        };
        let lists = [times(0, &mut rng), times(1, &mut rng)];
        let series: Vec<SeriesRow> = (0..40u8)
            .map(|i| {
                let recent = lists[usize::from(i % 2)].clone();
                SeriesRow {
                    series: [3, i, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, i],
                    points: 500 + i64::from(i),
                    start_ns: recent[RECENT_POINTS - 2],
                    time_ns: recent[RECENT_POINTS - 1],
                    counters: Counters { requests: 10 + i64::from(i), compute_ms: 1_234, egress_bytes: 20_480 },
                    // Series that counted as long have forgotten the same time.
                    forgotten_ns: recent[0] - minute_ns - i64::from(i % 3 == 0),
                    recent: recent.into(),
                }
            })
            .collect();
        let encoded = encode_shard(3, &series);
        assert_eq!(decode_shard(3, &encoded).unwrap(), series);
        // Two lists written out, every other series refers to one: under 48 bytes a series
        // beyond those two lists, against about 430 with every list written out.
        assert!(encoded.len() < 2 * 4 * RECENT_POINTS + 48 * series.len(), "{} bytes", encoded.len());
        assert!(encode_second(3, &series).len() > 5 * encoded.len());

        // Every series stamped on its own: each list written out, 4 bytes a time or less.
        let own: Vec<SeriesRow> = (0..40u8)
            .map(|i| SeriesRow {
                series: [3, i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                recent: times(0, &mut rng).into(),
                ..series[0].clone()
            })
            .collect();
        let encoded = encode_shard(3, &own);
        assert_eq!(decode_shard(3, &encoded).unwrap(), own);
        assert!(encoded.len() < own.len() * (48 + 4 * RECENT_POINTS), "{} bytes", encoded.len());
    }

    #[test]
    fn shards_of_random_series_read_back_exactly_and_bad_references_are_refused() {
        let mut rng = 7u64;
        for round in 0..300 {
            // A pool of lists, some shared by many series, some by few; lists further back
            // than a reference reaches are written out again.
            let pool: Vec<Vec<i64>> = (0..1 + round % 24)
                .map(|_| {
                    let n = (next(&mut rng) % (RECENT_POINTS as u64 + 1)) as usize;
                    let mut t: Vec<i64> = (0..n).map(|_| next(&mut rng) as i64 >> (next(&mut rng) % 64)).collect();
                    t.sort_unstable();
                    t.dedup();
                    t
                })
                .collect();
            let mut series: Vec<SeriesRow> = (0..1 + next(&mut rng) % 60)
                .map(|_| {
                    let mut key = [0u8; 16];
                    key.iter_mut().for_each(|b| *b = next(&mut rng) as u8);
                    key[0] = 5;
                    let recent = pool[(next(&mut rng) % pool.len() as u64) as usize].clone();
                    let pick = |rng: &mut u64| match next(rng) % 4 {
                        0 => 0,
                        1 => recent.first().copied().unwrap_or(1).wrapping_sub(60),
                        _ => next(rng) as i64,
                    };
                    SeriesRow {
                        series: key,
                        points: next(&mut rng) as i64,
                        start_ns: pick(&mut rng),
                        time_ns: recent.last().copied().unwrap_or_else(|| next(&mut rng) as i64),
                        counters: Counters { requests: pick(&mut rng), compute_ms: pick(&mut rng), egress_bytes: pick(&mut rng) },
                        forgotten_ns: pick(&mut rng),
                        recent: recent.into(),
                    }
                })
                .collect();
            series.sort_by_key(|s| s.series);
            series.dedup_by_key(|s| s.series);
            let encoded = encode_shard(5, &series);
            assert_eq!(decode_shard(5, &encoded).unwrap(), series, "round {round}");
            // Cut anywhere: refused, or (cut between two series) the series before the cut.
            for cut in (1..encoded.len()).step_by(1 + encoded.len() / 200) {
                if let Ok(read) = decode_shard(5, &encoded[..cut]) {
                    assert_eq!(read[..], series[..read.len()], "round {round}, cut at {cut}");
                }
            }
        }
        // A reference before any list was written.
        let mut bad = vec![5 ^ THIRD_ENCODING];
        bad.extend_from_slice(&[1; 15]);
        bad.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
        assert!(decode_shard(5, &bad).is_err());
    }
}
