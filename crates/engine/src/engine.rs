//! The engine: accounts, ingest, bills, tiers, credits, notices and usage queries.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{
    AccountIngestStatus, AccountSummary, BillToDate, CreatedAccount, CreatedNode, CreditLedger, CreditPackOffer, CreditPurchase,
    CreditPurchaseRequest, Granularity, IngestReceipt, LedgerEntry, LedgerEntryKind, MAX_BATCH_ID_CHARS, MAX_BATCH_RECORDS, Notice,
    NoticeList, NoticeOffer, PaidOverage, ScheduledTierChange, TelemetryBatch, TierChange, TierChangeRequest, UpgradeOffer, UsageGrouping,
    UsageLine, UsageLogEntry, UsageLogPage, UsageLogQuery, UsagePoint, UsageQuery, UsageSeries, UsageTotals,
};
use edgecost_pricing::format::{money, quantity};
use edgecost_pricing::{Bill, Decimal, Meter, PriceBook, THRESHOLDS_PERCENT, Tier, packs_to_cover};

use crate::controls;
use crate::error::{EngineError, Result};
use crate::ledger::{self, Chain, KIND_PURCHASE};
use crate::period::{Period, from_unix};
use crate::rating;
use crate::record_ids::{self, RecordIds};
use crate::spend_cap;
use crate::store::controls::CapContext;
use crate::store::{
    Counters, GroupColumn, IngestDecision, IngestStored, LedgerPlan, LedgerState, LedgerWrite, NewAccount, NewNode, NoticeRow,
    PreparedBatch, PurchaseClaim, RecordRow, RegionCounters, Store, TierChangeRow, TierPlan, TierWrite,
};
use crate::token::{self, ACCOUNT_TOKEN_PREFIX, NODE_TOKEN_PREFIX};
use crate::validate::{self, ACCOUNT_ID_CHARS_MAX};

/// The most packs one purchase may buy.
pub const PACKS_PER_PURCHASE_MAX: u32 = edgecost_api::MAX_PACKS_PER_PURCHASE;
/// The longest span one usage query may cover.
pub const USAGE_QUERY_DAYS_MAX: i64 = 400;
/// Usage log page size: default and bound.
pub const USAGE_LOG_PAGE_DEFAULT: u32 = 100;
pub const USAGE_LOG_PAGE_MAX: u32 = edgecost_api::MAX_USAGE_LOG_PAGE;
const NAME_CHARS_MAX: usize = 100;
/// Batches from this many records get their fingerprint on a second thread.
const PARALLEL_HASH_RECORDS_MIN: usize = 256;

/// An account, as proven by its token (or just created). Every account call takes one, so
/// no call can reach another account's data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(pub(crate) String);

impl AccountId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An edge node, as proven by its token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeId(String);

impl NodeId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a batch claims besides its batch id (see [`Engine::ingest_claiming`]).
#[derive(Default)]
pub(crate) struct Claims {
    /// The shards of series of OpenTelemetry data points counted, as they are to be written.
    pub series: Vec<crate::store::ShardClaim>,
    /// (source, id) of each event, by the index of the record it is: claimed only when
    /// the record is accepted, so a refused event is judged again when it is resent.
    pub events: Vec<(usize, (String, String))>,
}

/// The answer to a batch and whether it was a replay of a stored batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingested {
    pub receipt: IngestReceipt,
    pub replayed: bool,
}

/// The billing engine over one database. Cheap to clone; clones share the connection pool.
///
/// Hourly rollups (the usage queries' source) are written after the ingest transaction by
/// a roll-up task the engine runs while any clone of it lives, and by every usage query
/// before it reads, so a query sees every batch answered before it.
#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) book: Arc<PriceBook>,
    rollups: Arc<RollupTask>,
    pub(crate) webhooks: Arc<crate::webhooks::DeliveryTask>,
    record_ids: RecordIds,
    /// When each account's budget forecasts were last worked out after a batch (unix seconds
    /// of the batch's `now`).
    pub(crate) forecasts_checked: Arc<std::sync::Mutex<HashMap<String, i64>>>,
    /// Shards of OpenTelemetry series this engine last read or wrote (see `points`).
    pub(crate) shard_cache: Arc<std::sync::Mutex<crate::points::ShardCache>>,
}

/// Queued batches one roll-up transaction takes at most.
const ROLLUP_BATCHES_MAX: i64 = 32;
/// How often the roll-up task looks for batches other replicas queued (PostgreSQL only), and
/// how soon it retries a failed pass.
const ROLLUP_INTERVAL: std::time::Duration = std::time::Duration::from_millis(150);
/// The least time between the starts of two roll-up passes. An ingest after a quiet spell
/// is rolled up at once; under load a pass takes the batches of the last 100 ms together,
/// and batches of the same hours add up to one rollup row per key.
const ROLLUP_SPACING: std::time::Duration = std::time::Duration::from_millis(100);

