//! Prometheus metrics: request counts and latencies per route, and ingest counters.
//!
//! Each server owns its registry (no process-wide global), so several servers in one process,
//! as in tests or the desktop app's demo, count independently.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route template (`/v1/account/bill`), never the raw path, so the label set stays
    /// bounded whatever clients send.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    /// `stored`, `replayed` or `rejected`.
    outcome: &'static str,
}

/// The server's metrics and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency_seconds: Family<RouteLabels, Histogram>,
    ingest_batches: Family<OutcomeLabels, Counter>,
    ingest_records: Counter,
    rollup_queue: Gauge,
}

/// What became of one telemetry batch (or OTLP or CloudEvents request), for the ingest
/// counters: `edgecost_ingest_batches_total{outcome="stored|replayed|rejected"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored now; `edgecost_ingest_records_total` grows by its counted records.
    Stored {
        /// Records (or points and events) counted, rejected records left out.
        records: u64,
    },
    /// Counted before: a resent batch id, or only points and events already counted.
    Replayed,
    /// Refused whole with an error answer; nothing of it was stored.
    Rejected,
}

impl Metrics {
    /// Empty counters in a registry of their own, with the `edgecost_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("edgecost");
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.5 ms to about 4 s in doublings: ingest and bill queries sit in the low milliseconds.
        let latency_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.0005, 2.0, 14))) as fn() -> Histogram,
        );
        let ingest_batches = Family::<OutcomeLabels, Counter>::default();
        let ingest_records = Counter::default();
        let rollup_queue = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer an HTTP request", latency_seconds.clone());
        registry.register("ingest_batches", "Telemetry batches by outcome", ingest_batches.clone());
        registry.register("ingest_records", "Telemetry records stored", ingest_records.clone());
        registry.register(
            "rollup_queue_batches",
            "Stored batches whose hourly rollups are not written yet (read at scrape time)",
            rollup_queue.clone(),
        );
        Metrics { registry, requests, latency_seconds, ingest_batches, ingest_records, rollup_queue }
    }

    /// Counts one telemetry batch.
    pub fn record_ingest(&self, outcome: IngestOutcome) {
        let label = match outcome {
            IngestOutcome::Stored { records } => {
                self.ingest_records.inc_by(records);
                "stored"
            }
            IngestOutcome::Replayed => "replayed",
            IngestOutcome::Rejected => "rejected",
        };
        self.ingest_batches.get_or_create(&OutcomeLabels { outcome: label }).inc();
    }

    /// Sets the rollup queue's depth, as read from the database for this scrape.
    pub fn set_rollup_queue(&self, batches: u64) {
        self.rollup_queue.set(i64::try_from(batches).unwrap_or(i64::MAX));
    }

    /// The metrics in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("encoding metrics into a String");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Middleware that counts every answer and times it, by route template and status.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    // Unmatched paths share one label so scanners cannot grow the label set.
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
    metrics.latency_seconds.get_or_create(&RouteLabels { method, route }).observe(started.elapsed().as_secs_f64());
    response
}
