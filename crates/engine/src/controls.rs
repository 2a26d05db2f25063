//! Controls over spend that act: a monthly budget whose alerts watch the spend to date and
//! the projected bill, and automatic top-up of burst credit.
//!
//! Budget alerts are worked out from the bill and its projections whenever the account's
//! usage changes (after each batch, the forecasts at most every [`FORECAST_EVERY_SECONDS`])
//! and whenever the budget is read; each is stored once per period, kind and crossing, so
//! working them out again never raises one twice.
//!
//! Automatic top-up is a rule of the ledger's own transaction: when paying the open period's
//! overage leaves the balance below the threshold, the same transaction appends the purchase.
//! Writers that race on one account collide on the ledger's (account, sequence) key and the
//! loser decides again on the chain the winner wrote, so one crossing buys once, however many
//! replicas settle at the same moment.

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use edgecost_api::{
    BudgetForecast, BudgetSettings, BudgetStatus, ForecastBasis, MAX_BUDGET_ALERT_PERCENT, MAX_BUDGET_ALERTS, UsageTotals, WebhookEventType,
};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::money_in;

use crate::alerts::{ALERT_BUDGET_FORECAST, ALERT_BUDGET_SPEND, ALERT_SPEND_CAP, TOP_UP_KINDS, default_controls, to_api_alert};
use crate::engine::{AccountId, Engine, idempotency_claim, truncate_to_second};
use crate::error::{EngineError, Result};
use crate::ledger::{self};
use crate::outlook::{P50_RANK, P90_RANK};
use crate::period::{Period, from_unix};
use crate::rating::{self, PeriodState, between};
use crate::spend_cap;
use crate::store::ClaimScope;
use crate::store::controls::{AlertRow, ControlsPlan, ControlsRead, ControlsRow, SpendCapRow};
use crate::token;
use crate::validate::checked_amount;
use crate::webhooks::WebhookEvent;

/// The forecasts (run rate, P50, P90) are worked out after a batch at most this often per
/// account; a read of the budget always works them out.
pub const FORECAST_EVERY_SECONDS: i64 = 600;

impl Engine {
    // ---------------------------------------------------------------- budget

    /// The budget, the spend against it, its forecasts and the open alerts; raises the alerts
    /// due now.
    pub async fn budget(&self, account: &AccountId, now: DateTime<Utc>) -> Result<BudgetStatus> {
        let now = truncate_to_second(now);
        let controls = self.store.controls(&account.0).await?.unwrap_or_else(default_controls);
        let s = self.period_state(account, now).await?;
        self.budget_status(account, &s, &controls, now, true).await
    }

    /// Sets the budget, its alerts and the spend cap. `idempotency_key` names this change: a
    /// repeat with the same settings changes nothing; with other settings it is refused.
    /// Alerts about another budget amount are resolved; the new amount's are raised at once.
    pub async fn set_budget(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        settings: &BudgetSettings,
        now: DateTime<Utc>,
    ) -> Result<BudgetStatus> {
        let now = truncate_to_second(now);
        let claim = idempotency_claim(idempotency_key, settings, now)?;
        let row = checked_budget(settings, &self.book.currency)?;
        self.store.account(&account.0).await?.ok_or(EngineError::NotFound)?;
        let period = Period::containing(now);
        let book = self.book.clone();
        let account_id = account.0.clone();
        let decide = move |read: ControlsRead| -> Result<ControlsPlan> {
            let mut next = read.stored.clone().unwrap_or_else(default_controls);
            let previous_cap = next.spend_cap_cents;
            next.budget_cents = row.budget_cents;
            next.budget_alert_percents = row.budget_alert_percents.clone();
            next.budget_alert_p90 = row.budget_alert_p90;
            next.spend_cap_cents = row.spend_cap_cents;
            // Alerts about another amount no longer hold; those about this one stay.
            let keep = row.budget_cents.map_or_else(|| "-".to_owned(), |c| format!("{c}:"));
            let mut resolve = vec![(ALERT_BUDGET_SPEND, keep.clone()), (ALERT_BUDGET_FORECAST, keep)];
            let (spend_cap, alerts) = if previous_cap == row.spend_cap_cents {
                (None, Vec::new())
            } else {
                // A new cap (or none) lifts the old one: the cap alerts it raised are resolved.
                resolve.push((ALERT_SPEND_CAP, "-".to_owned()));
                new_spend_cap(&book, &read, row.spend_cap_cents, &period, &account_id, now)?
            };
            Ok(ControlsPlan { row: next, resolve, spend_cap, alerts })
        };
        let before = self.store.spend_cap(&account.0, period.start_unix()).await?;
        self.store.write_controls(&account.0, ClaimScope::Budget, &claim, period.start_unix(), now.timestamp(), &decide).await?;
        let after = self.store.spend_cap(&account.0, period.start_unix()).await?;
        if let Some(held) = before.filter(|b| b.capped_at.is_some() && after.as_ref().and_then(|a| a.capped_at) != b.capped_at) {
            self.raise_cap_lifted(account, &held, settings, period.start_unix(), now).await;
        }
        self.budget(account, now).await
    }

