//! What the dashboard and the Plan & billing page both show of the account's standing: a
//! downgrade scheduled for the next period, the budget line with the day a projection passes
//! it, and the open spend alerts.
//!
//! These views take the engine's answers and return text. They sit below the dashboard and
//! the pages that act on the account, so the dashboard can show them without reaching into
//! those pages.

use chrono::{DateTime, NaiveDate, Utc};
use edgecost_api::{AccountAlert, AlertKind, AutoTopUpStatus, BudgetStatus, ForecastBasis, ScheduledTierChange};
use edgecost_pricing::format::money_in;
use edgecost_pricing::{Decimal, PriceBook};
use serde::{Deserialize, Serialize};

/// A downgrade waiting for the next period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ScheduledView {
    pub tier: String,
    pub label: String,
    /// "Jan 1, 2027".
    pub effective_on: String,
}

/// A scheduled downgrade as the dashboard and the Plan & billing page show it.
pub fn scheduled_view(book: &PriceBook, change: &ScheduledTierChange) -> ScheduledView {
    ScheduledView {
        tier: change.tier.clone(),
        label: label(book, &change.tier),
        effective_on: change.effective_at.format("%b %-d, %Y").to_string(),
    }
}

pub(crate) fn label(book: &PriceBook, tier: &str) -> String {
    book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned())
}

/// An open spend alert (budget, cap, top-up).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AlertView {
    pub id: String,
    /// `budget_spend`, `budget_forecast`, `spend_cap_reached`, `top_up_bought`, `top_up_failed`,
    /// `top_up_ceiling`.
    pub kind: String,
    /// "Budget", "Budget forecast", "Spend cap reached", ...
    pub title: String,
    pub message: String,
    /// "Dec 6, 14:03 UTC".
    pub raised_at: String,
}

fn alert_title(kind: AlertKind) -> (&'static str, &'static str) {
    match kind {
        AlertKind::BudgetSpend => ("budget_spend", "Budget"),
        AlertKind::BudgetForecast => ("budget_forecast", "Budget forecast"),
        AlertKind::SpendCapReached => ("spend_cap_reached", "Spend cap reached"),
        AlertKind::TopUpBought => ("top_up_bought", "Automatic top-up"),
        AlertKind::TopUpFailed => ("top_up_failed", "Automatic top-up failed"),
        AlertKind::TopUpCeiling => ("top_up_ceiling", "Automatic top-up ceiling"),
    }
}

/// One alert as the page, the dashboard and the desktop notification show it.
pub fn alert_view(a: &AccountAlert) -> AlertView {
    let (kind, title) = alert_title(a.kind);
    AlertView { id: a.id.clone(), kind: kind.to_owned(), title: title.to_owned(), message: a.message.clone(), raised_at: at(a.raised_at) }
}

/// The open alerts of both answers, oldest first, each once.
pub fn alert_views(budget: Option<&BudgetStatus>, top_up: Option<&AutoTopUpStatus>) -> Vec<AlertView> {
    let mut alerts: Vec<&AccountAlert> = budget.map(|b| b.alerts.iter()).into_iter().flatten().collect();
    alerts.extend(top_up.map(|t| t.alerts.iter()).into_iter().flatten());
    alerts.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then_with(|| a.id.cmp(&b.id)));
    alerts.dedup_by(|a, b| a.id == b.id);
    alerts.into_iter().map(alert_view).collect()
}

/// The budget as the dashboard shows it beside the bill: the amount, the spend against it, the
/// day a projection is expected to pass it, and the cap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DashboardBudgetView {
    /// "$100.00"; `None` with a spend cap but no budget.
    pub budget: Option<String>,
    pub spend_to_date: String,
    pub used_percent: Option<u32>,
    /// "Projected to pass the $100.00 budget on 2026-12-21".
    pub crossing: Option<String>,
    pub spend_cap: Option<String>,
    pub capped: bool,
}

/// The dashboard's budget line; `None` when the account has neither a budget nor a cap.
/// `rough_run_rate` as for [`crate::budget_view`].
pub fn dashboard_budget(status: &BudgetStatus, rough_run_rate: bool, currency: &str) -> Option<DashboardBudgetView> {
    let money = |amount: Decimal| money_in(amount, currency);
    let s = &status.settings;
    if s.monthly_budget.is_none() && s.spend_cap.is_none() {
        return None;
    }
    Some(DashboardBudgetView {
        budget: s.monthly_budget.map(money),
        spend_to_date: money(status.spend_to_date),
        used_percent: status.budget_used_percent,
        crossing: crossing(status, rough_run_rate, currency),
        spend_cap: s.spend_cap.map(money),
        capped: status.capped,
    })
}

/// "Projected to pass the $100.00 budget on 2026-12-21": the earliest day a projection the
/// engine alerts on (the P50 with an outlook, else the run rate; the P90 when asked for)
/// expects the spend to reach the budget. `None` without a budget, once the spend already
/// passed it, or when no projection reaches it. A `rough_run_rate` (under a day of usage)
/// suggests nothing. Amounts are written in `currency`, the price book's.
pub fn crossing(status: &BudgetStatus, rough_run_rate: bool, currency: &str) -> Option<String> {
    let budget = status.settings.monthly_budget?;
    if status.spend_to_date >= budget {
        return None;
    }
    let outlook = status.forecasts.iter().any(|f| f.basis == ForecastBasis::P50);
    let first = status
        .forecasts
        .iter()
        .filter(|f| match f.basis {
            ForecastBasis::RunRate => !outlook && !rough_run_rate,
            ForecastBasis::P50 => true,
            ForecastBasis::P90 => status.settings.alert_on_p90,
        })
        .filter(|f| f.projected_cost > budget)
        .filter_map(|f| f.reaches_budget_on)
        .min()?;
    Some(format!("Projected to pass the {} budget on {}", money_in(budget, currency), day(first)))
}

pub(crate) fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn at(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %H:%M UTC").to_string()
}
