//! The queue of hourly sums a batch leaves for the roll-up (`rollup_queue.hourly`): written by
//! the ingest transaction, read by the roll-up and by usage queries.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::{BucketRow, Counters, GroupColumn, HourKey, HourlyKey};
use crate::error::Result;
use crate::shared_strings::SharedStrings;

/// Hourly sums as queued: the JSON pair `[strings, numbers]`, where `numbers` holds seven
/// per key: account (index into `strings`), hour, route (index), region (index), requests,
/// compute_ms, egress_bytes. Each distinct string is written once per batch.
///
/// `sums` are keyed by (account, hour, route, region) with the strings as their numbers in
/// `strings`, as ingest numbers them.
pub(crate) fn encode_hourly(strings: &SharedStrings<'_>, sums: impl IntoIterator<Item = ((u32, i64, u32, u32), Counters)>) -> String {
    // Sorted by key, so the same batch queues the same text.
    let mut sums: Vec<_> = sums.into_iter().collect();
    sums.sort_unstable_by_key(|(key, _)| *key);
    let mut numbers = Vec::with_capacity(sums.len() * 7);
    for ((account, hour, route, region), c) in sums {
        numbers.extend_from_slice(&[
            i64::from(account),
            hour,
            i64::from(route),
            i64::from(region),
            c.requests,
            c.compute_ms,
            c.egress_bytes,
        ]);
    }
    serde_json::to_string(&(strings.texts().collect::<Vec<_>>(), numbers)).expect("hourly sums serialize")
}

fn corrupt_queued(reason: String) -> crate::EngineError {
    crate::EngineError::CorruptRow { reason: format!("queued hourly sums: {reason}") }
}

/// Queued hourly sums (see [`encode_hourly`]) as their strings and their numbers, seven per
/// key; checked to hold whole keys.
fn decode_queued(queued: &str) -> Result<(Vec<String>, Vec<i64>)> {
    let (strings, numbers): (Vec<String>, Vec<i64>) = serde_json::from_str(queued).map_err(|e| corrupt_queued(e.to_string()))?;
    if numbers.len() % 7 != 0 {
        return Err(corrupt_queued(format!("{} numbers", numbers.len())));
    }
    Ok((strings, numbers))
}

/// Appends the hours of `account_id` within `[from, to)` from queued hourly sums (see
/// [`encode_hourly`]) to `hours`, keyed by `group`; one row per queued sum.
pub(crate) fn queued_hours_of(
    queued: &str,
    account_id: &str,
    from: i64,
    to: i64,
    group: GroupColumn,
    hours: &mut Vec<BucketRow>,
) -> Result<()> {
    let (strings, numbers) = decode_queued(queued)?;
    let Some(account) = strings.iter().position(|s| s == account_id) else { return Ok(()) };
    let string = |i: i64| strings.get(usize::try_from(i).unwrap_or(usize::MAX)).ok_or_else(|| corrupt_queued(format!("string {i}")));
    for n in numbers.chunks_exact(7) {
        if n[0] != account as i64 || n[1] < from || n[1] >= to {
            continue;
        }
        let key = match group {
            GroupColumn::None => String::new(),
            GroupColumn::Route => string(n[2])?.clone(),
            GroupColumn::Region => string(n[3])?.clone(),
        };
        hours.push(BucketRow { hour: n[1], key, counters: Counters { requests: n[4], compute_ms: n[5], egress_bytes: n[6] } });
    }
    Ok(())
}

/// The hourly sums of queued batches added up for a roll-up: keyed by numbered strings while
/// they add, so each key is hashed as numbers rather than compared as text.
#[derive(Default)]
pub(crate) struct QueuedSums {
    strings: SharedStrings<'static>,
    hourly: FxHashMap<(u32, i64, u32, u32), Counters>,
    totals: FxHashMap<(u32, i64), Counters>,
}

impl QueuedSums {
    /// Adds one batch's queued hourly sums (see [`encode_hourly`]), and their per-hour totals.
    pub(crate) fn add(&mut self, queued: &str) -> Result<()> {
        let (strings, numbers) = decode_queued(queued)?;
        // The batch's string numbers, as numbered across every batch added.
        let ids: Vec<u32> = strings.into_iter().map(|s| self.strings.id(s)).collect();
        let id = |i: i64| ids.get(usize::try_from(i).unwrap_or(usize::MAX)).copied().ok_or_else(|| corrupt_queued(format!("string {i}")));
        for n in numbers.chunks_exact(7) {
            let c = Counters { requests: n[4], compute_ms: n[5], egress_bytes: n[6] };
            let account = id(n[0])?;
            self.hourly.entry((account, n[1], id(n[2])?, id(n[3])?)).or_default().checked_add(&c)?;
            self.totals.entry((account, n[1])).or_default().checked_add(&c)?;
        }
        Ok(())
    }

