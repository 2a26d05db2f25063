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
//! [`Engine::raise_event`](crate::Engine::raise_event) once the change that raised it has committed, or queue its
//! outbox row (the crate-private `WebhookEvent::to_outbox`) with the backend's
//! `enqueue_webhook_event` inside the store transaction that makes the change. The dedup key makes a retried operation queue
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
//! This module holds what the engine's operations build on (events, signing, the delivery
//! task) and names none of them; the [`Engine`](crate::Engine) methods that register, show and
//! delete an account's webhook and raise events sit above it, with the other operations.
//!
//! Time: events carry the `now` of the change that raised them, as everything else in the
//! engine. The delivery task alone reads the system clock: it schedules real network attempts
//! and signs them with the time they are sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use edgecost_api::{AlertRaisedData, MAX_WEBHOOK_URL_CHARS, NoticeRaisedData, WebhookPayload};
use edgecost_pricing::Meter;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::{Notify, Semaphore, watch};

pub use edgecost_api::WebhookEventType;

pub use crate::error::WebhookError;

use crate::error::{EngineError, Result};
use crate::period::from_unix;
use crate::store::controls::AlertRow;
use crate::store::webhooks::{ClaimedEvent, DeliveryRecord, EventNext, OutboxRow};
use crate::store::{NoticeRow, Store};
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
    /// The account whose webhook receives it.
    pub account_id: String,
    /// What happened: the payload's `type`.
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
    /// The event `event_type` of `account_id`, named by `dedup_key`, with `data` as the
    /// payload's `data`.
    ///
    /// # Panics
    ///
    /// If `data` does not serialize to JSON (a map with keys that are not strings, say).
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
        meter: meter.into(),
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

pub(crate) fn from_unix_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

mod delivery;

pub(crate) use delivery::DeliveryTask;
pub use delivery::target_allowed;

#[cfg(test)]
mod tests;
