//! Webhook storage: the registrations, the outbox of events and the delivery log, on both
//! backends (see `migrations/*/..._webhooks.sql`).
//!
//! An event is queued by [`enqueue_webhook_event`] (generated into each backend by
//! [`impl_webhook_store`]) inside the transaction that raises it, so it commits or rolls back
//! with its cause; or on its own by [`WebhookStore::enqueue_event`]. Either inserts a row only
//! when the account has a webhook, and only once per (account, dedup key).

use async_trait::async_trait;

use super::{PurchaseClaim, TierWrite};
use crate::error::Result;

/// An account's registered webhook.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct WebhookRow {
    pub url: String,
    pub secret: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An event ready to queue: its id and its exact body are fixed before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OutboxRow {
    pub id: String,
    pub account_id: String,
    pub dedup_key: String,
    pub event_type: String,
    pub body: String,
    pub created_at: i64,
}

/// A due event a delivery task claimed, with where to send it and how to sign it.
#[derive(Clone, Debug)]
pub(crate) struct ClaimedEvent {
    pub id: String,
    pub account_id: String,
    pub event_type: String,
    pub body: String,
    /// The number of this attempt (1 for the first).
    pub attempt: i64,
    pub url: String,
    pub secret: String,
    pub lease: String,
}

/// What becomes of an event after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventNext {
    Delivered,
    /// Tried again at this time (unix milliseconds).
    Retry(i64),
    /// Every attempt failed.
    Failed,
}

/// One attempt, as logged, and what it makes of its event.
#[derive(Clone, Debug)]
pub(crate) struct DeliveryRecord {
    pub id: String,
    pub event_id: String,
    pub account_id: String,
    pub attempt: i64,
    pub url: String,
    pub attempted_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub succeeded: bool,
    /// The lease the attempt was made under: the event's state is written only if it still
    /// holds it.
    pub lease: String,
    pub next: EventNext,
}

/// An event as the account sees it in the webhook's status.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct EventStatusRow {
    pub id: String,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub created_at: i64,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_ms: Option<i64>,
}

/// One logged attempt, with its event's type.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub attempt: i64,
    pub url: String,
    pub attempted_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub succeeded: bool,
}

/// Decides a registration from the current one (if any): the row to store and the answer.
pub(crate) type WebhookDecide<'a> = &'a (dyn Fn(Option<&WebhookRow>) -> Result<(WebhookRow, String)> + Send + Sync);
/// Decides the answer to a deletion from the deleted row and the count of cancelled events.
pub(crate) type WebhookDeleteDecide<'a> = &'a (dyn Fn(&WebhookRow, u64) -> Result<String> + Send + Sync);

