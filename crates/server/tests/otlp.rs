//! OTLP/HTTP metrics and CloudEvents through the router, on SQLite and PostgreSQL: how
//! cumulative series, retries and bad input are counted. (The official OpenTelemetry and
//! CloudEvents SDKs send to a real server in `crates/cli/tests/otel.rs`.)

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::{Fixture, now};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric,
    number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde_json::{Value, json};

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }), ..Default::default() }
}

fn nanos(minutes_before_now: i64) -> u64 {
    (now() - Duration::minutes(minutes_before_now)).timestamp_nanos_opt().unwrap() as u64
}

/// A request duration histogram point: `count` requests, on `/api/orders`.
fn duration_point(start: u64, time: u64, count: u64, sum_seconds: f64) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: vec![kv("http.route", "/api/orders")],
        start_time_unix_nano: start,
        time_unix_nano: time,
        count,
        sum: Some(sum_seconds),
        ..Default::default()
    }
}

fn histogram(name: &str, unit: &str, temporality: AggregationTemporality, points: Vec<HistogramDataPoint>) -> Metric {
    Metric {
        name: name.into(),
        unit: unit.into(),
        data: Some(metric::Data::Histogram(Histogram { data_points: points, aggregation_temporality: temporality as i32 })),
        ..Default::default()
    }
}

fn request(resource: Vec<KeyValue>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource { attributes: resource, ..Default::default() }),
            scope_metrics: vec![ScopeMetrics { metrics, ..Default::default() }],
            ..Default::default()
        }],
    }
}

fn resource_of(account: &str) -> Vec<KeyValue> {
    vec![kv("edgecost.account.id", account), kv("edgecost.region", "eu"), kv("edgecost.compute.source", "http.server.request.duration")]
}

/// Posts OTLP protobuf; answers the status and the body.
async fn export(f: &Fixture, body: Vec<u8>, content_type: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::post("/v1/metrics")
        .header("authorization", format!("Bearer {}", f.node.token))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    f.send_raw(request).await
}

async fn export_ok(f: &Fixture, r: &ExportMetricsServiceRequest) -> ExportMetricsServiceResponse {
    let (status, body) = export(f, r.encode_to_vec(), "application/x-protobuf").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    ExportMetricsServiceResponse::decode(&body[..]).unwrap()
}

