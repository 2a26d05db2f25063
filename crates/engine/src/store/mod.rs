//! Storage: one trait, two SQL backends (SQLite and PostgreSQL) sharing their queries.
//!
//! Every method is one transaction or one read. Methods that must decide something from the
//! rows they read take a plain function, so the decision runs inside the transaction while
//! the rules stay in the engine.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;

mod common;
pub(crate) mod controls;
pub(crate) mod operator;
mod pg_hosts;
pub(crate) mod postgres;
pub(crate) mod sqlite;
pub(crate) mod webhooks;

/// Usage counters, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub requests: i64,
    pub compute_ms: i64,
    pub egress_bytes: i64,
}

impl Counters {
    /// Adds `other`. Within one batch this cannot wrap: per-record bounds times the batch size
    /// stay far below i64::MAX (asserted at compile time in `validate`).
    pub fn add(&mut self, other: &Counters) {
        self.requests += other.requests;
        self.compute_ms += other.compute_ms;
        self.egress_bytes += other.egress_bytes;
    }

    /// Adds `other`, or fails with [`crate::EngineError::Overflow`] instead of wrapping: for
    /// sums of stored counters, which only the period bounds keep in range.
    pub fn checked_add(&mut self, other: &Counters) -> Result<()> {
        let add = |a: i64, b: i64| a.checked_add(b).ok_or(crate::EngineError::Overflow);
        *self = Counters {
            requests: add(self.requests, other.requests)?,
            compute_ms: add(self.compute_ms, other.compute_ms)?,
            egress_bytes: add(self.egress_bytes, other.egress_bytes)?,
        };
        Ok(())
    }
}

pub(crate) struct NewAccount {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub tier: String,
    pub created_at: i64,
}

pub(crate) struct NewNode {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct AccountRow {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TierChangeRow {
    pub effective_at: i64,
    pub tier: String,
    /// What a hard cap refused in this change's period up to the change (carried forward by
    /// later changes of the same period): requests, compute ms and billable egress bytes.
    pub refused: Counters,
    /// The hard-capped tier that refused it.
    pub refused_by: Option<String>,
}

/// One accepted telemetry record, as stored in the usage log. Its strings are shared with
/// the batch's other records and rollup keys.
#[derive(Clone, Debug)]
pub(crate) struct RecordRow {
    pub account_id: Arc<str>,
    pub route: Arc<str>,
    pub region: Arc<str>,
    pub window_start: i64,
    pub window_seconds: i64,
    pub counters: Counters,
}

/// (account, hour, route, region)
pub(crate) type HourlyKey = (Arc<str>, i64, Arc<str>, Arc<str>);
/// (account, period start, region)
pub(crate) type PeriodKey = (Arc<str>, i64, Arc<str>);
/// (account, hour)
pub(crate) type HourKey = (Arc<str>, i64);

/// A validated batch, ready to be written in one transaction. The maps are sorted so that
/// concurrent writers lock rows in one order and cannot deadlock.
pub(crate) struct PreparedBatch {
    pub node_id: String,
    pub batch_id: String,
    pub body_sha256: String,
    pub received_at: i64,
    pub records: Vec<RecordRow>,
    /// The batch's hourly sums, encoded by [`encode_hourly`]: queued with the claim and
    /// added to the hourly rollups by a later roll-up.
    pub hourly_queued: String,
    pub period: BTreeMap<PeriodKey, Counters>,
    /// Accounts whose current-period totals the decision needs.
    pub accounts: Vec<String>,
    pub current_period_start: i64,
    /// The shards of series of OpenTelemetry data points the batch counts points of, with
    /// the points claimed: written with it, so a point is counted once however often it is
    /// resent. A shard another writer changed since it was read fails the transaction with
    /// [`crate::EngineError::Contention`].
    pub series: Vec<ShardClaim>,
    /// CloudEvents (source, id) the batch counts, claimed likewise.
    pub events: Vec<(String, String)>,
}

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

#[derive(Clone, Debug, Default)]
pub(crate) struct RouteRegionCounters {
    pub route: String,
    pub region: String,
    pub counters: Counters,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct RegionCounters {
    pub region: String,
    pub counters: Counters,
}

#[derive(Clone, Debug)]
pub(crate) struct NoticeRow {
    pub id: String,
    pub account_id: String,
    pub period_start: i64,
    pub tier: String,
    pub meter: String,
    pub threshold_percent: i64,
    pub reached_at: i64,
}

/// An invoice to issue: its period and its body (the served invoice without its number).
#[derive(Clone, Debug)]
pub(crate) struct NewInvoice {
    pub id: String,
    pub period_start: i64,
    pub body: String,
    pub issued_at: i64,
}

/// An issued invoice: its number and body.
#[derive(Clone, Debug)]
pub(crate) struct InvoiceRow {
    pub number: i64,
    pub body: String,
}

/// What the engine decided inside an ingest transaction.
pub(crate) struct IngestDecision {
    pub notices: Vec<NoticeRow>,
    pub receipt_json: String,
    /// Spend cap states of the open period the batch changed (accounts it capped).
    pub spend_caps: Vec<(String, controls::SpendCapRow)>,
    pub alerts: Vec<controls::AlertRow>,
}

pub(crate) enum IngestStored {
    /// First time: the receipt just stored.
    Fresh(String),
    /// The batch id was already claimed with the same body: the stored receipt.
    Replayed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LedgerRow {
    pub id: String,
    pub sequence: i64,
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub pack_id: Option<String>,
    pub period_start: Option<i64>,
    pub overage_from_cents: Option<i64>,
    pub overage_to_cents: Option<i64>,
    pub usage_through: Option<i64>,
    pub note: String,
    pub created_at: i64,
    /// An automatic purchase: the sequence after which the balance was below the threshold.
    pub auto_after_sequence: Option<i64>,
}

/// Which call an idempotency key names: each call's keys are its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClaimScope {
    TierChange,
    CreditPurchase,
    Budget,
    AutoTopUp,
    /// Registering and deleting the account's webhook.
    Webhook,
}

impl ClaimScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimScope::TierChange => "tier_change",
            ClaimScope::CreditPurchase => "credit_purchase",
            ClaimScope::Budget => "budget",
            ClaimScope::AutoTopUp => "auto_top_up",
            ClaimScope::Webhook => "webhook",
        }
    }
}