/// The engine's background roll-up task, woken after each ingest; stopped when the last
/// clone of the engine goes. Stopping it mid-transaction rolls that transaction back: its
/// batches stay queued.
struct RollupTask {
    wake: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl RollupTask {
    /// Starts the task: a first pass at once (batches an earlier run left queued), then a pass
    /// whenever an ingest wakes it, and every `poll` when other replicas may queue batches
    /// this engine is never woken for. A failed pass is retried after [`ROLLUP_INTERVAL`].
    fn start(store: Arc<dyn Store>, poll: Option<std::time::Duration>) -> RollupTask {
        let wake = Arc::new(tokio::sync::Notify::new());
        let woken = wake.clone();
        let task = tokio::spawn(async move {
            let mut last_pass = tokio::time::Instant::now();
            loop {
                // A failed pass (a connection lost, a database restarting) leaves its batches
                // queued for the next one.
                let mut failed = false;
                loop {
                    match store.roll_up(ROLLUP_BATCHES_MAX, None, false).await {
                        Ok(n) if n < ROLLUP_BATCHES_MAX as u64 => break,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "rolling up hourly usage failed; the batches stay queued for the next pass");
                            failed = true;
                            break;
                        }
                    }
                }
                match poll.or(failed.then_some(ROLLUP_INTERVAL)) {
                    Some(every) => tokio::select! {
                        () = woken.notified() => {}
                        () = tokio::time::sleep(every) => {}
                    },
                    None => woken.notified().await,
                }
                tokio::time::sleep_until(last_pass + ROLLUP_SPACING).await;
                last_pass = tokio::time::Instant::now();
            }
        });
        RollupTask { wake, task }
    }
}

