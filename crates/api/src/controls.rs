//! Controls over spend: a monthly budget with alerts, a spend cap, and automatic top-up of
//! burst credit.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The budget alert percentages when none are given.
pub const DEFAULT_BUDGET_ALERT_PERCENTS: [u32; 4] = [50, 75, 90, 100];
/// The most alert percentages one budget may carry.
pub const MAX_BUDGET_ALERTS: usize = 10;
/// The highest budget alert percentage; the lowest is 1.
pub const MAX_BUDGET_ALERT_PERCENT: u32 = 100;
/// The largest budget, spend cap or top-up threshold accepted.
pub const MAX_CONTROL_AMOUNT: u64 = 10_000_000;
/// The most packs automatic top-up may buy in one billing period.
pub const MAX_TOP_UP_PACKS_PER_PERIOD: u32 = 1_000;

/// `PUT /v1/account/budget` (with an `Idempotency-Key` header), and the settings part of
/// `GET /v1/account/budget`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetSettings {
    /// What the owner means to spend per billing period (base fee + overage, before credit);
    /// `null` for no budget.
    #[ts(type = "string | null")]
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schemars(with = "Option<String>")]
    pub monthly_budget: Option<Decimal>,
    /// Percentages of the budget (1 to 100, at most 10) whose crossing by the spend to date
    /// raises an alert. Defaults to 50, 75, 90 and 100.
    #[serde(default = "default_alert_percents")]
    #[schemars(length(max = MAX_BUDGET_ALERTS), inner(range(min = 1, max = MAX_BUDGET_ALERT_PERCENT)))]
    pub alert_percents: Vec<u32>,
    /// Also alert when the P90 outlook passes the budget; the run-rate projection and the P50
    /// always alert.
    #[serde(default)]
    pub alert_on_p90: bool,
    /// The most the period may cost: once the spend to date reaches it, usage that would cost
    /// more is refused and never billed. `null` for no cap.
    #[ts(type = "string | null")]
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schemars(with = "Option<String>")]
    pub spend_cap: Option<Decimal>,
}

fn default_alert_percents() -> Vec<u32> {
    DEFAULT_BUDGET_ALERT_PERCENTS.to_vec()
}

impl Default for BudgetSettings {
    fn default() -> Self {
        BudgetSettings { monthly_budget: None, alert_percents: default_alert_percents(), alert_on_p90: false, spend_cap: None }
    }
}

/// Which projection of the period's bill a forecast is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForecastBasis {
    /// The run-rate projection the bill shows.
    RunRate,
    /// The median of the simulated outlook.
    P50,
    /// The 90th percentile of the simulated outlook.
    P90,
}

/// Where one projection of the period's bill stands against the budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct BudgetForecast {
    /// Which projection this is.
    pub basis: ForecastBasis,
    /// What the period is projected to cost on this basis (base fee + overage).
    #[ts(type = "string")]
    pub projected_cost: Decimal,
    /// The UTC day the spend is expected to reach the budget, with usage growing evenly from
    /// today's to the projected; `None` when it is not expected to.
    pub reaches_budget_on: Option<NaiveDate>,
}

/// What kind of alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The spend to date reached a percentage of the budget.
    BudgetSpend,
    /// A projection of the period's bill passes the budget.
    BudgetForecast,
    /// The spend cap was reached: usage that would cost more is refused.
    SpendCapReached,
    /// Automatic top-up bought packs.
    TopUpBought,
    /// Automatic top-up could not buy: nothing was charged.
    TopUpFailed,
    /// Automatic top-up reached its ceiling for the period and bought no more.
    TopUpCeiling,
}

/// An alert about spend or credit: raised once per kind and crossing per period, open until
/// the period ends or the setting it is about changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AccountAlert {
    /// The alert's id (`alr_` and 20 hex digits).
    pub id: String,
    /// What the alert is about.
    pub kind: AlertKind,
    /// One sentence for people, with the amounts it is about.
    pub message: String,
    /// When the alert was raised.
    pub raised_at: DateTime<Utc>,
    /// The start of the billing period the alert belongs to.
    pub period_start: DateTime<Utc>,
}

/// `GET /v1/account/budget` and the answer to `PUT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct BudgetStatus {
    /// The budget, alert percentages and spend cap in force (the defaults when never set).
    pub settings: BudgetSettings,
    /// The instant the spend and the forecasts were computed at.
    pub as_of: DateTime<Utc>,
    /// What the period costs so far (base fee + overage, before credit).
    #[ts(type = "string")]
    pub spend_to_date: Decimal,
    /// Spend to date as a whole percentage of the budget, rounded down; `None` without one.
    pub budget_used_percent: Option<u32>,
    /// The run-rate projection, and the P50 and P90 outlook once the account has the history
    /// for one. Empty without a budget.
    pub forecasts: Vec<BudgetForecast>,
    /// The spend cap has been reached this period, or the spend is already at or past it (a
    /// tier change's base fee can put it there): usage that would cost more is refused.
    pub capped: bool,
    /// Open alerts of the period, oldest first.
    pub alerts: Vec<AccountAlert>,
}

/// `PUT /v1/account/auto-top-up` (with an `Idempotency-Key` header), and the settings part of
/// `GET /v1/account/auto-top-up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoTopUpSettings {
    /// Whether automatic top-up buys; when false the other settings are kept and nothing is
    /// bought.
    pub enabled: bool,
    /// Buy when paying overage leaves the credit balance below this amount (a decimal string,
    /// in whole cents, at most [`MAX_CONTROL_AMOUNT`]).
    #[ts(type = "string")]
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub below: Decimal,
    /// Packs each automatic purchase buys (1 to 100).
    #[schemars(range(min = 1, max = crate::MAX_PACKS_PER_PURCHASE))]
    pub packs: u32,
    /// The most packs automatic purchases may buy in one billing period.
    #[schemars(range(min = 1, max = MAX_TOP_UP_PACKS_PER_PERIOD))]
    pub max_packs_per_period: u32,
}

/// `GET /v1/account/auto-top-up` and the answer to `PUT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AutoTopUpStatus {
    /// `None` when the account never set up automatic top-up.
    pub settings: Option<AutoTopUpSettings>,
    /// Packs bought automatically this period.
    pub packs_this_period: u32,
    /// What the packs bought automatically this period cost.
    #[ts(type = "string")]
    pub spent_this_period: Decimal,
    /// Packs automatic top-up may still buy this period.
    pub packs_left_this_period: u32,
    /// The credit balance now, after paying the period's overage so far.
    #[ts(type = "string")]
    pub balance: Decimal,
    /// Open top-up alerts of the period (bought, failed, ceiling), oldest first.
    pub alerts: Vec<AccountAlert>,
}
