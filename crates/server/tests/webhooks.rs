//! Webhooks end to end, on SQLite and on PostgreSQL: registration through the API, events raised
//! by ingest and by the engine, delivered to a real receiver on loopback that checks every
//! signature, answers 500 to the first attempts and sees the retries; the delivery log; and
//! replicas sharing one database.
//!
//! One file past 500 lines on purpose: every story uses the same signature-checking receiver
//! and runs on both backends, and each file under `tests/` is a test binary of its own that
//! links the engine and the server again.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Utc;
use common::{Fixture, batch, hourly_records};
use edgecost_engine::Engine;
use edgecost_engine::webhooks::{WebhookEvent, WebhookEventType, WebhookOptions};
use edgecost_pricing::PriceBook;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Received {
    event_id: String,
    delivery_id: String,
    event_type: String,
    signature: String,
    body: Vec<u8>,
    at: Instant,
    answered: u16,
}

#[derive(Clone)]
struct ReceiverState {
    log: Arc<Mutex<Vec<Received>>>,
    /// Attempts of each event answered 500 before the first 200.
    fail_first: Arc<AtomicUsize>,
    delay: Duration,
    in_flight: Arc<Mutex<BTreeMap<String, usize>>>,
    /// POSTs of an event that arrived while another POST of it was in flight.
    overlaps: Arc<AtomicUsize>,
}

