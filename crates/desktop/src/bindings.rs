//! TypeScript declarations of every type the UI receives from the app's commands, generated
//! with ts-rs into `ui/src/bindings/desktop/`. A test regenerates them and fails when the
//! committed files are stale.

use std::path::Path;

use ts_rs::TS;

/// Writes a `.ts` file per type (and the types they use) into `dir`.
pub fn write_typescript(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let cfg = ts_rs::Config::new().with_out_dir(dir).with_large_int("number");
    let dir = &cfg;
    crate::Startup::export_all(dir)?;
    crate::DashboardView::export_all(dir)?;
    crate::PlanInput::export_all(dir)?;
    crate::PlanQuote::export_all(dir)?;
    crate::TierChoice::export_all(dir)?;
    crate::ChartRange::export_all(dir)?;
    crate::CommandError::export_all(dir)?;
    crate::ErrorCode::export_all(dir)?;
    crate::SyncEvent::export_all(dir)?;
    crate::ExportFormat::export_all(dir)?;
    crate::InvoiceListView::export_all(dir)?;
    crate::InvoiceDetailView::export_all(dir)?;
    crate::InvoiceFormat::export_all(dir)?;
    crate::Opened::export_all(dir)?;
    crate::OperatorView::export_all(dir)?;
    crate::OperatorChartId::export_all(dir)?;
    crate::OperatorChartImage::export_all(dir)?;
    crate::WhatIfView::export_all(dir)?;
    // The route editor's.
    crate::EditAnswer::export_all(dir)?;
    crate::RecoveryOffer::export_all(dir)?;
    crate::PlanVsMeasured::export_all(dir)?;
    crate::PlanView::export_all(dir)?;
    crate::PlanDetails::export_all(dir)?;
    crate::YamlCheck::export_all(dir)?;
    crate::PercentReading::export_all(dir)?;
    crate::RecentPlan::export_all(dir)?;
    Ok(())
}

/// Writes the account pages' types (the notice banner, the upgrade and credit sheets, the Plan
/// & billing page and its spend controls) into `dir`, committed under `ui/src/bindings/account/`.
pub fn write_account_typescript(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let cfg = ts_rs::Config::new().with_out_dir(dir).with_large_int("number");
    crate::account_actions::write_typescript(&cfg)?;
    crate::PlanBillingView::export_all(&cfg)?;
    crate::controls::write_typescript(&cfg)?;
    Ok(())
}
