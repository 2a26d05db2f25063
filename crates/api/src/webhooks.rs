//! Webhooks: one URL per account that receives the account's events (notices, budget alerts,
//! spend caps, automatic top-ups) as signed JSON POSTs, with a readable delivery log.
//!
//! See `docs/webhooks.md` for the payload, the headers and how to verify a signature.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

/// The longest webhook URL accepted, in characters.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2048;
/// Delivery attempts (newest first) and events `GET /v1/account/webhooks` lists at most.
pub const WEBHOOK_LOG_ENTRIES: u32 = 100;

/// `PUT /v1/account/webhooks`, sent with an `Idempotency-Key` header: registers the account's
/// webhook, or replaces its URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where events are POSTed: an `https://` URL, or `http://` to a loopback host
    /// (`127.0.0.0/8`, `[::1]`, `localhost`). No user name, password or fragment.
    #[schemars(length(min = 1, max = MAX_WEBHOOK_URL_CHARS))]
    pub url: String,
    /// Draw a new signing secret. Without it a replaced URL keeps the current secret.
    #[serde(default)]
    #[ts(optional)]
    pub rotate_secret: Option<bool>,
}

/// What an event is about. Each event's `type` in its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub enum WebhookEventType {
    /// A meter reached 80% or 100% of its included quota this period.
    #[serde(rename = "notice.raised")]
    NoticeRaised,
    /// Spend, or the projected bill, reached a budget threshold.
    #[serde(rename = "budget.alert")]
    BudgetAlert,
    /// The bill to date reached the spend cap: overage is refused.
    #[serde(rename = "spend_cap.reached")]
    SpendCapReached,
    /// The spend cap was raised or removed: overage is accepted again.
    #[serde(rename = "spend_cap.lifted")]
    SpendCapLifted,
    /// An automatic credit top-up bought packs.
    #[serde(rename = "top_up.succeeded")]
    TopUpSucceeded,
    /// An automatic credit top-up failed; nothing was charged.
    #[serde(rename = "top_up.failed")]
    TopUpFailed,
    /// Automatic top-up reached its ceiling for the period and buys no more.
    #[serde(rename = "top_up.ceiling")]
    TopUpCeiling,
}

impl WebhookEventType {
    /// Every event type, as delivered to every registered webhook.
    pub const ALL: [WebhookEventType; 7] = [
        WebhookEventType::NoticeRaised,
        WebhookEventType::BudgetAlert,
        WebhookEventType::SpendCapReached,
        WebhookEventType::SpendCapLifted,
        WebhookEventType::TopUpSucceeded,
        WebhookEventType::TopUpFailed,
        WebhookEventType::TopUpCeiling,
    ];

    /// The name in payloads and in the `Edgecost-Event-Type` header.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEventType::NoticeRaised => "notice.raised",
            WebhookEventType::BudgetAlert => "budget.alert",
            WebhookEventType::SpendCapReached => "spend_cap.reached",
            WebhookEventType::SpendCapLifted => "spend_cap.lifted",
            WebhookEventType::TopUpSucceeded => "top_up.succeeded",
            WebhookEventType::TopUpFailed => "top_up.failed",
            WebhookEventType::TopUpCeiling => "top_up.ceiling",
        }
    }

    /// The type named `name`, as [`WebhookEventType::as_str`] writes it.
    pub fn from_name(name: &str) -> Option<WebhookEventType> {
        WebhookEventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The answer to `PUT /v1/account/webhooks`: the registration and its signing secret. The
/// same idempotency key returns this same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WebhookRegistration {
    /// The URL events are POSTed to.
    pub url: String,
    /// The key of every delivery's `Edgecost-Signature` (HMAC-SHA256 over `<t>.<body>`, with
    /// these bytes as the key). Kept when the URL is replaced, unless `rotate_secret`.
    pub secret: String,
    /// Whether this request drew the secret (a first registration or `rotate_secret`).
    pub secret_is_new: bool,
    /// When the webhook was first registered (kept when its URL is replaced).
    pub created_at: DateTime<Utc>,
    /// When the registration was last written (its latest `PUT`).
    pub updated_at: DateTime<Utc>,
    /// The event types the webhook receives: every one ([`WebhookEventType::ALL`]).
    pub event_types: Vec<WebhookEventType>,
}

/// Where an event's delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEventState {
    /// Not delivered yet: its next attempt is at `next_attempt_at`.
    Pending,
    /// A POST was answered with a 2xx status.
    Delivered,
    /// Every attempt failed; it is not tried again.
    Failed,
    /// The webhook was deleted before it was delivered.
    Cancelled,
}