impl Drop for RollupTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Engine {
    /// Opens the database at `url` (`sqlite://PATH` or `postgres://...`), migrating it.
    pub async fn open(url: &str, book: PriceBook) -> Result<Engine> {
        // A SQLite file has one engine ingesting into it, whose ingests wake the roll-up task;
        // a PostgreSQL database may be shared by replicas, so the task also polls for batches
        // a replica queued and did not roll up (it stopped first).
        let (store, poll): (Arc<dyn Store>, _) = if url.starts_with("sqlite:") {
            (Arc::new(crate::store::sqlite::SqliteStore::open(url).await?), None)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Arc::new(crate::store::postgres::PgStore::open(url).await?), Some(ROLLUP_INTERVAL))
        } else {
            return Err(EngineError::UnsupportedDatabaseUrl { url: url.to_owned() });
        };
        let candidate = token::random_id("", record_ids::KEY_BYTES);
        let key = store.engine_key(record_ids::KEY_NAME, &candidate).await?;
        let key: [u8; record_ids::KEY_BYTES] = hex::decode(&key).ok().and_then(|k| k.try_into().ok()).ok_or_else(|| {
            EngineError::CorruptRow { reason: format!("engine key {} is not {} hex bytes", record_ids::KEY_NAME, record_ids::KEY_BYTES) }
        })?;
        let rollups = Arc::new(RollupTask::start(store.clone(), poll));
        let webhooks = Arc::new(crate::webhooks::DeliveryTask::start(store.clone()));
        Ok(Engine {
            store,
            book: Arc::new(book),
            rollups,
            webhooks,
            record_ids: RecordIds::new(&key),
            forecasts_checked: Arc::default(),
            shard_cache: Default::default(),
        })
    }

    /// Closes the database for every clone of this engine: the roll-up task stops and the
    /// connections close once the calls using them are done; calls after this fail. For an app
    /// that replaces its SQLite file (the demo's "Reset demo"): an open connection must not
    /// outlive the file it was opened on.
    pub async fn close(&self) {
        self.rollups.task.abort();
        self.webhooks.abort();
        self.store.close().await;
    }

    /// The URL of a SQLite database file at `path`.
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}", path.display())
    }

    /// The price book every bill is rated with.
    pub fn book(&self) -> &PriceBook {
        &self.book
    }

    // ---------------------------------------------------------------- accounts and nodes

    /// Creates an account on `tier`; the token in the answer is shown this once.
    pub async fn create_account(&self, name: &str, tier: &str, now: DateTime<Utc>) -> Result<CreatedAccount> {
        check_name("name", name)?;
        self.rateable_tier(tier)?;
        let token = token::new_token(ACCOUNT_TOKEN_PREFIX);
        let account = NewAccount {
            id: token::random_id("acct_", 10),
            name: name.to_owned(),
            token_hash: token::sha256_hex(token.as_bytes()),
            tier: tier.to_owned(),
            created_at: now.timestamp(),
        };
        let store = self.store.clone();
        let account = detached(async move { store.insert_account(&account).await.map(|()| account) }).await?;
        Ok(CreatedAccount {
            account_id: account.id,
            name: account.name,
            tier: tier.to_owned(),
            token,
            created_at: from_unix(account.created_at),
        })
    }

    /// Creates an edge node; the token in the answer is shown this once.
    pub async fn create_node(&self, name: &str, now: DateTime<Utc>) -> Result<CreatedNode> {
        check_name("name", name)?;
        let token = token::new_token(NODE_TOKEN_PREFIX);
        let node = NewNode {
            id: token::random_id("node_", 10),
            name: name.to_owned(),
            token_hash: token::sha256_hex(token.as_bytes()),
            created_at: now.timestamp(),
        };
        let store = self.store.clone();
        let node = detached(async move { store.insert_node(&node).await.map(|()| node) }).await?;
        Ok(CreatedNode { node_id: node.id, name: node.name, token, created_at: from_unix(node.created_at) })
    }

    /// The account an account token opens.
    pub async fn authenticate_account(&self, token: &str) -> Result<AccountId> {
        if !token::looks_like_token(token, ACCOUNT_TOKEN_PREFIX) {
            return Err(EngineError::Unauthenticated);
        }
        let id = self.store.account_id_by_token(&token::sha256_hex(token.as_bytes())).await?;
        id.map(AccountId).ok_or(EngineError::Unauthenticated)
    }

    /// The node an edge-node token belongs to.
    pub async fn authenticate_node(&self, token: &str) -> Result<NodeId> {
        if !token::looks_like_token(token, NODE_TOKEN_PREFIX) {
            return Err(EngineError::Unauthenticated);
        }
        let id = self.store.node_id_by_token(&token::sha256_hex(token.as_bytes())).await?;
        id.map(NodeId).ok_or(EngineError::Unauthenticated)
    }

    fn rateable_tier(&self, name: &str) -> Result<&Tier> {
        let tier = self.book.tier(name).ok_or_else(|| EngineError::UnknownTier { tier: name.to_owned(), known: self.book.tier_names() })?;
        if !tier.is_rateable() {
            return Err(EngineError::NegotiatedTier { tier: name.to_owned() });
        }
        Ok(tier)
    }

    // ---------------------------------------------------------------- ingest

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
        let mut hourly: BTreeMap<crate::store::HourlyKey, Counters> = BTreeMap::new();
        prepared.body_sha256 = std::thread::scope(|scope| {
            let hashing = (batch.records.len() >= PARALLEL_HASH_RECORDS_MIN).then(|| scope.spawn(|| token::sha256_hex_of_json(batch)));
            // Accounts, routes and regions repeat across a batch: each distinct one is allocated
            // once and shared by the records and the rollup keys.
            let mut shared = SharedStrings::default();
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
                let (account, route, region) = (shared.get(&r.account_id), shared.get(&r.route), shared.get(&r.region));
                hourly.entry((account.clone(), hour, route.clone(), region.clone())).or_default().add(&counters);
                prepared.period.entry((account.clone(), period_start, region.clone())).or_default().add(&counters);
                prepared.records.push(RecordRow {
                    account_id: account,
                    route,
                    region,
                    window_start: start,
                    window_seconds: i64::from(r.window_seconds),
                    counters,
                });
            }
            prepared.hourly_queued = crate::store::encode_hourly(&hourly);
            match hashing {
                Some(hashing) => hashing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => token::sha256_hex_of_json(batch),
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
                    capped_meters,
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
        let (json, replayed) = match stored {
            IngestStored::Fresh(j) => (j, false),
            IngestStored::Replayed(j) => (j, true),
        };
        let receipt: IngestReceipt =
            serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored receipt: {e}") })?;
        // Credit pays new overage right away. A replay settles too, which also finishes the
        // work of an attempt that crashed after its commit. Only accounts with a ledger can
        // have credit to spend or to return.
        let with_packs: Vec<&str> = receipt
            .accounts
            .iter()
            .filter(|a| self.book.tier(&a.tier).is_some_and(|t| t.credit_packs))
            .map(|a| a.account_id.as_str())
            .collect();
        //
        // The batch has committed: a failure here must not answer it with an error, or the
        // node would never get its acknowledgement for a batch that counts. Settlement is
        // idempotent and redone by the account's next batch, purchase or tier change.
        match self.store.accounts_with_ledger(&with_packs).await {
            Ok(accounts) => {
                for account_id in accounts {
                    if let Err(e) = self.settle_credits(&AccountId(account_id.clone()), now).await {
                        tracing::warn!(account_id, batch_id = %receipt.batch_id, error = %e,
                            "settling credit after a committed batch failed; it is redone on the account's next write");
                    }
                }
            }
            Err(e) => tracing::warn!(batch_id = %receipt.batch_id, error = %e,
                "finding accounts to settle after a committed batch failed; settlement is redone on their next write"),
        }
        let touched: Vec<&str> = receipt.accounts.iter().map(|a| a.account_id.as_str()).collect();
        self.follow_up_budgets(&touched, now).await;
        Ok(Ingested { receipt, replayed })
    }

    // ---------------------------------------------------------------- bills and tiers

    /// Everything about the account's current period that bills and notices need.
    pub(crate) async fn period_state(&self, account: &AccountId, now: DateTime<Utc>) -> Result<PeriodState> {
        let row = self.store.account(&account.0).await?.ok_or(EngineError::NotFound)?;
        let changes = self.store.tier_changes(&account.0).await?;
        let period = Period::containing(now);
        let tier = rating::tier_at(&changes, now)
            .ok_or_else(|| EngineError::CorruptRow { reason: format!("account {} has no tier", account.0) })?
            .to_owned();
        let scheduled = changes
            .iter()
            .find(|c| c.effective_at > now.timestamp())
            .map(|c| ScheduledTierChange { tier: c.tier.clone(), effective_at: from_unix(c.effective_at) });
        let regions = self.store.period_usage(&account.0, period.start_unix()).await?;
        let mut totals = rating::totals(&self.book, &regions)?;
        totals.refused_by_cap = rating::refused_in(&changes, &period, now);
        totals.spend_cap = spend_cap::state_of(self.store.spend_cap(&account.0, period.start_unix()).await?.as_ref())?;
        let entries = self.store.ledger(&account.0).await?;
        let balance_cents = ledger::checked_balance(&account.0, &entries)?;
        let paid_cents = ledger::paid_for_period(&entries, period.start_unix());
        let shares = rating::base_fee_shares(&changes, &period, now);
        Ok(PeriodState { name: row.name, tier, scheduled, period, regions, totals, balance_cents, paid_cents, shares, changes })
    }

    pub(crate) fn rate(&self, tier: &str, totals: &UsageTotals, credit_cents: i64, state: &PeriodState) -> Result<Bill> {
        // No credit rates exactly as the pricing core's default options do, so a bill
        // without credit is the same JSON `edgecost bill` prints.
        let credit_balance = if credit_cents == 0 { Decimal::ZERO } else { ledger::from_cents(credit_cents) };
        let options = state.period.rate_options(credit_balance, state.shares.clone());
        Ok(self.book.rate(tier, &totals.usage(), &options)?)
    }

    /// The bill to date (what is left to invoice) and the projected bill at period end.
    pub async fn bill_to_date(&self, account: &AccountId, now: DateTime<Utc>) -> Result<BillToDate> {
        let s = self.period_state(account, now).await?;
        let bill = self.rate(&s.tier, &s.totals, s.paid_cents, &s)?;
        let (basis, projected_totals) = self.projection(account, &s, now).await?;
        let projected = self.rate(&s.tier, &projected_totals, s.paid_cents + s.balance_cents, &s)?;
        Ok(BillToDate {
            as_of: now,
            period: s.period.to_api(now),
            totals: s.totals.clone(),
            cost: bill.cost(),
            bill,
            projected_totals,
            projected_cost: projected.cost(),
            projected,
            basis,
        })
    }

    /// The account overview.
    pub async fn account_summary(&self, account: &AccountId, now: DateTime<Utc>) -> Result<AccountSummary> {
        let s = self.period_state(account, now).await?;
        let notices = self.notices_of(account, &s, now).await?;
        Ok(AccountSummary {
            account_id: account.0.clone(),
            name: s.name.clone(),
            tier: s.tier.clone(),
            scheduled_tier: s.scheduled.clone(),
            period: s.period.to_api(now),
            totals: s.totals.clone(),
            credit_balance: ledger::from_cents(s.balance_cents),
            notices,
        })
    }

    /// Changes the tier. An upgrade applies at once: the new tier rates the whole period and
    /// base fees prorate by day. A downgrade applies from the next period. Either resolves
    /// the account's notices when it takes effect.
    ///
    /// `idempotency_key` names this change (one per confirmation): the same key with the same
    /// tier returns the first answer and changes nothing, also when the repeats race or the
    /// first answer was lost after its commit; the same key with another tier is refused.
    /// Keys are per account and shared with no other call. A refused change claims no key.
    pub async fn change_tier(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        request: &TierChangeRequest,
        now: DateTime<Utc>,
    ) -> Result<TierChange> {
        let now = truncate_to_second(now);
        let claim = idempotency_claim(idempotency_key, request, now)?;
        let tier = request.tier.clone();
        self.rateable_tier(&tier)?;
        self.store.account(&account.0).await?.ok_or(EngineError::NotFound)?;
        // The tier and the credit balance are decided from the rows read inside the
        // transaction, which holds the account: a purchase cannot slip in between.
        let period = Period::containing(now);
        let book = self.book.clone();
        let account_id = account.0.clone();
        let decide = move |changes: &[TierChangeRow], entries: &[crate::store::LedgerRow], usage: &[RegionCounters]| -> Result<TierPlan> {
            let current = rating::tier_at(changes, now)
                .ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?
                .to_owned();
            let scheduled = changes.iter().any(|c| c.effective_at > now.timestamp());
            let rank = |name: &str| book.tiers.iter().position(|t| t.name == name);
            // A change that applies now leaves the current tier: what a hard cap refused so
            // far this period stays refused (never billed on the new tier), and the new tier's
            // notices are raised at once on the period's billable usage.
            let immediate = |resolve_notices: bool| -> Result<TierPlan> {
                let from =
                    book.tier(&current).ok_or_else(|| EngineError::UnknownTier { tier: current.clone(), known: book.tier_names() })?;
                let to = book.tier(&tier).expect("checked rateable above");
                let mut totals = rating::totals(&book, usage)?;
                totals.refused_by_cap = rating::refused_in(changes, &period, now);
                let refused = rating::refused_on_leaving(from, &totals)?;
                let refused_by = match &totals.refused_by_cap {
                    Some(earlier) => Some(earlier.tier.clone()),
                    None => (refused != Counters::default()).then(|| current.clone()),
                };
                totals.refused_by_cap = rating::refused_usage(&refused, refused_by.as_deref().unwrap_or_default());
                let (_, notices) = quota_state(to, &totals.usage(), &account_id, period.start_unix(), now);
                let answer = TierChange { previous_tier: current.clone(), tier: tier.clone(), effective_at: now, immediate: true };
                Ok(TierPlan {
                    change: TierChangeRow { effective_at: now.timestamp(), tier: tier.clone(), refused, refused_by },
                    resolve_notices,
                    notices,
                    response_json: serde_json::to_string(&answer).expect("a tier change serializes"),
                })
            };
            if tier == current {
                if !scheduled {
                    return Err(EngineError::TierUnchanged { tier: tier.clone() });
                }
                // Staying put cancels a scheduled downgrade.
                return immediate(false);
            }
            if rank(&tier) > rank(&current) {
                return immediate(true);
            }
            let target = book.tier(&tier).expect("checked rateable above");
            let balance_cents = ledger::checked_balance(&account_id, entries)?;
            if let Some(refusal) = downgrade_refusal(target, balance_cents) {
                return Err(refusal);
            }
            // A downgrade applies from the next period, which starts with nothing refused.
            let answer = TierChange { previous_tier: current.clone(), tier: tier.clone(), effective_at: period.end, immediate: false };
            Ok(TierPlan {
                change: TierChangeRow { effective_at: period.end.timestamp(), tier: tier.clone(), ..Default::default() },
                resolve_notices: false,
                notices: Vec::new(),
                response_json: serde_json::to_string(&answer).expect("a tier change serializes"),
            })
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        let written = detached(async move { store.change_tier(&id, &claim, now.timestamp(), period.start_unix(), &decide).await }).await?;
        let json = match written {
            TierWrite::Written(j) | TierWrite::Replayed(j) => j,
        };
        let change: TierChange =
            serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored tier change: {e}") })?;
        if change.immediate {
            // The period's overage changed with the tier: credit follows it. A replay settles
            // too, which finishes the work of an attempt that crashed after its commit.
            self.settle_credits(account, now).await?;
        }
        Ok(change)
    }

    // ---------------------------------------------------------------- credits

    /// Spends credit on the open period's unpaid overage (or returns credit the overage no
    /// longer needs), and during the grace hour after a period ends first on what late records
    /// added to the period just closed. Idempotent: it converges on the same ledger however
    /// often it runs. The overage is worked out from the usage and tier read inside the
    /// ledger's transaction, so a settlement never acts on overage a concurrent batch changed.
    pub async fn settle_credits(&self, account: &AccountId, now: DateTime<Utc>) -> Result<()> {
        let now = truncate_to_second(now);
        let open = Period::containing(now);
        let closing = Period::containing(now - Duration::seconds(validate::LATE_RECORD_GRACE_SECONDS));
        if closing != open {
            self.settle_period(account, closing, now).await?;
        }
        self.settle_period(account, open, now).await
    }

    async fn settle_period(&self, account: &AccountId, period: Period, now: DateTime<Utc>) -> Result<()> {
        let entries = self.store.ledger(&account.0).await?;
        let balance = ledger::checked_balance(&account.0, &entries)?;
        let paid = ledger::paid_for_period(&entries, period.start_unix());
        // Automatic top-up buys for the open period only.
        let open = period == Period::containing(now);
        // Nothing to spend, nothing to return and nothing to buy: the common case costs a read.
        if balance == 0 && paid == 0 && !(open && self.store.controls(&account.0).await?.is_some_and(|c| c.top_up.is_some())) {
            return Ok(());
        }
        // A closed period is rated as its final bill: on the tier at its last second.
        let at = now.min(period.end - Duration::seconds(1));
        let (book, account_id) = (self.book.clone(), account.0.clone());
        let decide = move |state: &LedgerState| -> Result<LedgerPlan> {
            let (overage, takes_packs) = overage_in(&book, state, &period, at)?;
            let mut chain = Chain::after(&account_id, &state.entries)?;
            if takes_packs {
                ledger::settle(&mut chain, &state.entries, period.start_unix(), overage, now);
            }
            let alerts = match (&state.top_up, open) {
                (Some(top_up), true) => controls::plan_top_up(&book, &mut chain, state, top_up, &period, overage, &account_id, now)?,
                _ => Vec::new(),
            };
            Ok(LedgerPlan { entries: chain.planned, response_json: None, alerts })
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        detached(async move { store.write_ledger(&id, period.start_unix(), None, &decide).await }).await?;
        Ok(())
    }

    /// Buys `request.packs` burst credit packs. The same `idempotency_key` returns the first
    /// answer; with a different request it is refused. The new credit pays the period's
    /// unpaid overage at once, including overage from before the purchase.
    pub async fn purchase_credits(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        request: &CreditPurchaseRequest,
        now: DateTime<Utc>,
    ) -> Result<CreditPurchase> {
        let now = truncate_to_second(now);
        let claim = idempotency_claim(idempotency_key, request, now)?;
        let s = self.period_state(account, now).await?;
        self.rateable_tier(&s.tier)?;
        if request.packs == 0 || request.packs > PACKS_PER_PURCHASE_MAX {
            return Err(EngineError::InvalidPackCount { packs: request.packs, max: PACKS_PER_PURCHASE_MAX });
        }
        let pack = &self.book.credit_pack;
        let packs = Decimal::from(request.packs);
        let price_paid = pack.price.checked_mul(packs).ok_or(EngineError::Overflow)?;
        let credit_added = pack.credit.checked_mul(packs).ok_or(EngineError::Overflow)?;
        let credit_cents = ledger::to_cents(credit_added)?;
        let period = s.period;
        let period_start = s.period.start_unix();
        let account_id = account.0.clone();
        let packs_count = request.packs;
        let book = self.book.clone();
        // A replay is answered before this rule: the first answer stands whatever changed since.
        // The rule reads the tier changes inside the transaction, which holds the account
        // against a racing tier change: packs need a tier that takes them, now and as scheduled.
        let decide = move |state: &LedgerState| -> Result<LedgerPlan> {
            let (entries, changes) = (&state.entries, &state.changes);
            let current =
                rating::tier_at(changes, now).ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?;
            let scheduled = changes.iter().find(|c| c.effective_at > now.timestamp());
            if let Some(refusal) = packs_refusal(&book, current, scheduled.map(|c| c.tier.as_str())) {
                return Err(refusal);
            }
            let mut chain = Chain::after(&account_id, entries)?;
            let purchase_id = chain
                .push(
                    KIND_PURCHASE,
                    credit_cents,
                    None,
                    None,
                    format!("bought {packs_count} pack(s) for {}", money(price_paid)),
                    now.timestamp(),
                )
                .id
                .clone();
            let balance_before_spend = chain.balance;
            let (overage, _) = overage_in(&book, state, &period, now)?;
            ledger::settle(&mut chain, entries, period_start, overage, now);
            let response = CreditPurchase {
                purchase_id,
                packs: packs_count,
                price_paid,
                credit_added,
                consumed_now: ledger::from_cents(balance_before_spend - chain.balance),
                balance: ledger::from_cents(chain.balance),
                purchased_at: now,
            };
            Ok(LedgerPlan {
                entries: chain.planned,
                response_json: Some(serde_json::to_string(&response).expect("a purchase serializes")),
                alerts: Vec::new(),
            })
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        let written = detached(async move { store.write_ledger(&id, period_start, Some(&claim), &decide).await }).await?;
        let json = match written {
            LedgerWrite::Written(Some(j)) => {
                // Usage that committed while this purchase ran was rated before the credit
                // existed: settle again now that both are visible.
                self.settle_credits(account, now).await?;
                j
            }
            LedgerWrite::Replayed(j) => j,
            LedgerWrite::Written(None) => unreachable!("a purchase always plans its answer"),
        };
        serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored purchase: {e}") })
    }

    /// The balance and every ledger entry, oldest first. The chain is verified on the way.
    pub async fn credit_ledger(&self, account: &AccountId) -> Result<CreditLedger> {
        let rows = self.store.ledger(&account.0).await?;
        let balance = ledger::checked_balance(&account.0, &rows)?;
        let entries = rows
            .into_iter()
            .map(|r| {
                let kind = match r.kind.as_str() {
                    "purchase" => LedgerEntryKind::Purchase,
                    "consumption" => LedgerEntryKind::Consumption,
                    _ => LedgerEntryKind::Adjustment,
                };
                let paid_overage = match (r.period_start, r.overage_from_cents, r.overage_to_cents, r.usage_through) {
                    (Some(p), Some(f), Some(t), Some(u)) => Some(PaidOverage {
                        period_start: from_unix(p),
                        from: ledger::from_cents(f),
                        to: ledger::from_cents(t),
                        usage_through: from_unix(u),
                    }),
                    _ => None,
                };
                LedgerEntry {
                    id: r.id,
                    sequence: r.sequence as u32,
                    kind,
                    amount: ledger::from_cents(r.amount_cents),
                    balance_after: ledger::from_cents(r.balance_after_cents),
                    pack_id: r.pack_id,
                    paid_overage,
                    note: r.note,
                    auto_top_up_after: r.auto_after_sequence.map(|s| s as u32),
                    created_at: from_unix(r.created_at),
                }
            })
            .collect();
        Ok(CreditLedger { balance: ledger::from_cents(balance), entries })
    }

    // ---------------------------------------------------------------- notices

    /// The account's open notices for the current period.
    pub async fn notices(&self, account: &AccountId, now: DateTime<Utc>) -> Result<NoticeList> {
        let s = self.period_state(account, now).await?;
        Ok(NoticeList { notices: self.notices_of(account, &s, now).await? })
    }

    async fn notices_of(&self, account: &AccountId, s: &PeriodState, now: DateTime<Utc>) -> Result<Vec<Notice>> {
        let rows = self.store.open_notices(&account.0, s.period.start_unix()).await?;
        let rows: Vec<_> = rows.into_iter().filter(|r| r.tier == s.tier).collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let (basis, projected_totals) = self.projection(account, s, now).await?;
        let tiers = self.tier_quotes(s, &projected_totals, now)?;
        let current = tiers
            .iter()
            .find(|t| t.current)
            .ok_or_else(|| EngineError::CorruptRow { reason: format!("tier {} cannot be rated", s.tier) })?;
        let projected = current.projected.clone();
        let upgrade = tiers.iter().find(|t| t.offered).map(|t| UpgradeOffer {
            tier: t.tier.clone(),
            saving: current.projected_cost - t.projected_cost,
            projected_bill: t.projected_cost,
        });
        // Packs prepay overage; they are offered only on a projection with a day of usage
        // behind it, so a rough guess never suggests spending money.
        let uncovered = projected.overage_total - projected.credits_applied;
        let takes_packs = self.book.tier(&s.tier).is_some_and(|t| t.credit_packs);
        let credit_packs = (takes_packs && uncovered > Decimal::ZERO && !basis.short_history).then(|| {
            let packs = packs_to_cover(uncovered, self.book.credit_pack.credit);
            CreditPackOffer { packs, price: self.book.credit_pack.price * Decimal::from(packs), projected_overage: uncovered }
        });
        let tier = self.book.tier(&s.tier).expect("the current tier is in the book");
        rows.into_iter()
            .map(|r| {
                let meter = Meter::ALL
                    .into_iter()
                    .find(|m| m.id() == r.meter)
                    .ok_or_else(|| EngineError::CorruptRow { reason: format!("notice meter {}", r.meter) })?;
                let reached_on = from_unix(r.reached_at).date_naive();
                let included = tier.included.get(meter).unwrap_or_default();
                let message = format!(
                    "{} reached {}% of the {} {} included on {} on {}; {} days left, projected to cost {} this period.",
                    meter.label(),
                    r.threshold_percent,
                    quantity(included),
                    meter.unit(),
                    tier.display_name(),
                    reached_on.format("%b %-d"),
                    s.period.days_left(now),
                    money(projected.cost())
                );
                Ok(Notice {
                    id: r.id,
                    meter,
                    threshold_percent: r.threshold_percent as u32,
                    tier: r.tier,
                    reached_on,
                    days_left: s.period.days_left(now),
                    projected_bill: projected.cost(),
                    offer: NoticeOffer { upgrade: upgrade.clone(), credit_packs: credit_packs.clone() },
                    message,
                })
            })
            .collect()
    }

    // ---------------------------------------------------------------- usage

    /// Rolls up every batch queued so far, skipping those another roll-up (another replica)
    /// holds; answers how many batches this call rolled up. The engine also does this on its
    /// own, in the background and before each usage query.
    pub async fn roll_up(&self) -> Result<u64> {
        let store = self.store.clone();
        detached(async move {
            let mut done = 0;
            loop {
                let n = store.roll_up(ROLLUP_BATCHES_MAX, None, false).await?;
                done += n;
                if n < ROLLUP_BATCHES_MAX as u64 {
                    return Ok(done);
                }
            }
        })
        .await
    }

    /// Batches whose hourly rollups are not written yet.
    pub async fn rollups_pending(&self) -> Result<u64> {
        self.store.rollups_pending().await
    }

    /// Rolls up every batch queued before this call, waiting for those another roll-up holds,
    /// so that a read after it sees every batch answered before it.
    pub(crate) async fn catch_up_rollups(&self) -> Result<()> {
        let store = self.store.clone();
        detached(async move {
            let Some(through) = store.rollup_queue_last().await? else { return Ok(()) };
            while store.roll_up(ROLLUP_BATCHES_MAX, Some(through), true).await? > 0 {}
            Ok(())
        })
        .await
    }

    /// Usage in hourly or daily buckets, one line per meter and group key.
    pub async fn usage(&self, account: &AccountId, q: &UsageQuery) -> Result<UsageSeries> {
        if q.from >= q.to {
            return Err(EngineError::InvalidUsageQuery { reason: "from must be before to".into() });
        }
        if q.to - q.from > Duration::days(USAGE_QUERY_DAYS_MAX) {
            return Err(EngineError::InvalidUsageQuery { reason: format!("a query spans at most {USAGE_QUERY_DAYS_MAX} days") });
        }
        let bucket_seconds = match q.granularity {
            Granularity::Hour => 3_600,
            Granularity::Day => 86_400,
        };
        let group = match q.group_by {
            UsageGrouping::Meter => GroupColumn::None,
            UsageGrouping::Route => GroupColumn::Route,
            UsageGrouping::Region => GroupColumn::Region,
        };
        let rows = self.store.usage_hours(&account.0, q.from.timestamp(), q.to.timestamp(), group).await?;
        // Rows come ordered by hour (an hour may come more than once: rolled up and still
        // queued), so each key's buckets come in order: an hour adds to the key's last bucket
        // or starts the next one.
        let mut by_key: BTreeMap<String, [Vec<UsagePoint>; 3]> = BTreeMap::new();
        for row in rows {
            let bucket = row.hour - row.hour.rem_euclid(bucket_seconds);
            let start = from_unix(bucket);
            let points = match by_key.get_mut(&row.key) {
                Some(p) => p,
                None => by_key.entry(row.key.clone()).or_default(),
            };
            for (i, value) in [row.counters.requests, row.counters.egress_bytes, row.counters.compute_ms].into_iter().enumerate() {
                let quantity = value.max(0) as u64;
                match points[i].last_mut() {
                    Some(last) if last.start == start => last.quantity = last.quantity.saturating_add(quantity),
                    _ => points[i].push(UsagePoint { start, quantity }),
                }
            }
        }
        let mut lines = Vec::with_capacity(by_key.len() * 3);
        for (key, points) in by_key {
            for ((meter, unit), points) in
                [(Meter::Requests, "requests"), (Meter::Egress, "bytes"), (Meter::Compute, "ms")].into_iter().zip(points)
            {
                let key = if group == GroupColumn::None { meter.id().to_owned() } else { key.clone() };
                lines.push(UsageLine { key, meter, unit: unit.to_owned(), points });
            }
        }
        if group == GroupColumn::None {
            lines.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Ok(UsageSeries { from: q.from, to: q.to, granularity: q.granularity, group_by: q.group_by, lines })
    }

    /// One page of the raw usage log, newest first.
    pub async fn usage_log(&self, account: &AccountId, q: &UsageLogQuery) -> Result<UsageLogPage> {
        let limit = q.limit.unwrap_or(USAGE_LOG_PAGE_DEFAULT).clamp(1, USAGE_LOG_PAGE_MAX);
        let before = match &q.cursor {
            None => None,
            Some(c) => Some(self.record_ids.number(&account.0, c).ok_or(EngineError::InvalidCursor)?),
        };
        let mut rows = self.store.usage_log(&account.0, before, i64::from(limit) + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| self.record_ids.public(&account.0, r.id)) } else { None };
        let records = rows
            .into_iter()
            .map(|r| UsageLogEntry {
                id: self.record_ids.public(&account.0, r.id),
                batch_id: r.batch_id,
                node_id: r.node_id,
                route: r.route,
                region: r.region,
                window_start: from_unix(r.window_start),
                window_seconds: r.window_seconds as u32,
                requests: r.counters.requests as u64,
                compute_ms: r.counters.compute_ms as u64,
                egress_bytes: r.counters.egress_bytes as u64,
                received_at: from_unix(r.received_at),
            })
            .collect();
        Ok(UsageLogPage { records, next_cursor })
    }

    /// Writes telemetry records to the usage log only: no batch claim, no rollups, no
    /// notices. The baseline the ingest benchmark measures against; not for production use.
    #[cfg(feature = "testing")]
    pub async fn insert_records_only(&self, node: &NodeId, batch: &TelemetryBatch, now: DateTime<Utc>) -> Result<()> {
        let mut shared = SharedStrings::default();
        let rows: Vec<RecordRow> = batch
            .records
            .iter()
            .map(|r| RecordRow {
                account_id: shared.get(&r.account_id),
                route: shared.get(&r.route),
                region: shared.get(&r.region),
                window_start: r.window_start.timestamp(),
                window_seconds: i64::from(r.window_seconds),
                counters: Counters { requests: r.requests as i64, compute_ms: r.compute_ms as i64, egress_bytes: r.egress_bytes as i64 },
            })
            .collect();
        self.store.insert_records_only(&node.0, &batch.batch_id, now.timestamp(), &rows).await
    }
}

/// One shared copy of each distinct string of a batch.
#[derive(Default)]
struct SharedStrings<'a>(HashMap<&'a str, Arc<str>>);

impl<'a> SharedStrings<'a> {
    fn get(&mut self, s: &'a str) -> Arc<str> {
        self.0.entry(s).or_insert_with(|| Arc::from(s)).clone()
    }
}

/// Runs a write transaction on its own task, so that a caller that goes away (a client that
/// disconnects, a cancelled request) never cuts a transaction in half: the task runs to its
/// commit or rollback and the connection returns to the pool clean.
pub(crate) async fn detached<T: Send + 'static>(work: impl Future<Output = Result<T>> + Send + 'static) -> Result<T> {
    match tokio::spawn(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(EngineError::Cancelled),
    }
}

/// The meters `tier` caps for `usage` (billable usage of the period starting at
/// `period_start`) and the notices it raises: one per meter and threshold reached.
fn quota_state(
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

/// The overage in cents of `period` before any credit, on the tier in effect at `now`, from
/// what a ledger decision read inside its transaction; and whether that tier takes packs.
fn overage_in(book: &PriceBook, state: &LedgerState, period: &Period, now: DateTime<Utc>) -> Result<(i64, bool)> {
    let tier = rating::tier_at(&state.changes, now).ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?;
    let takes_packs = book.tier(tier).is_some_and(|t| t.credit_packs);
    let mut totals = rating::totals(book, &state.usage)?;
    totals.refused_by_cap = rating::refused_in(&state.changes, period, now);
    totals.spend_cap = spend_cap::state_of(state.spend_cap.as_ref())?;
    let options = period.rate_options(Decimal::ZERO, rating::base_fee_shares(&state.changes, period, now));
    let bill = book.rate(tier, &totals.usage(), &options)?;
    Ok((ledger::to_cents(bill.overage_total)?, takes_packs))
}

/// Everything about the account's current period that bills, quotes and notices need.
#[derive(Clone)]
pub(crate) struct PeriodState {
    pub(crate) name: String,
    pub(crate) tier: String,
    pub(crate) scheduled: Option<ScheduledTierChange>,
    pub(crate) period: Period,
    pub(crate) regions: Vec<RegionCounters>,
    pub(crate) totals: UsageTotals,
    pub(crate) balance_cents: i64,
    pub(crate) paid_cents: i64,
    pub(crate) shares: Vec<edgecost_pricing::BaseFeeShare>,
    pub(crate) changes: Vec<TierChangeRow>,
}

pub(crate) fn check_name(field: &'static str, name: &str) -> Result<()> {
    let ok = !name.trim().is_empty() && name.chars().count() <= NAME_CHARS_MAX && !name.chars().any(char::is_control);
    if ok { Ok(()) } else { Err(EngineError::InvalidName { field, max: NAME_CHARS_MAX }) }
}

/// The claim of `idempotency_key` for `request`, which a repeat must match by its hash.
pub(crate) fn idempotency_claim(idempotency_key: &str, request: &impl serde::Serialize, now: DateTime<Utc>) -> Result<PurchaseClaim> {
    if !validate::is_printable_id(idempotency_key, edgecost_api::MAX_IDEMPOTENCY_KEY_CHARS) {
        return Err(EngineError::InvalidIdempotencyKey);
    }
    Ok(PurchaseClaim {
        key: idempotency_key.to_owned(),
        request_sha256: token::sha256_hex(&serde_json::to_vec(request).expect("a request serializes")),
        created_at: now.timestamp(),
    })
}

/// Why burst packs cannot be bought now: the tier takes none, or a downgrade to a tier that
/// takes none is scheduled (its credit could never be spent there).
pub(crate) fn packs_refusal(book: &PriceBook, current: &str, scheduled: Option<&str>) -> Option<EngineError> {
    let takes_packs = |name: &str| book.tier(name).is_some_and(|t| t.credit_packs);
    if !takes_packs(current) {
        return Some(EngineError::CreditPacksNotAllowed { tier: current.to_owned() });
    }
    let scheduled = scheduled.filter(|t| !takes_packs(t))?;
    let label = book.tier(scheduled).map_or(scheduled, |t| t.display_name());
    Some(EngineError::CreditPacksScheduledOut { scheduled: label.to_owned() })
}

/// Why a downgrade to `target` is refused now: a tier that takes no burst packs cannot
/// start while the account holds credit.
pub(crate) fn downgrade_refusal(target: &edgecost_pricing::Tier, balance_cents: i64) -> Option<EngineError> {
    (!target.credit_packs && balance_cents > 0)
        .then(|| EngineError::CreditsHeld { tier: target.name.clone(), balance: money(ledger::from_cents(balance_cents)) })
}

/// Stored times are whole seconds; answers use the same precision so replays match.
pub(crate) fn truncate_to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    from_unix(t.timestamp())
}
