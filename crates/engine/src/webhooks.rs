//! Webhooks: an account's events POSTed to the URL it registered, signed, at least once.
//!
//! Every event is first a row of the outbox (`webhook_events`), written in the transaction
//! that raises it (a quota notice commits with the batch that reached it), so a crash never
//! loses one. A delivery task that each engine runs (like its roll-up task) claims due events
//! under a lease, so replicas sharing one PostgreSQL database never POST the same event at
//! the same time; POSTs it outside any transaction (ingest never waits on a receiver); logs
//! every attempt; and retries a failed one with exponential backoff up to a bound.
//!
//! Raising an event from another part of the engine: build a [`WebhookEvent`] and either call
//! [`Engine::raise_event`] once the change that raised it has committed, or queue its
//! [`WebhookEvent::to_outbox`] row with the backend's `enqueue_webhook_event` inside the
//! store transaction that makes the change. The dedup key makes a retried operation queue
//! its event once.
//!
//! ```no_run
//! # async fn example(engine: edgecost_engine::Engine, now: chrono::DateTime<chrono::Utc>) -> edgecost_engine::Result<()> {
//! use edgecost_engine::webhooks::{WebhookEvent, WebhookEventType};
//!
//! let event = WebhookEvent::new(
//!     "acct_0123456789abcdef0123",
//!     WebhookEventType::BudgetAlert,
//!     "budget:acct_0123456789abcdef0123:2026-11:75",
//!     serde_json::json!({"budget": "500.00", "threshold_percent": 75, "spend": "376.20"}),
//!     now,
//! );
//! // Some(event id) when queued; None without a webhook, or when the key was queued before.
//! let queued = engine.raise_event(&event).await?;
//! # let _ = queued; Ok(()) }
//! ```
//!
//! Time: events carry the `now` of the change that raised them, as everything else in the
//! engine. The delivery task alone reads the system clock: it schedules real network attempts
//! and signs them with the time they are sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use edgecost_api::{
    AlertRaisedData, MAX_WEBHOOK_URL_CHARS, NoticeRaisedData, WEBHOOK_LOG_ENTRIES, Webhook, WebhookDeletion, WebhookDelivery,
    WebhookEventState, WebhookEventStatus, WebhookPayload, WebhookRegistration, WebhookRequest,
};
use edgecost_pricing::Meter;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::{Notify, Semaphore, watch};

pub use edgecost_api::WebhookEventType;

use crate::engine::{AccountId, Engine, detached, idempotency_claim};
use crate::error::{EngineError, Result};
use crate::period::from_unix;
use crate::store::controls::AlertRow;
use crate::store::webhooks::{ClaimedEvent, DeliveryRecord, EventNext, OutboxRow, WebhookRow};
use crate::store::{NoticeRow, Store, TierWrite};
use crate::token;

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "edgecost-signature";
/// The header carrying the id of the attempt (as in the delivery log).
pub const DELIVERY_HEADER: &str = "edgecost-delivery";
/// The header carrying the event's type.
pub const EVENT_TYPE_HEADER: &str = "edgecost-event-type";
/// The header carrying the event's id (also the payload's `id`).
pub const EVENT_ID_HEADER: &str = "edgecost-event-id";
/// The prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Events one claim takes at most.
const CLAIM_MAX: usize = 32;
/// How often the delivery task prunes the log, and how many events one prune takes at most.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3_600);
const PRUNE_EVENTS_MAX: i64 = 1_000;
/// The shortest wait between two passes, whatever the options say.
const POLL_INTERVAL_MIN: Duration = Duration::from_millis(5);
/// Bytes of a receiver's answer read at most.
const DRAIN_BYTES_MAX: usize = 64 * 1024;

/// How the delivery task runs. The defaults make 10 attempts over about a day: retries after
/// 3, 6, 12, ... minutes (the 10th attempt about 25.5 hours after the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Whether this engine delivers at all (events are queued either way; another replica
    /// may deliver them).
    pub enabled: bool,
    /// The delay before the first retry; each later retry waits twice the one before.
    pub retry_base: Duration,
    /// Attempts per event, the first included; after the last failure it is `failed`.
    pub attempts_max: u32,
    /// How long one POST may take, connecting included.
    pub timeout: Duration,
    /// How often the task looks for due events that nothing woke it for (those other replicas
    /// or ingest queued).
    pub poll_interval: Duration,
    /// POSTs in flight at most.
    pub concurrency: usize,
    /// How long events that are no longer pending (and their delivery attempts) are kept,
    /// counted from the event's `created_at`; until then its dedup key also holds.
    pub log_retention: Duration,
    /// Whether receivers may be at private addresses (`10.0.0.0/8`, `192.168.0.0/16`,
    /// link-local, unique local and the like). Off by default, so an account cannot make the
    /// engine POST into the network it runs in; loopback receivers are always allowed.
    pub private_targets: bool,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            enabled: true,
            retry_base: Duration::from_secs(180),
            attempts_max: 10,
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            concurrency: 16,
            log_retention: Duration::from_secs(35 * 86_400),
            private_targets: false,
        }
    }
}