/// One event queued for the webhook, and where its delivery stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WebhookEventStatus {
    /// The event id (`evt_...`), as in the payload and the `Edgecost-Event-Id` header.
    pub id: String,
    /// What the event is about.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub event_type: WebhookEventType,
    /// When the event was raised: the payload's `created_at`.
    pub created_at: DateTime<Utc>,
    /// Where its delivery stands.
    pub state: WebhookEventState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a pending event is tried next; `None` once it is no longer pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// One delivery attempt: a POST of one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WebhookDelivery {
    /// Sent as the `Edgecost-Delivery` header.
    pub delivery_id: String,
    /// The event POSTed: the payload's `id`.
    pub event_id: String,
    /// The event's type.
    pub event_type: WebhookEventType,
    /// 1 for the first attempt of the event, 2 for its first retry, ...
    pub attempt: u32,
    /// The URL the attempt POSTed to (the one registered then).
    pub url: String,
    /// When the attempt was sent: the `t` of its signature.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; absent when none came (see `error`).
    pub status_code: Option<u16>,
    /// Why no 2xx came: a timeout, a refused connection, a TLS failure, a non-2xx status.
    /// `None` for an attempt that succeeded.
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds, until the answer or the failure.
    pub duration_ms: u64,
    /// Whether the receiver answered with a 2xx status.
    pub succeeded: bool,
}

/// `GET /v1/account/webhooks`: the registration (without its secret), the latest events and
/// the latest delivery attempts, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Webhook {
    /// The URL events are POSTed to.
    pub url: String,
    /// When the webhook was first registered.
    pub created_at: DateTime<Utc>,
    /// When the registration was last written (its latest `PUT`).
    pub updated_at: DateTime<Utc>,
    /// The event types the webhook receives: every one ([`WebhookEventType::ALL`]).
    pub event_types: Vec<WebhookEventType>,
    /// Up to 100 events, newest first.
    pub recent_events: Vec<WebhookEventStatus>,
    /// Up to 100 delivery attempts, newest first.
    pub recent_deliveries: Vec<WebhookDelivery>,
}

/// The answer to `DELETE /v1/account/webhooks`. The same idempotency key returns this same
/// answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WebhookDeletion {
    /// The URL that was registered.
    pub url: String,
    /// When the webhook was deleted.
    pub deleted_at: DateTime<Utc>,
    /// Events still pending that will not be delivered.
    pub cancelled_events: u32,
}

/// The JSON body of every webhook POST. `data` depends on `type` (for `notice.raised`, see
/// [`NoticeRaisedData`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WebhookPayload {
    /// The event id: the same in every retry of the event, so receivers deduplicate on it.
    pub id: String,
    /// What the event is about; also the `Edgecost-Event-Type` header.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub event_type: WebhookEventType,
    /// The account the event is about.
    pub account_id: String,
    /// When the event happened.
    pub created_at: DateTime<Utc>,
    /// The event's details: [`NoticeRaisedData`] for `notice.raised`, [`AlertRaisedData`]
    /// for the alert events, `previous_cap`, `spend_cap`, `capped_at` and `period_start` for
    /// `spend_cap.lifted`.
    #[ts(type = "Record<string, unknown>")]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// `data` of a `notice.raised` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct NoticeRaisedData {
    /// The notice's id, as in `GET /v1/account/notices`.
    pub notice_id: String,
    /// The meter that reached the threshold.
    pub meter: Meter,
    /// 80 or 100: the share of the tier's included quantity reached.
    pub threshold_percent: u32,
    /// The tier whose quota was reached.
    pub tier: String,
    /// The start of the billing period the notice belongs to.
    pub period_start: DateTime<Utc>,
    /// When the usage that reached the threshold was stored.
    pub reached_at: DateTime<Utc>,
}

/// `data` of the events of account alerts (`budget.alert`, `spend_cap.reached`,
/// `top_up.succeeded`, `top_up.failed`, `top_up.ceiling`): the alert as
/// `GET /v1/account/budget` and `GET /v1/account/auto-top-up` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AlertRaisedData {
    /// The alert's id (`alr_...`), as in `GET /v1/account/budget`.
    pub alert_id: String,
    /// The alert's kind (`budget_spend`, `budget_forecast`, `spend_cap_reached`,
    /// `top_up_bought`, `top_up_failed`, `top_up_ceiling`).
    pub kind: String,
    /// What crossing raised it, e.g. the budget percentage: the alert is raised once per kind
    /// and key in a period.
    pub key: String,
    /// One sentence for people, with the amounts the alert is about.
    pub message: String,
    /// The start of the billing period the alert belongs to.
    pub period_start: DateTime<Utc>,
    /// When the alert was raised.
    pub raised_at: DateTime<Utc>,
}