    /// The hourly sums and the per-hour totals, sorted by key.
    pub(crate) fn into_sorted(self) -> (BTreeMap<HourlyKey, Counters>, BTreeMap<HourKey, Counters>) {
        let s = |id: u32| self.strings.shared(id);
        let hourly = self.hourly.into_iter().map(|((a, h, r, g), c)| ((s(a), h, s(r), s(g)), c)).collect();
        let totals = self.totals.into_iter().map(|((a, h), c)| ((s(a), h), c)).collect();
        (hourly, totals)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Queues `rows` as ingest does, numbering their strings.
    fn encode(rows: &BTreeMap<HourlyKey, Counters>) -> String {
        let mut strings = SharedStrings::default();
        let sums: Vec<_> = rows.iter().map(|((a, h, r, g), c)| ((strings.id(&**a), *h, strings.id(&**r), strings.id(&**g)), *c)).collect();
        encode_hourly(&strings, sums)
    }

    #[test]
    fn queued_hours_are_read_for_one_account_and_span_by_the_group_asked() {
        let c = |requests| Counters { requests, compute_ms: 2 * requests, egress_bytes: 3 * requests };
        let key = |a: &str, hour, route: &str, region: &str| -> HourlyKey { (a.into(), hour, route.into(), region.into()) };
        let rows: BTreeMap<HourlyKey, Counters> = [
            (key("acme", 3_600, "/a", "eu"), c(1)),
            (key("acme", 3_600, "/b", "us"), c(2)),
            (key("acme", 7_200, "/a", "eu"), c(4)),
            (key("globex", 3_600, "/a", "eu"), c(8)),
        ]
        .into_iter()
        .collect();
        let queued = encode(&rows);
        let read = |group, from, to| {
            let mut hours = Vec::new();
            queued_hours_of(&queued, "acme", from, to, group, &mut hours).unwrap();
            hours.iter().map(|h| (h.hour, h.key.clone(), h.counters.requests, h.counters.egress_bytes)).collect::<Vec<_>>()
        };
        assert_eq!(read(GroupColumn::Route, 0, 7_200), vec![(3_600, "/a".into(), 1, 3), (3_600, "/b".into(), 2, 6)]);
        assert_eq!(read(GroupColumn::Region, 7_200, 10_800), vec![(7_200, "eu".into(), 4, 12)]);
        assert_eq!(read(GroupColumn::None, 0, 10_800).len(), 3);
        let mut none = Vec::new();
        queued_hours_of(&queued, "initech", 0, 10_800, GroupColumn::None, &mut none).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn queued_hourly_sums_add_up_to_what_was_queued() {
        let key = |a: &str, h: i64, r: &str, g: &str| -> HourlyKey { (Arc::from(a), h, Arc::from(r), Arc::from(g)) };
        let c = |requests, compute_ms, egress_bytes| Counters { requests, compute_ms, egress_bytes };
        let one = BTreeMap::from([
            (key("acc_a", 3_600, "/x \"q\"", "eu"), c(1, 2, 3)),
            (key("acc_a", 7_200, "/y", "eu"), c(4, 5, 6)),
            (key("acc_b", 3_600, "/x \"q\"", "na"), c(7, 8, 9)),
        ]);
        let two = BTreeMap::from([(key("acc_a", 3_600, "/x \"q\"", "eu"), c(10, 20, 30))]);
        let mut sums = QueuedSums::default();
        for queued in [encode(&one), encode(&two)] {
            sums.add(&queued).unwrap();
        }
        let (hourly, totals) = sums.into_sorted();
        let mut expected = one.clone();
        expected.get_mut(&key("acc_a", 3_600, "/x \"q\"", "eu")).unwrap().add(&c(10, 20, 30));
        assert_eq!(hourly, expected);
        let hour = |a: &str, h: i64| -> HourKey { (Arc::from(a), h) };
        assert_eq!(
            totals,
            BTreeMap::from(
                [(hour("acc_a", 3_600), c(11, 22, 33)), (hour("acc_a", 7_200), c(4, 5, 6)), (hour("acc_b", 3_600), c(7, 8, 9)),]
            )
        );
        assert!(QueuedSums::default().add("[[\"a\"],[5,0,0,0,1,1,1]]").is_err());
    }
}