impl WebhookOptions {
    /// The wait after the `attempts_made`-th failed attempt: `retry_base * 2^(attempts_made - 1)`.
    pub fn retry_delay(&self, attempts_made: u32) -> Duration {
        let doublings = attempts_made.saturating_sub(1).min(20);
        self.retry_base.saturating_mul(1 << doublings)
    }

    /// How long a claimed event is held before another task may take it: longer than any
    /// attempt.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(30)
    }
}

/// Why a webhook request is refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook URL is not valid: {reason}")]
    InvalidUrl { reason: String },
    #[error("the webhook URL must use https:// (plain http:// is accepted for loopback hosts only; got host '{host}')")]
    NotHttps { host: String },
    #[error("the account has no webhook registered")]
    NotRegistered,
}

impl WebhookError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::InvalidUrl { .. } => "invalid_webhook_url",
            WebhookError::NotHttps { .. } => "webhook_url_not_https",
            WebhookError::NotRegistered => "webhook_not_registered",
        }
    }

    /// Whether it means "there is nothing there" (a 404) rather than a bad request.
    pub fn is_not_found(&self) -> bool {
        matches!(self, WebhookError::NotRegistered)
    }
}

/// Checks a webhook URL: absolute `https://` with a host, or `http://` to a loopback host
/// (`127.0.0.0/8`, `[::1]`, `localhost`); no user name, password or fragment; at most
/// [`MAX_WEBHOOK_URL_CHARS`] characters.
pub fn check_url(url: &str) -> Result<(), WebhookError> {
    let invalid = |reason: &str| WebhookError::InvalidUrl { reason: reason.to_owned() };
    if url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        return Err(invalid(&format!("longer than {MAX_WEBHOOK_URL_CHARS} characters")));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("it contains whitespace or control characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(invalid(&format!("scheme '{}' is not https", parsed.scheme())));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("it must not hold a user name or password"));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("it must not have a #fragment"));
    }
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| invalid("it has no host"))?;
    // The parser writes IPv4 hosts in dotted form and IPv6 hosts in brackets.
    let loopback = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => host.parse::<std::net::Ipv4Addr>().map_or_else(|_| host.eq_ignore_ascii_case("localhost"), |ip| ip.is_loopback()),
    };
    if parsed.scheme() == "http" && !loopback {
        return Err(WebhookError::NotHttps { host: host.to_owned() });
    }
    Ok(())
}

/// The `Edgecost-Signature` value for `body` sent at `timestamp` (unix seconds):
/// `t=<timestamp>,v1=<hex of HMAC-SHA256(key = secret, message = "<timestamp>." + body)>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(signature_bytes(secret, timestamp, body)))
}

fn signature_bytes(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Whether `header` (an `Edgecost-Signature` value) signs `body` with `secret`, at a time
/// within `tolerance` of `now`: what a receiver checks before it trusts a delivery. Any
/// `v1` entry may match (the comparison takes the same time whatever it finds).
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now: DateTime<Utc>, tolerance: Duration) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else { return false };
    if now.timestamp().abs_diff(timestamp) > tolerance.as_secs() {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    signatures.iter().any(|s| mac.clone().verify_slice(s).is_ok())
}

/// An event for an account's webhook, described apart from any transaction: what the other
/// parts of the engine build to raise one (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEvent {
    pub account_id: String,
    pub event_type: WebhookEventType,
    /// Names the occurrence: an event with a dedup key the account queued before is not
    /// queued again (a retried operation raises its event once). For example
    /// `budget:<account>:<period start>:<threshold>`.
    pub dedup_key: String,
    /// The payload's `data`.
    pub data: serde_json::Value,
    /// When it happened: the payload's `created_at`.
    pub created_at: DateTime<Utc>,
}

impl WebhookEvent {
    pub fn new(
        account_id: impl Into<String>,
        event_type: WebhookEventType,
        dedup_key: impl Into<String>,
        data: impl serde::Serialize,
        created_at: DateTime<Utc>,
    ) -> WebhookEvent {
        WebhookEvent {
            account_id: account_id.into(),
            event_type,
            dedup_key: dedup_key.into(),
            data: serde_json::to_value(data).expect("event data serializes"),
            created_at,
        }
    }

    /// The outbox row of this event: a fresh event id and the exact body to POST.
    pub(crate) fn to_outbox(&self) -> OutboxRow {
        let id = token::random_id("evt_", 12);
        let created_at = self.created_at.timestamp();
        let payload = WebhookPayload {
            id: id.clone(),
            event_type: self.event_type,
            account_id: self.account_id.clone(),
            created_at: from_unix(created_at),
            data: self.data.clone(),
        };
        OutboxRow {
            id,
            account_id: self.account_id.clone(),
            dedup_key: self.dedup_key.clone(),
            event_type: self.event_type.as_str().to_owned(),
            body: serde_json::to_string(&payload).expect("a payload serializes"),
            created_at,
        }
    }
}

