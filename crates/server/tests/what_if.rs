//! `POST /v1/admin/what-if`: the demo's fleet re-rated under a proposed price book, on SQLite
//! and on PostgreSQL, with every expected figure worked out by hand from the fleet's story
//! (`edgecost_engine::DEMO_FLEET`), and the refusals of a bad book or body.

mod common;

use axum::http::StatusCode;
use common::Fixture;
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The demo's book with production at $24 and scale's egress overage at $0.05 per GB.
fn proposed_yaml() -> String {
    let book = edgecost_engine::demo_price_book().unwrap().to_yaml();
    let production = book.replacen("base_fee: '19.00'", "base_fee: '24.00'", 1);
    assert_ne!(production, book, "the production base fee is in the book as written: {book}");
    // Scale's egress overage is the only $0.03 rate of the book.
    let scale = production.replacen("price: '0.03'", "price: '0.05'", 1);
    assert_ne!(scale, production, "{production}");
    scale
}

/// An engine over `url` with the demo's book, the fleet seeded over August to October 2026,
/// and an operator token.
async fn fleet(dir: tempfile::TempDir, url: &str) -> (Fixture, String) {
    let engine = Engine::open(url, edgecost_engine::demo_price_book().unwrap()).await.unwrap();
    let f = Fixture::over(dir, engine).await;
    let operator = edgecost_engine::seed_demo_fleet(&f.engine, f.clock.now()).await.unwrap();
    (f, operator)
}

async fn what_if_story(f: Fixture, operator: String) {
    // The fixture's own accounts were created in November: only the fleet has closed months.
    let body = json!({"price_book": proposed_yaml(), "months": 3});
    let (status, r) = f.call("POST", "/v1/admin/what-if", Some(&operator), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["months"], json!(["2026-08", "2026-09", "2026-10"]));
    let tier = |name: &str| r["by_tier"].as_array().unwrap().iter().find(|t| t["tier"] == name).cloned().unwrap();

    // Scale: Blue Harbor 3 x $79, Acme's October $79, Ironbark 3 x ($79 + (400 GB x 1.5 - 200)
    // x $0.03 = $91.00): $589.00. After: Ironbark's 400 GB over at $0.05, +$8.00 a month.
    let scale = tier("scale");
    assert_eq!(
        (scale["account_months"].as_u64(), &scale["revenue"]["before"], &scale["revenue"]["after"]),
        (Some(7), &json!("589.00"), &json!("613.00"))
    );
    assert_eq!(scale["revenue"]["change"], "24.00");

    // Production: Northwind 3 x $19; Acme $19 + ($19 + 6 x $0.40); Copperleaf September from
    // day 5 ($19 x 26/30 = $16.47) and October; Fernhill 2 x $19; Gullwing $19, $19 + 30 x
    // $0.40 + 30 x $0.05 and $19 + 10 x $0.40: $245.37. After: $5 more for each of the 11
    // whole months and $24 x 26/30 = $20.80 for Copperleaf's September (+$4.33): $304.70.
    let production = tier("production");
    assert_eq!(production["account_months"], 12);
    assert_eq!((&production["revenue"]["before"], &production["revenue"]["after"]), (&json!("245.37"), &json!("304.70")));

    // Sandbox: Copperleaf's August, Fernhill's October and Harborview's three months, all free.
    assert_eq!((tier("sandbox")["account_months"].as_u64(), &tier("sandbox")["revenue"]["after"]), (Some(5), &json!("0.00")));
    assert_eq!((&r["total"]["before"], &r["total"]["after"], &r["total"]["change"]), (&json!("834.37"), &json!("917.70"), &json!("83.33")));

    // Ironbark's $24.00 is the largest rise; nobody's bill falls.
    assert_eq!(r["rises"][0]["name"], "Ironbark Logistics");
    assert_eq!(r["rises"][0]["revenue"]["change"], "24.00");
    assert_eq!(r["falls"], json!([]));
    assert!(r["margin_before"]["cost"].is_string() && r["margin_after"]["cost"] == r["margin_before"]["cost"], "{r}");

    // The same book as a JSON object answers the same.
    let object = serde_json::to_value(PriceBook::from_yaml_str(&proposed_yaml(), "p").unwrap()).unwrap();
    let (status, same) = f.call("POST", "/v1/admin/what-if", Some(&operator), Some(json!({"price_book": object}))).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["total"], r["total"], "3 months when the body names none");

    // A bad book: its line and column, and a stable code.
    let bad = "version: 1\ncurrency: USD\ntiers:\n  - name: [oops\n";
    let (status, body) = f.call("POST", "/v1/admin/what-if", Some(&operator), Some(json!({"price_book": bad}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "price_book_invalid"), "{body}");
    assert!(body["line"].as_u64().is_some_and(|l| l >= 4) && body["column"].as_u64().is_some(), "{body}");
    let (status, body) =
        f.call("POST", "/v1/admin/what-if", Some(&operator), Some(json!({"price_book": "{\"version\": 1,\n \"tiers\": x}"}))).await;
    assert_eq!((status, code(&body), &body["line"]), (StatusCode::UNPROCESSABLE_ENTITY, "price_book_invalid", &json!(2)), "{body}");
    let (status, body) = f.call("POST", "/v1/admin/what-if", Some(&operator), Some(json!({"price_book": {"version": 1}}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "price_book_invalid"), "{body}");
    let (status, body) = f.call("POST", "/v1/admin/what-if", Some(&operator), Some(json!({"price_book": 7}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"), "{body}");
    let (status, body) =
        f.call("POST", "/v1/admin/what-if", Some(&operator), Some(json!({"price_book": proposed_yaml(), "months": 0}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_report_range"), "{body}");
    let (status, body) = f.call("POST", "/v1/admin/what-if", Some(&f.alice.token), Some(json!({"price_book": proposed_yaml()}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"));

    // Read-only: the report's October is what it was.
    let (status, report) = f.call("GET", "/v1/admin/report?from=2026-10&to=2026-10", Some(&operator), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let scale_october = report["months"][0]["revenue_by_tier"].as_array().unwrap().iter().find(|t| t["tier"] == "scale").cloned().unwrap();
    // Blue Harbor $79, Acme $79, Ironbark $91.
    assert_eq!((&scale_october["accounts"], &scale_october["revenue"]), (&json!(3), &json!("249.00")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_what_if_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Engine::sqlite_url(&dir.path().join("engine.db"));
    let (f, operator) = fleet(dir, &url).await;
    what_if_story(f, operator).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_what_if_on_postgres() {
    let pg = edgecost_engine::testing::PgServer::shared();
    let url = pg.create_database().await;
    let (f, operator) = fleet(tempfile::tempdir().unwrap(), &url).await;
    what_if_story(f, operator).await;
}