#[async_trait]
pub(crate) trait WebhookStore: Send + Sync {
    /// The account's webhook, if it registered one.
    async fn webhook(&self, account_id: &str) -> Result<Option<WebhookRow>>;
    /// Claims `claim` (scope `webhook`), reads the current webhook and stores what `decide`
    /// plans, in one transaction; a repeated key is answered from the claim (or refused if
    /// its request differs).
    async fn put_webhook(&self, account_id: &str, claim: &PurchaseClaim, decide: WebhookDecide<'_>) -> Result<TierWrite>;
    /// Claims `claim`, deletes the webhook and cancels its pending events, in one transaction.
    /// Without a webhook, `decide` is not called and the claim is not kept.
    async fn delete_webhook(&self, account_id: &str, claim: &PurchaseClaim, decide: WebhookDeleteDecide<'_>) -> Result<TierWrite>;
    /// Queues `event` in a transaction of its own: answers whether it was queued (not when
    /// the account has no webhook or the dedup key was queued before).
    async fn enqueue_event(&self, event: &OutboxRow) -> Result<bool>;
    /// The earliest time (unix milliseconds) an event of a registered webhook is due.
    async fn next_event_due(&self) -> Result<Option<i64>>;
    /// Claims up to `limit` events due at `now_ms` under `lease` until `lease_until_ms`,
    /// counting the attempt. Events another task holds are skipped.
    async fn claim_events(&self, now_ms: i64, lease_until_ms: i64, lease: &str, limit: i64) -> Result<Vec<ClaimedEvent>>;
    /// Logs an attempt and, if its lease still holds the event, moves the event on.
    async fn record_delivery(&self, delivery: &DeliveryRecord) -> Result<()>;
    /// Deletes up to `limit` events no longer pending that were raised before `before` (unix
    /// seconds), with their delivery attempts, in one transaction; answers how many.
    async fn prune_webhook_events(&self, before: i64, limit: i64) -> Result<u64>;
    /// The account's latest events, newest first.
    async fn webhook_events(&self, account_id: &str, limit: i64) -> Result<Vec<EventStatusRow>>;
    /// The account's latest delivery attempts, newest first.
    async fn webhook_deliveries(&self, account_id: &str, limit: i64) -> Result<Vec<DeliveryRow>>;
}

/// Implements [`WebhookStore`] for a backend, next to `impl_store!` (whose `claim_key` and
/// `answer_claim` it uses), and defines `enqueue_webhook_event` for that backend's
/// transactions. `$skip_locked` is the claim's row-locking clause: PostgreSQL's
/// `FOR UPDATE OF e SKIP LOCKED`; nothing on SQLite, whose write lock serializes claimers.
macro_rules! impl_webhook_store {
    ($store:ty, $row:ty, $skip_locked:literal) => {
        /// Queues `event` inside `tx`, the transaction that raises it: if the account has a
        /// webhook and the event's dedup key was not queued before. Answers whether it was.
        pub(crate) async fn enqueue_webhook_event(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            event: &$crate::store::webhooks::OutboxRow,
        ) -> $crate::error::Result<bool> {
            // Due at once (time 0), whatever the clock that raised it says.
            let queued = sqlx::query(
                "INSERT INTO webhook_events (id, account_id, dedup_key, type, body, created_at, state, attempts, next_attempt_ms) \
                 SELECT $1, $2, $3, $4, $5, $6, 'pending', 0, 0 FROM webhooks WHERE account_id = $7 ON CONFLICT DO NOTHING",
            )
            .bind(&event.id)
            .bind(&event.account_id)
            .bind(&event.dedup_key)
            .bind(&event.event_type)
            .bind(&event.body)
            .bind(event.created_at)
            .bind(&event.account_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            Ok(queued == 1)
        }

        fn webhook_row(r: &$row) -> $crate::error::Result<$crate::store::webhooks::WebhookRow> {
            Ok(sqlx::FromRow::from_row(r)?)
        }

        const WEBHOOK_SELECT: &str = "SELECT url, secret, created_at, updated_at FROM webhooks WHERE account_id = $1";

        #[async_trait::async_trait]
        impl $crate::store::webhooks::WebhookStore for $store {
            async fn webhook(&self, account_id: &str) -> $crate::error::Result<Option<$crate::store::webhooks::WebhookRow>> {
                let row = sqlx::query(WEBHOOK_SELECT).bind(account_id).fetch_optional(&self.pool).await?;
                row.as_ref().map(webhook_row).transpose()
            }

            async fn put_webhook(
                &self,
                account_id: &str,
                claim: &$crate::store::PurchaseClaim,
                decide: $crate::store::webhooks::WebhookDecide<'_>,
            ) -> $crate::error::Result<$crate::store::TierWrite> {
                let mut tx = self.begin_write().await?;
                if let Some(response) = claim_key(&mut tx, $crate::store::ClaimScope::Webhook, account_id, claim).await? {
                    tx.rollback().await?;
                    return Ok($crate::store::TierWrite::Replayed(response));
                }
                let current = sqlx::query(WEBHOOK_SELECT).bind(account_id).fetch_optional(&mut *tx).await?;
                let current = current.as_ref().map(webhook_row).transpose()?;
                let (row, response) = decide(current.as_ref())?;
                sqlx::query(
                    "INSERT INTO webhooks (account_id, url, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at",
                )
                .bind(account_id)
                .bind(&row.url)
                .bind(&row.secret)
                .bind(row.created_at)
                .bind(row.updated_at)
                .execute(&mut *tx)
                .await?;
                answer_claim(&mut tx, $crate::store::ClaimScope::Webhook, account_id, claim, &response).await?;
                tx.commit().await?;
                Ok($crate::store::TierWrite::Written(response))
            }

            async fn delete_webhook(
                &self,
                account_id: &str,
                claim: &$crate::store::PurchaseClaim,
                decide: $crate::store::webhooks::WebhookDeleteDecide<'_>,
            ) -> $crate::error::Result<$crate::store::TierWrite> {
                let mut tx = self.begin_write().await?;
                if let Some(response) = claim_key(&mut tx, $crate::store::ClaimScope::Webhook, account_id, claim).await? {
                    tx.rollback().await?;
                    return Ok($crate::store::TierWrite::Replayed(response));
                }
                let current = sqlx::query(WEBHOOK_SELECT).bind(account_id).fetch_optional(&mut *tx).await?;
                let Some(current) = current.as_ref().map(webhook_row).transpose()? else {
                    tx.rollback().await?;
                    return Err($crate::webhooks::WebhookError::NotRegistered.into());
                };
                // Pending events go with the webhook; one being delivered right now loses its
                // lease, so its outcome no longer moves it.
                let cancelled = sqlx::query(
                    "UPDATE webhook_events SET state = 'cancelled', next_attempt_ms = NULL, lease = NULL \
                     WHERE account_id = $1 AND state = 'pending'",
                )
                .bind(account_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query("DELETE FROM webhooks WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
                let response = decide(&current, cancelled)?;
                answer_claim(&mut tx, $crate::store::ClaimScope::Webhook, account_id, claim, &response).await?;
                tx.commit().await?;
                Ok($crate::store::TierWrite::Written(response))
            }

            async fn enqueue_event(&self, event: &$crate::store::webhooks::OutboxRow) -> $crate::error::Result<bool> {
                let mut tx = self.begin_write().await?;
                let queued = enqueue_webhook_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(queued)
            }

            async fn next_event_due(&self) -> $crate::error::Result<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT MIN(e.next_attempt_ms) FROM webhook_events e WHERE e.next_attempt_ms IS NOT NULL \
                     AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = e.account_id)",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            async fn claim_events(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                lease: &str,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::store::webhooks::ClaimedEvent>> {
                let mut tx = self.begin_write().await?;
                let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(concat!(
                    "UPDATE webhook_events SET next_attempt_ms = $2, lease = $3, attempts = attempts + 1 WHERE id IN \
                     (SELECT e.id FROM webhook_events e WHERE e.next_attempt_ms <= $1 \
                     AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = e.account_id) \
                     ORDER BY e.next_attempt_ms LIMIT $4 ",
                    $skip_locked,
                    ") RETURNING id, account_id, type, body, attempts"
                ))
                .bind(now_ms)
                .bind(lease_until_ms)
                .bind(lease)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                let mut claimed = Vec::with_capacity(rows.len());
                for (id, account_id, event_type, body, attempt) in rows {
                    // Read in the claim's transaction: the webhook exists (the claim checked).
                    let hook = sqlx::query(WEBHOOK_SELECT).bind(&account_id).fetch_optional(&mut *tx).await?;
                    let Some(hook) = hook.as_ref().map(webhook_row).transpose()? else { continue };
                    claimed.push($crate::store::webhooks::ClaimedEvent {
                        id,
                        account_id,
                        event_type,
                        body,
                        attempt,
                        url: hook.url,
                        secret: hook.secret,
                        lease: lease.to_owned(),
                    });
                }
                tx.commit().await?;
                Ok(claimed)
            }

            async fn record_delivery(&self, d: &$crate::store::webhooks::DeliveryRecord) -> $crate::error::Result<()> {
                use $crate::store::webhooks::EventNext;
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, event_id, account_id, attempt, url, attempted_ms, status_code, error, \
                     duration_ms, succeeded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&d.id)
                .bind(&d.event_id)
                .bind(&d.account_id)
                .bind(d.attempt)
                .bind(&d.url)
                .bind(d.attempted_ms)
                .bind(d.status_code)
                .bind(&d.error)
                .bind(d.duration_ms)
                .bind(d.succeeded)
                .execute(&mut *tx)
                .await?;
                let (state, next) = match d.next {
                    EventNext::Delivered => ("delivered", None),
                    EventNext::Retry(at) => ("pending", Some(at)),
                    EventNext::Failed => ("failed", None),
                };
                sqlx::query("UPDATE webhook_events SET state = $2, next_attempt_ms = $3, lease = NULL WHERE id = $1 AND lease = $4")
                    .bind(&d.event_id)
                    .bind(state)
                    .bind(next)
                    .bind(&d.lease)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn prune_webhook_events(&self, before: i64, limit: i64) -> $crate::error::Result<u64> {
                let mut tx = self.begin_write().await?;
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT id FROM webhook_events WHERE state <> 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2",
                )
                .bind(before)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                for chunk in ids.chunks($crate::store::common::IN_LIST_MAX) {
                    for table_and_key in ["webhook_deliveries WHERE event_id", "webhook_events WHERE id"] {
                        let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(format!("DELETE FROM {table_and_key} IN ("));
                        let mut list = q.separated(", ");
                        for id in chunk {
                            list.push_bind(id.as_str());
                        }
                        q.push(")");
                        q.build().execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(ids.len() as u64)
            }

            async fn webhook_events(
                &self,
                account_id: &str,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::store::webhooks::EventStatusRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, type, created_at, state, attempts, next_attempt_ms FROM webhook_events WHERE account_id = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2",
                )
                .bind(account_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn webhook_deliveries(
                &self,
                account_id: &str,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::store::webhooks::DeliveryRow>> {
                Ok(sqlx::query_as(
                    "SELECT d.id, d.event_id, e.type, d.attempt, d.url, d.attempted_ms, d.status_code, d.error, d.duration_ms, \
                     d.succeeded FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.account_id = $1 \
                     ORDER BY d.attempted_ms DESC, d.attempt DESC, d.id DESC LIMIT $2",
                )
                .bind(account_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_webhook_store;
