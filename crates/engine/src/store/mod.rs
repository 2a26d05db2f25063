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
pub(crate) mod ingest;
pub(crate) mod invoices;
pub(crate) mod lifecycle;
pub(crate) mod operator;
pub(crate) mod partitions;
#[cfg(feature = "postgres")]
mod pg_hosts;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
mod queued;
mod series;
pub(crate) mod sqlite;
pub(crate) mod usage;
pub(crate) mod webhooks;

pub(crate) use queued::*;
pub(crate) use series::*;

/// Usage counters, as stored (the `requests`, `compute_ms` and `egress_bytes` columns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
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

#[derive(Clone, Debug, sqlx::FromRow)]
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

/// The `tier_changes` columns of a [`TierChangeRow`] as stored, with the refused counters
/// in columns of their own.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct StoredTierChange {
    effective_at: i64,
    tier: String,
    refused_requests: i64,
    refused_compute_ms: i64,
    refused_egress_bytes: i64,
    refused_by: Option<String>,
}

impl From<StoredTierChange> for TierChangeRow {
    fn from(r: StoredTierChange) -> TierChangeRow {
        TierChangeRow {
            effective_at: r.effective_at,
            tier: r.tier,
            refused: Counters { requests: r.refused_requests, compute_ms: r.refused_compute_ms, egress_bytes: r.refused_egress_bytes },
            refused_by: r.refused_by,
        }
    }
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

#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub(crate) struct RouteRegionCounters {
    pub route: String,
    pub region: String,
    #[sqlx(flatten)]
    pub counters: Counters,
}

#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub(crate) struct RegionCounters {
    pub region: String,
    #[sqlx(flatten)]
    pub counters: Counters,
}

/// The columns of a [`RegionCounters`], in the order of its fields.
pub(crate) const REGION_COUNTER_COLUMNS: &str = "region, requests, compute_ms, egress_bytes";

impl From<(String, i64, i64, i64)> for RegionCounters {
    fn from((region, requests, compute_ms, egress_bytes): (String, i64, i64, i64)) -> RegionCounters {
        RegionCounters { region, counters: Counters { requests, compute_ms, egress_bytes } }
    }
}

/// Rows a backend packed into one JSON array of arrays (see `packed_rows` of each store), each
/// array read as a `T` whose fields are the packed columns in order; `what` names the rows in
/// the error should they not read.
pub(crate) fn unpack_rows<T: serde::de::DeserializeOwned>(packed: &str, what: &str) -> Result<Vec<T>> {
    serde_json::from_str(packed).map_err(|e| crate::EngineError::CorruptRow { reason: format!("{what} as packed: {e}") })
}

#[derive(Clone, Debug, sqlx::FromRow)]
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
#[derive(Clone, Debug, sqlx::FromRow)]
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

/// What the bill to date reads (see [`Store::bill_reads`]), each as its own call answers it.
pub(crate) struct BillReads {
    pub account: AccountRow,
    pub changes: Vec<TierChangeRow>,
    pub usage: Vec<RegionCounters>,
    pub spend_cap: Option<controls::SpendCapRow>,
    pub ledger: Vec<LedgerRow>,
    /// The first usage hour before `before` ([`Store::first_usage_hour`]).
    pub first_usage_hour: Option<i64>,
    /// The account's spend cap setting, if it has controls and a cap.
    pub spend_cap_cents: Option<i64>,
}

pub(crate) enum IngestStored {
    /// First time: the receipt just stored, and the accounts to follow up.
    Fresh { receipt_json: String, follow_ups: controls::FollowUps },
    /// The batch id was already claimed with the same body: the stored receipt.
    Replayed(String),
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
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

/// One hour of usage for one group key (the `grp` column).
#[derive(sqlx::FromRow)]
pub(crate) struct BucketRow {
    pub hour: i64,
    #[sqlx(rename = "grp")]
    pub key: String,
    #[sqlx(flatten)]
    pub counters: Counters,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupColumn {
    None,
    Route,
    Region,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UsageLogRow {
    pub id: i64,
    pub batch_id: String,
    pub node_id: String,
    pub route: String,
    pub region: String,
    pub window_start: i64,
    pub window_seconds: i64,
    #[sqlx(flatten)]
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

/// The engine's storage. Implemented by [`sqlite::SqliteStore`] and [`postgres::PgStore`]; the
/// conformance suite in `tests/` runs the same story on both.
#[async_trait]
pub(crate) trait Store:
    controls::ControlsStore
    + ingest::IngestStore
    + invoices::InvoiceStore
    + lifecycle::LifecycleStore
    + operator::OperatorStore
    + partitions::PartitionStore
    + usage::UsageStore
    + webhooks::WebhookStore
    + Send
    + Sync
{
    /// Closes the connections, waiting for those in use to be given back; every later call
    /// fails. A SQLite file is then no longer open, so it may be removed or replaced.
    async fn close(&self);
    async fn insert_account(&self, account: &NewAccount) -> Result<()>;
    async fn insert_node(&self, node: &NewNode) -> Result<()>;
    async fn account_id_by_token(&self, token_hash: &str) -> Result<Option<String>>;
    async fn node_id_by_token(&self, token_hash: &str) -> Result<Option<String>>;
    async fn account(&self, account_id: &str) -> Result<Option<AccountRow>>;
    /// How many accounts the database holds.
    async fn account_count(&self) -> Result<i64>;
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
    /// The whole ledger of the account, oldest first.
    async fn ledger(&self, account_id: &str) -> Result<Vec<LedgerRow>>;
    /// Everything the bill to date of the period starting at `period_start` reads, from one
    /// read snapshot on one connection; `None` when there is no such account.
    async fn bill_reads(&self, account_id: &str, period_start: i64, before: i64) -> Result<Option<BillReads>>;
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
    /// Open notices of the account for the period starting at `period_start`.
    async fn open_notices(&self, account_id: &str, period_start: i64) -> Result<Vec<NoticeRow>>;
}
