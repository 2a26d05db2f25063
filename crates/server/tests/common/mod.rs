//! A fixture shared by the HTTP tests: a real engine on a SQLite file, two accounts, a node,
//! and a pinned clock.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use edgecost_api::{TelemetryBatch, TelemetryRecord};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use edgecost_server::{AppState, Clock, metrics_router, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Mid-period, so the period has usage behind it and days ahead.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub engine: Engine,
    pub clock: Clock,
    pub router: Router,
    /// The metrics router over the same state, as served on `--metrics-listen`.
    pub metrics: Router,
    /// A production account.
    pub alice: Party,
    /// Another production account.
    pub bob: Party,
    /// A sandbox account.
    pub sandy: Party,
    pub node: Party,
}

/// An id and its bearer token.
pub struct Party {
    pub id: String,
    pub token: String,
}

impl Fixture {
    pub async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = Engine::sqlite_url(&dir.path().join("engine.db"));
        let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
        Fixture::over(dir, engine).await
    }

    pub async fn over(dir: tempfile::TempDir, engine: Engine) -> Fixture {
        let at = now() - Duration::days(20);
        let account = |name: &'static str, tier: &'static str| {
            let engine = engine.clone();
            async move {
                let a = engine.create_account(name, tier, at).await.unwrap();
                Party { id: a.account_id, token: a.token }
            }
        };
        let alice = account("Alice", "production").await;
        let bob = account("Bob", "production").await;
        let sandy = account("Sandy", "sandbox").await;
        let n = engine.create_node("fra-1", at).await.unwrap();
        let node = Party { id: n.node_id, token: n.token };
        let clock = Clock::manual(now());
        let state = AppState::with_clock(engine.clone(), clock.clone());
        let router = router(state.clone());
        let metrics = metrics_router(state);
        Fixture { dir, engine, clock, router, metrics, alice, bob, sandy, node }
    }

    /// Sends one request through the router (no socket) and returns status and JSON body.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some(b) => builder.header("content-type", "application/json").body(Body::from(serde_json::to_vec(&b).unwrap())).unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Sends a prepared request and returns status and JSON body.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let (status, bytes) = self.send_raw(request).await;
        let json =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("answer is not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
        (status, json)
    }

    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, bytes)
    }

    /// The Prometheus text of `/metrics`, from the metrics router.
    pub async fn call_raw_metrics(&self) -> String {
        let request = Request::get("/metrics").body(Body::empty()).unwrap();
        let response = self.metrics.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        String::from_utf8(bytes).unwrap()
    }

    /// Posts a telemetry batch with the node's token.
    pub async fn ingest(&self, batch: &TelemetryBatch) -> (StatusCode, Value) {
        let body = serde_json::to_value(batch).unwrap();
        self.call("POST", "/v1/telemetry", Some(&self.node.token), Some(body)).await
    }
}

/// `hours` hourly records for `account_id` on `/api/orders` in `eu`, ending before `now()`,
/// each with `requests_per_hour` requests.
pub fn hourly_records(account_id: &str, hours: u32, requests_per_hour: u64) -> Vec<TelemetryRecord> {
    (0..hours)
        .map(|h| TelemetryRecord {
            account_id: account_id.to_owned(),
            route: "/api/orders".to_owned(),
            region: "eu".to_owned(),
            window_start: now() - Duration::hours(i64::from(h) + 1),
            window_seconds: 3600,
            requests: requests_per_hour,
            compute_ms: requests_per_hour * 4,
            egress_bytes: requests_per_hour * 10_000,
        })
        .collect()
}

pub fn batch(batch_id: &str, node_id: &str, records: Vec<TelemetryRecord>) -> TelemetryBatch {
    TelemetryBatch { batch_id: batch_id.to_owned(), node_id: node_id.to_owned(), records }
}

/// A log the test reads back: the server's tracing output at `level` and above, captured
/// while the returned guard lives (on this thread, so tests run on a current-thread runtime).
#[derive(Clone, Default)]
pub struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[allow(dead_code, reason = "not every test binary reads logs")]
impl CapturedLog {
    pub fn install(level: tracing::Level) -> (CapturedLog, tracing::subscriber::DefaultGuard) {
        let captured = CapturedLog::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_max_level(level).with_writer(move || sink.clone()).with_ansi(false).finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