    /// The `spend_cap.lifted` event: the cap that held (`held`) was raised or removed. Its
    /// failure is logged, not answered: the change has committed.
    async fn raise_cap_lifted(
        &self,
        account: &AccountId,
        held: &SpendCapRow,
        settings: &BudgetSettings,
        period_start: i64,
        now: DateTime<Utc>,
    ) {
        let data = serde_json::json!({
            "previous_cap": held.cap_cents.map(|c| ledger::from_cents(c).to_string()),
            "spend_cap": settings.spend_cap.map(|c| c.to_string()),
            "capped_at": held.capped_at.map(from_unix),
            "period_start": from_unix(period_start),
        });
        let dedup = format!("spend_cap_lifted:{}:{}:{}", account.0, held.capped_at.unwrap_or_default(), now.timestamp());
        let event = WebhookEvent::new(account.0.clone(), WebhookEventType::SpendCapLifted, dedup, data, now);
        if let Err(e) = self.raise_event(&event).await {
            tracing::warn!(account_id = %account.0, error = %e, "queuing the spend_cap.lifted event failed");
        }
    }

    /// Works out the budget alerts of `budgeted` (accounts with a budget) after their usage
    /// changed. A failure is logged: the next batch or read does it again.
    pub(crate) async fn follow_up_budgeted(&self, budgeted: Vec<String>, now: DateTime<Utc>) {
        for account_id in budgeted {
            let forecasts = {
                let mut last = self.forecasts_checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let due = last.get(&account_id).is_none_or(|at| now.timestamp() - at >= FORECAST_EVERY_SECONDS);
                if due {
                    last.insert(account_id.clone(), now.timestamp());
                }
                due
            };
            let account = AccountId(account_id);
            let checked = async {
                let controls = self.store.controls(&account.0).await?.unwrap_or_else(default_controls);
                let s = self.period_state(&account, now).await?;
                self.budget_status(&account, &s, &controls, now, forecasts).await
            };
            if let Err(e) = checked.await {
                tracing::warn!(account_id = %account.0, error = %e, "budget alerts after a batch failed; the next batch or read works them out again");
            }
        }
    }

