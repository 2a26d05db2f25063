//! Tokens never reach the server's log, even at the most verbose level.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{Fixture, batch, hourly_records};
use serde_json::json;

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_token_appears_in_the_trace_log() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // The current-thread runtime keeps every request on this thread, under this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let f = Fixture::new().await;
    let (status, _) = f.ingest(&batch("b-log", &f.node.id, hourly_records(&f.alice.id, 2, 100))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = f
        .call_with(
            "POST",
            "/v1/account/credits",
            Some(&f.alice.token),
            Some(json!({"packs": 1})),
            &[("idempotency-key", "k-log")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let wrong = format!("{}0", &f.alice.token[..f.alice.token.len() - 1]);
    let (status, _) = f.call("GET", "/v1/account/bill", Some(&wrong), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("/v1/account"), "the requests were logged: {log}");
    for secret in [&f.alice.token, &f.node.token, &wrong] {
        assert!(!log.contains(secret.as_str()), "a token reached the log");
        // Not even the part after the prefix.
        assert!(!log.contains(&secret[8..]), "part of a token reached the log");
    }
}