/// The `notice.raised` event of a notice just raised, ready to queue in its transaction.
pub(crate) fn notice_raised(n: &NoticeRow) -> Result<OutboxRow> {
    let meter = Meter::ALL
        .into_iter()
        .find(|m| m.id() == n.meter)
        .ok_or_else(|| EngineError::CorruptRow { reason: format!("notice meter {}", n.meter) })?;
    let data = NoticeRaisedData {
        notice_id: n.id.clone(),
        meter,
        threshold_percent: u32::try_from(n.threshold_percent).unwrap_or(0),
        tier: n.tier.clone(),
        period_start: from_unix(n.period_start),
        reached_at: from_unix(n.reached_at),
    };
    let event = WebhookEvent::new(&n.account_id, WebhookEventType::NoticeRaised, format!("notice:{}", n.id), data, from_unix(n.reached_at));
    Ok(event.to_outbox())
}

/// The event of an account alert just raised (budgets, the spend cap, automatic top-up), ready
/// to queue in its transaction; `None` for a kind no event type carries.
pub(crate) fn alert_raised(a: &AlertRow) -> Option<OutboxRow> {
    let event_type = match a.kind.as_str() {
        "budget_spend" | "budget_forecast" => WebhookEventType::BudgetAlert,
        "spend_cap_reached" => WebhookEventType::SpendCapReached,
        "top_up_bought" => WebhookEventType::TopUpSucceeded,
        "top_up_failed" => WebhookEventType::TopUpFailed,
        "top_up_ceiling" => WebhookEventType::TopUpCeiling,
        _ => return None,
    };
    let data = AlertRaisedData {
        alert_id: a.id.clone(),
        kind: a.kind.clone(),
        key: a.key.clone(),
        message: a.message.clone(),
        period_start: from_unix(a.period_start),
        raised_at: from_unix(a.raised_at),
    };
    let event = WebhookEvent::new(&a.account_id, event_type, format!("alert:{}", a.id), data, from_unix(a.raised_at));
    Some(event.to_outbox())
}

