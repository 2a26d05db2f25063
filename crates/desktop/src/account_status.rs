//! What the dashboard and the Plan & billing page both show of the account's standing: a
//! downgrade scheduled for the next period, the budget line with the day a projection passes
//! it, and the open spend alerts.
//!
//! These views take the engine's answers and return text. They sit below the dashboard and
//! the pages that act on the account, so the dashboard can show them without reaching into
//! those pages.

use chrono::{DateTime, NaiveDate, Utc};
use edgecost_api::{AccountAlert, AlertKind, AutoTopUpStatus, BillToDate, BudgetStatus, ForecastBasis, ScheduledTierChange};
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

/// The open alerts of both answers, oldest first, each once. Alerts raised at the same
/// instant keep the engine's order (by kind, then threshold: 50%, 75%, 90%, 100%).
pub fn alert_views(budget: Option<&BudgetStatus>, top_up: Option<&AutoTopUpStatus>) -> Vec<AlertView> {
    let mut alerts: Vec<&AccountAlert> = budget.map(|b| b.alerts.iter()).into_iter().flatten().collect();
    for a in top_up.map(|t| t.alerts.iter()).into_iter().flatten() {
        if !alerts.iter().any(|b| b.id == a.id) {
            alerts.push(a);
        }
    }
    // A stable sort: ties stay in the order the engine answered them.
    alerts.sort_by_key(|a| a.raised_at);
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
    /// "Projected to pass the $100.00 budget on Dec 21".
    pub crossing: Option<String>,
    pub spend_cap: Option<String>,
    pub capped: bool,
    /// Where the bill stands against the spend cap, in one sentence: reached (or already
    /// past it), or the day the run rate is projected to reach it; `None` without a cap or
    /// when the projection stays under it.
    pub cap_note: Option<String>,
}

/// The dashboard's budget line; `None` when the account has neither a budget nor a cap.
/// `rough_run_rate` as for [`crate::budget_view`].
pub fn dashboard_budget(status: &BudgetStatus, rough_run_rate: bool, currency: &str) -> Option<DashboardBudgetView> {
    dashboard_budget_with(status, None, rough_run_rate, currency)
}

/// [`dashboard_budget`] with the bill to date, whose run-rate projection says when the spend
/// cap is projected to be reached ([`cap_note`]).
pub fn dashboard_budget_with(
    status: &BudgetStatus,
    bill: Option<&BillToDate>,
    rough_run_rate: bool,
    currency: &str,
) -> Option<DashboardBudgetView> {
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
        cap_note: cap_note(status, bill, currency),
    })
}

/// Where the period's bill stands against the spend cap, as the engine answered it:
/// - capped, with the spend past the cap (a tier's base fee put it there): "This period's bill
///   ($67.39) is past the $30.00 spend cap: usage that would cost more is refused until you
///   raise or remove the cap."
/// - capped at the cap: "This period's bill reached the $30.00 spend cap on Dec 18: usage that
///   would cost more is refused until you raise or remove the cap."
/// - the run-rate projection stops at the cap: "The $30.00 spend cap stops the projection at
///   $29.40 on Dec 18 (a day more would pass it); usage that would cost more is refused from
///   then." (the projected cost, and the day the projection's cap starts refusing: the end of
///   the last day whose end costs at most the cap).
///
/// `None` without a cap, or when the bill and its projection stay under it.
pub fn cap_note(status: &BudgetStatus, bill: Option<&BillToDate>, currency: &str) -> Option<String> {
    let cap = status.settings.spend_cap?;
    let money = |amount: Decimal| money_in(amount, currency);
    if status.capped {
        if status.spend_to_date > cap {
            return Some(format!(
                "This period's bill ({}) is past the {} spend cap: usage that would cost more is refused until you raise or remove the cap.",
                money(status.spend_to_date),
                money(cap)
            ));
        }
        let on = bill
            .and_then(|b| b.totals.spend_cap.as_ref())
            .and_then(|c| c.capped_at)
            .map(|at| format!(" on {}", at.format("%b %-d")))
            .unwrap_or_default();
        return Some(format!(
            "This period's bill reached the {} spend cap{on}: usage that would cost more is refused until you raise or remove the cap.",
            money(cap)
        ));
    }
    let bill = bill?;
    let at = bill.projected_totals.spend_cap.as_ref()?.capped_at?;
    let when = if at.date_naive() <= status.as_of.date_naive() { "today".to_owned() } else { format!("on {}", at.format("%b %-d")) };
    Some(format!(
        "The {} spend cap stops the projection at {} {when} (a day more would pass it); usage that would cost more is refused from then.",
        money(cap),
        money(bill.projected_cost)
    ))
}

/// "Projected to pass the $100.00 budget on Dec 21": the earliest day a projection the
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
    Some(format!("Projected to pass the {} budget on {}", money_in(budget, currency), first.format("%b %-d")))
}

pub(crate) fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn at(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %H:%M UTC").to_string()
}
