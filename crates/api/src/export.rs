//! Generated artifacts: the TypeScript bindings and the telemetry JSON Schema.
//!
//! The files are committed; `cargo test -p edgecost-api` regenerates them and fails when the
//! committed copies differ, so the app and the nodes never drift from these types.

use std::path::Path;

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