/// An idempotency key claimed for a change (a purchase, a tier change, the controls), with
/// the fingerprint of the request it names.
pub(crate) struct PurchaseClaim {
    pub key: String,
    pub request_sha256: String,
    pub created_at: i64,
}

/// Entries to append after the tail the plan saw, the answer to store with a claim, and alerts.
pub(crate) struct LedgerPlan {
    pub entries: Vec<LedgerRow>,
    pub response_json: Option<String>,
    /// Alerts raised with the entries (automatic top-up), each stored once.
    pub alerts: Vec<controls::AlertRow>,
}

/// What a tier change writes: the change, whether it resolves the open notices, and the
/// answer stored with the claim.
pub(crate) struct TierPlan {
    pub change: TierChangeRow,
    pub resolve_notices: bool,
    /// Notices the tier in effect after the change raises at once on the period's usage.
    pub notices: Vec<NoticeRow>,
    pub response_json: String,
}

pub(crate) enum TierWrite {
    /// First time: the answer just stored.
    Written(String),
    /// The key was already claimed with the same request: the stored answer.
    Replayed(String),
}

pub(crate) enum LedgerWrite {
    Written(Option<String>),
    Replayed(String),
}

/// One hour of usage for one group key.
pub(crate) struct BucketRow {
    pub hour: i64,
    pub key: String,
    pub counters: Counters,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupColumn {
    None,
    Route,
    Region,
}

pub(crate) struct UsageLogRow {
    pub id: i64,
    pub batch_id: String,
    pub node_id: String,
    pub route: String,
    pub region: String,
    pub window_start: i64,
    pub window_seconds: i64,
    pub counters: Counters,
    pub received_at: i64,
}

/// Decides on a batch from the open period's totals of the accounts it touched (with the
/// batch) and what the accounts with a spend cap need (see [`controls::CapContext`]).
pub(crate) type IngestDecide<'a> =
    &'a (dyn Fn(&BTreeMap<String, Vec<RegionCounters>>, &BTreeMap<String, controls::CapContext>) -> Result<IngestDecision> + Send + Sync);
pub(crate) type TierDecide<'a> = &'a (dyn Fn(&[TierChangeRow], &[LedgerRow], &[RegionCounters]) -> Result<TierPlan> + Send + Sync);
pub(crate) type LedgerDecide<'a> = &'a (dyn Fn(&LedgerState) -> Result<LedgerPlan> + Send + Sync);

/// What a ledger decision reads inside its transaction: the ledger, the account's tier changes
/// and the usage of the period being settled. On PostgreSQL the period's usage rows are read
/// with a share lock, so no batch can change them until the decision commits: a settlement
/// never acts on overage that a concurrent batch has already changed.
pub(crate) struct LedgerState {
    pub entries: Vec<LedgerRow>,
    pub changes: Vec<TierChangeRow>,
    pub usage: Vec<RegionCounters>,
    /// The account's automatic top-up, when switched on.
    pub top_up: Option<controls::TopUpRow>,
    /// What the spend cap did in the period read.
    pub spend_cap: Option<controls::SpendCapRow>,
}

/// Hourly sums as queued: the JSON pair `[strings, numbers]`, where `numbers` holds seven
/// per key: account (index into `strings`), hour, route (index), region (index), requests,
/// compute_ms, egress_bytes. Each distinct string is written once per batch.
pub(crate) fn encode_hourly(rows: &BTreeMap<HourlyKey, Counters>) -> String {
    let mut strings: Vec<&str> = Vec::new();
    let mut index: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut numbers = Vec::with_capacity(rows.len() * 7);
    fn id<'a>(s: &'a str, strings: &mut Vec<&'a str>, index: &mut std::collections::HashMap<&'a str, i64>) -> i64 {
        *index.entry(s).or_insert_with(|| {
            strings.push(s);
            strings.len() as i64 - 1
        })
    }
    for ((account, hour, route, region), c) in rows {
        let a = id(account, &mut strings, &mut index);
        let r = id(route, &mut strings, &mut index);
        let g = id(region, &mut strings, &mut index);
        numbers.extend_from_slice(&[a, *hour, r, g, c.requests, c.compute_ms, c.egress_bytes]);
    }
    serde_json::to_string(&(strings, numbers)).expect("hourly sums serialize")
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

/// Adds queued hourly sums (see [`encode_hourly`]) to `hourly` and their per-hour totals to
/// `totals`.
pub(crate) fn add_queued_hourly(
    queued: &str,
    hourly: &mut BTreeMap<HourlyKey, Counters>,
    totals: &mut BTreeMap<HourKey, Counters>,
    shared: &mut std::collections::HashSet<Arc<str>>,
) -> Result<()> {
    let (strings, numbers) = decode_queued(queued)?;
    let strings: Vec<Arc<str>> = strings
        .into_iter()
        .map(|s| match shared.get(s.as_str()) {
            Some(found) => found.clone(),
            None => {
                let s: Arc<str> = Arc::from(s);
                shared.insert(s.clone());
                s
            }
        })
        .collect();
    let string =
        |i: i64| strings.get(usize::try_from(i).unwrap_or(usize::MAX)).cloned().ok_or_else(|| corrupt_queued(format!("string {i}")));
    for n in numbers.chunks_exact(7) {
        let c = Counters { requests: n[4], compute_ms: n[5], egress_bytes: n[6] };
        let account = string(n[0])?;
        hourly.entry((account.clone(), n[1], string(n[2])?, string(n[3])?)).or_default().checked_add(&c)?;
        totals.entry((account, n[1])).or_default().checked_add(&c)?;
    }
    Ok(())
}

/// The engine's storage. Implemented by [`sqlite::SqliteStore`] and [`postgres::PgStore`]; the
/// conformance suite in `tests/` runs the same story on both.
#[async_trait]
pub(crate) trait Store: controls::ControlsStore + operator::OperatorStore + webhooks::WebhookStore + Send + Sync {
    /// Closes the connections, waiting for those in use to be given back; every later call
    /// fails. A SQLite file is then no longer open, so it may be removed or replaced.
    async fn close(&self);
    async fn insert_account(&self, account: &NewAccount) -> Result<()>;
    async fn insert_node(&self, node: &NewNode) -> Result<()>;
    async fn account_id_by_token(&self, token_hash: &str) -> Result<Option<String>>;
    async fn node_id_by_token(&self, token_hash: &str) -> Result<Option<String>>;
    async fn account(&self, account_id: &str) -> Result<Option<AccountRow>>;
    /// Every tier change of the account, oldest first.
    async fn tier_changes(&self, account_id: &str) -> Result<Vec<TierChangeRow>>;
    /// The tier change in effect at `at` of each known account among `account_ids`.
    async fn tiers_at(&self, account_ids: &[&str], at: i64) -> Result<BTreeMap<String, TierChangeRow>>;
    /// The accounts among `account_ids` that have any ledger entry or automatic top-up.
    async fn accounts_with_ledger(&self, account_ids: &[&str]) -> Result<Vec<String>>;
    /// Claims `claim`, reads the account's tier changes, ledger and the usage of the period
    /// starting at `period_start`, and applies what `decide` plans (drops changes scheduled
    /// after `now`, records the change, resolves open notices when asked, raises the new
    /// tier's notices, stores the answer with the claim), all in one transaction. A key
    /// already claimed is answered from the claim without a change, or refused if the
    /// request differs.
    async fn change_tier(
        &self,
        account_id: &str,
        claim: &PurchaseClaim,
        now: i64,
        period_start: i64,
        decide: TierDecide<'_>,
    ) -> Result<TierWrite>;
    /// Claims the batch, writes its records and period totals, queues its hourly sums and
    /// stores the receipt, in one transaction.
    async fn ingest(&self, batch: &PreparedBatch, decide: IngestDecide<'_>) -> Result<IngestStored>;
    /// The stored shards among `shards` (sorted, distinct) of the series sent by `node_id`.
    async fn series_shards(&self, node_id: &str, shards: &[i64]) -> Result<Vec<ShardRow>>;
    /// Which of the (source, id) pairs were counted already.
    async fn stored_events(&self, events: &[(&str, &str)]) -> Result<Vec<(String, String)>>;
    /// Takes up to `max_batches` queued batches of id at most `through` (any, when `None`)
    /// and adds their hourly sums to the hourly rollups, in one transaction; answers how many
    /// it took. With `wait`, batches another roll-up holds are waited for (and are then gone)
    /// rather than skipped.
    async fn roll_up(&self, max_batches: i64, through: Option<i64>, wait: bool) -> Result<u64>;
    /// The id of the newest queued batch, if any.
    async fn rollup_queue_last(&self) -> Result<Option<i64>>;
    /// Queued batches not rolled up yet.
    async fn rollups_pending(&self) -> Result<u64>;
    async fn period_usage(&self, account_id: &str, period_start: i64) -> Result<Vec<RegionCounters>>;
    /// The start (unix seconds) of the first hour with rolled-up usage of the account before
    /// `before`, if any: where a run rate is measured from.
    async fn first_usage_hour(&self, account_id: &str, before: i64) -> Result<Option<i64>>;
    /// Rolled-up usage of the account per route and region with `from <= hour < to`.
    async fn route_region_usage(&self, account_id: &str, from: i64, to: i64) -> Result<Vec<RouteRegionCounters>>;
    /// The whole ledger of the account, oldest first.
    async fn ledger(&self, account_id: &str) -> Result<Vec<LedgerRow>>;
    /// Claims `claim` (if any), reads the ledger, the tier changes and the usage of the period
    /// starting at `period_start`, and appends what `decide` plans, in one transaction;
    /// retried from the start when a concurrent writer took the same sequence. With a claim (a
    /// purchase) the transaction holds the account as a tier change does.
    async fn write_ledger(
        &self,
        account_id: &str,
        period_start: i64,
        claim: Option<&PurchaseClaim>,
        decide: LedgerDecide<'_>,
    ) -> Result<LedgerWrite>;
    /// The key named `name`: the one stored, or `candidate` (hex) stored now if there is none.
    /// Every replica gets the same key, whichever stored it first.
    async fn engine_key(&self, name: &str, candidate: &str) -> Result<String>;
    /// The period starts of the account's issued invoices.
    async fn invoiced_periods(&self, account_id: &str) -> Result<Vec<i64>>;
    /// Issues those of `invoices` (in period order) whose period has none yet, numbered after
    /// the account's last, in one transaction that holds the account: concurrent closers
    /// issue each period once.
    async fn issue_invoices(&self, account_id: &str, invoices: &[NewInvoice]) -> Result<()>;
    /// Up to `limit` invoices numbered below `before` (any, when `None`), newest first.
    async fn invoices(&self, account_id: &str, before: Option<i64>, limit: i64) -> Result<Vec<InvoiceRow>>;
    /// The account's invoice `id`; `None` for an id it does not have.
    async fn invoice(&self, account_id: &str, id: &str) -> Result<Option<InvoiceRow>>;
    /// Open notices of the account for the period starting at `period_start`.
    async fn open_notices(&self, account_id: &str, period_start: i64) -> Result<Vec<NoticeRow>>;
    /// Hourly usage of `[from, to)` per group key, ordered by hour (and by key within an hour
    /// for routes), in the order of the rollups' primary keys so no query sorts.
    async fn usage_hours(&self, account_id: &str, from: i64, to: i64, group: GroupColumn) -> Result<Vec<BucketRow>>;
    /// Newest first, ids below `before_id`.
    async fn usage_log(&self, account_id: &str, before_id: Option<i64>, limit: i64) -> Result<Vec<UsageLogRow>>;
    /// Writes records to the usage log only, in one transaction: the baseline the ingest
    /// benchmark compares against.
    #[cfg(feature = "testing")]
    async fn insert_records_only(&self, node_id: &str, batch_id: &str, received_at: i64, records: &[RecordRow]) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let queued = encode_hourly(&rows);
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
        let (mut hourly, mut totals, mut shared) = (BTreeMap::new(), BTreeMap::new(), std::collections::HashSet::new());
        for queued in [encode_hourly(&one), encode_hourly(&two)] {
            add_queued_hourly(&queued, &mut hourly, &mut totals, &mut shared).unwrap();
        }
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
        assert!(add_queued_hourly("[[\"a\"],[5,0,0,0,1,1,1]]", &mut hourly, &mut totals, &mut shared).is_err());
    }
}