    async fn budget_status(
        &self,
        account: &AccountId,
        s: &PeriodState,
        controls: &ControlsRow,
        now: DateTime<Utc>,
        with_forecasts: bool,
    ) -> Result<BudgetStatus> {
        let spend = self.rate_totals(&s.tier, &s.totals, 0, s)?.cost();
        let mut alerts = Vec::new();
        let mut forecasts = Vec::new();
        let alert = |kind: &str, key: String, message: String| AlertRow {
            id: token::random_id("alr_", 10),
            account_id: account.0.clone(),
            period_start: s.period.start_unix(),
            kind: kind.to_owned(),
            key,
            message,
            raised_at: now.timestamp(),
        };
        let money = |amount: Decimal| money_in(amount, &self.book.currency);
        let mut used_percent = None;
        if let Some(budget_cents) = controls.budget_cents {
            let budget = ledger::from_cents(budget_cents);
            used_percent = Some(whole_percent(spend, budget));
            for &percent in &controls.budget_alert_percents {
                if spend * Decimal::ONE_HUNDRED >= budget * Decimal::from(percent) {
                    alerts.push(alert(
                        ALERT_BUDGET_SPEND,
                        format!("{budget_cents}:{percent}"),
                        format!(
                            "Spend reached {percent}% of the {} budget: {} so far this period, on {}.",
                            money(budget),
                            money(spend),
                            now.format("%b %-d")
                        ),
                    ));
                }
            }
            if with_forecasts {
                forecasts = self.forecasts(account, s, budget, now).await?;
                // The P50 alerts when the account has the history for an outlook, the run rate
                // otherwise (but a rough guess suggests nothing); the P90 when asked for.
                let outlook = forecasts.iter().any(|f| f.forecast.basis == ForecastBasis::P50);
                for f in &forecasts {
                    let alerts_on = match f.forecast.basis {
                        ForecastBasis::RunRate => !outlook && !f.short_history,
                        ForecastBasis::P50 => true,
                        ForecastBasis::P90 => controls.budget_alert_p90,
                    };
                    if alerts_on && f.forecast.projected_cost > budget && spend < budget {
                        let when = f
                            .forecast
                            .reaches_budget_on
                            .map(|d| format!(", reaching it around {}", d.format("%b %-d")))
                            .unwrap_or_default();
                        alerts.push(alert(
                            ALERT_BUDGET_FORECAST,
                            format!("{budget_cents}:{}", basis_id(f.forecast.basis)),
                            format!(
                                "{} the period is projected to cost {}, past the {} budget{when}.",
                                basis_text(f.forecast.basis),
                                money(f.forecast.projected_cost),
                                money(budget)
                            ),
                        ));
                    }
                }
            }
        }
        self.store.raise_alerts(&alerts).await?;
        let mut open = self.store.open_alerts(&account.0, s.period.start_unix()).await?;
        // Alerts raised at one instant read in a sensible order: by kind, then by threshold
        // (50%, 75%, 90%, 100%), each key's numbers compared as numbers.
        open.sort_by_cached_key(|a| {
            let parts: Vec<(u8, i64, String)> =
                a.key.split(':').map(|p| p.parse::<i64>().map_or((1, 0, p.to_owned()), |n| (0, n, String::new()))).collect();
            (a.raised_at, a.kind.clone(), parts)
        });
        Ok(BudgetStatus {
            settings: budget_settings(controls),
            as_of: now,
            spend_to_date: spend,
            budget_used_percent: used_percent,
            forecasts: forecasts.into_iter().map(|f| f.forecast).collect(),
            // Capped while the cap holds, and also when the spend is already at or past it
            // without having been capped by a batch yet (a tier change's base fee put it
            // there): the next usage that would cost more is refused, as the cap rule says.
            capped: s.totals.spend_cap.as_ref().is_some_and(|c| c.holds())
                || controls.spend_cap_cents.is_some_and(|c| spend >= ledger::from_cents(c)),
            alerts: open.iter().filter(|a| !TOP_UP_KINDS.contains(&a.kind.as_str())).map(to_api_alert).collect::<Result<_>>()?,
        })
    }

    /// The run-rate projection and, with the history for one, the P50 and P90 outlook, each
    /// with the day the spend is expected to reach `budget`.
    async fn forecasts(&self, account: &AccountId, s: &PeriodState, budget: Decimal, now: DateTime<Utc>) -> Result<Vec<Forecast>> {
        let (basis, run_rate) = self.projection(account, s, now).await?;
        let mut projected = vec![(ForecastBasis::RunRate, run_rate, basis.short_history)];
        if let Ok(simulated) = self.simulated(account, s, now).await? {
            for (forecast, rank) in [(ForecastBasis::P50, P50_RANK), (ForecastBasis::P90, P90_RANK)] {
                projected.push((forecast, simulated.outcomes[rank - 1].2.clone(), false));
            }
        }
        projected
            .into_iter()
            .map(|(basis, totals, short_history)| {
                let projected_cost = self.rate_totals(&s.tier, &totals, 0, s)?.cost();
                let reaches_budget_on = self.reaches_budget_on(s, &totals, budget, now)?;
                Ok(Forecast { forecast: BudgetForecast { basis, projected_cost, reaches_budget_on }, short_history })
            })
            .collect()
    }

    /// The UTC day the spend reaches `budget` if usage grows evenly from today's totals to
    /// `projected` by period end: the first day whose end (or the period's end) rates at the
    /// budget or more. Today when the spend is there already; `None` when it never is.
    fn reaches_budget_on(
        &self,
        s: &PeriodState,
        projected: &UsageTotals,
        budget: Decimal,
        now: DateTime<Utc>,
    ) -> Result<Option<NaiveDate>> {
        let total = (s.period.end - now).num_seconds();
        let mut day = now.duration_trunc(Duration::days(1)).unwrap_or(now);
        loop {
            let end = (day + Duration::days(1)).min(s.period.end);
            let elapsed = (end - now).num_seconds().max(0);
            let totals = if total <= 0 { s.totals.clone() } else { between(&s.totals, projected, elapsed, total)? };
            // A spend cap the projection stops at refuses the same usage on every day.
            let totals = UsageTotals { spend_cap: projected.spend_cap.clone().or(totals.spend_cap), ..totals };
            if self.rate_totals(&s.tier, &totals, 0, s)?.cost() >= budget {
                return Ok(Some(day.date_naive()));
            }
            if end >= s.period.end {
                return Ok(None);
            }
            day += Duration::days(1);
        }
    }
}

