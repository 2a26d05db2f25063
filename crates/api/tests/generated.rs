//! The committed TypeScript bindings and telemetry schema must match the Rust types.
//!
//! Each test fails when the committed copy is stale; `make codegen` (`EDGECOST_CODEGEN=1`)
//! rewrites it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_dir_ts(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else { return files };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, fs::read_to_string(&path).unwrap());
        }
    }
    files
}

#[test]
fn typescript_bindings_are_fresh() {
    let fresh_dir = tempfile::tempdir().unwrap();
    edgecost_api::export::write_typescript(fresh_dir.path()).unwrap();
    let fresh = read_dir_ts(fresh_dir.path());
    assert!(fresh.contains_key("TelemetryBatch.ts") && fresh.contains_key("Bill.ts"));

    let committed_dir = repo_root().join("ui/src/bindings");
    let committed = read_dir_ts(&committed_dir);
    if fresh != committed && std::env::var_os("EDGECOST_CODEGEN").is_some() {
        fs::create_dir_all(&committed_dir).unwrap();
        for name in committed.keys().filter(|n| !fresh.contains_key(*n)) {
            fs::remove_file(committed_dir.join(name)).unwrap();
        }
        for (name, text) in &fresh {
            fs::write(committed_dir.join(name), text).unwrap();
        }
    } else if fresh != committed {
        let changed: Vec<_> = fresh.keys().chain(committed.keys()).filter(|n| fresh.get(*n) != committed.get(*n)).collect();
        panic!("ui/src/bindings is stale ({changed:?}); run `make codegen` and commit");
    }
}

#[test]
fn telemetry_schema_is_fresh() {
    let path = repo_root().join("schemas/telemetry.schema.json");
    let fresh = edgecost_api::export::telemetry_schema();
    let committed = fs::read_to_string(&path).unwrap_or_default();
    if fresh != committed && std::env::var_os("EDGECOST_CODEGEN").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &fresh).unwrap();
    } else {
        assert!(fresh == committed, "schemas/telemetry.schema.json is stale; run `make codegen` and commit");
    }
}

#[test]
fn the_schema_describes_the_documented_telemetry_body() {
    let schema: serde_json::Value = serde_json::from_str(&edgecost_api::export::telemetry_schema()).unwrap();
    let required = schema["required"].as_array().unwrap();
    for field in ["batch_id", "node_id", "records"] {
        assert!(required.iter().any(|r| r == field), "{field} must be required");
    }
    let record = &schema["$defs"]["TelemetryRecord"];
    assert_eq!(record["properties"]["window_seconds"]["maximum"], 3600);
    assert_eq!(record["additionalProperties"], false);
}

#[test]
fn wire_json_is_snake_case_with_exact_decimal_strings() {
    let purchase = edgecost_api::CreditPurchase {
        purchase_id: "led_1".into(),
        packs: 2,
        price_paid: "50.00".parse().unwrap(),
        credit_added: "50.00".parse().unwrap(),
        consumed_now: "3.20".parse().unwrap(),
        balance: "46.80".parse().unwrap(),
        purchased_at: "2026-11-23T10:00:00Z".parse().unwrap(),
    };
    let json = serde_json::to_value(&purchase).unwrap();
    assert_eq!(json["price_paid"], "50.00");
    assert_eq!(json["consumed_now"], "3.20");
    assert_eq!(json["purchased_at"], "2026-11-23T10:00:00Z");
}

#[test]
fn unknown_fields_in_a_batch_are_refused() {
    let body = r#"{"batch_id": "b", "node_id": "n", "records": [], "extra": 1}"#;
    assert!(serde_json::from_str::<edgecost_api::TelemetryBatch>(body).is_err());
}

#[test]
fn body_bounds_come_from_the_constants_the_server_checks() {
    use edgecost_api::*;
    use serde_json::json;
    let bounds = Value::Object(edgecost_api::export::body_bounds());
    assert_eq!(bounds["TelemetryBatch"]["batch_id"], json!({"minLength": 1, "maxLength": MAX_BATCH_ID_CHARS}));
    assert_eq!(bounds["TelemetryBatch"]["records"], json!({"maxItems": MAX_BATCH_RECORDS}));
    assert_eq!(bounds["TelemetryRecord"]["route"], json!({"minLength": 1, "maxLength": MAX_ROUTE_CHARS}));
    assert_eq!(bounds["TelemetryRecord"]["window_seconds"], json!({"minimum": 1, "maximum": MAX_WINDOW_SECONDS}));
    assert_eq!(bounds["CreditPurchaseRequest"]["packs"], json!({"minimum": 1, "maximum": MAX_PACKS_PER_PURCHASE}));
    assert_eq!(bounds["TierChangeRequest"]["tier"], json!({"minLength": 1}));
    assert_eq!(
        bounds["BudgetSettings"]["alert_percents"],
        json!({"maxItems": MAX_BUDGET_ALERTS, "items": {"minimum": 1, "maximum": MAX_BUDGET_ALERT_PERCENT}})
    );
    assert_eq!(bounds["AutoTopUpSettings"]["packs"], json!({"minimum": 1, "maximum": MAX_PACKS_PER_PURCHASE}));
    assert_eq!(bounds["AutoTopUpSettings"]["max_packs_per_period"], json!({"minimum": 1, "maximum": MAX_TOP_UP_PACKS_PER_PERIOD}));
    assert_eq!(bounds["WebhookRequest"]["url"], json!({"minLength": 1, "maxLength": MAX_WEBHOOK_URL_CHARS}));
    // Counters without a bound of their own carry none.
    assert!(bounds["TelemetryRecord"].get("requests").is_none(), "{bounds}");
}
