//! The engine: its handle on one database, ids, accounts and nodes, and the helpers every part
//! uses. Ingest, bills, credits, notices and usage each have their module.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use edgecost_api::{CreatedAccount, CreatedNode};
use edgecost_pricing::{PriceBook, Tier};

use crate::error::{EngineError, Result};
use crate::known_tokens::TokenKind;
use crate::period::from_unix;
use crate::record_ids::{self, RecordIds};
use crate::store::{NewAccount, NewNode, PurchaseClaim, Store};
use crate::token::{self, ACCOUNT_TOKEN_PREFIX, NODE_TOKEN_PREFIX};
use crate::validate::{self};

const NAME_CHARS_MAX: usize = 100;

/// An account, as proven by its token (or just created). Every account call takes one, so
/// no call can reach another account's data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(pub(crate) String);

impl AccountId {
    /// The account's id, as in the API (`acct_` and 20 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An edge node, as proven by its token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeId(pub(crate) String);

impl NodeId {
    /// The node's id, as in the API.
    pub fn as_str(&self) -> &str {
        &self.0
    }
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
    pub(crate) rollups: Arc<RollupTask>,
    pub(crate) webhooks: Arc<crate::webhooks::DeliveryTask>,
    pub(crate) record_ids: RecordIds,
    /// When each account's budget forecasts were last worked out after a batch (unix seconds
    /// of the batch's `now`).
    pub(crate) forecasts_checked: Arc<std::sync::Mutex<HashMap<String, i64>>>,
    /// Shards of OpenTelemetry series this engine last read or wrote (see `points`).
    pub(crate) shard_cache: Arc<std::sync::Mutex<crate::shard_cache::ShardCache>>,
    /// Tokens already looked up, and what each opens.
    pub(crate) known_tokens: Arc<crate::known_tokens::KnownTokens>,
}

/// Queued batches one roll-up transaction takes at most.
pub(crate) const ROLLUP_BATCHES_MAX: i64 = 32;
/// How often the roll-up task looks for batches other replicas queued (PostgreSQL only), and
/// how soon it retries a failed pass.
const ROLLUP_INTERVAL: std::time::Duration = std::time::Duration::from_millis(150);
/// The least time between the starts of two roll-up passes. An ingest after a quiet spell
/// is rolled up at once; under load a pass takes the batches of the last half second
/// together, and batches of the same hours add up to one rollup row per key. Each pass
/// rewrites every rollup row its batches touch (on SQLite, a page per account and hour
/// when batches cover many accounts), so taking five batches at a time writes about a
/// fifth of what taking each alone does; reads add the few batches still queued.
const ROLLUP_SPACING: std::time::Duration = std::time::Duration::from_millis(500);

/// The engine's background roll-up task, woken after each ingest; stopped when the last
/// clone of the engine goes. Stopping it mid-transaction rolls that transaction back: its
/// batches stay queued.
pub(crate) struct RollupTask {
    pub(crate) wake: Arc<tokio::sync::Notify>,
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

/// The PostgreSQL store at `url`, migrated.
#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(crate::store::postgres::PgStore::open(url).await?))
}

/// Built without the `postgres` feature (the desktop app), the engine opens SQLite only.
#[cfg(not(feature = "postgres"))]
async fn open_postgres(url: &str) -> Result<Arc<dyn Store>> {
    Err(EngineError::UnsupportedDatabaseUrl { url: url.to_owned() })
}

impl Engine {
    /// Opens the database at `url` (`sqlite://PATH`, or `postgres://...` with the `postgres`
    /// feature), migrating it.
    pub async fn open(url: &str, book: PriceBook) -> Result<Engine> {
        // A SQLite file has one engine ingesting into it, whose ingests wake the roll-up task;
        // a PostgreSQL database may be shared by replicas, so the task also polls for batches
        // a replica queued and did not roll up (it stopped first).
        let (store, poll): (Arc<dyn Store>, _) = if url.starts_with("sqlite:") {
            (Arc::new(crate::store::sqlite::SqliteStore::open(url).await?), None)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (open_postgres(url).await?, Some(ROLLUP_INTERVAL))
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
            known_tokens: Default::default(),
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

    /// How many accounts the engine's database holds.
    pub async fn account_count(&self) -> Result<u64> {
        let store = self.store.clone();
        let count = detached(async move { store.account_count().await }).await?;
        Ok(u64::try_from(count).unwrap_or(0))
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
        self.token_id(TokenKind::Account, token).await.map(AccountId)
    }

    /// The node an edge-node token belongs to.
    pub async fn authenticate_node(&self, token: &str) -> Result<NodeId> {
        if !token::looks_like_token(token, NODE_TOKEN_PREFIX) {
            return Err(EngineError::Unauthenticated);
        }
        self.token_id(TokenKind::Node, token).await.map(NodeId)
    }

    /// The id a token of `kind` opens: remembered once found (see [`crate::known_tokens`]),
    /// which spares every request after an account's or node's first a round trip.
    async fn token_id(&self, kind: TokenKind, token: &str) -> Result<String> {
        let hash = token::sha256_hex(token.as_bytes());
        if let Some(id) = self.known_tokens.get(kind, &hash) {
            return Ok(id);
        }
        let id = match kind {
            TokenKind::Account => self.store.account_id_by_token(&hash).await?,
            TokenKind::Node => self.store.node_id_by_token(&hash).await?,
        };
        let id = id.ok_or(EngineError::Unauthenticated)?;
        self.known_tokens.put(kind, hash, id.clone());
        Ok(id)
    }

    pub(crate) fn rateable_tier(&self, name: &str) -> Result<&Tier> {
        let tier = self.book.tier(name).ok_or_else(|| EngineError::UnknownTier { tier: name.to_owned(), known: self.book.tier_names() })?;
        if !tier.is_rateable() {
            return Err(EngineError::NegotiatedTier { tier: name.to_owned() });
        }
        Ok(tier)
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

/// Stored times are whole seconds; answers use the same precision so replays match.
pub(crate) fn truncate_to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    from_unix(t.timestamp())
}
