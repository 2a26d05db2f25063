//! The desktop app's logic, without Tauri: sign-in with the token kept in the OS keyring, the
//! in-process demo engine, background sync with a cached snapshot for offline use, the
//! dashboard view, the operator's dashboard and price-book what-if, the spend controls (budget, spend cap, automatic top-up, webhook), the account's invoices (with CSV and PDF export), offline planning with
//! the embedded price book, and chart exports.
//!
//! The Tauri shell in `src-tauri/` only adapts these calls to commands; tests drive them
//! against a real engine on loopback with no desktop at all.
//!
//! ```
//! use edgecost_desktop::{PlanInput, quote};
//!
//! // Offline planning needs no account: price a month's usage on the production tier.
//! let input = PlanInput {
//!     requests: "350,000".into(),
//!     egress_gb: "60".into(),
//!     compute_seconds: "0".into(),
//!     tier: "production".into(),
//! };
//! assert_eq!(quote(&input).unwrap().bill.total, "$25.50");
//! ```

mod account_actions;
mod account_status;
mod app;
mod billing_page;
pub mod bindings;
mod chart;
mod controls;
mod dashboard;
mod demo;
mod error;
mod files;
mod invoices;
pub mod ipc;
mod operator;
mod operator_session;
mod plan_account;
mod plan_actual;
mod plan_costs;
mod plan_recent;
mod plan_recovery;
mod plan_session;
mod plan_wire;
mod planner;
mod remote;
mod session;
mod snapshot;
mod vault;
mod what_if;

pub use account_actions::{
    ActionFailure, BannerLevel, BannerLine, Charged, CreditsQuote, CreditsSheet, FailureKind, Intents, LedgerRowView, LedgerView,
    NoticeBanner, NotifiedThresholds, PACKS_PER_PURCHASE_MAX, PackView, PurchaseView, TierProjection, UpgradeSheet, credits_quote_view,
    ledger_view, new_intent_key, notice_banner, upgrade_sheet,
};
/// The bodies of the account action commands.
pub mod actions {
    pub use crate::account_actions::{
        banner, buy_credits, cancel_downgrade, confirm_upgrade, ledger, open_credits, open_tier_change, open_upgrade, quote_credits,
    };
    pub use crate::billing_page::plan_billing;
    pub use crate::controls::{delete_webhook, save_budget, save_top_up, save_webhook, spend_controls};
}
pub use account_status::{AlertView, DashboardBudgetView, ScheduledView, alert_view, alert_views, crossing, dashboard_budget};
pub use app::{App, Startup};
pub use billing_page::{PlanBillingView, TierAction, TierColumn, TierMeterTerms, offline_view, plan_billing_view};
pub use bindings::write_account_typescript;
pub use chart::{ChartId, ExportFormat, chart_svg, export_bytes, usage_chart};
pub use controls::{
    BudgetForm, BudgetView, CONFIRM_SPEND_CAP, CONFIRM_SPEND_CAP_AHEAD, ControlField, ControlsFailure, ForecastView, SpendControlsView,
    TopUpForm, TopUpView, WebhookDeliveryRow, WebhookEventRow, WebhookSaved, WebhookSecretView, WebhookView, budget_settings, budget_view,
    change_key, spend_controls_view, top_up_settings, top_up_view, webhook_request, webhook_secret_view, webhook_view,
};
pub use dashboard::{
    BillLineView, BillView, ChartTab, DashboardView, MeterLevel, MeterView, NoticeView, RegionRow, RouteRow, SyncView, UpgradeHint,
    WARNING_PERCENT,
};
pub use demo::{DEMO_ACCOUNT_FILE, DEMO_DATABASE, DemoServer};
pub use error::{DesktopError, ErrorCode};
pub use invoices::{
    INVOICE_CACHE_FILE, InvoiceCache, InvoiceCacheFile, InvoiceDetailView, InvoiceFormat, InvoiceLineView, InvoiceListView,
    InvoicePaymentView, InvoiceRowView, invoice_csv, invoice_detail, invoice_pdf, invoice_row, period_label,
};
pub use operator::{
    FunnelRow, MarginRow, MarginView, OperatorChartId, OperatorChartImage, OperatorChartTab, OperatorHeadline, OperatorMonthRow,
    OperatorView, TierRevenueRow, operator_chart, operator_chart_image,
};
pub use operator_session::{Opened, is_operator_token};
pub use plan_account::{USAGE_LOG_PAGES_MAX, usage_records};
pub use plan_actual::{PlanVsMeasured, RouteVsMeasured, plan_vs_measured};
pub use plan_recent::{RECENT_PLANS_FILE, RecentPlan, RecentPlans};
pub use plan_recovery::{PlanRecovery, RECOVERY_FILE, RecoveryOffer};
pub use plan_session::{
    Applied, CapView, EditAnswer, PlanDetails, PlanEdit, PlanRow, PlanRows, PlanSession, PlanSummary, PlanView, ROWS_MAX, RouteCostChange,
    RouteStatus, YamlCheck, check_yaml,
};
pub use plan_wire::{MiddlewareFields, NamedMiddleware, PercentReading, RegionShare, RouteFields, read_percent};
pub use planner::{PlanInput, PlanQuote, TierChoice, TierQuote, quote, tier_choices};
pub use remote::{AccountConnection, normalize_server_url};
pub use session::{LastServer, Session, SessionFile};
pub use snapshot::{ChartRange, Door, Snapshot, SnapshotCache, fetch_snapshot};
pub use vault::{KEYRING_SERVICE, TokenVault};
pub use what_if::{ChangeRow, CheapestChangeRow, PRICE_BOOK_BYTES_MAX, PickedPriceBook, WhatIfView};

/// What the background sync announces to the UI (the `sync` event).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncEvent {
    Running,
    Done { dashboard: Box<DashboardView> },
    Failed { error: CommandError },
}

/// The `{code, message}` shape every command error takes at the UI boundary.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError { code: code.as_str().to_owned(), message: message.into() }
    }
}

impl From<DesktopError> for CommandError {
    fn from(e: DesktopError) -> Self {
        CommandError { code: e.code().to_owned(), message: e.to_string() }
    }
}