impl Engine {
    /// The account's webhook: where it points, the event types it receives, its latest events
    /// and delivery attempts (newest first). Without one, [`WebhookError::NotRegistered`].
    pub async fn webhook(&self, account: &AccountId) -> Result<Webhook> {
        let row = self.store.webhook(&account.0).await?.ok_or(WebhookError::NotRegistered)?;
        let limit = i64::from(WEBHOOK_LOG_ENTRIES);
        let events = self.store.webhook_events(&account.0, limit).await?;
        let deliveries = self.store.webhook_deliveries(&account.0, limit).await?;
        let event_type = |name: &str| {
            WebhookEventType::from_name(name).ok_or_else(|| EngineError::CorruptRow { reason: format!("webhook event type {name}") })
        };
        let recent_events = events
            .into_iter()
            .map(|e| {
                let state = match e.state.as_str() {
                    "pending" => WebhookEventState::Pending,
                    "delivered" => WebhookEventState::Delivered,
                    "failed" => WebhookEventState::Failed,
                    "cancelled" => WebhookEventState::Cancelled,
                    other => return Err(EngineError::CorruptRow { reason: format!("webhook event state {other}") }),
                };
                Ok(WebhookEventStatus {
                    id: e.id,
                    event_type: event_type(&e.event_type)?,
                    created_at: from_unix(e.created_at),
                    state,
                    attempts: u32::try_from(e.attempts).unwrap_or(u32::MAX),
                    next_attempt_at: e.next_attempt_ms.filter(|_| state == WebhookEventState::Pending).map(from_unix_ms),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let recent_deliveries = deliveries
            .into_iter()
            .map(|d| {
                Ok(WebhookDelivery {
                    delivery_id: d.id,
                    event_id: d.event_id,
                    event_type: event_type(&d.event_type)?,
                    attempt: u32::try_from(d.attempt).unwrap_or(u32::MAX),
                    url: d.url,
                    attempted_at: from_unix_ms(d.attempted_ms),
                    status_code: d.status_code.and_then(|s| u16::try_from(s).ok()),
                    error: d.error,
                    duration_ms: u64::try_from(d.duration_ms).unwrap_or(0),
                    succeeded: d.succeeded,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Webhook {
            url: row.url,
            created_at: from_unix(row.created_at),
            updated_at: from_unix(row.updated_at),
            event_types: WebhookEventType::ALL.to_vec(),
            recent_events,
            recent_deliveries,
        })
    }

    /// Registers the account's webhook, or points it at a new URL; answers with the signing
    /// secret. A replaced URL keeps the secret unless the request asks to rotate it. The
    /// `idempotency_key` names the change: repeated with the same request it answers the same,
    /// with another request it is refused ([`EngineError::IdempotencyKeyReused`]). Pending
    /// events go to the new URL.
    pub async fn put_webhook(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        request: &WebhookRequest,
        now: DateTime<Utc>,
    ) -> Result<WebhookRegistration> {
        let rotate = request.rotate_secret.unwrap_or(false);
        let claim = idempotency_claim(idempotency_key, &("put", request.url.as_str(), rotate), now)?;
        check_url(&request.url)?;
        let now = now.timestamp();
        let url = request.url.clone();
        let decide = move |current: Option<&WebhookRow>| -> Result<(WebhookRow, String)> {
            let keep = current.filter(|_| !rotate);
            let row = WebhookRow {
                url: url.clone(),
                secret: keep.map_or_else(|| token::random_id(SECRET_PREFIX, 32), |c| c.secret.clone()),
                created_at: current.map_or(now, |c| c.created_at),
                updated_at: now,
            };
            let answer = WebhookRegistration {
                url: row.url.clone(),
                secret: row.secret.clone(),
                secret_is_new: keep.is_none(),
                created_at: from_unix(row.created_at),
                updated_at: from_unix(row.updated_at),
                event_types: WebhookEventType::ALL.to_vec(),
            };
            Ok((row, serde_json::to_string(&answer).expect("a registration serializes")))
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        let written = detached(async move { store.put_webhook(&id, &claim, &decide).await }).await?;
        self.webhooks.wake.notify_one();
        stored_answer(written)
    }

    /// Deletes the account's webhook: nothing more is delivered, and pending events are
    /// cancelled. Idempotent by `idempotency_key` as [`Engine::put_webhook`] is. Without a
    /// webhook, [`WebhookError::NotRegistered`].
    pub async fn delete_webhook(&self, account: &AccountId, idempotency_key: &str, now: DateTime<Utc>) -> Result<WebhookDeletion> {
        let claim = idempotency_claim(idempotency_key, &("delete",), now)?;
        let deleted_at = from_unix(now.timestamp());
        let decide = move |row: &WebhookRow, cancelled: u64| -> Result<String> {
            let answer =
                WebhookDeletion { url: row.url.clone(), deleted_at, cancelled_events: u32::try_from(cancelled).unwrap_or(u32::MAX) };
            Ok(serde_json::to_string(&answer).expect("a deletion serializes"))
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        let written = detached(async move { store.delete_webhook(&id, &claim, &decide).await }).await?;
        stored_answer(written)
    }

    /// Queues `event` for the account's webhook, in a transaction of its own: for events
    /// raised after the change that caused them has committed. Answers the event id, or
    /// `None` when the account has no webhook or `event.dedup_key` was queued before.
    pub async fn raise_event(&self, event: &WebhookEvent) -> Result<Option<String>> {
        let row = event.to_outbox();
        let store = self.store.clone();
        let queued = detached(async move { store.enqueue_event(&row).await.map(|q| q.then_some(row.id)) }).await?;
        if queued.is_some() {
            self.webhooks.wake.notify_one();
        }
        Ok(queued)
    }

    /// Changes how this engine's delivery task runs (every clone of it); it applies from the
    /// task's next pass.
    pub fn set_webhook_options(&self, options: WebhookOptions) {
        self.webhooks.options.send_replace(options);
    }

    /// How this engine's delivery task runs.
    pub fn webhook_options(&self) -> WebhookOptions {
        self.webhooks.options.borrow().clone()
    }

    /// Wakes the delivery task: due events are claimed now rather than at its next poll.
    pub fn deliver_webhooks_now(&self) {
        self.webhooks.wake.notify_one();
    }
}

fn stored_answer<T: serde::de::DeserializeOwned>(written: TierWrite) -> Result<T> {
    let (TierWrite::Written(json) | TierWrite::Replayed(json)) = written;
    serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored webhook answer: {e}") })
}

fn from_unix_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The engine's delivery task; stopped when the last clone of the engine goes.
pub(crate) struct DeliveryTask {
    options: watch::Sender<WebhookOptions>,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl DeliveryTask {
    /// Starts the task: a first pass after one poll interval (or as soon as it is woken or
    /// its options change), then one whenever it is woken, an event falls due, a delivery
    /// ends, or every poll interval. The first pass waits so that a short-lived engine (an
    /// `edgecost admin` command) exits before it claims events it would never deliver.
    pub(crate) fn start(store: Arc<dyn Store>) -> DeliveryTask {
        let (options, mut watched) = watch::channel(WebhookOptions::default());
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        let task = tokio::spawn(async move {
            let first_wait = watched.borrow().poll_interval;
            tokio::select! {
                () = woken.notified() => {}
                () = tokio::time::sleep(first_wait) => {}
                changed = watched.changed() => if changed.is_err() { return },
            }
            let mut client: Option<(reqwest::Client, bool)> = None;
            let mut slots = Arc::new(Semaphore::new(watched.borrow().concurrency.max(1)));
            let mut concurrency = watched.borrow().concurrency.max(1);
            let mut last_prune: Option<Instant> = None;
            loop {
                let options = watched.borrow_and_update().clone();
                if options.concurrency.max(1) != concurrency {
                    // Deliveries in flight keep their permits of the old semaphore.
                    concurrency = options.concurrency.max(1);
                    slots = Arc::new(Semaphore::new(concurrency));
                }
                let mut wait = options.poll_interval.max(POLL_INTERVAL_MIN);
                if options.enabled && last_prune.is_none_or(|at| at.elapsed() >= PRUNE_INTERVAL) {
                    last_prune = Some(Instant::now());
                    prune(&store, &options).await;
                }
                if options.enabled {
                    match pass(&store, &options, &slots, &mut client, &woken).await {
                        Ok(Some(due_in)) => wait = wait.min(due_in),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "claiming webhook events failed; retrying at the next pass"),
                    }
                }
                tokio::select! {
                    () = woken.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                    changed = watched.changed() => if changed.is_err() { return },
                }
            }
        });
        DeliveryTask { options, wake, task }
    }

    pub(crate) fn abort(&self) {
        self.task.abort();
    }
}

impl Drop for DeliveryTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Claims what is due and free slots allow, and starts a delivery of each; answers how soon
/// the next event falls due, if one is queued.
async fn pass(
    store: &Arc<dyn Store>,
    options: &WebhookOptions,
    slots: &Arc<Semaphore>,
    client: &mut Option<(reqwest::Client, bool)>,
    wake: &Arc<Notify>,
) -> Result<Option<Duration>> {
    loop {
        let now = now_ms();
        let Some(due) = store.next_event_due().await? else { return Ok(None) };
        if due > now {
            return Ok(Some(Duration::from_millis(u64::try_from(due - now).unwrap_or(0))));
        }
        let free = slots.available_permits().min(CLAIM_MAX);
        if free == 0 {
            // A delivery that ends wakes the task.
            return Ok(None);
        }
        let lease = token::random_id("lse_", 8);
        let lease_ms = i64::try_from(options.lease().as_millis()).unwrap_or(i64::MAX);
        let claimed = store.claim_events(now, now.saturating_add(lease_ms), &lease, free as i64).await?;
        if claimed.is_empty() {
            // Due, but another replica holds them: look again at the next poll.
            return Ok(None);
        }
        let client = match client {
            Some((c, private_targets)) if *private_targets == options.private_targets => c.clone(),
            _ => client.insert((http_client(options.private_targets)?, options.private_targets)).0.clone(),
        };
        for event in claimed {
            let permit = slots.clone().try_acquire_owned().expect("claimed no more events than free slots");
            let (store, client, options, wake) = (store.clone(), client.clone(), options.clone(), wake.clone());
            tokio::spawn(async move {
                deliver(&store, &client, &options, event).await;
                drop(permit);
                wake.notify_one();
            });
        }
    }
}

/// Deletes the events (and their attempts) older than the retention that are no longer
/// pending, a bounded number per transaction.
async fn prune(store: &Arc<dyn Store>, options: &WebhookOptions) {
    let retention = i64::try_from(options.log_retention.as_secs()).unwrap_or(i64::MAX);
    let before = (now_ms() / 1_000).saturating_sub(retention);
    loop {
        match store.prune_webhook_events(before, PRUNE_EVENTS_MAX).await {
            Ok(n) if n < PRUNE_EVENTS_MAX as u64 => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "pruning the webhook log failed; retrying at the next prune");
                return;
            }
        }
    }
}

/// Whether a webhook may be delivered to `ip`: a public address, loopback (a receiver on the
/// engine's own host), or, with `private_targets`, any unicast address.
pub fn target_allowed(ip: std::net::IpAddr, private_targets: bool) -> bool {
    use std::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return true;
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return false;
    }
    if private_targets {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // "This network", 0.0.0.0/8, and the reserved 240.0.0.0/4.
                || a == 0
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
            !((first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

/// Why a webhook cannot be delivered to `url`'s host, when it is an address that is not
/// allowed (a name is checked as it resolves, by [`TargetResolver`]).
fn literal_refusal(url: &str, private_targets: bool) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    // The parser writes IPv6 hosts in brackets; a name does not parse as an address.
    let ip: std::net::IpAddr = parsed.host_str()?.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    (!target_allowed(ip, private_targets)).then(|| format!("not delivered: {ip} is a private address, and receivers must be public"))
}

/// Resolves receivers' host names keeping only the addresses webhooks may go to, so a name
/// that points into a private network is never connected to.
struct TargetResolver {
    private_targets: bool,
}

impl reqwest::dns::Resolve for TargetResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let private_targets = self.private_targets;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<std::net::SocketAddr> = found.iter().copied().filter(|a| target_allowed(a.ip(), private_targets)).collect();
            if kept.is_empty() && !found.is_empty() {
                let message = format!("not delivered: {host} resolves only to private addresses, and receivers must be public");
                return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, message).into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn http_client(private_targets: bool) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        // A redirect is an answer like any other non-2xx: the receiver's URL is the one registered.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(TargetResolver { private_targets }))
        .user_agent(concat!("edgecost-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| EngineError::CorruptRow { reason: format!("the webhook HTTP client could not be built: {e}") })
}

/// One attempt: POSTs the event, logs the attempt, and moves the event on.
async fn deliver(store: &Arc<dyn Store>, client: &reqwest::Client, options: &WebhookOptions, event: ClaimedEvent) {
    let delivery_id = token::random_id("dlv_", 12);
    let attempted_ms = now_ms();
    let started = Instant::now();
    let refused = literal_refusal(&event.url, options.private_targets);
    let sent = match &refused {
        Some(_) => None,
        None => Some(
            client
                .post(&event.url)
                .timeout(options.timeout)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(DELIVERY_HEADER, &delivery_id)
                .header(EVENT_ID_HEADER, &event.id)
                .header(EVENT_TYPE_HEADER, &event.event_type)
                .header(SIGNATURE_HEADER, signature(&event.secret, attempted_ms.div_euclid(1000), event.body.as_bytes()))
                .body(event.body.clone())
                .send()
                .await,
        ),
    };
    let (status_code, error) = match sent {
        None => (None, refused),
        Some(Ok(mut response)) => {
            let status = response.status();
            // Some of the answer is read (within the timeout), so the connection can serve the
            // next delivery; its content is not kept.
            let mut drained = 0;
            while drained < DRAIN_BYTES_MAX {
                match response.chunk().await {
                    Ok(Some(chunk)) => drained += chunk.len(),
                    Ok(None) | Err(_) => break,
                }
            }
            (Some(status.as_u16()), (!status.is_success()).then(|| format!("the receiver answered {status}")))
        }
        Some(Err(e)) => (None, Some(describe(&e, options.timeout))),
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let succeeded = error.is_none();
    let attempts = u32::try_from(event.attempt).unwrap_or(u32::MAX);
    let next = if succeeded {
        EventNext::Delivered
    } else if attempts >= options.attempts_max {
        EventNext::Failed
    } else {
        // Up to a tenth more, at random: events that failed together (a receiver that was
        // down) are not all retried in the same instant.
        let delay = options.retry_delay(attempts);
        let jitter = delay.mul_f64(f64::from(token::random_u32() % 1_000) / 10_000.0);
        let delay = i64::try_from((delay + jitter).as_millis()).unwrap_or(i64::MAX);
        EventNext::Retry(now_ms().saturating_add(delay))
    };
    let record = DeliveryRecord {
        id: delivery_id,
        event_id: event.id.clone(),
        account_id: event.account_id.clone(),
        attempt: event.attempt,
        url: event.url.clone(),
        attempted_ms,
        status_code: status_code.map(i64::from),
        error,
        duration_ms,
        succeeded,
        lease: event.lease.clone(),
        next,
    };
    if let Err(e) = store.record_delivery(&record).await {
        // The event stays claimed until its lease ends, then is tried again: at least once.
        tracing::warn!(error = %e, event = %event.id, "recording a webhook delivery failed");
    }
}

/// A short account of why a POST got no answer, for the delivery log.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let mut text = if e.is_connect() { "could not connect".to_owned() } else { "the request failed".to_owned() };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    for _ in 0..6 {
        let Some(c) = cause else { break };
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_must_be_public_or_loopback_unless_private_targets_are_allowed() {
        let allowed = |ip: &str, private: bool| target_allowed(ip.parse().unwrap(), private);
        for public in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "100.128.0.1", "172.32.0.1"] {
            assert!(allowed(public, false), "{public}");
        }
        for local in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
            assert!(allowed(local, false), "{local}");
        }
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.1.2.3",
            "255.255.255.255",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!allowed(private, false), "{private}");
        }
        assert!(allowed("10.1.2.3", true) && allowed("fd00::1", true));
        for never in ["0.0.0.0", "::", "224.0.0.1", "ff02::1"] {
            assert!(!allowed(never, true), "{never}");
        }
        let refusal = literal_refusal("https://169.254.169.254/latest/meta-data", false).unwrap();
        assert!(refusal.contains("169.254.169.254 is a private address"), "{refusal}");
        assert_eq!(literal_refusal("https://[fd00::1]:8443/hook", true), None);
        assert!(literal_refusal("https://[fd00::1]:8443/hook", false).is_some());
        assert_eq!(literal_refusal("https://hooks.example.com/x", false), None, "names are checked as they resolve");
        assert_eq!(literal_refusal("http://127.0.0.1:9000/x", false), None);
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_loopback_is_kept_and_one_with_no_allowed_address_refused() {
        use reqwest::dns::Resolve;
        let resolver = TargetResolver { private_targets: false };
        let kept: Vec<_> = resolver.resolve("localhost".parse().unwrap()).await.unwrap().collect();
        assert!(!kept.is_empty() && kept.iter().all(|a| a.ip().is_loopback()), "{kept:?}");
    }

    #[test]
    fn urls_are_https_or_loopback_http() {
        for ok in [
            "https://hooks.example.com/edgecost",
            "https://hooks.example.com:8443/a?b=c",
            "http://127.0.0.1:8080/hook",
            "http://127.9.9.9/hook",
            "http://[::1]:9000/",
            "http://localhost/x",
            "http://LOCALHOST:1/x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        let code = |url: &str| check_url(url).unwrap_err().code();
        assert_eq!(code("http://hooks.example.com/x"), "webhook_url_not_https");
        assert_eq!(code("http://10.0.0.1/x"), "webhook_url_not_https");
        assert_eq!(code("http://localhost.example.com/x"), "webhook_url_not_https");
        for bad in [
            "",
            "not a url",
            "/relative",
            "ftp://example.com/x",
            "https://user:pw@example.com/x",
            "https://example.com/x#frag",
            "https://example.com/a b",
            "file:///etc/passwd",
        ] {
            assert_eq!(code(bad), "invalid_webhook_url", "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_WEBHOOK_URL_CHARS));
        assert_eq!(code(&long), "invalid_webhook_url");
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac.finalize().into_bytes()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // The documented example (docs/webhooks.md).
        let body = br#"{"id":"evt_1","type":"notice.raised"}"#;
        let header = signature("whsec_test", 1_795_000_000, body);
        assert_eq!(header, format!("t=1795000000,v1={}", hex::encode(signature_bytes("whsec_test", 1_795_000_000, body))));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
        mac.update(b"1795000000.{\"id\":\"evt_1\",\"type\":\"notice.raised\"}");
        assert_eq!(header, format!("t=1795000000,v1={}", hex::encode(mac.finalize().into_bytes())));

        // The worked example of docs/webhooks.md.
        let secret = "whsec_5f1c0a3e9b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a1e3f5b7d9c0a2e4f6b8d1c3a";
        let documented = r#"{"id":"evt_7d3f1a9c2b8e4f6a0c5d1e2f","type":"notice.raised","account_id":"acct_4b1e9a7c3d","created_at":"2026-11-23T12:00:00Z","data":{"meter":"requests","notice_id":"ntc_9a8b7c6d5e4f3a2b1c0d","period_start":"2026-11-01T00:00:00Z","reached_at":"2026-11-23T12:00:00Z","threshold_percent":80,"tier":"production"}}"#;
        assert_eq!(
            signature(secret, 1_795_435_200, documented.as_bytes()),
            "t=1795435200,v1=8567a967e22a909cd38aa6ffdc72b64989684821414a66e7ab05ca1878373f51"
        );

        let at = from_unix(1_795_000_000);
        let tolerance = Duration::from_secs(300);
        assert!(verify_signature("whsec_test", &header, body, at, tolerance));
        assert!(verify_signature("whsec_test", &format!("{header},v1=00"), body, at, tolerance));
        assert!(!verify_signature("whsec_other", &header, body, at, tolerance));
        assert!(!verify_signature("whsec_test", &header, b"{}", at, tolerance));
        assert!(!verify_signature("whsec_test", &header, body, from_unix(1_795_000_000 + 301), tolerance));
        assert!(!verify_signature("whsec_test", "v1=00", body, at, tolerance));
    }

    #[test]
    fn retries_back_off_exponentially_to_about_a_day() {
        let o = WebhookOptions::default();
        assert_eq!(o.retry_delay(1), Duration::from_secs(180));
        assert_eq!(o.retry_delay(2), Duration::from_secs(360));
        let total: Duration = (1..o.attempts_max).map(|n| o.retry_delay(n)).sum();
        assert!(total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(30 * 3600), "{total:?}");
        assert_eq!(WebhookOptions { retry_base: Duration::from_millis(100), ..o }.retry_delay(4), Duration::from_millis(800));
    }

    #[test]
    fn account_alerts_map_to_their_event_types() {
        let alert = |kind: &str| AlertRow {
            id: "alr_1".into(),
            account_id: "acct_1".into(),
            period_start: 1_793_491_200,
            kind: kind.into(),
            key: "75".into(),
            message: "Spend reached 75% of the budget.".into(),
            raised_at: 1_795_435_200,
        };
        for (kind, event_type) in [
            ("budget_spend", "budget.alert"),
            ("budget_forecast", "budget.alert"),
            ("spend_cap_reached", "spend_cap.reached"),
            ("top_up_bought", "top_up.succeeded"),
            ("top_up_failed", "top_up.failed"),
            ("top_up_ceiling", "top_up.ceiling"),
        ] {
            let row = alert_raised(&alert(kind)).unwrap();
            assert_eq!((row.event_type.as_str(), row.dedup_key.as_str()), (event_type, "alert:alr_1"));
            let body: serde_json::Value = serde_json::from_str(&row.body).unwrap();
            assert_eq!(
                body["data"],
                serde_json::json!({"alert_id": "alr_1", "kind": kind, "key": "75", "message": "Spend reached 75% of the budget.",
                    "period_start": "2026-11-01T00:00:00Z", "raised_at": "2026-11-23T12:00:00Z"})
            );
        }
        assert!(alert_raised(&alert("something_new")).is_none());
    }

    #[test]
    fn an_event_body_is_the_documented_envelope() {
        let at = from_unix(1_795_000_000);
        let event = WebhookEvent::new("acct_1", WebhookEventType::TopUpFailed, "k", serde_json::json!({"packs": 2}), at);
        let row = event.to_outbox();
        assert!(row.id.starts_with("evt_"));
        assert_eq!(row.event_type, "top_up.failed");
        let body: serde_json::Value = serde_json::from_str(&row.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"id": row.id, "type": "top_up.failed", "account_id": "acct_1", "created_at": "2026-11-18T11:06:40Z", "data": {"packs": 2}})
        );
        assert!(row.body.starts_with(r#"{"id":"evt_"#), "{}", row.body);
    }

    /// The store's claims on one backend: a held event is not claimed twice, a holder that
    /// died gives it up when its lease ends, and a late outcome under an old lease moves
    /// nothing.
    #[cfg(feature = "testing")]
    async fn leases_on(url: &str) {
        use crate::store::webhooks::EventNext;
        let engine = Engine::open(url, edgecost_pricing::PriceBook::published().clone()).await.unwrap();
        engine.set_webhook_options(WebhookOptions { enabled: false, ..WebhookOptions::default() });
        let now = from_unix(1_795_435_200);
        let created = engine.create_account("Acme", "production", now).await.unwrap();
        let account = engine.authenticate_account(&created.token).await.unwrap();
        let request = WebhookRequest { url: "http://127.0.0.1:9/hook".into(), rotate_secret: None };
        engine.put_webhook(&account, "k-1", &request, now).await.unwrap();
        let event = WebhookEvent::new(account.as_str(), WebhookEventType::SpendCapReached, "cap:1", serde_json::json!({}), now);
        let id = engine.raise_event(&event).await.unwrap().unwrap();

        let store = engine.store.clone();
        let t = now_ms();
        let first = store.claim_events(t, t + 300, "lease-a", 10).await.unwrap();
        assert_eq!(first.iter().map(|e| (e.id.as_str(), e.attempt)).collect::<Vec<_>>(), [(id.as_str(), 1)]);
        assert_eq!((first[0].url.as_str(), first[0].secret.starts_with(SECRET_PREFIX)), ("http://127.0.0.1:9/hook", true));
        assert!(store.claim_events(t + 1, t + 1_000, "lease-b", 10).await.unwrap().is_empty());
        // The holder dies without an outcome: the event falls due again when its lease ends.
        assert_eq!(store.next_event_due().await.unwrap(), Some(t + 300));
        assert!(store.claim_events(t + 299, t + 1_000, "lease-b", 10).await.unwrap().is_empty());
        let again = store.claim_events(t + 300, t + 1_000, "lease-b", 10).await.unwrap();
        assert_eq!(again.iter().map(|e| e.attempt).collect::<Vec<_>>(), [2]);
        let record = |lease: &str, attempt: i64, next: EventNext| DeliveryRecord {
            id: token::random_id("dlv_", 12),
            event_id: id.clone(),
            account_id: account.as_str().to_owned(),
            attempt,
            url: request.url.clone(),
            attempted_ms: t + attempt,
            status_code: None,
            error: Some("could not connect".into()),
            duration_ms: 1,
            succeeded: false,
            lease: lease.to_owned(),
            next,
        };
        // The first holder's late outcome is logged but moves nothing.
        store.record_delivery(&record("lease-a", 1, EventNext::Delivered)).await.unwrap();
        assert_eq!(store.next_event_due().await.unwrap(), Some(t + 1_000));
        store.record_delivery(&record("lease-b", 2, EventNext::Retry(t + 5_000))).await.unwrap();
        assert_eq!(store.next_event_due().await.unwrap(), Some(t + 5_000));
        let shown = engine.webhook(&account).await.unwrap();
        assert_eq!(shown.recent_deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(), [2, 1]);
        let e = &shown.recent_events[0];
        assert_eq!((e.state, e.attempts, e.next_attempt_at), (WebhookEventState::Pending, 2, Some(from_unix_ms(t + 5_000))));
        // A pending event is never pruned, however old.
        assert_eq!(store.prune_webhook_events(i64::MAX, 10).await.unwrap(), 0);
        // Deleting the webhook cancels it; nothing is due any more.
        let deleted = engine.delete_webhook(&account, "k-2", now).await.unwrap();
        assert_eq!(deleted.cancelled_events, 1);
        assert_eq!(store.next_event_due().await.unwrap(), None);
        assert!(store.claim_events(t + 10_000, t + 20_000, "lease-c", 10).await.unwrap().is_empty());
        // Past its retention it goes, with its attempts; then its dedup key is free again.
        assert_eq!(store.prune_webhook_events(now.timestamp(), 10).await.unwrap(), 0);
        assert_eq!(store.prune_webhook_events(now.timestamp() + 1, 10).await.unwrap(), 1);
        assert!(store.webhook_events(account.as_str(), 10).await.unwrap().is_empty());
        assert!(store.webhook_deliveries(account.as_str(), 10).await.unwrap().is_empty());
        engine.close().await;
    }

    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn a_claimed_event_is_held_by_its_lease_on_both_backends() {
        let dir = tempfile::tempdir().unwrap();
        leases_on(&Engine::sqlite_url(&dir.path().join("leases.db"))).await;
        let pg = crate::testing::PgServer::start_with(false);
        leases_on(&pg.create_database().await).await;
    }
}
