//! The account and telemetry API driven through the router, on a real SQLite engine.
//!
//! One file past 500 lines on purpose: every test is a short request-and-answer story over the
//! same fixture, and each file under `tests/` is a test binary of its own that links the engine
//! and the server again; the endpoints' stories stay in one binary.

mod common;

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Fixture, batch, hourly_records};
use serde_json::{Value, json};
use tower::ServiceExt;

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

#[tokio::test]
async fn account_endpoints_refuse_missing_and_wrong_tokens() {
    let f = Fixture::new().await;
    for path in ["/v1/account", "/v1/account/bill", "/v1/account/credits", "/v1/account/notices", "/v1/account/usage/log"] {
        let (status, body) = f.call("GET", path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(code(&body), "missing_token");
        assert!(body["message"].as_str().unwrap().contains("Bearer"));

        let (status, body) = f.call("GET", path, Some("ect_not_a_real_token"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(code(&body), "invalid_token");

        // A node token is not an account token.
        let (status, _) = f.call("GET", path, Some(&f.node.token), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // An account token is not a node token.
    let b = batch("b-auth", &f.node.id, hourly_records(&f.alice.id, 1, 10));
    let (status, body) = f.call("POST", "/v1/telemetry", Some(&f.alice.token), Some(serde_json::to_value(&b).unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "invalid_token");
    // Nothing was stored by the refused batch.
    let (_, account) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(account["totals"]["requests"], 0);
}

#[tokio::test]
async fn each_token_sees_its_own_account_only() {
    let f = Fixture::new().await;
    let records = [hourly_records(&f.alice.id, 2, 1_000), hourly_records(&f.bob.id, 3, 7_000)].concat();
    let (status, _) = f.ingest(&batch("b-both", &f.node.id, records)).await;
    assert_eq!(status, StatusCode::OK);

    let (_, alice) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    let (_, bob) = f.call("GET", "/v1/account", Some(&f.bob.token), None).await;
    assert_eq!(alice["account_id"], f.alice.id.as_str());
    assert_eq!(alice["totals"]["requests"], 2_000);
    assert_eq!(bob["account_id"], f.bob.id.as_str());
    assert_eq!(bob["totals"]["requests"], 21_000);

    let (_, log) = f.call("GET", "/v1/account/usage/log", Some(&f.alice.token), None).await;
    let records = log["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["requests"] == 1_000));

    // Bob's purchase under a key does not answer Alice's purchase under the same key.
    let buy = |token: String, packs: u32| {
        let f = &f;
        async move {
            f.call_with("POST", "/v1/account/credits", Some(&token), Some(json!({"packs": packs})), &[("idempotency-key", "same-key")])
                .await
        }
    };
    let (status, bob_buy) = buy(f.bob.token.clone(), 2).await;
    assert_eq!(status, StatusCode::OK, "{bob_buy}");
    let (status, alice_buy) = buy(f.alice.token.clone(), 1).await;
    assert_eq!(status, StatusCode::OK, "{alice_buy}");
    assert_ne!(alice_buy["purchase_id"], bob_buy["purchase_id"]);
    let (_, alice_ledger) = f.call("GET", "/v1/account/credits", Some(&f.alice.token), None).await;
    assert_eq!(alice_ledger["balance"], "25.00");
    assert_eq!(alice_ledger["entries"].as_array().unwrap().len(), 1);

    // No route names another account: asking for one answers exactly as for an id that does
    // not exist, so the answer reveals nothing.
    let (s1, real) = f.call("GET", &format!("/v1/accounts/{}", f.bob.id), Some(&f.alice.token), None).await;
    let (s2, fake) = f.call("GET", "/v1/accounts/acct_nobody", Some(&f.alice.token), None).await;
    assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(code(&real), code(&fake));
    assert_eq!(real["message"].as_str().unwrap().replace(&f.bob.id, "X"), fake["message"].as_str().unwrap().replace("acct_nobody", "X"));
}

#[tokio::test]
async fn malformed_requests_get_stable_codes_in_the_error_shape() {
    let f = Fixture::new().await;
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut r = Request::builder().method("POST").uri("/v1/telemetry").header("authorization", format!("Bearer {}", f.node.token));
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        r.body(Body::from(body)).unwrap()
    };
    let (status, body) = f.send(post("{\"batch_id\": ", Some("application/json"))).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "malformed_json"));

    let (status, body) = f.send(post("{\"batch_id\": 7}", Some("application/json"))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));

    let (status, body) = f.send(post(r#"{"batch_id":"b","node_id":"n","records":[],"extra":1}"#, Some("application/json"))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));

    let (status, body) = f.send(post("{}", None)).await;
    assert_eq!((status, code(&body)), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json"));

    let huge = format!(r#"{{"batch_id":"{}"}}"#, "x".repeat(edgecost_server::BODY_LIMIT_BYTES));
    let request = Request::builder()
        .method("POST")
        .uri("/v1/telemetry")
        .header("authorization", format!("Bearer {}", f.node.token))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap();
    let (status, body) = f.send(request).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));

    let (status, body) = f.call("GET", "/v1/account/usage?from=yesterday", Some(&f.alice.token), None).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_query"));

    let (status, body) = f.call("GET", "/v2/nothing", None, None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "unknown_route"));

    let (status, body) = f.call("DELETE", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!((status, code(&body)), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));

    let (status, body) = f
        .call_with(
            "POST",
            "/v1/account/tier",
            Some(&f.alice.token),
            Some(json!({"tier": "platinum"})),
            &[("idempotency-key", "k-platinum")],
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_tier"));
}

#[tokio::test]
async fn a_replayed_batch_is_counted_once_and_answered_alike() {
    let f = Fixture::new().await;
    let b = batch("b-replay", &f.node.id, hourly_records(&f.alice.id, 3, 5_000));
    let (status, first) = f.ingest(&b).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["accepted"], 3);
    let (status, again) = f.ingest(&b).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);

    let (_, account) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(account["totals"]["requests"], 15_000);

    // The same id with a different body is refused and changes nothing.
    let changed = batch("b-replay", &f.node.id, hourly_records(&f.alice.id, 3, 6_000));
    let (status, body) = f.ingest(&changed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(!code(&body).is_empty());
    let (_, account) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(account["totals"]["requests"], 15_000);

    let text = f.call_raw_metrics().await;
    assert!(text.contains("edgecost_ingest_batches_total{outcome=\"stored\"} 1"), "{text}");
    assert!(text.contains("edgecost_ingest_batches_total{outcome=\"replayed\"} 1"), "{text}");
    assert!(text.contains("edgecost_ingest_records_total 3"), "{text}");
}

#[tokio::test]
async fn rejections_name_the_record_and_the_reason() {
    let f = Fixture::new().await;
    let mut records = hourly_records(&f.alice.id, 3, 1_000);
    records[1].region = "atlantis".to_owned();
    records[2].account_id = "acct_nobody".to_owned();
    let (status, receipt) = f.ingest(&batch("b-bad", &f.node.id, records)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["accepted"], 1);
    let rejected = receipt["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["index"], 1);
    assert_eq!(rejected[0]["reason"], "unknown_region");
    assert_eq!(rejected[1]["index"], 2);
    assert_eq!(rejected[1]["reason"], "unknown_account");
}

#[tokio::test]
async fn a_capped_sandbox_is_flagged_to_the_node() {
    let f = Fixture::new().await;
    // 60,000 requests against the sandbox's hard cap of 50,000; Alice (production) is not capped.
    let records = [hourly_records(&f.sandy.id, 6, 10_000), hourly_records(&f.alice.id, 1, 10_000)].concat();
    let (status, receipt) = f.ingest(&batch("b-cap", &f.node.id, records)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let accounts = receipt["accounts"].as_array().unwrap();
    let of = |id: &str| accounts.iter().find(|a| a["account_id"] == id).unwrap().clone();
    assert_eq!(of(&f.sandy.id)["capped"], true);
    assert_eq!(of(&f.sandy.id)["capped_meters"], json!(["requests"]));
    assert_eq!(of(&f.alice.id)["capped"], false);
}

#[tokio::test]
async fn credit_purchases_are_idempotent_per_key() {
    let f = Fixture::new().await;
    let buy = |packs: u32, key: &'static str| {
        let f = &f;
        async move {
            f.call_with("POST", "/v1/account/credits", Some(&f.alice.token), Some(json!({"packs": packs})), &[("idempotency-key", key)])
                .await
        }
    };
    let (status, first) = buy(2, "k-1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["credit_added"], "50.00");
    let (status, again) = buy(2, "k-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);

    let (status, body) = buy(3, "k-1").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "idempotency_key_reused");

    let (_, ledger) = f.call("GET", "/v1/account/credits", Some(&f.alice.token), None).await;
    assert_eq!(ledger["balance"], "50.00");
    let purchases: Vec<_> = ledger["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "purchase").collect();
    assert_eq!(purchases.len(), 1);

    let (status, body) = f.call("POST", "/v1/account/credits", Some(&f.alice.token), Some(json!({"packs": 1}))).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "missing_idempotency_key"));
    let (status, body) = buy(1, "has spaces").await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"));

    // Sandbox accounts cannot hold credits.
    let (status, body) = f
        .call_with("POST", "/v1/account/credits", Some(&f.sandy.token), Some(json!({"packs": 1})), &[("idempotency-key", "k-sandbox")])
        .await;
    assert!(status.is_client_error(), "{status} {body}");
    let (_, ledger) = f.call("GET", "/v1/account/credits", Some(&f.sandy.token), None).await;
    assert_eq!(ledger["balance"], "0.00");
}

#[tokio::test]
async fn an_upgrade_applies_at_once() {
    let f = Fixture::new().await;
    let (status, change) = f
        .call_with("POST", "/v1/account/tier", Some(&f.alice.token), Some(json!({"tier": "scale"})), &[("idempotency-key", "upgrade-1")])
        .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert_eq!(change["previous_tier"], "production");
    assert_eq!(change["tier"], "scale");
    assert_eq!(change["immediate"], true);
    let (_, account) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(account["tier"], "scale");
    let (_, bill) = f.call("GET", "/v1/account/bill", Some(&f.alice.token), None).await;
    assert_eq!(bill["bill"]["tier"], "scale");
}

#[tokio::test]
async fn tier_changes_are_idempotent_per_key() {
    let f = Fixture::new().await;
    let change = |tier: &'static str, key: &'static str| {
        let f = &f;
        async move {
            f.call_with("POST", "/v1/account/tier", Some(&f.alice.token), Some(json!({"tier": tier})), &[("idempotency-key", key)]).await
        }
    };
    let (status, first) = change("scale", "confirm-1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["previous_tier"], "production");
    // A double click or a retry after a lost answer: the first answer, not a refusal.
    let (status, again) = change("scale", "confirm-1").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first);

    let (status, body) = change("production", "confirm-1").await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "idempotency_key_reused"));
    let (status, body) = change("scale", "confirm-2").await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "tier_unchanged"));
    let (_, account) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(account["tier"], "scale");
    assert!(account["scheduled_tier"].is_null(), "{account}");

    let (status, body) = f.call("POST", "/v1/account/tier", Some(&f.alice.token), Some(json!({"tier": "scale"}))).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "missing_idempotency_key"));
    let (status, body) = change("scale", "has spaces").await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"));
}

