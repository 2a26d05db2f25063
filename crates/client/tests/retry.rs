//! Which calls the client repeats, checked against a loopback server that fails on purpose.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post, put};
use edgecost_client::{Client, ClientError, RetryPolicy};

/// Answers 503 with an error body to the first `failures` requests of every route, counting
/// each request and remembering the idempotency keys it saw.
#[derive(Clone, Default)]
struct Flaky {
    hits: Arc<AtomicU32>,
    keys: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn start(failures: u32) -> (String, Flaky) {
    let flaky = Flaky::default();
    let answer = move |f: Flaky, headers: HeaderMap, ok: &'static str| {
        let n = f.hits.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(k) = headers.get("idempotency-key") {
            f.keys.lock().unwrap().push(k.to_str().unwrap().to_owned());
        }
        if n <= failures {
            (StatusCode::SERVICE_UNAVAILABLE, r#"{"code":"contention","message":"retry"}"#.to_owned())
        } else {
            (StatusCode::OK, ok.to_owned())
        }
    };
    let ledger = r#"{"balance":"0","entries":[]}"#;
    let purchase = r#"{"purchase_id":"p1","packs":1,"price_paid":"25.00","credit_added":"25.00",
        "consumed_now":"0","balance":"25.00","purchased_at":"2026-11-23T12:00:00Z"}"#;
    let change = r#"{"previous_tier":"production","tier":"scale","effective_at":"2026-11-23T12:00:00Z","immediate":true}"#;
    let top_up = r#"{"settings":{"enabled":true,"below":"10.00","packs":1,"max_packs_per_period":4},"packs_this_period":0,
        "spent_this_period":"0","packs_left_this_period":4,"balance":"0","alerts":[]}"#;
    let deletion = r#"{"url":"https://hooks.example.com/e","deleted_at":"2026-11-23T12:00:00Z","cancelled_events":0}"#;
    let (a, b, c) = (flaky.clone(), flaky.clone(), flaky.clone());
    let (d, e) = (flaky.clone(), flaky.clone());
    let app = Router::new()
        .route("/v1/account/credits", get(move |h: HeaderMap| async move { answer(a, h, ledger) }))
        .route("/v1/account/credits", post(move |h: HeaderMap| async move { answer(b, h, purchase) }))
        .route("/v1/account/tier", post(move |h: HeaderMap| async move { answer(c, h, change) }))
        .route("/v1/account/auto-top-up", put(move |h: HeaderMap| async move { answer(d, h, top_up) }))
        .route(
            "/v1/account/webhooks",
            delete(move |h: HeaderMap| async move { answer(e, h, deletion) })
                .get(|| async { (StatusCode::NOT_FOUND, r#"{"code":"webhook_not_registered","message":"none"}"#) }),
        )
        .route("/v1/account", get(|| async { (StatusCode::UNAUTHORIZED, r#"{"code":"invalid_token","message":"no"}"#) }))
        .route("/v1/account/bill", get(|| async { (StatusCode::BAD_GATEWAY, "<html>proxy error</html>") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), flaky)
}

fn client(url: &str) -> Client {
    Client::new(url, "ec_acct_x").unwrap().with_retry(RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(5) })
}

#[tokio::test]
async fn reads_are_repeated_after_a_transient_failure() {
    let (url, flaky) = start(2).await;
    let ledger = client(&url).credits().await.unwrap();
    assert_eq!(ledger.balance.to_string(), "0");
    assert_eq!(flaky.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_purchase_is_repeated_only_with_its_own_key() {
    let (url, flaky) = start(1).await;
    let purchase = client(&url).buy_credits(1, "intent-42").await.unwrap();
    assert_eq!(purchase.purchase_id, "p1");
    assert_eq!(*flaky.keys.lock().unwrap(), vec!["intent-42".to_owned(), "intent-42".to_owned()]);
}

#[tokio::test]
async fn a_tier_change_is_repeated_only_with_its_own_key() {
    let (url, flaky) = start(1).await;
    let change = client(&url).change_tier("scale", "confirm-9").await.unwrap();
    assert_eq!((change.previous_tier.as_str(), change.tier.as_str()), ("production", "scale"));
    assert_eq!(*flaky.keys.lock().unwrap(), vec!["confirm-9".to_owned(), "confirm-9".to_owned()]);
}

#[tokio::test]
async fn a_top_up_change_that_may_buy_is_repeated_only_with_its_own_key() {
    let (url, flaky) = start(1).await;
    let settings = edgecost_api::AutoTopUpSettings { enabled: true, below: "10.00".parse().unwrap(), packs: 1, max_packs_per_period: 4 };
    let status = client(&url).set_auto_top_up(&settings, "top-up-7").await.unwrap();
    assert_eq!(status.packs_left_this_period, 4);
    assert_eq!(*flaky.keys.lock().unwrap(), vec!["top-up-7".to_owned(), "top-up-7".to_owned()]);
}

#[tokio::test]
async fn a_webhook_deletion_carries_its_key_and_no_webhook_reads_as_none() {
    let (url, flaky) = start(0).await;
    let client = client(&url);
    assert_eq!(client.webhook().await.unwrap(), None, "404 webhook_not_registered is no webhook, not a failure");
    assert_eq!(client.delete_webhook("delete-3").await.unwrap().cancelled_events, 0);
    assert_eq!(*flaky.keys.lock().unwrap(), vec!["delete-3".to_owned()]);
}

#[tokio::test]
async fn errors_keep_the_server_code_and_say_which_side_failed() {
    let (url, flaky) = start(10).await;
    let err = client(&url).credits().await.unwrap_err();
    assert_eq!(flaky.hits.load(Ordering::SeqCst), 3, "three attempts, then give up");
    assert_eq!((err.status(), err.code()), (Some(503), "contention"));

    let err = client(&url).account().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert_eq!((err.status(), err.code()), (Some(401), "invalid_token"));

    // A proxy's page is not mistaken for an answer of the API.
    let err = client(&url).bill().await.unwrap_err();
    assert!(matches!(err, ClientError::UnexpectedBody { status: 502, .. }), "{err:?}");
}

#[tokio::test]
async fn a_closed_port_is_a_network_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(&format!("http://{addr}")).credits().await.unwrap_err();
    assert!(err.is_network(), "{err:?}");
    assert_eq!(err.code(), "network");
    assert_eq!(err.status(), None);
}

#[test]
fn only_http_urls_are_accepted() {
    let err = Client::new("ftp://example.test", "t").unwrap_err();
    assert_eq!(err.code(), "invalid_url");
    assert!(Client::new("not a url", "t").is_err());
}

#[tokio::test]
async fn a_purchase_that_never_connected_is_known_unsent() {
    // A port nothing listens on: every attempt is refused before a byte is sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&url).buy_credits(1, "intent-1").await.unwrap_err();
    assert!(matches!(err, ClientError::Network { unsent: true, .. }), "{err:?}");
}

#[tokio::test]
async fn a_purchase_whose_connection_broke_may_have_gone_through() {
    // Accepts the connection, reads the request, then closes without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await;
            drop(socket);
        }
    });
    let err = client(&url).buy_credits(1, "intent-1").await.unwrap_err();
    assert!(matches!(err, ClientError::Network { unsent: false, .. }), "{err:?}");
}