/// (requests, compute ms, egress bytes) of the account's bill to date.
async fn totals(f: &Fixture, token: &str) -> (u64, u64, u64) {
    let (status, bill) = f.call("GET", "/v1/account/bill", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{bill}");
    let t = &bill["totals"];
    (t["requests"].as_u64().unwrap(), t["compute_ms"].as_u64().unwrap(), t["egress_bytes"].as_u64().unwrap())
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

#[tokio::test]
async fn a_cumulative_series_counts_its_deltas_once() {
    on_both_backends(|f| async move {
        let cumulative = AggregationTemporality::Cumulative;
        let start = nanos(50);
        let point = |minutes: i64, count: u64, seconds: f64| duration_point(start, nanos(minutes), count, seconds);
        let send = |points: Vec<HistogramDataPoint>| {
            request(resource_of(&f.alice.id), vec![histogram("http.server.request.duration", "s", cumulative, points)])
        };
        // Two exports of one series: running totals 100 then 250 requests.
        let first = export_ok(&f, &send(vec![point(40, 100, 12.5)])).await;
        assert_eq!(first.partial_success, None);
        export_ok(&f, &send(vec![point(30, 250, 30.0)])).await;
        assert_eq!(totals(&f, &f.alice.token).await, (250, 30_000, 0));

        // The exporter retries the last export, then sends both again: nothing more counts.
        export_ok(&f, &send(vec![point(30, 250, 30.0)])).await;
        export_ok(&f, &send(vec![point(40, 100, 12.5), point(30, 250, 30.0)])).await;
        assert_eq!(totals(&f, &f.alice.token).await, (250, 30_000, 0));

        // A point older than the latest that was never stored is out of order: refused, said why.
        let answer = export_ok(&f, &send(vec![point(35, 180, 20.0)])).await;
        let partial = answer.partial_success.expect("a partial success");
        assert_eq!(partial.rejected_data_points, 1);
        assert!(partial.error_message.contains("out_of_order"), "{}", partial.error_message);

        // A running total that goes down without a new start time is refused.
        let answer = export_ok(&f, &send(vec![point(20, 200, 31.0)])).await;
        assert!(answer.partial_success.unwrap().error_message.contains("counter_decreased"));

        // The series restarts (a new start time): its total counts from zero again.
        let restarted = duration_point(nanos(15), nanos(10), 40, 4.0);
        export_ok(&f, &send(vec![restarted])).await;
        assert_eq!(totals(&f, &f.alice.token).await, (290, 34_000, 0));

        // Each export landed in the hour its points' time falls in: the usage log shows
        // windows ending at the points.
        let (_, log) = f.call("GET", "/v1/account/usage/log", Some(&f.alice.token), None).await;
        let requests: Vec<u64> = log["records"].as_array().unwrap().iter().map(|r| r["requests"].as_u64().unwrap()).collect();
        assert_eq!(requests.iter().sum::<u64>(), 290, "{log}");
    })
    .await;
}

#[tokio::test]
async fn delta_points_and_egress_count_as_sent() {
    on_both_backends(|f| async move {
        let delta = AggregationTemporality::Delta;
        let body_size = |start, time, count, bytes: f64| HistogramDataPoint {
            attributes: vec![kv("http.route", "/api/orders"), kv("edgecost.account.id", &f.bob.id)],
            start_time_unix_nano: start,
            time_unix_nano: time,
            count,
            sum: Some(bytes),
            ..Default::default()
        };
        // The account is a point attribute here, not a resource one; compute comes from its
        // own metric, a monotonic sum in milliseconds.
        let compute = Metric {
            name: "edgecost.compute.duration".into(),
            unit: "ms".into(),
            data: Some(metric::Data::Sum(Sum {
                data_points: vec![NumberDataPoint {
                    attributes: vec![kv("http.route", "/api/orders"), kv("edgecost.account.id", &f.bob.id)],
                    start_time_unix_nano: nanos(10),
                    time_unix_nano: nanos(5),
                    value: Some(number_data_point::Value::AsInt(7_250)),
                    ..Default::default()
                }],
                aggregation_temporality: delta as i32,
                is_monotonic: true,
            })),
            ..Default::default()
        };
        let r = request(
            vec![kv("edgecost.region", "na")],
            vec![
                histogram(
                    "http.server.request.duration",
                    "s",
                    delta,
                    vec![HistogramDataPoint {
                        attributes: vec![kv("http.route", "/api/orders"), kv("edgecost.account.id", &f.bob.id)],
                        ..duration_point(nanos(10), nanos(5), 64, 3.0)
                    }],
                ),
                histogram(
                    "http.server.response.body.size",
                    "By",
                    delta,
                    vec![body_size(nanos(10), nanos(5), 64, 65_536.0), body_size(nanos(5), nanos(1), 10, 1_000.0)],
                ),
                compute,
            ],
        );
        let answer = export_ok(&f, &r).await;
        assert_eq!(answer.partial_success, None);
        // Without `edgecost.compute.source`, the request duration is not compute time.
        assert_eq!(totals(&f, &f.bob.token).await, (64, 7_250, 66_536));
        // The same request again (a retry): counted once.
        export_ok(&f, &r).await;
        assert_eq!(totals(&f, &f.bob.token).await, (64, 7_250, 66_536));
    })
    .await;
}

#[tokio::test]
async fn a_request_larger_than_one_batch_is_counted_whole() {
    on_both_backends(|f| async move {
        // 25,000 delta points of one series each (distinct routes), more than one batch holds.
        let points: Vec<HistogramDataPoint> = (0..25_000u64)
            .map(|i| HistogramDataPoint {
                attributes: vec![kv("http.route", &format!("/api/r{i}"))],
                ..duration_point(nanos(10), nanos(5), 2, 0.5)
            })
            .collect();
        let r =
            request(resource_of(&f.alice.id), vec![histogram("http.server.request.duration", "s", AggregationTemporality::Delta, points)]);
        let answer = export_ok(&f, &r).await;
        assert_eq!(answer.partial_success, None);
        assert_eq!(totals(&f, &f.alice.token).await, (50_000, 12_500_000, 0));
        // Sent again whole: nothing more counts.
        export_ok(&f, &r).await;
        assert_eq!(totals(&f, &f.alice.token).await, (50_000, 12_500_000, 0));
    })
    .await;
}

#[tokio::test]
async fn otlp_bad_input_is_refused_with_codes_and_nothing_half_stored() {
    on_both_backends(|f| async move {
        let delta = AggregationTemporality::Delta;
        let good = duration_point(nanos(10), nanos(5), 5, 0.5);

        // Malformed protobuf: 400 with a google.rpc.Status whose ErrorInfo carries the code.
        let (status, body) = export(&f, b"\x0a\xff\xff\xff\xff\x0f garbage".to_vec(), "application/x-protobuf").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let rpc = status_of(&body);
        assert_eq!(rpc.0, 3, "INVALID_ARGUMENT");
        assert!(rpc.1.starts_with("malformed_body:"), "{}", rpc.1);
        assert_eq!(rpc.2, "malformed_body");

        // Malformed JSON, answered in JSON.
        let (status, body) = export(&f, b"{\"resourceMetrics\": [".to_vec(), "application/json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["details"][0]["reason"], "malformed_body", "{json}");

        // A content type OTLP/HTTP does not use.
        let r = request(resource_of(&f.alice.id), vec![histogram("http.server.request.duration", "s", delta, vec![good.clone()])]);
        let (status, body) = export(&f, r.encode_to_vec(), "text/plain").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(status_of(&body).2, "unsupported_content_type");

        // Without a node token.
        let request_without_token =
            Request::post("/v1/metrics").header("content-type", "application/x-protobuf").body(Body::from(r.encode_to_vec())).unwrap();
        let (status, body) = f.send_raw(request_without_token).await;
        assert_eq!((status, status_of(&body).2.as_str()), (StatusCode::UNAUTHORIZED, "missing_token"));
        assert_eq!(totals(&f, &f.alice.token).await, (0, 0, 0), "nothing counted from refused requests");

        // One request mixing an unknown metric, a point without an account, an unknown
        // account, a gauge and a good point: the good point counts, each other is refused.
        let no_account = HistogramDataPoint { attributes: vec![kv("http.route", "/api/orders")], ..good.clone() };
        let mut unknown_account = good.clone();
        unknown_account.attributes.push(kv("edgecost.account.id", "acct_nobody"));
        let gauge = Metric {
            name: "edgecost.compute.duration".into(),
            data: Some(metric::Data::Gauge(opentelemetry_proto::tonic::metrics::v1::Gauge {
                data_points: vec![NumberDataPoint { time_unix_nano: nanos(5), ..Default::default() }],
            })),
            ..Default::default()
        };
        let mixed = ExportMetricsServiceRequest {
            resource_metrics: vec![
                request(
                    resource_of(&f.alice.id),
                    vec![
                        histogram("http.server.active_requests", "", delta, vec![good.clone()]),
                        histogram("http.server.request.duration", "s", delta, vec![good.clone(), unknown_account]),
                        gauge,
                    ],
                )
                .resource_metrics
                .remove(0),
                request(vec![kv("edgecost.region", "eu")], vec![histogram("http.server.request.duration", "s", delta, vec![no_account])])
                    .resource_metrics
                    .remove(0),
            ],
        };
        let answer = export_ok(&f, &mixed).await;
        let partial = answer.partial_success.expect("a partial success");
        assert_eq!(partial.rejected_data_points, 4, "{}", partial.error_message);
        for code in ["unknown_metric", "unknown_account", "unsupported_metric_type", "missing_account"] {
            assert!(partial.error_message.contains(code), "{code}: {}", partial.error_message);
        }
        assert!(partial.error_message.contains("http.server.active_requests"), "{}", partial.error_message);
        assert_eq!(totals(&f, &f.alice.token).await, (5, 500, 0));
    })
    .await;
}

/// (gRPC code, message, ErrorInfo reason) of a protobuf `google.rpc.Status`.
fn status_of(body: &[u8]) -> (i32, String, String) {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
        #[prost(message, repeated, tag = "3")]
        details: Vec<Any>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct Any {
        #[prost(string, tag = "1")]
        type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        value: Vec<u8>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct ErrorInfo {
        #[prost(string, tag = "1")]
        reason: String,
    }
    let s = Status::decode(body).unwrap_or_else(|e| panic!("not a Status ({e}): {}", String::from_utf8_lossy(body)));
    assert_eq!(s.details[0].type_url, "type.googleapis.com/google.rpc.ErrorInfo");
    let info = ErrorInfo::decode(&s.details[0].value[..]).unwrap();
    (s.code, s.message, info.reason)
}

async fn events(f: &Fixture, content_type: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post("/v1/events")
        .header("authorization", format!("Bearer {}", f.node.token))
        .header("content-type", content_type)
        .body(Body::from(body.to_owned()))
        .unwrap();
    f.send(request).await
}

#[tokio::test]
async fn cloud_events_count_once_per_source_and_id_and_refuse_bad_ones() {
    on_both_backends(|f| async move {
        let window = (now() - Duration::hours(2)).to_rfc3339();
        let event = |id: &str, subject: &str, requests: Value| {
            json!({
                "specversion": "1.0", "id": id, "source": "//edge/fra-1", "type": "edgecost.usage",
                "subject": subject, "time": window,
                "data": { "route": "/api/orders", "region": "eu", "window_seconds": 60, "requests": requests, "egress_bytes": 1000 }
            })
        };
        let batch =
            json!([event("e-1", &f.alice.id, json!(100)), event("e-2", &f.alice.id, json!("50")), event("e-3", "acct_nobody", json!(1))]);
        let (status, receipt) = events(&f, "application/cloudevents-batch+json", &batch.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert_eq!((receipt["accepted"].as_u64(), receipt["duplicates"].as_u64()), (Some(2), Some(0)), "{receipt}");
        assert_eq!(receipt["rejected"][0]["index"], 2);
        assert_eq!(receipt["rejected"][0]["code"], "unknown_account");
        assert_eq!(totals(&f, &f.alice.token).await, (150, 0, 2000));

        // The same events again, one alone in structured mode: duplicates, not counted.
        let (_, receipt) = events(&f, "application/cloudevents+json", &event("e-2", &f.alice.id, json!("50")).to_string()).await;
        assert_eq!((receipt["accepted"].as_u64(), receipt["duplicates"].as_u64()), (Some(0), Some(1)), "{receipt}");
        let (_, receipt) = events(&f, "application/cloudevents-batch+json", &batch.to_string()).await;
        assert_eq!(receipt["duplicates"].as_u64(), Some(2), "{receipt}");
        assert_eq!(totals(&f, &f.alice.token).await, (150, 0, 2000));

        // An event of another type, and a negative counter: refused, each said why.
        let mut other = event("e-4", &f.alice.id, json!(1));
        other["type"] = json!("com.example.signup");
        let bad = json!([other, event("e-5", &f.alice.id, json!(-1))]);
        let (_, receipt) = events(&f, "application/cloudevents-batch+json", &bad.to_string()).await;
        assert_eq!(receipt["accepted"].as_u64(), Some(0));
        assert_eq!(receipt["rejected"].as_array().unwrap().len(), 2, "{receipt}");
        assert!(receipt["rejected"][0]["message"].as_str().unwrap().contains("com.example.signup"));

        // Malformed JSON, a batch that is no array, a content type CloudEvents does not use.
        let (status, body) = events(&f, "application/cloudevents-batch+json", "[{").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));
        for not_events in ["{}", "[1, {}]", "[[]]"] {
            let (status, body) = events(&f, "application/cloudevents-batch+json", not_events).await;
            assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")), "{not_events}");
        }
        let (status, body) = events(&f, "text/csv", "a,b").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_content_type")));
        assert_eq!(totals(&f, &f.alice.token).await, (150, 0, 2000));
    })
    .await;
}