/// A webhook receiver on a loopback port.
struct Receiver {
    addr: SocketAddr,
    state: ReceiverState,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(fail_first: usize, delay: Duration) -> Receiver {
        let state = ReceiverState {
            log: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
            delay,
            in_flight: Arc::default(),
            overlaps: Arc::default(),
        };
        let app = Router::new().route("/hook", post(receive)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { addr, state, _server: server }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.state.log.lock().unwrap().clone()
    }

    /// The ids of events answered with 200.
    fn delivered(&self) -> BTreeSet<String> {
        self.received().into_iter().filter(|r| r.answered == 200).map(|r| r.event_id).collect()
    }
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let event_id = header("edgecost-event-id");
    {
        let mut in_flight = s.in_flight.lock().unwrap();
        let n = in_flight.entry(event_id.clone()).or_default();
        if *n > 0 {
            s.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        *n += 1;
    }
    tokio::time::sleep(s.delay).await;
    *s.in_flight.lock().unwrap().get_mut(&event_id).unwrap() -= 1;
    let mut log = s.log.lock().unwrap();
    let seen = log.iter().filter(|r| r.event_id == event_id).count();
    let status = if seen < s.fail_first.load(Ordering::SeqCst) { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    log.push(Received {
        event_id,
        delivery_id: header("edgecost-delivery"),
        event_type: header("edgecost-event-type"),
        signature: header("edgecost-signature"),
        body: body.to_vec(),
        at: Instant::now(),
        answered: status.as_u16(),
    });
    status
}

/// Checks a signature as a receiver would, from the documented scheme alone:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, `t` within five minutes.
fn signature_is_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let parts: BTreeMap<&str, &str> = header.split(',').filter_map(|p| p.split_once('=')).collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else { return false };
    let Ok(t) = t.parse::<i64>() else { return false };
    if (Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::decode(v1).is_ok_and(|v| mac.verify_slice(&v).is_ok())
}

/// Retries in tenths of a second, so a whole retry story takes about a second.
fn fast(engine: &Engine) {
    engine.set_webhook_options(WebhookOptions {
        retry_base: Duration::from_millis(200),
        poll_interval: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
        ..WebhookOptions::default()
    });
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn on_both_backends<F, Fut>(test: F)
where
    F: Fn(Fixture) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    test(Fixture::new().await).await;
    let pg = edgecost_engine::testing::PgServer::shared();
    let engine = Engine::open(&pg.create_database().await, PriceBook::published().clone()).await.unwrap();
    test(Fixture::over(tempfile::tempdir().unwrap(), engine).await).await;
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

async fn put(f: &Fixture, token: &str, key: &str, body: Value) -> (StatusCode, Value) {
    f.call_with("PUT", "/v1/account/webhooks", Some(token), Some(body), &[("idempotency-key", key)]).await
}

async fn delete(f: &Fixture, token: &str, key: &str) -> (StatusCode, Value) {
    f.call_with("DELETE", "/v1/account/webhooks", Some(token), None, &[("idempotency-key", key)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_notices_arrive_signed_and_are_retried_after_500_until_delivered() {
    on_both_backends(|f| async move {
        fast(&f.engine);
        let receiver = Receiver::start(2, Duration::ZERO).await;
        let (status, registered) = put(&f, &f.alice.token, "register-1", json!({"url": receiver.url()})).await;
        assert_eq!(status, StatusCode::OK, "{registered}");
        let secret = registered["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");

        // 170,000 of production's 200,000 included requests (85%), then 210,000 (105%): the
        // 80% and 100% notices, each raised by the batch that reached it. Bob, without a
        // webhook, reaches 85% too: nothing is queued for him.
        let (status, _) = f.ingest(&batch("b-80", &f.node.id, hourly_records(&f.alice.id, 10, 17_000))).await;
        assert_eq!(status, StatusCode::OK);
        let mut later = hourly_records(&f.alice.id, 20, 4_000);
        later.drain(..10);
        let (status, _) = f.ingest(&batch("b-100", &f.node.id, later)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = f.ingest(&batch("b-bob", &f.node.id, hourly_records(&f.bob.id, 10, 17_000))).await;
        assert_eq!(status, StatusCode::OK);

        eventually("both notices delivered", || receiver.delivered().len() == 2).await;
        let received = receiver.received();
        let mut by_event: BTreeMap<String, Vec<Received>> = BTreeMap::new();
        for r in &received {
            assert!(signature_is_valid(&secret, &r.signature, &r.body), "bad signature {} on {}", r.signature, r.event_id);
            by_event.entry(r.event_id.clone()).or_default().push(r.clone());
        }
        assert_eq!(by_event.len(), 2, "{received:?}");
        let mut thresholds = BTreeSet::new();
        for (event_id, attempts) in &by_event {
            // Two 500s, then the 200; each attempt its own delivery id, the same body.
            assert_eq!(attempts.iter().map(|a| a.answered).collect::<Vec<_>>(), [500, 500, 200], "{event_id}");
            assert_eq!(attempts.iter().map(|a| &a.delivery_id).collect::<BTreeSet<_>>().len(), 3);
            assert!(attempts.iter().all(|a| a.body == attempts[0].body));
            // The backoff doubles: 200 ms, then 400 ms.
            assert!(attempts[1].at - attempts[0].at >= Duration::from_millis(180), "{:?}", attempts[1].at - attempts[0].at);
            assert!(attempts[2].at - attempts[1].at >= Duration::from_millis(380), "{:?}", attempts[2].at - attempts[1].at);
            let body: Value = serde_json::from_slice(&attempts[0].body).unwrap();
            assert_eq!(body["id"], event_id.as_str());
            assert_eq!(body["type"], "notice.raised");
            assert_eq!(attempts[0].event_type, "notice.raised");
            assert_eq!(body["account_id"], f.alice.id.as_str());
            assert_eq!(body["created_at"], "2026-11-23T12:00:00Z");
            assert_eq!(body["data"]["meter"], "requests");
            assert_eq!(body["data"]["tier"], "production");
            assert_eq!(body["data"]["period_start"], "2026-11-01T00:00:00Z");
            assert!(body["data"]["notice_id"].as_str().unwrap().starts_with("ntc_"));
            thresholds.insert(body["data"]["threshold_percent"].as_u64().unwrap());
        }
        assert_eq!(thresholds, BTreeSet::from([80, 100]));
        // The notices the account reads are the ones delivered.
        let (_, notices) = f.call("GET", "/v1/account/notices", Some(&f.alice.token), None).await;
        let delivered_notices: BTreeSet<String> = by_event
            .values()
            .map(|a| serde_json::from_slice::<Value>(&a[0].body).unwrap()["data"]["notice_id"].as_str().unwrap().to_owned())
            .collect();
        for n in notices["notices"].as_array().unwrap() {
            assert!(delivered_notices.contains(n["id"].as_str().unwrap()), "{n}");
        }

        // The delivery log: every attempt, newest first, with its status, error and duration.
        let mut webhook = Value::Null;
        for _ in 0..200 {
            let (status, body) = f.call("GET", "/v1/account/webhooks", Some(&f.alice.token), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            webhook = body;
            if webhook["recent_events"].as_array().unwrap().iter().all(|e| e["state"] == "delivered") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(webhook["url"], receiver.url());
        assert!(webhook.get("secret").is_none());
        assert_eq!(webhook["event_types"].as_array().unwrap().len(), 7);
        let events = webhook["recent_events"].as_array().unwrap();
        assert_eq!(events.len(), 2, "{webhook}");
        for e in events {
            assert_eq!(
                (e["state"].as_str(), e["attempts"].as_u64(), e["type"].as_str()),
                (Some("delivered"), Some(3), Some("notice.raised"))
            );
            assert!(e["next_attempt_at"].is_null());
        }
        let log = webhook["recent_deliveries"].as_array().unwrap();
        assert_eq!(log.len(), 6, "{webhook}");
        for d in log {
            let attempt = d["attempt"].as_u64().unwrap();
            let received = &by_event[d["event_id"].as_str().unwrap()][attempt as usize - 1];
            assert_eq!(d["delivery_id"], received.delivery_id.as_str());
            assert_eq!(d["status_code"], received.answered);
            assert_eq!(d["succeeded"], attempt == 3);
            assert_eq!(d["error"].is_null(), attempt == 3, "{d}");
            assert_eq!(d["url"], receiver.url());
            assert_eq!(d["event_type"], "notice.raised");
            assert!(d["duration_ms"].is_u64());
        }
        let times: Vec<chrono::DateTime<Utc>> = log.iter().map(|d| d["attempted_at"].as_str().unwrap().parse().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");

        // Bob has no webhook: nothing for him was queued or sent.
        let (status, body) = f.call("GET", "/v1/account/webhooks", Some(&f.bob.token), None).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "webhook_not_registered"));
        assert!(receiver.received().iter().all(|r| !String::from_utf8_lossy(&r.body).contains(&f.bob.id)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_checked_idempotent_and_keep_their_secret() {
    on_both_backends(|f| async move {
        let alice = f.alice.token.clone();
        let (status, body) = f.call("GET", "/v1/account/webhooks", Some(&alice), None).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "webhook_not_registered"));
        let (status, body) = delete(&f, &alice, "d-0").await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "webhook_not_registered"));

        // Refusals, each with its code; none registers anything.
        let (status, body) = f.call("PUT", "/v1/account/webhooks", Some(&alice), Some(json!({"url": "https://a.example/h"}))).await;
        assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "missing_idempotency_key"));
        let (status, body) = f.call("DELETE", "/v1/account/webhooks", Some(&alice), None).await;
        assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "missing_idempotency_key"));
        let (status, body) = f.call("PUT", "/v1/account/webhooks", None, Some(json!({"url": "https://a.example/h"}))).await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "missing_token"));
        for (n, (url, expected)) in [
            ("http://hooks.example.com/h", "webhook_url_not_https"),
            ("http://10.1.2.3/h", "webhook_url_not_https"),
            ("ftp://hooks.example.com/h", "invalid_webhook_url"),
            ("not a url", "invalid_webhook_url"),
            ("https://user:secret@hooks.example.com/h", "invalid_webhook_url"),
            ("", "invalid_webhook_url"),
        ]
        .into_iter()
        .enumerate()
        {
            let (status, body) = put(&f, &alice, &format!("bad-{n}"), json!({"url": url})).await;
            assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, expected), "{url}");
        }
        for bad in [json!({"url": 5}), json!({"url": "https://a.example/h", "extra": 1}), json!({})] {
            let (status, body) = put(&f, &alice, "bad-body", bad.clone()).await;
            assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"), "{bad}");
        }
        let (status, _) = f.call("GET", "/v1/account/webhooks", Some(&alice), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A registration; the same key and body answer the same; another body is refused.
        let (status, first) = put(&f, &alice, "k-1", json!({"url": "https://a.example/h"})).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["secret_is_new"], true);
        assert_eq!(first["url"], "https://a.example/h");
        assert_eq!(first["created_at"], "2026-11-23T12:00:00Z");
        let (status, again) = put(&f, &alice, "k-1", json!({"url": "https://a.example/h"})).await;
        assert_eq!((status, &again), (StatusCode::OK, &first));
        let (status, body) = put(&f, &alice, "k-1", json!({"url": "https://b.example/h"})).await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "idempotency_key_reused"));
        // Another account's key space is its own, and it cannot see Alice's webhook.
        let (status, body) = f.call("GET", "/v1/account/webhooks", Some(&f.bob.token), None).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "webhook_not_registered"));

