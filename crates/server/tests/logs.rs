//! Tokens never reach the server's log, even at the most verbose level.

mod common;

use axum::http::StatusCode;
use common::{Fixture, batch, hourly_records};
use serde_json::json;

#[tokio::test(flavor = "current_thread")]
async fn no_token_appears_in_the_trace_log() {
    // The current-thread runtime keeps every request on this thread, under this subscriber.
    let (captured, _guard) = common::CapturedLog::install(tracing::Level::TRACE);

    let f = Fixture::new().await;
    let (status, _) = f.ingest(&batch("b-log", &f.node.id, hourly_records(&f.alice.id, 2, 100))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        f.call_with("POST", "/v1/account/credits", Some(&f.alice.token), Some(json!({"packs": 1})), &[("idempotency-key", "k-log")]).await;
    assert_eq!(status, StatusCode::OK);
    // The token with its last hex digit changed (a fixed digit would leave it whole one time in 16).
    let (head, last) = f.alice.token.split_at(f.alice.token.len() - 1);
    let wrong = format!("{head}{}", if last == "0" { "1" } else { "0" });
    let (status, _) = f.call("GET", "/v1/account/bill", Some(&wrong), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let log = captured.text();
    assert!(log.contains("/v1/account"), "the requests were logged: {log}");
    for secret in [&f.alice.token, &f.node.token, &wrong] {
        assert!(!log.contains(secret.as_str()), "a token reached the log");
        // Not even the part after the prefix.
        assert!(!log.contains(&secret[8..]), "part of a token reached the log");
    }
}
