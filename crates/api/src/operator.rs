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
    /// The new operator's id (`op_` and 20 random hex digits).
    pub operator_id: String,
    /// Who the token is for, as given (`billing-team`).
    pub name: String,
    /// The bearer token for `/v1/admin/*` and nothing else ([`OPERATOR_TOKEN_PREFIX`]...).
    /// Only its hash is stored.
    pub token: String,
    /// When the operator was created.
    pub created_at: DateTime<Utc>,
}

/// A count out of a base, with its percentage (two places, half away from zero; `None` when
/// the base is zero).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Ratio {
    /// The accounts counted.
    pub count: u32,
    /// The accounts they are counted out of.
    pub of: u32,
    /// `100 x count / of`, to two places; `None` when `of` is zero.
    #[ts(type = "string | null")]
    pub percent: Option<Decimal>,
}

/// One tier's revenue in one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierRevenue {
    /// The tier, as the price book names it.
    pub tier: String,
    /// Accounts whose month was billed on this tier (the tier at the month's end).
    pub accounts: u32,
    /// Those accounts' base fees for the month, prorated by day where the tier changed.
    #[ts(type = "string")]
    pub base_fees: Decimal,
    /// Those accounts' overage for the month, before credit.
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
    /// The month's first instant (the 1st, 00:00 UTC).
    pub start: DateTime<Utc>,
    /// The first instant after the month (the 1st of the next month, 00:00 UTC).
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
    /// Revenue per tier, each account on its month's tier; the tiers add up to `mrr`.
    pub revenue_by_tier: Vec<TierRevenue>,
    /// Net revenue retention against last month's paying accounts, in percent; `None` when
    /// no account paid last month.
    #[ts(type = "string | null")]
    pub nrr_percent: Option<Decimal>,
    /// Gross revenue retention: NRR with each account's growth left out (at most 100); `None`
    /// as for `nrr_percent`.
    #[ts(type = "string | null")]
    pub grr_percent: Option<Decimal>,
    /// Last month's paying accounts without revenue this month, out of last month's paying accounts.
    pub logo_churn: Ratio,
    /// Last month's revenue of the churned accounts.
    #[ts(type = "string")]
    pub churned_revenue: Decimal,
    /// `churned_revenue` as a percentage of last month's revenue of last month's paying
    /// accounts; `None` as for `nrr_percent`.
    #[ts(type = "string | null")]
    pub revenue_churn_percent: Option<Decimal>,
    /// Accounts on a free tier at the month's start (or when created in it) that end it on a paid tier.
    pub sandbox_conversion: Ratio,
    /// Tier changes to a later tier in the price book's order that took effect in the month.
    pub upgrades: u32,
    /// Tier changes to an earlier tier that took effect in the month (the 1st of the month
    /// after the one they were asked for in).
    pub downgrades: u32,
    /// Burst credit packs sold in the month and credit spent on its overage.
    pub credit_packs: CreditPackActivity,
    /// Accounts that reached 80% of a quota, and how many of them upgraded within 14 days.
    pub quota_funnel: Ratio,
    /// Of the accounts that reached 80% and have not upgraded, those whose 14 days are not
    /// over yet: the funnel's share can still rise by as many. Absent before it was kept: 0.
    #[serde(default)]
    pub quota_funnel_open: u32,
    /// Accounts whose month was capped by a hard cap.
    pub capped_accounts: u32,
    /// Infrastructure cost of the month's usage; `None` when the price book carries no cost.
    #[ts(type = "string | null")]
    pub infrastructure_cost: Option<Decimal>,
    /// mrr - infrastructure_cost; `None` as for `infrastructure_cost`.
    #[ts(type = "string | null")]
    pub gross_margin: Option<Decimal>,
    /// gross_margin / mrr in percent; `None` without infrastructure cost or without revenue.
    #[ts(type = "string | null")]
    pub gross_margin_percent: Option<Decimal>,
}

/// The fewest accounts in a month's retention base (the accounts paying the month before,
/// `C(m)` in `docs/operator-metrics.md`) for NRR and GRR to be read without a caveat. Below it
/// one account's upgrade or churn swings the rates by tens of points, which reads as a fleet's
/// trend when it is one customer's story.
pub const RETENTION_BASE_MIN: u32 = 5;

impl MonthMetrics {
    /// Why this month's NRR and GRR say little, to show beside them: their base holds fewer
    /// than [`RETENTION_BASE_MIN`] accounts. `None` with enough, or with no base (the rates are
    /// then absent, with nothing to qualify).
    pub fn retention_caveat(&self) -> Option<String> {
        // Logo churn counts out of the same base: the accounts paying the month before.
        let base = self.logo_churn.of;
        if base == 0 || base >= RETENTION_BASE_MIN || self.nrr_percent.is_none() {
            return None;
        }
        let accounts = if base == 1 { "1 account".to_owned() } else { format!("{base} accounts") };
        Some(format!("Based on {accounts} paying the month before: too few to read as a trend."))
    }
}