        // A new URL keeps the secret and the registration time; rotating draws a new secret.
        f.clock.set(common::now() + chrono::Duration::minutes(5));
        let (status, moved) = put(&f, &alice, "k-2", json!({"url": "https://b.example/h", "rotate_secret": false})).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!((&moved["secret"], &moved["secret_is_new"]), (&first["secret"], &json!(false)));
        assert_eq!((&moved["created_at"], moved["updated_at"].as_str()), (&first["created_at"], Some("2026-11-23T12:05:00Z")));
        let (status, rotated) = put(&f, &alice, "k-3", json!({"url": "https://b.example/h", "rotate_secret": true})).await;
        assert_eq!(status, StatusCode::OK, "{rotated}");
        assert_eq!(rotated["secret_is_new"], true);
        assert_ne!(rotated["secret"], first["secret"]);
        let (_, shown) = f.call("GET", "/v1/account/webhooks", Some(&alice), None).await;
        assert_eq!(shown["url"], "https://b.example/h");
        assert!(shown.get("secret").is_none());
        assert_eq!(
            shown["event_types"],
            json!([
                "notice.raised",
                "budget.alert",
                "spend_cap.reached",
                "spend_cap.lifted",
                "top_up.succeeded",
                "top_up.failed",
                "top_up.ceiling"
            ])
        );

