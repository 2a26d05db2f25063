//! Wire types of the account and telemetry API, shared by the server, the client and the app.
//!
//! Every request and response body of the HTTP API is a type here. JSON field names are
//! snake_case, timestamps are RFC 3339 strings in UTC, and amounts of money are exact decimal
//! strings (`"19.00"`). Counters (`requests`, `egress_bytes`, `compute_ms`) are JSON integers.
//!
//! Each type derives [`ts_rs::TS`] (TypeScript for the app, committed under
//! `ui/src/bindings/`), [`utoipa::ToSchema`] (the server's OpenAPI document) and, for the
//! telemetry batch the edge nodes send, [`schemars::JsonSchema`] (published as
//! `schemas/telemetry.schema.json`). A test in this crate fails when the committed files are
//! stale; `make codegen` rewrites them. Doc comments become descriptions in all three.
//!
//! ```
//! use edgecost_api::TelemetryBatch;
//!
//! let body = r#"{"batch_id": "b-1", "node_id": "node_1", "records": [{
//!     "account_id": "acct_1", "route": "/api/orders", "region": "eu",
//!     "window_start": "2026-11-23T10:00:00Z", "window_seconds": 60,
//!     "requests": 1200, "compute_ms": 5400, "egress_bytes": 9600000}]}"#;
//! let batch: TelemetryBatch = serde_json::from_str(body).unwrap();
//! assert_eq!(batch.records[0].requests, 1200);
//! ```

#![warn(missing_docs)]

mod account;
mod admin;
mod bill;
mod controls;
mod credits;
pub mod export;
mod invoices;
mod notices;
mod operator;
mod outlook;
mod telemetry;
mod usage;
mod webhooks;

pub use account::{
    AccountSummary, BillToDate, BillingPeriod, MeterAmounts, ProjectionBasis, RefusedUsage, SHORT_HISTORY_SECONDS, ScheduledTierChange,
    SpendCapUsage, TierChange, TierChangeRequest, UsageTotals,
};
pub use admin::{CreateAccountRequest, CreateNodeRequest, CreatedAccount, CreatedNode};
pub use bill::{BaseFeeLine, Bill, BillLine, Meter, OverageRate, Utilization};
pub use controls::{
    AccountAlert, AlertKind, AutoTopUpSettings, AutoTopUpStatus, BudgetForecast, BudgetSettings, BudgetStatus,
    DEFAULT_BUDGET_ALERT_PERCENTS, ForecastBasis, MAX_BUDGET_ALERT_PERCENT, MAX_BUDGET_ALERTS, MAX_CONTROL_AMOUNT,
    MAX_TOP_UP_PACKS_PER_PERIOD,
};
pub use credits::{CreditLedger, CreditPurchase, CreditPurchaseRequest, LedgerEntry, LedgerEntryKind, MAX_PACKS_PER_PURCHASE, PaidOverage};
pub use invoices::{
    DEFAULT_INVOICE_PAGE, Invoice, InvoiceCredit, InvoicePage, InvoicePayment, InvoiceQuery, InvoiceStatus, InvoiceSummary,
    MAX_INVOICE_PAGE, MAX_PAYMENT_REFERENCE_CHARS, PaymentRequest, RecordedPayment,
};
pub use notices::{CreditPackOffer, Notice, NoticeList, NoticeOffer, UpgradeOffer};
pub use operator::{
    AccountMargin, CheapestTierChange, CreatedOperator, CreditPackActivity, DEFAULT_WHAT_IF_MONTHS, MAX_REPORT_MONTHS, Margin,
    MarginReport, MonthMetrics, OPERATOR_TOKEN_PREFIX, OperatorReport, OperatorReportQuery, RETENTION_BASE_MIN, Ratio, RevenueChange,
    TierMargin, TierRevenue, UnratedAccount, WhatIfAccount, WhatIfReport, WhatIfRequest, WhatIfTier,
};
pub use outlook::{
    CreditsQuote, CreditsQuoteQuery, Outlook, OutlookReport, PeriodRouteCosts, RouteCost, RouteCostQuery, RouteCostReport, SimulatedBill,
    TierMove, TierQuote, UpgradeQuote,
};
pub use telemetry::{
    AccountIngestStatus, AccountLimits, EventRefusal, EventsReceipt, IngestReceipt, MAX_BATCH_ID_CHARS, MAX_BATCH_RECORDS, MAX_ROUTE_CHARS,
    MAX_WINDOW_SECONDS, NodeLimits, RecordRejection, RejectionReason, TelemetryBatch, TelemetryRecord,
};
pub use usage::{
    DEFAULT_USAGE_LOG_PAGE, Granularity, MAX_USAGE_LOG_PAGE, USAGE_LOG_ID_HEX_DIGITS, UsageGrouping, UsageLine, UsageLogEntry,
    UsageLogPage, UsageLogQuery, UsagePoint, UsageQuery, UsageSeries,
};

pub use webhooks::{
    AlertRaisedData, MAX_WEBHOOK_URL_CHARS, NoticeRaisedData, WEBHOOK_LOG_ENTRIES, Webhook, WebhookDeletion, WebhookDelivery,
    WebhookEventState, WebhookEventStatus, WebhookEventType, WebhookPayload, WebhookRegistration, WebhookRequest,
};

use serde::{Deserialize, Serialize};

/// The longest `Idempotency-Key` header accepted on tier changes and credit purchases, in
/// characters (at least one).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;

/// The body of every error answer: a stable machine-readable `code` and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable; clients match on this, never on `message`.
    pub code: String,
    /// One or two sentences for people: what was wrong and, where it helps, what to change.
    pub message: String,
    /// Where in a document the request carried the error is (1-based), when the parser could
    /// place it: a price book's line and column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub line: Option<u32>,
    /// The column of the error on `line` (1-based), when the parser could place it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub column: Option<u32>,
}

impl ErrorBody {
    /// A body with a code and a message, and no position.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorBody {
        ErrorBody { code: code.into(), message: message.into(), line: None, column: None }
    }
}