#[tokio::test]
async fn a_notice_is_visible_as_soon_as_the_ingest_answers() {
    let f = Fixture::new().await;
    let (_, notices) = f.call("GET", "/v1/account/notices", Some(&f.alice.token), None).await;
    assert_eq!(notices["notices"], json!([]));
    // 170,000 of production's 200,000 included requests: 85%.
    let (status, _) = f.ingest(&batch("b-80", &f.node.id, hourly_records(&f.alice.id, 10, 17_000))).await;
    assert_eq!(status, StatusCode::OK);
    let answered = Instant::now();
    let (status, notices) = f.call("GET", "/v1/account/notices", Some(&f.alice.token), None).await;
    let elapsed = answered.elapsed();
    assert_eq!(status, StatusCode::OK);
    assert!(elapsed.as_millis() < 1_000, "notices took {elapsed:?}");
    let list = notices["notices"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{notices}");
    assert_eq!(list[0]["meter"], "requests");
    assert_eq!(list[0]["threshold_percent"], 80);
    assert_eq!(list[0]["offer"]["upgrade"]["tier"], "scale");
    let (_, account) = f.call("GET", "/v1/account", Some(&f.alice.token), None).await;
    assert_eq!(account["notices"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_bill_matches_the_pricing_core_for_the_same_totals() {
    let f = Fixture::new().await;
    let (status, _) = f.ingest(&batch("b-bill", &f.node.id, hourly_records(&f.alice.id, 10, 35_000))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, bill) = f.call("GET", "/v1/account/bill", Some(&f.alice.token), None).await;
    assert_eq!(status, StatusCode::OK, "{bill}");
    // 350,000 requests and 35 GB on production: 15 x $0.40 of request overage, no egress overage.
    let book = edgecost_pricing::PriceBook::published();
    let usage = edgecost_pricing::Usage::from_counters(350_000, 3_500_000_000, 1_400_000);
    let expected = book.rate("production", &usage, &Default::default()).unwrap();
    assert_eq!(bill["bill"]["overage_total"], expected.overage_total.to_string());
    assert_eq!(bill["totals"]["requests"], 350_000);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let f = Fixture::new().await;
    let (status, doc) = f.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/telemetry", "post"),
        ("/v1/metrics", "post"),
        ("/v1/events", "post"),
        ("/v1/account", "get"),
        ("/v1/account/bill", "get"),
        ("/v1/account/usage", "get"),
        ("/v1/account/usage/log", "get"),
        ("/v1/account/tier", "post"),
        ("/v1/account/credits", "get"),
        ("/v1/account/credits", "post"),
        ("/v1/account/notices", "get"),
        ("/v1/account/budget", "get"),
        ("/v1/account/budget", "put"),
        ("/v1/account/auto-top-up", "get"),
        ("/v1/account/auto-top-up", "put"),
        ("/v1/account/webhooks", "get"),
        ("/v1/account/webhooks", "put"),
        ("/v1/account/webhooks", "delete"),
        ("/v1/admin/report", "get"),
        ("/v1/price-book", "get"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
    }
    // Every route in the document is really served (none answers `unknown_route`): the API's
    // on the API's router, `/metrics` on the metrics router only.
    for path in paths.keys().filter(|p| *p != "/metrics") {
        let (status, _) = f.send_raw(Request::get(path.as_str()).body(Body::empty()).unwrap()).await;
        assert_ne!(status, StatusCode::NOT_FOUND, "{path} is documented but not served");
    }
    assert!(f.call_raw_metrics().await.contains("edgecost_"));
    let servers = &paths["/metrics"]["servers"];
    assert!(servers[0]["description"].as_str().unwrap().contains("--metrics-listen"), "{servers}");
    // OpenAPI requires a description on every response.
    for (path, item) in paths {
        let methods = item.as_object().unwrap().iter().filter(|(key, _)| *key != "servers");
        for (method, operation) in methods {
            for (status, response) in operation["responses"].as_object().unwrap() {
                assert!(response["description"].is_string(), "{method} {path} {status} has no description");
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["account_token"]["scheme"], "bearer");
    assert_eq!(schemes["node_token"]["scheme"], "bearer");
    assert_eq!(schemes["operator_token"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["TelemetryBatch"].is_object());
    // Every write that acts on money, the tier or the spend controls documents its required
    // idempotency key.
    for (path, method) in [
        ("/v1/account/credits", "post"),
        ("/v1/account/tier", "post"),
        ("/v1/account/budget", "put"),
        ("/v1/account/auto-top-up", "put"),
        ("/v1/account/webhooks", "put"),
        ("/v1/account/webhooks", "delete"),
    ] {
        let params = paths[path][method]["parameters"].as_array().unwrap();
        let key = params.iter().find(|p| p["name"] == "Idempotency-Key").unwrap();
        assert_eq!((key["in"].as_str(), key["required"].as_bool()), (Some("header"), Some(true)), "{path}");
        assert!(paths[path][method]["responses"]["409"].is_object(), "{path}");
    }
}

/// The value at a JSON pointer of the OpenAPI document, which must be there.
fn pointer<'a>(doc: &'a Value, pointer: &str) -> &'a Value {
    doc.pointer(pointer).unwrap_or_else(|| panic!("the document has nothing at {pointer}"))
}

/// The schema of parameter `name` of `method path`.
fn parameter<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    let params = doc["paths"][path][method]["parameters"].as_array().unwrap();
    &params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{method} {path}: no {name}"))["schema"]
}

#[tokio::test]
async fn the_openapi_document_declares_the_bounds_the_server_enforces() {
    use edgecost_api::{
        MAX_BATCH_ID_CHARS, MAX_BATCH_RECORDS, MAX_IDEMPOTENCY_KEY_CHARS, MAX_PACKS_PER_PURCHASE, MAX_USAGE_LOG_PAGE, MAX_WINDOW_SECONDS,
    };
    let f = Fixture::new().await;
    let (_, doc) = f.call("GET", "/openapi.json", None, None).await;
    let schemas = "/components/schemas";
    let batch_id = pointer(&doc, &format!("{schemas}/TelemetryBatch/properties/batch_id"));
    assert_eq!((&batch_id["minLength"], &batch_id["maxLength"]), (&json!(1), &json!(MAX_BATCH_ID_CHARS)));
    let records = pointer(&doc, &format!("{schemas}/TelemetryBatch/properties/records"));
    assert_eq!(records["maxItems"], json!(MAX_BATCH_RECORDS));
    let window = pointer(&doc, &format!("{schemas}/TelemetryRecord/properties/window_seconds"));
    assert_eq!((&window["minimum"], &window["maximum"]), (&json!(1), &json!(MAX_WINDOW_SECONDS)));
    let packs = pointer(&doc, &format!("{schemas}/CreditPurchaseRequest/properties/packs"));
    assert_eq!((&packs["minimum"], &packs["maximum"]), (&json!(1), &json!(MAX_PACKS_PER_PURCHASE)));
    let quote = parameter(&doc, "/v1/account/credits/quote", "get", "packs");
    assert_eq!((&quote["minimum"], &quote["maximum"]), (&json!(1), &json!(MAX_PACKS_PER_PURCHASE)));
    let limit = parameter(&doc, "/v1/account/usage/log", "get", "limit");
    assert_eq!((&limit["minimum"], &limit["maximum"]), (&json!(1), &json!(MAX_USAGE_LOG_PAGE)));
    for path in ["/v1/account/tier", "/v1/account/credits"] {
        let key = parameter(&doc, path, "post", "Idempotency-Key");
        assert_eq!((&key["minLength"], &key["maxLength"]), (&json!(1), &json!(MAX_IDEMPOTENCY_KEY_CHARS)), "{path}");
    }
    // The engine refuses past the same bound the document declares.
    assert_eq!(edgecost_engine::PACKS_PER_PURCHASE_MAX, MAX_PACKS_PER_PURCHASE);
    assert_eq!(edgecost_engine::USAGE_LOG_PAGE_MAX, MAX_USAGE_LOG_PAGE);

    // Each bound holds at the edge: the maximum is accepted, one more refused.
    let buy = |packs: u32, key: String| {
        let f = &f;
        async move {
            f.call_with("POST", "/v1/account/credits", Some(&f.alice.token), Some(json!({"packs": packs})), &[("idempotency-key", &key)])
                .await
        }
    };
    let (status, body) = buy(MAX_PACKS_PER_PURCHASE + 1, "k-over".to_owned()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = buy(1, "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"));
    let (status, body) = buy(MAX_PACKS_PER_PURCHASE, "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut over = hourly_records(&f.alice.id, 1, 10);
    over[0].window_seconds = MAX_WINDOW_SECONDS + 1;
    let (status, receipt) = f.ingest(&batch(&"b".repeat(MAX_BATCH_ID_CHARS), &f.node.id, over)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["rejected"][0]["reason"], "invalid_window");
    let (status, body) = f.ingest(&batch(&"b".repeat(MAX_BATCH_ID_CHARS + 1), &f.node.id, vec![])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn the_usage_log_refuses_a_limit_outside_the_documented_range() {
    let f = Fixture::new().await;
    let max = edgecost_api::MAX_USAGE_LOG_PAGE;
    for limit in [0_u64, u64::from(max) + 1, 2_147_483_648] {
        let (status, body) = f.call("GET", &format!("/v1/account/usage/log?limit={limit}"), Some(&f.alice.token), None).await;
        assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "query_out_of_range"), "limit={limit}");
        assert!(body["message"].as_str().unwrap().contains(&max.to_string()), "{body}");
    }
    for limit in [1, max] {
        let (status, body) = f.call("GET", &format!("/v1/account/usage/log?limit={limit}"), Some(&f.alice.token), None).await;
        assert_eq!(status, StatusCode::OK, "limit={limit}: {body}");
    }
}

#[tokio::test]
async fn json_bodies_document_every_refusal_the_server_answers() {
    let f = Fixture::new().await;
    let (_, doc) = f.call("GET", "/openapi.json", None, None).await;
    for path in ["/v1/telemetry", "/v1/account/tier", "/v1/account/credits"] {
        let responses = &doc["paths"][path]["post"]["responses"];
        for status in ["408", "413", "415"] {
            assert!(responses[status].is_object(), "POST {path} does not document {status}");
            assert_eq!(
                responses[status]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                "POST {path} {status}"
            );
        }
    }
    // `/metrics` is documented with the content type it sends.
    let content = doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"].as_object().unwrap();
    let documented: Vec<&String> = content.keys().collect();
    let response = f.metrics.clone().oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let sent = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(documented, vec![&sent]);
    assert!(sent.starts_with("application/openmetrics-text"), "{sent}");
}

#[tokio::test]
async fn the_api_router_does_not_serve_metrics() {
    let f = Fixture::new().await;
    let (status, body) = f.call("GET", "/metrics", None, None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "unknown_route"));
    // And the metrics router serves nothing but metrics.
    let response = f.metrics.clone().oneshot(Request::get("/v1/price-book").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oversized_targets_and_headers_answer_in_the_error_shape() {
    let f = Fixture::new().await;
    let long = format!("/v1/price-book?pad={}", "x".repeat(edgecost_server::URI_BYTES_MAX));
    let (status, body) = f.send(Request::get(long.as_str()).body(Body::empty()).unwrap()).await;
    assert_eq!((status, code(&body)), (StatusCode::URI_TOO_LONG, "uri_too_long"));
    let big = "v".repeat(edgecost_server::HEAD_BYTES_MAX);
    let request = Request::get("/v1/price-book").header("x-pad", big.as_str()).body(Body::empty()).unwrap();
    let (status, body) = f.send(request).await;
    assert_eq!((status, code(&body)), (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"));
    // Just under both bounds is served.
    let request = Request::get("/v1/price-book").header("x-pad", &big[..1024]).body(Body::empty()).unwrap();
    assert_eq!(f.send_raw(request).await.0, StatusCode::OK);
}

#[tokio::test]
async fn health_price_book_and_metrics_answer_without_a_token() {
    let f = Fixture::new().await;
    let (status, body) = f.send_raw(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, b"ok".as_slice()));

    let (status, book) = f.call("GET", "/v1/price-book", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let published: Value = serde_json::from_str(&edgecost_pricing::PriceBook::published().to_json()).unwrap();
    assert_eq!(book, published);

    let text = f.call_raw_metrics().await;
    assert!(text.contains("edgecost_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("edgecost_http_request_duration_seconds_bucket"), "{text}");
    // Nothing is waiting to be rolled up on a fresh engine.
    assert!(text.contains("edgecost_rollup_queue_batches 0"), "{text}");
}

#[tokio::test]
async fn the_largest_valid_batch_fits_the_body_limit() {
    let f = Fixture::new().await;
    let max = edgecost_api::MAX_BATCH_RECORDS;
    let long_route = format!("/{}", "r".repeat(edgecost_api::MAX_ROUTE_CHARS - 1));
    let mut records = hourly_records(&f.alice.id, 1, 1);
    records[0].route = long_route;
    records[0].requests = u64::MAX / 4;
    records[0].egress_bytes = u64::MAX / 4;
    records[0].compute_ms = u64::MAX / 4;
    records[0].account_id = format!("acct_{}", "9".repeat(59));
    let full = vec![records[0].clone(); max];
    let body = serde_json::to_vec(&batch("b-max", &f.node.id, full.clone())).unwrap();
    assert!(body.len() < edgecost_server::BODY_LIMIT_BYTES, "{} bytes", body.len());
    let (status, receipt) = f.ingest(&batch("b-max", &f.node.id, full.clone())).await;
    assert_eq!(status, StatusCode::OK, "{}", code(&receipt));
    assert_eq!(receipt["rejected"].as_array().unwrap().len(), max);

    let mut over = full;
    over.push(records[0].clone());
    let (status, body) = f.ingest(&batch("b-over", &f.node.id, over)).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"));
}

#[tokio::test]
async fn budgets_and_automatic_top_up_are_set_once_per_key_and_read_back() {
    let f = Fixture::new().await;
    let put = |path: &'static str, token: &str, body: Value, key: &'static str| {
        let (f, token) = (&f, token.to_owned());
        async move { f.call_with("PUT", path, Some(&token), Some(body), &[("idempotency-key", key)]).await }
    };
    let budget = json!({"monthly_budget": "30.00", "spend_cap": null});
    let (status, set) = put("/v1/account/budget", &f.alice.token, budget.clone(), "b-1").await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["settings"]["monthly_budget"], "30.00");
    assert_eq!(set["settings"]["alert_percents"], json!([50, 75, 90, 100]));
    // The base fee alone is 63% of $30.00: the 50% alert is there at once.
    assert_eq!((&set["spend_to_date"], &set["budget_used_percent"]), (&json!("19.00"), &json!(63)));
    assert_eq!(set["alerts"][0]["kind"], "budget_spend", "{set}");
    let (status, again) = put("/v1/account/budget", &f.alice.token, budget.clone(), "b-1").await;
    assert_eq!((status, &again["settings"]), (StatusCode::OK, &set["settings"]));
    let (status, body) = put("/v1/account/budget", &f.alice.token, json!({"monthly_budget": "40.00"}), "b-1").await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "idempotency_key_reused"));
    let (status, body) = put("/v1/account/budget", &f.alice.token, json!({"monthly_budget": "-5"}), "b-2").await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_controls"), "{body}");
    let (status, body) = f.call("PUT", "/v1/account/budget", Some(&f.alice.token), Some(budget)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "missing_idempotency_key"));
    let (status, read) = f.call("GET", "/v1/account/budget", Some(&f.alice.token), None).await;
    assert_eq!((status, &read["settings"]), (StatusCode::OK, &set["settings"]));
    // Another account sees its own (no) budget.
    let (_, other) = f.call("GET", "/v1/account/budget", Some(&f.bob.token), None).await;
    assert_eq!((&other["settings"]["monthly_budget"], &other["alerts"]), (&Value::Null, &json!([])));

    let top_up = json!({"enabled": true, "below": "10.00", "packs": 2, "max_packs_per_period": 4});
    let (status, set) = put("/v1/account/auto-top-up", &f.alice.token, top_up.clone(), "t-1").await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["settings"], top_up);
    assert_eq!((&set["packs_this_period"], &set["packs_left_this_period"]), (&json!(0), &json!(4)));
    let (_, read) = f.call("GET", "/v1/account/auto-top-up", Some(&f.alice.token), None).await;
    assert_eq!(read["settings"], top_up);
    let (status, body) = put("/v1/account/auto-top-up", &f.sandy.token, top_up, "t-1").await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "credit_packs_not_allowed"), "{body}");
    let too_many = json!({"enabled": true, "below": "10.00", "packs": 5, "max_packs_per_period": 4});
    let (status, body) = put("/v1/account/auto-top-up", &f.alice.token, too_many, "t-2").await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_controls"), "{body}");
}