/// The period's spend cap state when the cap becomes `cap_cents` (or none): the old cap lifted
/// (what it refused stays refused), and the new one reached at once when the spend already
/// is at it, with its alert.
fn new_spend_cap(
    book: &edgecost_pricing::PriceBook,
    read: &ControlsRead,
    cap_cents: Option<i64>,
    period: &Period,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(Option<SpendCapRow>, Vec<AlertRow>)> {
    if rating::tier_at(&read.changes, now).is_none() {
        return Ok((None, Vec::new()));
    }
    let mut totals = rating::totals(book, &read.usage)?;
    totals.refused_by_cap = rating::refused_in(&read.changes, period, now);
    let old = spend_cap::state_of(read.spend_cap.as_ref())?.unwrap_or_default();
    let state = spend_cap::lifted(&old, &totals);
    let mut alerts = Vec::new();
    let mut next = state.clone();
    if let Some(cap_cents) = cap_cents {
        let cap = ledger::from_cents(cap_cents);
        let with = UsageTotals { spend_cap: Some(state.clone()), ..totals.clone() };
        let spent = spend_cap::spend(book, &read.changes, period, &with, now)?;
        if spent >= cap {
            next = spend_cap::capped(spend_cap::tier_in_effect(book, &read.changes, now)?, &state, &totals, cap, now)?;
            alerts.push(spend_cap::reached_alert(account_id, period, cap, spent, &book.currency, now)?);
        }
    }
    let unchanged = read.spend_cap.is_none() && next == edgecost_api::SpendCapUsage::default();
    Ok((if unchanged { None } else { Some(spend_cap::to_row(&next)?) }, alerts))
}

struct Forecast {
    forecast: BudgetForecast,
    short_history: bool,
}

/// `part` as a whole percentage of `whole`, rounded down.
fn whole_percent(part: Decimal, whole: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    if whole <= Decimal::ZERO {
        return 0;
    }
    (part * Decimal::ONE_HUNDRED / whole).floor().to_u32().unwrap_or(u32::MAX)
}

fn basis_id(basis: ForecastBasis) -> &'static str {
    match basis {
        ForecastBasis::RunRate => "run_rate",
        ForecastBasis::P50 => "p50",
        ForecastBasis::P90 => "p90",
    }
}

fn basis_text(basis: ForecastBasis) -> &'static str {
    match basis {
        ForecastBasis::RunRate => "At the run rate,",
        ForecastBasis::P50 => "At the outlook's P50,",
        ForecastBasis::P90 => "At the outlook's P90,",
    }
}

fn budget_settings(c: &ControlsRow) -> BudgetSettings {
    BudgetSettings {
        monthly_budget: c.budget_cents.map(ledger::from_cents),
        alert_percents: c.budget_alert_percents.clone(),
        alert_on_p90: c.budget_alert_p90,
        spend_cap: c.spend_cap_cents.map(ledger::from_cents),
    }
}

/// The stored settings of `settings`, or why they are refused (amounts written in `currency`).
fn checked_budget(settings: &BudgetSettings, currency: &str) -> Result<ControlsRow> {
    let budget_cents = settings.monthly_budget.map(|b| checked_amount("monthly_budget", b, false, currency)).transpose()?;
    let spend_cap_cents = settings.spend_cap.map(|c| checked_amount("spend_cap", c, false, currency)).transpose()?;
    let percents = &settings.alert_percents;
    if percents.len() > MAX_BUDGET_ALERTS {
        return Err(EngineError::InvalidControls { reason: format!("alert_percents holds at most {MAX_BUDGET_ALERTS} percentages") });
    }
    if percents.iter().any(|p| !(1..=MAX_BUDGET_ALERT_PERCENT).contains(p)) {
        return Err(EngineError::InvalidControls { reason: format!("alert_percents must each be 1 to {MAX_BUDGET_ALERT_PERCENT}") });
    }
    let mut sorted = percents.clone();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(ControlsRow {
        budget_cents,
        budget_alert_percents: sorted,
        budget_alert_p90: settings.alert_on_p90,
        spend_cap_cents,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_down() {
        assert_eq!(whole_percent("149.99".parse().unwrap(), Decimal::from(200)), 74);
        assert_eq!(whole_percent(Decimal::from(150), Decimal::from(200)), 75);
    }
}