        // A deletion, idempotent too; a key used to register cannot delete.
        let (status, body) = delete(&f, &alice, "k-3").await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "idempotency_key_reused"));
        let (status, deleted) = delete(&f, &alice, "d-1").await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!((deleted["url"].as_str(), deleted["cancelled_events"].as_u64()), (Some("https://b.example/h"), Some(0)));
        let (status, again) = delete(&f, &alice, "d-1").await;
        assert_eq!((status, &again), (StatusCode::OK, &deleted));
        let (status, body) = f.call("GET", "/v1/account/webhooks", Some(&alice), None).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "webhook_not_registered"));
        let (status, body) = delete(&f, &alice, "d-2").await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "webhook_not_registered"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_webhook_stops_deliveries_and_events_are_raised_once_per_key() {
    on_both_backends(|f| async move {
        fast(&f.engine);
        // A receiver that always fails: the event is retried until the webhook goes.
        let receiver = Receiver::start(usize::MAX, Duration::ZERO).await;
        let (status, body) = put(&f, &f.alice.token, "r-1", json!({"url": receiver.url()})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let secret = body["secret"].as_str().unwrap().to_owned();

        let event = WebhookEvent::new(
            &f.alice.id,
            WebhookEventType::TopUpFailed,
            "top-up:2026-11:1",
            json!({"packs": 2, "reason": "card declined"}),
            common::now(),
        );
        let id = f.engine.raise_event(&event).await.unwrap().expect("queued");
        assert!(id.starts_with("evt_"));
        // Raised again (a retried operation): not queued twice.
        assert_eq!(f.engine.raise_event(&event).await.unwrap(), None);
        // An account without a webhook gets no event.
        let for_bob = WebhookEvent { account_id: f.bob.id.clone(), ..event.clone() };
        assert_eq!(f.engine.raise_event(&for_bob).await.unwrap(), None);

        eventually("two failed attempts", || receiver.received().len() >= 2).await;
        let received = receiver.received();
        assert!(received.iter().all(|r| r.event_id == id && r.event_type == "top_up.failed"));
        assert!(received.iter().all(|r| signature_is_valid(&secret, &r.signature, &r.body)));
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(body, json!({"id": id, "type": "top_up.failed", "account_id": f.alice.id, "created_at": "2026-11-23T12:00:00Z", "data": {"packs": 2, "reason": "card declined"}}));

        let (status, deleted) = delete(&f, &f.alice.token, "d-1").await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted["cancelled_events"], 1);
        // At most the attempt in flight when it was deleted still arrives; then nothing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after_delete = receiver.received().len();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(receiver.received().len(), after_delete);
        // Nothing new is queued either: a notice raised now goes nowhere.
        let (status, _) = f.ingest(&batch("b-80", &f.node.id, hourly_records(&f.alice.id, 10, 17_000))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(f.engine.raise_event(&WebhookEvent { dedup_key: "other".into(), ..event }).await.unwrap(), None);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.received().len(), after_delete);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_one_postgresql_never_post_one_event_at_once() {
    let pg = edgecost_engine::testing::PgServer::shared();
    let url = pg.create_database().await;
    let one = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
    let two = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
    let f = Fixture::over(tempfile::tempdir().unwrap(), one.clone()).await;
    // Both replicas poll often and every POST is slow: each event is claimable by both while
    // the other is still posting it.
    for engine in [&one, &two] {
        engine.set_webhook_options(WebhookOptions {
            retry_base: Duration::from_millis(100),
            poll_interval: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
            ..WebhookOptions::default()
        });
    }
    let receiver = Receiver::start(0, Duration::from_millis(150)).await;
    let (status, body) = put(&f, &f.alice.token, "r-1", json!({"url": receiver.url()})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut ids = BTreeSet::new();
    for n in 0..40 {
        let engine = if n % 2 == 0 { &one } else { &two };
        let event = WebhookEvent::new(&f.alice.id, WebhookEventType::BudgetAlert, format!("budget:{n}"), json!({"n": n}), common::now());
        ids.insert(engine.raise_event(&event).await.unwrap().unwrap());
    }
    eventually("every event delivered", || receiver.delivered() == ids).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 40, "each event POSTed once: {:?}", received.iter().map(|r| &r.event_id).collect::<Vec<_>>());
    assert_eq!(receiver.state.overlaps.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_never_holds_up_ingest() {
    on_both_backends(|f| async move {
        fast(&f.engine);
        // Each POST takes 1.5 s (within the two-second timeout of `fast`).
        let receiver = Receiver::start(0, Duration::from_millis(1_500)).await;
        let (status, body) = put(&f, &f.alice.token, "r-1", json!({"url": receiver.url()})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut ids = BTreeSet::new();
        for n in 0..20 {
            let event =
                WebhookEvent::new(&f.alice.id, WebhookEventType::TopUpSucceeded, format!("top-up:{n}"), json!({"n": n}), common::now());
            ids.insert(f.engine.raise_event(&event).await.unwrap().unwrap());
        }
        let in_flight = || receiver.state.in_flight.lock().unwrap().values().sum::<usize>();
        eventually("POSTs in flight", || in_flight() > 0).await;
        // While the receiver holds its POSTs, batches are stored and answered: all five before
        // the receiver has answered a single POST.
        for n in 0..5 {
            let (status, receipt) = f.ingest(&batch(&format!("b-slow-{n}"), &f.node.id, hourly_records(&f.alice.id, 1, 10))).await;
            assert_eq!((status, receipt["accepted"].as_u64()), (StatusCode::OK, Some(1)), "{receipt}");
        }
        assert_eq!(receiver.received().len(), 0, "a POST was answered before the batches were");
        assert!(in_flight() > 0, "the deliveries were still in flight");
        eventually("every event delivered", || receiver.delivered() == ids).await;
        // Once each: no attempt timed out and was tried again.
        assert_eq!(receiver.received().len(), 20);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_alerts_arrive_as_budget_alert_events() {
    on_both_backends(|f| async move {
        fast(&f.engine);
        let receiver = Receiver::start(0, Duration::ZERO).await;
        let (status, body) = put(&f, &f.alice.token, "r-1", json!({"url": receiver.url()})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let secret = body["secret"].as_str().unwrap().to_owned();
        // The base fee alone is 63% of $30.00: setting the budget raises its 50% alert at once.
        let budget = json!({"monthly_budget": "30.00"});
        let (status, set) =
            f.call_with("PUT", "/v1/account/budget", Some(&f.alice.token), Some(budget.clone()), &[("idempotency-key", "b-1")]).await;
        assert_eq!(status, StatusCode::OK, "{set}");
        let alerts = set["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 1, "{set}");
        eventually("the alert delivered", || receiver.delivered().len() == 1).await;
        // The same request again raises nothing new.
        let (status, _) = f.call_with("PUT", "/v1/account/budget", Some(&f.alice.token), Some(budget), &[("idempotency-key", "b-1")]).await;
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let received = receiver.received();
        assert_eq!(received.len(), 1);
        assert!(signature_is_valid(&secret, &received[0].signature, &received[0].body));
        assert_eq!(received[0].event_type, "budget.alert");
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!((body["type"].as_str(), body["account_id"].as_str()), (Some("budget.alert"), Some(f.alice.id.as_str())));
        let data = &body["data"];
        assert_eq!((&data["alert_id"], &data["message"]), (&alerts[0]["id"], &alerts[0]["message"]));
        assert_eq!((data["kind"].as_str(), data["period_start"].as_str()), (Some("budget_spend"), Some("2026-11-01T00:00:00Z")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_spend_cap_reached_and_lifted_arrive_as_events() {
    on_both_backends(|f| async move {
        fast(&f.engine);
        let receiver = Receiver::start(0, Duration::ZERO).await;
        let (status, body) = put(&f, &f.alice.token, "r-1", json!({"url": receiver.url()})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The $19.00 base fee is past a $10.00 cap: it is reached at once.
        let (status, set) = f
            .call_with(
                "PUT",
                "/v1/account/budget",
                Some(&f.alice.token),
                Some(json!({"monthly_budget": null, "spend_cap": "10.00"})),
                &[("idempotency-key", "cap-1")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["capped"], json!(true), "{set}");
        let (_, account) = f.call_with("GET", "/v1/account", Some(&f.alice.token), None, &[]).await;
        assert!(account["totals"]["spend_cap"]["capped_at"].is_string(), "{account}");
        // Removing it lifts it.
        let (status, set) = f
            .call_with(
                "PUT",
                "/v1/account/budget",
                Some(&f.alice.token),
                Some(json!({"monthly_budget": null})),
                &[("idempotency-key", "cap-2")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["capped"], json!(false), "{set}");
        eventually("both events delivered", || receiver.delivered().len() == 2).await;
        // Deliveries run side by side: the two may arrive in either order.
        let received = receiver.received();
        let mut types: Vec<&str> = received.iter().map(|r| r.event_type.as_str()).collect();
        types.sort_unstable();
        assert_eq!(types, vec!["spend_cap.lifted", "spend_cap.reached"]);
        let lifted = received.iter().find(|r| r.event_type == "spend_cap.lifted").unwrap();
        let lifted: Value = serde_json::from_slice(&lifted.body).unwrap();
        assert_eq!((lifted["data"]["previous_cap"].as_str(), &lifted["data"]["spend_cap"]), (Some("10.00"), &Value::Null));
    })
    .await;
}
