//! Generated artifacts: the TypeScript bindings, the telemetry JSON Schema and the bounds of
//! request bodies that the server's OpenAPI document declares.
//!
//! The files are committed; `cargo test -p edgecost-api` fails when the committed copies differ
//! from what these functions generate, and `make codegen` rewrites them, so the app and the
//! nodes never drift from these types.

use std::path::Path;

use serde_json::{Map, Value};
use ts_rs::TS;

/// Writes a `.ts` declaration for every wire type (and the types they use) into `dir`.
pub fn write_typescript(dir: &Path) -> Result<(), ts_rs::ExportError> {
    // Counters are JSON numbers: every value the API sends stays below 2^53.
    let cfg = ts_rs::Config::new().with_out_dir(dir).with_large_int("number");
    let dir = &cfg;
    crate::TelemetryBatch::export_all(dir)?;
    crate::IngestReceipt::export_all(dir)?;
    crate::AccountSummary::export_all(dir)?;
    crate::BillToDate::export_all(dir)?;
    crate::OutlookReport::export_all(dir)?;
    crate::UpgradeQuote::export_all(dir)?;
    crate::CreditsQuote::export_all(dir)?;
    crate::RouteCostReport::export_all(dir)?;
    crate::TierChangeRequest::export_all(dir)?;
    crate::TierChange::export_all(dir)?;
    crate::CreateAccountRequest::export_all(dir)?;
    crate::CreatedAccount::export_all(dir)?;
    crate::CreateNodeRequest::export_all(dir)?;
    crate::CreatedNode::export_all(dir)?;
    crate::CreditPurchaseRequest::export_all(dir)?;
    crate::CreditPurchase::export_all(dir)?;
    crate::CreditLedger::export_all(dir)?;
    crate::NoticeList::export_all(dir)?;
    crate::BudgetStatus::export_all(dir)?;
    crate::AutoTopUpStatus::export_all(dir)?;
    crate::UsageQuery::export_all(dir)?;
    crate::UsageSeries::export_all(dir)?;
    crate::UsageLogQuery::export_all(dir)?;
    crate::UsageLogPage::export_all(dir)?;
    crate::InvoiceQuery::export_all(dir)?;
    crate::InvoicePage::export_all(dir)?;
    crate::Invoice::export_all(dir)?;
    crate::PaymentRequest::export_all(dir)?;
    crate::RecordedPayment::export_all(dir)?;
    crate::WebhookRequest::export_all(dir)?;
    crate::WebhookRegistration::export_all(dir)?;
    crate::Webhook::export_all(dir)?;
    crate::WebhookDeletion::export_all(dir)?;
    crate::CreatedOperator::export_all(dir)?;
    crate::OperatorReportQuery::export_all(dir)?;
    crate::OperatorReport::export_all(dir)?;
    crate::WhatIfRequest::export_all(dir)?;
    crate::WhatIfReport::export_all(dir)?;
    crate::ErrorBody::export_all(dir)?;
    Ok(())
}

/// The JSON Schema of a telemetry batch, pretty-printed with a trailing newline.
pub fn telemetry_schema() -> String {
    let schema = schemars::schema_for!(crate::TelemetryBatch);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}

/// The JSON Schema keywords that bound a value, which JSON Schema and OpenAPI 3.1 share.
const BOUND_KEYWORDS: [&str; 7] = ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern"];

/// The bounds the fields of request bodies declare, keyed by schema name and then property:
/// `{"TelemetryBatch": {"batch_id": {"minLength": 1, "maxLength": 128}}, ...}`. A bound on
/// the items of a list sits under `"items"`.
///
/// Each bound is declared once, as a `#[schemars(length(..))]` or `#[schemars(range(..))]`
/// attribute naming the constant the server checks against; this reads them back out of the
/// JSON Schema so the server's OpenAPI document can carry the same bounds. (utoipa's own
/// bound attributes take only literals, which would state each bound a second time.)
pub fn body_bounds() -> Map<String, Value> {
    let bodies = [
        ("TelemetryBatch", schemars::schema_for!(crate::TelemetryBatch)),
        ("CreditPurchaseRequest", schemars::schema_for!(crate::CreditPurchaseRequest)),
        ("TierChangeRequest", schemars::schema_for!(crate::TierChangeRequest)),
        ("BudgetSettings", schemars::schema_for!(crate::BudgetSettings)),
        ("AutoTopUpSettings", schemars::schema_for!(crate::AutoTopUpSettings)),
        ("WebhookRequest", schemars::schema_for!(crate::WebhookRequest)),
        ("PaymentRequest", schemars::schema_for!(crate::PaymentRequest)),
    ];
    let mut bounds = Map::new();
    for (name, schema) in bodies {
        let schema = schema.to_value();
        // The types a body holds (a batch's records) are definitions of its schema.
        let definitions = schema.get("$defs").and_then(Value::as_object).into_iter().flatten();
        for (name, schema) in [(name, &schema)].into_iter().chain(definitions.map(|(n, s)| (n.as_str(), s))) {
            let properties = schema.get("properties").and_then(Value::as_object).into_iter().flatten();
            let bounded: Map<String, Value> =
                properties.filter_map(|(property, schema)| bounds_of(schema).map(|b| (property.clone(), b))).collect();
            if !bounded.is_empty() {
                bounds.insert(name.to_owned(), Value::Object(bounded));
            }
        }
    }
    bounds
}

/// The bound keywords of one property's schema (and of its items), or `None` when it has
/// none. Unsigned integers always carry `"minimum": 0`; that says nothing the type does not,
/// so such a property counts as bounded only with a bound of its own.
fn bounds_of(schema: &Value) -> Option<Value> {
    let mut bounds: Map<String, Value> =
        BOUND_KEYWORDS.iter().filter_map(|k| schema.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect();
    if bounds.len() == 1 && bounds.get("minimum") == Some(&Value::from(0)) {
        bounds.clear();
    }
    if let Some(items) = schema.get("items").and_then(bounds_of) {
        bounds.insert("items".to_owned(), items);
    }
    (!bounds.is_empty()).then_some(Value::Object(bounds))
}
