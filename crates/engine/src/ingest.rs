//! Ingest: a batch of telemetry stored atomically, its receipt, and the follow-up work after
//! its commit (credit settlement, budget checks).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use edgecost_api::{AccountIngestStatus, IngestReceipt, MAX_BATCH_ID_CHARS, MAX_BATCH_RECORDS, TelemetryBatch, TelemetryRecord};
use edgecost_pricing::{Decimal, Meter, THRESHOLDS_PERCENT, Tier};
use rustc_hash::FxHashMap;

use crate::error::{EngineError, Result};
use crate::period::{Period, from_unix};
use crate::rating;
use crate::shared_strings::SharedStrings;
use crate::spend_cap;
use crate::store::controls::{CapContext, FollowUps};
use crate::store::{Counters, IngestDecision, IngestStored, NoticeRow, PreparedBatch, RecordRow, RegionCounters};
use crate::token;
use crate::validate::{self, ACCOUNT_ID_CHARS_MAX};

use crate::engine::{AccountId, Engine, NodeId, detached, truncate_to_second};

/// Batches from this many records get their fingerprint on a second thread.
const PARALLEL_HASH_RECORDS_MIN: usize = 256;

/// What a batch claims besides its batch id (see [`Engine::ingest_claiming`]).
#[derive(Default)]
pub(crate) struct Claims {
    /// The shards of series of OpenTelemetry data points counted, as they are to be written.
    pub series: Vec<crate::store::ShardClaim>,
    /// (source, id) of each event, by the index of the record it is: claimed only when
    /// the record is accepted, so a refused event is judged again when it is resent.
    pub events: Vec<(usize, (String, String))>,
    /// The fingerprint of a batch made from claims, which the claims decide (its id is a
    /// digest of them): stored in place of the digest of the batch's JSON, which is not taken.
    pub fingerprint: Option<String>,
}

/// The answer to a batch and whether it was a replay of a stored batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingested {
    /// The batch's receipt; for a replay, the receipt stored when it was first accepted.
    pub receipt: IngestReceipt,
    /// Whether the batch was a replay of a stored one, so nothing of it was counted again.
    pub replayed: bool,
}

impl Engine {
    /// Stores a batch from `node` atomically and answers with its receipt. A replay of a
    /// stored batch (same node, same batch id, same body) is answered with the stored receipt
    /// and counted once; the same id with another body is refused.
    pub async fn ingest(&self, node: &NodeId, batch: &TelemetryBatch, now: DateTime<Utc>) -> Result<Ingested> {
        self.ingest_claiming(node, batch, Claims::default(), now).await
    }