/// Revenue, cost and margin of a tier or an account over the report's months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Margin {
    /// Base fees plus overage, before credit.
    #[ts(type = "string")]
    pub revenue: Decimal,
    /// Infrastructure cost of everything measured (billed, included or refused), to the cent.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// revenue - cost.
    #[ts(type = "string")]
    pub margin: Decimal,
    /// margin / revenue in percent, to two places; `None` without revenue.
    #[ts(type = "string | null")]
    pub margin_percent: Option<Decimal>,
}

/// One tier's gross margin over the report's months, each account-month on its month's tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierMargin {
    /// The tier, as the price book names it.
    pub tier: String,
    /// The tier's revenue, cost and margin.
    pub margin: Margin,
}

/// One account's gross margin over the report's months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AccountMargin {
    /// The account's id.
    pub account_id: String,
    /// The account's display name.
    pub name: String,
    /// The tier of the account's last month in the report.
    pub tier: String,
    /// The account's revenue, cost and margin.
    pub margin: Margin,
    /// Flagged: margin below the report's `threshold_percent`, or cost without revenue.
    pub below_threshold: bool,
}

/// Gross margin over the report's months, per tier and per account (lowest margin first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct MarginReport {
    /// The margin percentage below which an account is flagged (`margin_below`, 50 by
    /// default).
    #[ts(type = "string")]
    pub threshold_percent: Decimal,
    /// All accounts over all the report's months.
    pub total: Margin,
    /// Per tier, lowest margin first.
    pub by_tier: Vec<TierMargin>,
    /// Per account, lowest margin first.
    pub by_account: Vec<AccountMargin>,
}

/// `GET /v1/admin/report`: the service's figures month by month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct OperatorReport {
    /// The instant the report was computed at; the open month is reported to this instant.
    pub as_of: DateTime<Utc>,
    /// The ISO 4217 currency of every amount (the price book's).
    pub currency: String,
    /// The months from `from` to `to`, oldest first.
    pub months: Vec<MonthMetrics>,
    /// `None` when the price book carries no infrastructure cost.
    pub margin: Option<MarginReport>,
}

/// Revenue before and after a price-book change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RevenueChange {
    /// Revenue as billed: the invoices, or the bills the current book rates.
    #[ts(type = "string")]
    pub before: Decimal,
    /// Revenue with the same recorded usage rated under the new book, on the same tiers.
    #[ts(type = "string")]
    pub after: Decimal,
    /// after - before.
    #[ts(type = "string")]
    pub change: Decimal,
    /// change / before in percent, to two places; `None` when before is zero.
    #[ts(type = "string | null")]
    pub change_percent: Option<Decimal>,
}

/// One tier's revenue in a what-if, each account-month on its month's tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WhatIfTier {
    /// The tier, as the price books name it.
    pub tier: String,
    /// Account-months billed on the tier.
    pub account_months: u32,
    /// The tier's revenue before and after.
    pub revenue: RevenueChange,
}

/// One account's bills over the months, before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct WhatIfAccount {
    /// The account's id.
    pub account_id: String,
    /// The account's display name.
    pub name: String,
    /// The tier of the account's latest re-rated month.
    pub tier: String,
    /// The account's revenue over the re-rated months, before and after.
    pub revenue: RevenueChange,
}

/// An account whose cheapest tier for its latest month differs under the new book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CheapestTierChange {
    /// The account's id.
    pub account_id: String,
    /// The account's display name.
    pub name: String,
    /// The tier it is billed on.
    pub tier: String,
    /// The cheapest tier that does not cap its usage under the current book; `None` when
    /// every tier caps it.
    pub before: Option<String>,
    /// The same under the new book.
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
    /// The instant the what-if was computed at; the months re-rated are the closed ones
    /// before it.
    pub as_of: DateTime<Utc>,
    /// The months re-rated, `YYYY-MM`, oldest first.
    pub months: Vec<String>,
    /// The ISO 4217 currency of every amount.
    pub currency: String,
    /// Revenue of all rated accounts over the months, before and after.
    pub total: RevenueChange,
    /// Revenue per tier, before and after.
    pub by_tier: Vec<WhatIfTier>,
    /// The accounts whose bills rise most, largest rise first (at most ten).
    pub rises: Vec<WhatIfAccount>,
    /// The accounts whose bills fall most, largest fall first (at most ten).
    pub falls: Vec<WhatIfAccount>,
    /// The accounts whose cheapest tier for their latest month differs between the books.
    pub cheapest_tier_changes: Vec<CheapestTierChange>,
    /// Gross margin under the current book; `None` when neither book carries infrastructure
    /// cost.
    pub margin_before: Option<Margin>,
    /// Gross margin under the new book; `None` as for `margin_before`.
    pub margin_after: Option<Margin>,
    /// Accounts whose tier the new book does not have (or cannot price): left out of every sum.
    pub unrated: Vec<UnratedAccount>,
}

/// An account a what-if leaves out: the new book cannot price its tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UnratedAccount {
    /// The account's id.
    pub account_id: String,
    /// The account's display name.
    pub name: String,
    /// The tier it was billed on, which the new book lacks (or prices by contract only).
    pub tier: String,
}
