//! The engine's webhook operations: an account registers, reads and deletes its webhook,
//! and other parts raise events for it (see [`crate::webhooks`] for events, signing and the
//! delivery task these build on).

use chrono::{DateTime, Utc};
use edgecost_api::{
    WEBHOOK_LOG_ENTRIES, Webhook, WebhookDeletion, WebhookDelivery, WebhookEventState, WebhookEventStatus, WebhookRegistration,
    WebhookRequest,
};

use crate::engine::{AccountId, Engine, detached, idempotency_claim};
use crate::error::{EngineError, Result};
use crate::period::from_unix;
use crate::store::TierWrite;
use crate::store::webhooks::WebhookRow;
use crate::token;
use crate::webhooks::{SECRET_PREFIX, WebhookError, WebhookEvent, WebhookEventType, WebhookOptions, check_url, from_unix_ms};

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

// The tests open engines on PostgreSQL too.
#[cfg(all(test, feature = "testing"))]
mod tests;