    /// [`Engine::ingest`], also claiming OpenTelemetry points and CloudEvents in the batch's
    /// transaction: a claim another writer holds fails it with [`EngineError::Contention`].
    pub(crate) async fn ingest_claiming(
        &self,
        node: &NodeId,
        batch: &TelemetryBatch,
        claims: Claims,
        now: DateTime<Utc>,
    ) -> Result<Ingested> {
        if batch.records.len() > MAX_BATCH_RECORDS {
            return Err(EngineError::BatchTooLarge { records: batch.records.len(), max: MAX_BATCH_RECORDS });
        }
        if !validate::is_printable_id(&batch.batch_id, MAX_BATCH_ID_CHARS) {
            return Err(EngineError::InvalidBatch {
                reason: format!("batch_id must be 1 to {MAX_BATCH_ID_CHARS} printable ASCII characters"),
            });
        }
        if batch.node_id != node.0 {
            return Err(EngineError::NodeMismatch { claimed: batch.node_id.clone() });
        }
        let now = truncate_to_second(now);
        // Accounts are never deleted, so resolving them before the transaction is safe.
        let candidates: Vec<&str> = {
            let mut ids: Vec<&str> = batch
                .records
                .iter()
                .map(|r| r.account_id.as_str())
                // Account ids are printable ASCII: anything else (a NUL, which PostgreSQL
                // cannot even compare) is no account, on every backend, and is never sent to it.
                .filter(|a| validate::is_printable_id(a, ACCOUNT_ID_CHARS_MAX))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let tiers_known = self.store.tiers_at(&candidates, now.timestamp()).await?;

        let current = Period::containing(now);
        let mut prepared = PreparedBatch {
            node_id: node.0.clone(),
            batch_id: batch.batch_id.clone(),
            body_sha256: String::new(),
            received_at: now.timestamp(),
            records: Vec::with_capacity(batch.records.len()),
            hourly_queued: String::new(),
            period: BTreeMap::new(),
            accounts: tiers_known.keys().cloned().collect(),
            current_period_start: current.start_unix(),
            series: claims.series,
            events: Vec::new(),
        };
        // The batch's fingerprint (serializing and hashing all of it) is taken on a second
        // thread while this one validates the records and rolls them up.
        let mut rejected = Vec::new();
        let fingerprint = claims.fingerprint;
        prepared.body_sha256 = std::thread::scope(|scope| {
            let hashing = (fingerprint.is_none() && batch.records.len() >= PARALLEL_HASH_RECORDS_MIN)
                .then(|| scope.spawn(|| batch_fingerprint(batch)));
            // Accounts, routes and regions repeat across a batch: each distinct one is allocated
            // once, shared by the records, and numbered for the sums' keys.
            let mut strings = SharedStrings::default();
            let mut hourly: FxHashMap<(u32, i64, u32, u32), Counters> = FxHashMap::default();
            let mut period: FxHashMap<(u32, i64, u32), Counters> = FxHashMap::default();
            let at = validate::IngestTime::at(now);
            // Periods start on the hour: the period of a window is the period of its hour.
            let mut period_of_hour = (i64::MIN, 0);
            for (i, r) in batch.records.iter().enumerate() {
                let known = tiers_known.contains_key(&r.account_id);
                if let Err(rejection) = validate::check_record(i, r, known, &self.book, &at) {
                    rejected.push(rejection);
                    continue;
                }
                let start = r.window_start.timestamp();
                let counters =
                    Counters { requests: r.requests as i64, compute_ms: r.compute_ms as i64, egress_bytes: r.egress_bytes as i64 };
                let hour = start - start.rem_euclid(3_600);
                if period_of_hour.0 != hour {
                    period_of_hour = (hour, Period::containing(from_unix(hour)).start_unix());
                }
                let period_start = period_of_hour.1;
                let (account, route, region) =
                    (strings.id(r.account_id.as_str()), strings.id(r.route.as_str()), strings.id(r.region.as_str()));
                hourly.entry((account, hour, route, region)).or_default().add(&counters);
                period.entry((account, period_start, region)).or_default().add(&counters);
                prepared.records.push(RecordRow {
                    account_id: strings.shared(account),
                    route: strings.shared(route),
                    region: strings.shared(region),
                    window_start: start,
                    window_seconds: i64::from(r.window_seconds),
                    counters,
                });
            }
            prepared.hourly_queued = crate::store::encode_hourly(&strings, hourly);
            prepared.period = period.into_iter().map(|((a, p, g), c)| ((strings.shared(a), p, strings.shared(g)), c)).collect();
            match (fingerprint, hashing) {
                (Some(fingerprint), _) => fingerprint,
                (None, Some(hashing)) => hashing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                (None, None) => batch_fingerprint(batch),
            }
        });

        let refused: std::collections::HashSet<u32> = rejected.iter().map(|r| r.index).collect();
        prepared.events = claims.events.into_iter().filter(|(i, _)| !refused.contains(&(*i as u32))).map(|(_, key)| key).collect();
        let accepted = prepared.records.len() as u32;
        let book = self.book.clone();
        let batch_id = batch.batch_id.clone();
        let node_id = node.0.clone();
        // What the batch adds to each account's open period, by region: the totals without it
        // are what a spend cap reached by this batch caps at.
        let mut added: BTreeMap<&str, Vec<RegionCounters>> = BTreeMap::new();
        for ((account, period_start, region), c) in &prepared.period {
            if *period_start == current.start_unix() {
                added.entry(account).or_default().push(RegionCounters { region: region.to_string(), counters: *c });
            }
        }
        let added: BTreeMap<String, Vec<RegionCounters>> = added.into_iter().map(|(a, r)| (a.to_owned(), r)).collect();
        let decide = move |totals: &BTreeMap<String, Vec<RegionCounters>>, caps: &BTreeMap<String, CapContext>| -> Result<IngestDecision> {
            let mut accounts = Vec::new();
            let mut notices = Vec::new();
            let mut spend_caps = Vec::new();
            let mut alerts = Vec::new();
            for (account_id, regions) in totals {
                let change = &tiers_known[account_id];
                let tier_name = &change.tier;
                let tier =
                    book.tier(tier_name).ok_or_else(|| EngineError::UnknownTier { tier: tier_name.clone(), known: book.tier_names() })?;
                let mut totals = rating::totals(&book, regions)?;
                totals.refused_by_cap = rating::refused_in(std::slice::from_ref(change), &current, now);
                let mut spend_capped = false;
                let mut refused_meters = Vec::new();
                if let Some(ctx) = caps.get(account_id) {
                    let mut before = rating::totals(&book, &rating::without(regions, added.get(account_id).map_or(&[][..], |a| a))?)?;
                    before.refused_by_cap = totals.refused_by_cap.clone();
                    let check = spend_cap::check_after_batch(
                        &book,
                        &ctx.changes,
                        &current,
                        ctx.row.as_ref(),
                        ctx.cap_cents,
                        &before,
                        &totals,
                        account_id,
                        now,
                    )?;
                    if let Some((row, alert)) = check.reached {
                        spend_caps.push((account_id.clone(), row));
                        alerts.push(alert);
                    }
                    if let Some(state) = &check.state {
                        spend_capped = state.holds();
                        refused_meters = spend_cap::capped_meters(state, &totals);
                    }
                    totals.spend_cap = check.state;
                }
                let (mut capped_meters, raised) = quota_state(tier, &totals.usage(), account_id, current.start_unix(), now);
                notices.extend(raised);
                capped_meters.extend(refused_meters);
                capped_meters.sort();
                capped_meters.dedup();
                accounts.push(AccountIngestStatus {
                    account_id: account_id.clone(),
                    tier: tier_name.clone(),
                    capped: !capped_meters.is_empty(),
                    capped_meters: capped_meters.into_iter().map(Into::into).collect(),
                    spend_capped,
                });
            }
            let receipt = IngestReceipt {
                batch_id: batch_id.clone(),
                node_id: node_id.clone(),
                received_at: now,
                accepted,
                rejected: rejected.clone(),
                accounts,
            };
            Ok(IngestDecision { notices, receipt_json: serde_json::to_string(&receipt).expect("a receipt serializes"), spend_caps, alerts })
        };
        let store = self.store.clone();
        let stored = detached(async move { store.ingest(&prepared, &decide).await }).await?;
        // The hourly sums just queued are rolled up by the background task right away.
        self.rollups.wake.notify_one();
        let (json, replayed, follow_ups) = match stored {
            IngestStored::Fresh { receipt_json, follow_ups } => (receipt_json, false, Some(follow_ups)),
            IngestStored::Replayed(j) => (j, true, None),
        };
        let receipt: IngestReceipt =
            serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored receipt: {e}") })?;
        //
        // The batch has committed: a failure here must not answer it with an error, or the
        // node would never get its acknowledgement for a batch that counts. Settlement is
        // idempotent and redone by the account's next batch, purchase or tier change.
        let follow_ups = match follow_ups {
            Some(f) => f,
            // A replay was never decided here: look the accounts up as the first attempt did.
            None => self.follow_ups_of(&receipt).await,
        };
        // Credit pays new overage right away. A replay settles too, which also finishes the
        // work of an attempt that crashed after its commit. Only accounts whose tier holds
        // credit packs and that have a ledger (or automatic top-up) have credit to spend or
        // to return.
        let tier_of: BTreeMap<&str, &str> = receipt.accounts.iter().map(|a| (a.account_id.as_str(), a.tier.as_str())).collect();
        for account_id in &follow_ups.settle {
            let with_packs = tier_of.get(account_id.as_str()).and_then(|t| self.book.tier(t)).is_some_and(|t| t.credit_packs);
            if !with_packs {
                continue;
            }
            if let Err(e) = self.settle_credits(&AccountId(account_id.clone()), now).await {
                tracing::warn!(account_id, batch_id = %receipt.batch_id, error = %e,
                    "settling credit after a committed batch failed; it is redone on the account's next write");
            }
        }
        self.follow_up_budgeted(follow_ups.budgeted, now).await;
        Ok(Ingested { receipt, replayed })
    }

    /// The accounts of a replayed batch to follow up, looked up after the fact. A failed
    /// lookup is logged and follows up none: their next batch or read does it.
    async fn follow_ups_of(&self, receipt: &IngestReceipt) -> FollowUps {
        let ids: Vec<&str> = receipt.accounts.iter().map(|a| a.account_id.as_str()).collect();
        let settle = self.store.accounts_with_ledger(&ids).await.unwrap_or_else(|e| {
            tracing::warn!(batch_id = %receipt.batch_id, error = %e,
                "finding accounts to settle after a committed batch failed; settlement is redone on their next write");
            Vec::new()
        });
        let budgeted = self.store.accounts_with_budget(&ids).await.unwrap_or_else(|e| {
            tracing::warn!(batch_id = %receipt.batch_id, error = %e,
                "finding accounts with a budget after a batch failed; their alerts wait for the next batch");
            Vec::new()
        });
        FollowUps { settle, budgeted }
    }

    /// Writes telemetry records to the usage log only: no batch claim, no rollups, no
    /// notices. The baseline the ingest benchmark measures against; not for production use.
    #[cfg(feature = "testing")]
    pub async fn insert_records_only(&self, node: &NodeId, batch: &TelemetryBatch, now: DateTime<Utc>) -> Result<()> {
        let mut strings = SharedStrings::default();
        let rows: Vec<RecordRow> = batch
            .records
            .iter()
            .map(|r| RecordRow {
                account_id: strings.get(r.account_id.as_str()),
                route: strings.get(r.route.as_str()),
                region: strings.get(r.region.as_str()),
                window_start: r.window_start.timestamp(),
                window_seconds: i64::from(r.window_seconds),
                counters: Counters { requests: r.requests as i64, compute_ms: r.compute_ms as i64, egress_bytes: r.egress_bytes as i64 },
            })
            .collect();
        self.store.insert_records_only(&node.0, &batch.batch_id, now.timestamp(), &rows).await
    }
}

/// The batch's fingerprint: the SHA-256 of its JSON, the bytes `serde_json::to_vec(batch)`
/// gives. A batch's records share a few window starts, so each one's text is written once
/// and reused, which is most of the time serializing takes.
fn batch_fingerprint(batch: &TelemetryBatch) -> String {
    use serde::ser::{SerializeSeq, SerializeStruct};

    struct Batch<'a>(&'a TelemetryBatch);
    struct Records<'a>(&'a [TelemetryRecord]);
    impl serde::Serialize for Batch<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
            let TelemetryBatch { batch_id, node_id, records } = self.0;
            let mut s = serializer.serialize_struct("TelemetryBatch", 3)?;
            s.serialize_field("batch_id", batch_id)?;
            s.serialize_field("node_id", node_id)?;
            s.serialize_field("records", &Records(records))?;
            s.end()
        }
    }
    impl serde::Serialize for Records<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
            // The last window start and its text, as chrono writes it into JSON.
            let mut last: Option<(DateTime<Utc>, String)> = None;
            let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
            for r in self.0 {
                let TelemetryRecord { account_id, route, region, window_start, window_seconds, requests, compute_ms, egress_bytes } = r;
                let start = match &last {
                    Some((at, text)) if at == window_start => text,
                    _ => {
                        let text = match serde_json::to_value(window_start) {
                            Ok(serde_json::Value::String(text)) => text,
                            _ => return Err(serde::ser::Error::custom("a window start serializes as a string")),
                        };
                        &last.insert((*window_start, text)).1
                    }
                };
                seq.serialize_element(&Record {
                    account_id,
                    route,
                    region,
                    window_start: start,
                    window_seconds,
                    requests,
                    compute_ms,
                    egress_bytes,
                })?;
            }
            seq.end()
        }
    }
    /// A record as it serializes, with the window start's text already written.
    #[derive(serde::Serialize)]
    #[serde(rename = "TelemetryRecord")]
    struct Record<'a> {
        account_id: &'a str,
        route: &'a str,
        region: &'a str,
        window_start: &'a str,
        window_seconds: &'a u32,
        requests: &'a u64,
        compute_ms: &'a u64,
        egress_bytes: &'a u64,
    }
    token::sha256_hex_of_json(&Batch(batch))
}

