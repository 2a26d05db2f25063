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
