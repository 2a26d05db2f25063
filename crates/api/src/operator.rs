//! The operator's view of the whole service (`/v1/admin/...`, operator token): revenue,
//! retention, churn, conversion, the 80% funnel, burst credit and gross margin per month, and
//! a price book's effect on past bills. Every metric is defined in `docs/operator-metrics.md`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The most months one report or what-if covers.
pub const MAX_REPORT_MONTHS: u32 = 36;
/// Closed months a what-if re-rates when the request names none.
pub const DEFAULT_WHAT_IF_MONTHS: u32 = 3;
/// How an operator token starts; account and node tokens start otherwise.
pub const OPERATOR_TOKEN_PREFIX: &str = "ec_oper_";

/// `GET /v1/admin/report?from=&to=&margin_below=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OperatorReportQuery {
    /// The first month, `YYYY-MM`; five months before `to` when absent.
    pub from: Option<String>,
    /// The last month, `YYYY-MM`, included; the current month when absent.
    pub to: Option<String>,
    /// Accounts whose gross margin is below this percentage are flagged; 50 when absent.
    #[ts(type = "string | null")]
    #[param(value_type = Option<String>)]
    pub margin_below: Option<Decimal>,
}

/// A new operator and its token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreatedOperator {
    pub operator_id: String,
    pub name: String,
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// A count out of a base, with its percentage (two places, half away from zero; `None` when
/// the base is zero).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Ratio {
    pub count: u32,
    pub of: u32,
    #[ts(type = "string | null")]
    pub percent: Option<Decimal>,
}

/// One tier's revenue in one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierRevenue {
    pub tier: String,
    /// Accounts whose month was billed on this tier (the tier at the month's end).
    pub accounts: u32,
    #[ts(type = "string")]
    pub base_fees: Decimal,
    #[ts(type = "string")]
    pub overage: Decimal,
    /// base_fees + overage.
    #[ts(type = "string")]
    pub revenue: Decimal,
}

/// Burst credit packs in one month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreditPackActivity {
    /// Packs bought in the month.
    pub packs_sold: u32,
    /// Credit those packs added.
    #[ts(type = "string")]
    pub credit_sold: Decimal,
    /// Credit spent on the month's overage.
    #[ts(type = "string")]
    pub credit_consumed: Decimal,
}

/// The figures of one calendar month (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct MonthMetrics {
    /// `YYYY-MM`.
    pub month: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The month has ended; an open month's figures are to date.
    pub closed: bool,
    /// Accounts that existed at the month's end (or now, for the open month).
    pub accounts: u32,
    /// Accounts with revenue in the month.
    pub paying_accounts: u32,
    /// Monthly recurring revenue: every account's base fees plus overage for the month.
    #[ts(type = "string")]
    pub mrr: Decimal,
    pub revenue_by_tier: Vec<TierRevenue>,
    /// Net revenue retention against last month's paying accounts.
    #[ts(type = "string | null")]
    pub nrr_percent: Option<Decimal>,
    /// Gross revenue retention: NRR with each account's growth left out.
    #[ts(type = "string | null")]
    pub grr_percent: Option<Decimal>,
    /// Last month's paying accounts without revenue this month, out of last month's paying accounts.
    pub logo_churn: Ratio,
    /// Last month's revenue of the churned accounts.
    #[ts(type = "string")]
    pub churned_revenue: Decimal,
    /// `churned_revenue` as a percentage of last month's revenue.
    #[ts(type = "string | null")]
    pub revenue_churn_percent: Option<Decimal>,
    /// Accounts on a free tier at the month's start (or when created in it) that end it on a paid tier.
    pub sandbox_conversion: Ratio,
    pub upgrades: u32,
    pub downgrades: u32,
    pub credit_packs: CreditPackActivity,
    /// Accounts that reached 80% of a quota, and how many of them upgraded within 14 days.
    pub quota_funnel: Ratio,
    /// Accounts whose month was capped by a hard cap.
    pub capped_accounts: u32,
    /// Infrastructure cost of the month's usage; `None` when the price book carries no cost.
    #[ts(type = "string | null")]
    pub infrastructure_cost: Option<Decimal>,
    /// mrr - infrastructure_cost.
    #[ts(type = "string | null")]
    pub gross_margin: Option<Decimal>,
    #[ts(type = "string | null")]
    pub gross_margin_percent: Option<Decimal>,
}