/// The meters `tier` caps for `usage` (billable usage of the period starting at
/// `period_start`) and the notices it raises: one per meter and threshold reached.
pub(crate) fn quota_state(
    tier: &Tier,
    usage: &edgecost_pricing::Usage,
    account_id: &str,
    period_start: i64,
    now: DateTime<Utc>,
) -> (Vec<Meter>, Vec<NoticeRow>) {
    let capped = crate::limits::hard_capped_meters(tier, usage);
    let mut notices = Vec::new();
    for meter in Meter::ALL {
        let Some(included) = tier.included.get(meter).filter(|i| *i > Decimal::ZERO) else { continue };
        let used = usage.quantity(meter);
        for threshold in THRESHOLDS_PERCENT {
            if used * Decimal::ONE_HUNDRED >= included * Decimal::from(threshold) {
                notices.push(NoticeRow {
                    id: token::random_id("ntc_", 10),
                    account_id: account_id.to_owned(),
                    period_start,
                    tier: tier.name.clone(),
                    meter: meter.id().to_owned(),
                    threshold_percent: i64::from(threshold),
                    reached_at: now.timestamp(),
                });
            }
        }
    }
    (capped, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch's fingerprint is the digest of its JSON, whatever its records hold: the one
    /// stored with a batch must match the one its replay gets, and stored batches were
    /// fingerprinted by serializing them whole.
    #[test]
    fn the_fingerprint_is_the_digest_of_the_batch_json() {
        let record = |account: &str, route: &str, start: &str, n: u64| TelemetryRecord {
            account_id: account.into(),
            route: route.into(),
            region: "eu".into(),
            window_start: start.parse().unwrap(),
            window_seconds: 60,
            requests: n,
            compute_ms: n * 7,
            egress_bytes: u64::MAX - n,
        };
        let starts = ["2026-11-23T09:00:00Z", "2026-11-23T09:01:00Z", "2026-11-23T09:00:00Z", "1999-12-31T23:59:59Z"];
        let mut records: Vec<TelemetryRecord> =
            (0..300).map(|i| record(&format!("acct_{}", i % 7), &format!("/r/{}", i % 3), starts[i % starts.len()], i as u64)).collect();
        records.push(record("acct \"quoted\" \\ é \u{1}", "/ünï/\"x\"", "2026-11-23T09:00:00.5Z", 0));
        let batch = TelemetryBatch { batch_id: "b-\"1\"".into(), node_id: "node é".into(), records };
        assert_eq!(batch_fingerprint(&batch), token::sha256_hex(&serde_json::to_vec(&batch).unwrap()));
        let empty = TelemetryBatch { batch_id: "b".into(), node_id: "n".into(), records: Vec::new() };
        assert_eq!(batch_fingerprint(&empty), token::sha256_hex(&serde_json::to_vec(&empty).unwrap()));
    }
}
