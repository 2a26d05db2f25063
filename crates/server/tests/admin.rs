//! The operator's routes: operator tokens open `/v1/admin/...` and nothing else, and no
//! account or node token opens them.

mod common;

use axum::http::StatusCode;
use common::{Fixture, batch, hourly_records};
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use serde_json::Value;

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The published book with an infrastructure cost: $0.05 per GB anywhere.
fn costed_book() -> PriceBook {
    let yaml = format!("{}\ninfrastructure_cost:\n  egress_gb: {{ default: \"0.05\" }}\n", PriceBook::published_yaml());
    PriceBook::from_yaml_str(&yaml, "costed.yaml").unwrap()
}

async fn fixture() -> (Fixture, String) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&Engine::sqlite_url(&dir.path().join("engine.db")), costed_book()).await.unwrap();
    let f = Fixture::over(dir, engine).await;
    let operator = f.engine.create_operator("Ops", f.clock.now()).await.unwrap();
    assert!(operator.token.starts_with("ec_oper_"));
    (f, operator.token)
}

#[tokio::test]
async fn operator_and_account_tokens_each_open_only_their_own_routes() {
    let (f, operator) = fixture().await;
    let (status, body) = f.call("GET", "/v1/admin/report", None, None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "missing_token"));
    for token in [&f.alice.token, &f.sandy.token, &f.node.token] {
        let (status, body) = f.call("GET", "/v1/admin/report", Some(token), None).await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"), "{token}");
    }
    for path in ["/v1/account", "/v1/account/bill", "/v1/account/invoices"] {
        let (status, body) = f.call("GET", path, Some(&operator), None).await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"), "{path}");
    }
    let b = batch("b-op", &f.node.id, hourly_records(&f.alice.id, 1, 10));
    let (status, _) = f.call("POST", "/v1/telemetry", Some(&operator), Some(serde_json::to_value(&b).unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A well-formed operator token that was never issued.
    let forged = format!("ec_oper_{}", "0".repeat(64));
    let (status, _) = f.call("GET", "/v1/admin/report", Some(&forged), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_report_counts_the_fleet_and_prices_its_margin() {
    let (f, operator) = fixture().await;
    // Alice: 3 hours of 100,000 requests with 10 kB of egress each (3 GB in eu).
    let (status, _) = f.ingest(&batch("b-1", &f.node.id, hourly_records(&f.alice.id, 3, 100_000))).await;
    assert_eq!(status, StatusCode::OK);
    let month = f.clock.now().format("%Y-%m").to_string();
    let (status, r) = f.call("GET", &format!("/v1/admin/report?from={month}&to={month}&margin_below=80"), Some(&operator), None).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let m = &r["months"][0];
    assert_eq!(m["month"], month.as_str());
    assert_eq!(m["closed"], false);
    // Alice, Bob and Sandy.
    assert_eq!(m["accounts"], 3);
    let tiers: Vec<(&str, u64)> =
        m["revenue_by_tier"].as_array().unwrap().iter().map(|t| (t["tier"].as_str().unwrap(), t["accounts"].as_u64().unwrap())).collect();
    assert_eq!(tiers, [("sandbox", 1), ("production", 2)]);
    // Alice's 300,000 requests: 10 x $0.40 past the 200,000 included, + 2 x $19 base fees.
    assert_eq!(m["mrr"], "42.00");
    assert_eq!(r["margin"]["threshold_percent"], "80");
    assert!(r["margin"]["by_account"].as_array().unwrap().len() == 3);

    let (status, body) = f.call("GET", "/v1/admin/report?from=2026-13", Some(&operator), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_report_range"));
    let (status, body) = f.call("GET", "/v1/admin/report?nope=1", Some(&operator), None).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_query"));
}

#[tokio::test]
async fn the_price_book_accounts_see_leaves_out_the_infrastructure_cost() {
    let (f, _) = fixture().await;
    assert!(f.engine.book().infrastructure_cost.is_some());
    let (status, book) = f.call("GET", "/v1/price-book", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(book.get("infrastructure_cost").is_none(), "{book}");
    assert_eq!(book["tiers"][1]["name"], "production");
}

#[tokio::test]
async fn the_operator_records_invoice_payments_over_http_and_the_account_sees_them() {
    let (f, operator) = fixture().await;
    // December 5: Alice's and Bob's Novembers are closed into invoices.
    f.clock.set("2026-12-05T12:00:00Z".parse().unwrap());
    let state = edgecost_server::AppState::with_clock(f.engine.clone(), f.clock.clone());
    let server = edgecost_server::RunningServer::start(edgecost_server::router(state), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let ops = edgecost_client::Client::new(&server.url(), &operator).unwrap();
    let alice = edgecost_client::Client::new(&server.url(), &f.alice.token).unwrap();
    let page = alice.invoices(&edgecost_api::InvoiceQuery::default()).await.unwrap();
    let november = page.invoices[0].clone();
    assert_eq!(november.number, "INV-00001");
    assert_eq!((november.status, november.amount_paid, november.paid_at), (edgecost_api::InvoiceStatus::Due, "0".parse().unwrap(), None));
    let total = november.total;
    assert!(total > "5".parse().unwrap(), "{total}");

    // A part of it: 201 with the payment; the same reference again: 200 and the same answer.
    let path = format!("/v1/admin/accounts/{}/invoices/{}/payments", f.alice.id, november.id);
    let part = serde_json::json!({"amount": "5.00", "reference": "ch_1", "received_at": "2026-12-02T09:00:00Z"});
    let (status, first) = f.call("POST", &path, Some(&operator), Some(part.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!((first["payment"]["amount"].as_str(), first["payment"]["reference"].as_str()), (Some("5.00"), Some("ch_1")));
    assert_eq!(first["invoice"]["status"], "partly_paid");
    assert_eq!(first["invoice"]["amount_paid"], "5.00");
    assert!(first["invoice"]["paid_at"].is_null());
    let (status, again) = f.call("POST", &path, Some(&operator), Some(part)).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));

    // The rest over a real socket, by the invoice's number.
    let rest = edgecost_api::PaymentRequest {
        amount: total - "5".parse::<edgecost_pricing::Decimal>().unwrap(),
        currency: Some("USD".into()),
        reference: "ch_2".into(),
        received_at: None,
    };
    let paid = ops.record_payment(&f.alice.id, "INV-00001", &rest).await.unwrap();
    assert_eq!(paid.invoice.status, edgecost_api::InvoiceStatus::Paid);
    assert_eq!(paid.invoice.paid_at, Some(f.clock.now()));
    // A repeat through the client is answered with the first payment.
    assert_eq!(ops.record_payment(&f.alice.id, &november.id, &rest).await.unwrap().payment, paid.payment);

    // The account's own invoice endpoints show it.
    let invoice = alice.invoice(&november.id).await.unwrap();
    assert_eq!((invoice.status, invoice.amount_paid, invoice.paid_at), (edgecost_api::InvoiceStatus::Paid, total, Some(f.clock.now())));
    assert_eq!(invoice.payments.iter().map(|p| p.reference.as_str()).collect::<Vec<_>>(), ["ch_1", "ch_2"]);
    let listed = &alice.invoices(&edgecost_api::InvoiceQuery::default()).await.unwrap().invoices[0];
    assert_eq!(listed, &invoice.summary());

    // Refusals, each with its status and code.
    let refused = |account: &str, invoice: &str, amount: &str, reference: &str| {
        let request = edgecost_api::PaymentRequest {
            amount: amount.parse().unwrap(),
            currency: None,
            reference: reference.into(),
            received_at: None,
        };
        let (ops, account, invoice) = (&ops, account.to_owned(), invoice.to_owned());
        async move {
            let e = ops.record_payment(&account, &invoice, &request).await.unwrap_err();
            (e.status(), e.code().to_owned())
        }
    };
    assert_eq!(refused(&f.alice.id, "INV-00001", "1.00", "ch_3").await, (Some(409), "nothing_due".to_owned()));
    assert_eq!(refused(&f.alice.id, "INV-00002", "1.00", "ch_3").await, (Some(404), "invoice_not_found".to_owned()));
    assert_eq!(refused(&f.bob.id, &november.id, "1.00", "ch_3").await, (Some(404), "invoice_not_found".to_owned()));
    assert_eq!(refused(&f.bob.id, "INV-00001", "1000.00", "ch_3").await, (Some(409), "payment_exceeds_due".to_owned()));
    assert_eq!(refused(&f.bob.id, "INV-00001", "0.001", "ch_3").await, (Some(422), "invalid_payment".to_owned()));
    assert_eq!(refused(&f.bob.id, "INV-00001", "1.00", "").await, (Some(422), "invalid_payment".to_owned()));
    let (status, body) = f.call("POST", &path, Some(&operator), Some(serde_json::json!({"amount": 5, "reference": "x"}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));
    // Only an operator token records payments.
    for token in [&f.alice.token, &f.node.token] {
        let (status, body) = f.call("POST", &path, Some(token), Some(serde_json::json!({"amount": "1.00", "reference": "x"}))).await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"));
    }
    // The OpenAPI document describes the route and its answers.
    let (_, doc) = f.call("GET", "/openapi.json", None, None).await;
    let op = &doc["paths"]["/v1/admin/accounts/{account_id}/invoices/{invoice_id}/payments"]["post"];
    for status in ["200", "201", "401", "404", "409", "422"] {
        assert!(op["responses"][status].is_object(), "{status}: {op}");
    }
    assert_eq!(doc["components"]["schemas"]["PaymentRequest"]["properties"]["reference"]["maxLength"], 200);
    server.shutdown().await.unwrap();
}