/// Revenue, cost and margin of a tier or an account over the report's months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Margin {
    #[ts(type = "string")]
    pub revenue: Decimal,
    #[ts(type = "string")]
    pub cost: Decimal,
    /// revenue - cost.
    #[ts(type = "string")]
    pub margin: Decimal,
    /// margin / revenue; `None` without revenue.
    #[ts(type = "string | null")]
    pub margin_percent: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierMargin {
    pub tier: String,
    pub margin: Margin,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AccountMargin {
    pub account_id: String,
    pub name: String,
    /// The tier of the account's last month in the report.
    pub tier: String,
    pub margin: Margin,
    /// Margin below the threshold, or cost without revenue.
    pub below_threshold: bool,
}

/// Gross margin over the report's months, per tier and per account (lowest margin first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct MarginReport {
    #[ts(type = "string")]
    pub threshold_percent: Decimal,
    pub total: Margin,
    pub by_tier: Vec<TierMargin>,
    pub by_account: Vec<AccountMargin>,
}

/// `GET /v1/admin/report`: the service's figures month by month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct OperatorReport {
    pub as_of: DateTime<Utc>,
    pub currency: String,
    pub months: Vec<MonthMetrics>,
    /// `None` when the price book carries no infrastructure cost.
    pub margin: Option<MarginReport>,
}

/// Revenue before and after a price-book change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RevenueChange {
    #[ts(type = "string")]
    pub before: Decimal,
    #[ts(type = "string")]
    pub after: Decimal,
    /// after - before.
    #[ts(type = "string")]
    pub change: Decimal,
    /// change / before; `None` when before is zero.
    #[ts(type = "string | null")]
    pub change_percent: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WhatIfTier {
    pub tier: String,
    /// Account-months billed on the tier.
    pub account_months: u32,
    pub revenue: RevenueChange,
}

/// One account's bills over the months, before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WhatIfAccount {
    pub account_id: String,
    pub name: String,
    pub tier: String,
    pub revenue: RevenueChange,
}

/// An account whose cheapest tier for its latest month differs under the new book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CheapestTierChange {
    pub account_id: String,
    pub name: String,
    /// The tier it is billed on.
    pub tier: String,
    /// The cheapest tier that does not cap its usage, under each book.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// `POST /v1/admin/what-if`: the price book to try and how many closed months to re-rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// The price book to try: its text as `edgecost admin what-if --price-book` reads a file
    /// (YAML, or JSON), or the book itself as a JSON object.
    #[ts(type = "string | Record<string, unknown>")]
    #[schema(schema_with = price_book_source_schema)]
    pub price_book: serde_json::Value,
    /// Closed months to re-rate, newest last: 1 to [`MAX_REPORT_MONTHS`]; 3 when absent.
    #[serde(default)]
    pub months: Option<u32>,
}

/// A price book as text (YAML or JSON) or as a JSON object (`schemas/price-book.schema.json`).
fn price_book_source_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).description(Some("The price book's text, YAML or JSON")))
        .item(ObjectBuilder::new().schema_type(Type::Object).description(Some("The price book as JSON (schemas/price-book.schema.json)")))
        .build();
    Schema::OneOf(one_of)
}

/// `edgecost admin what-if` and `POST /v1/admin/what-if`: the recorded usage of past months re-rated under another book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WhatIfReport {
    pub as_of: DateTime<Utc>,
    /// The months re-rated, `YYYY-MM`, oldest first.
    pub months: Vec<String>,
    pub currency: String,
    pub total: RevenueChange,
    pub by_tier: Vec<WhatIfTier>,
    /// The accounts whose bills rise most, largest rise first (at most ten).
    pub rises: Vec<WhatIfAccount>,
    /// The accounts whose bills fall most, largest fall first (at most ten).
    pub falls: Vec<WhatIfAccount>,
    pub cheapest_tier_changes: Vec<CheapestTierChange>,
    /// Gross margin under each book; `None` when neither book carries infrastructure cost.
    pub margin_before: Option<Margin>,
    pub margin_after: Option<Margin>,
    /// Accounts whose tier the new book does not have (or cannot price): left out of every sum.
    pub unrated: Vec<String>,
}
