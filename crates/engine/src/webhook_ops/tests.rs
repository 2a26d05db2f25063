use edgecost_api::{WebhookEventState, WebhookRequest};

use super::*;
use crate::store::webhooks::DeliveryRecord;
use crate::webhooks::now_ms;

/// The store's claims on one backend: a held event is not claimed twice, a holder that
/// died gives it up when its lease ends, and a late outcome under an old lease moves
/// nothing.
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

#[tokio::test]
async fn a_claimed_event_is_held_by_its_lease_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    leases_on(&Engine::sqlite_url(&dir.path().join("leases.db"))).await;
    let pg = crate::testing::PgServer::shared();
    leases_on(&pg.create_database().await).await;
}
