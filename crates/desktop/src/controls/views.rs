//! What the Plan & billing section shows of the spend controls: the budget with its forecasts,
//! automatic top-up, the webhook and its deliveries, and the alerts, as the engine answered them.

use super::*;
use edgecost_pricing::format::money_in;

/// One projection of the period's bill against the budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ForecastView {
    /// `run_rate`, `p50`, `p90`.
    pub basis: String,
    /// "Run rate", "P50", "P90".
    pub label: String,
    /// Why a projection is only a rough guess (the run rate on under a day of usage).
    pub note: Option<String>,
    pub projected_cost: String,
    /// `YYYY-MM-DD` (UTC) the spend is expected to reach the budget; `None` when it is not.
    pub reaches_budget_on: Option<String>,
    /// The projection passes the budget.
    pub passes: bool,
    /// What the projection does against the budget, in the app's date style and tense:
    /// "reaches the budget on Dec 21", "reached the budget on Dec 7" (today or earlier),
    /// "passes the budget", "within the budget".
    pub reach: String,
}

/// The budget part of the section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BudgetView {
    /// The form as it stands on the server (or its defaults).
    pub form: BudgetForm,
    /// "$100.00"; `None` without a budget.
    pub budget: Option<String>,
    pub spend_to_date: String,
    pub used_percent: Option<u32>,
    /// "$12.34 of the $100.00 budget spent (12%)", or the empty state.
    pub summary: String,
    pub forecasts: Vec<ForecastView>,
    /// "Projected to pass the $100.00 budget on Dec 21"; `None` when no projection does.
    pub crossing: Option<String>,
    pub spend_cap: Option<String>,
    /// The spend cap has been reached this period: usage that would cost more is refused.
    pub capped: bool,
    /// What the cap does, or that it has acted; `None` without a cap.
    pub cap_note: Option<String>,
}

/// Automatic top-up as the section shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TopUpView {
    pub form: TopUpForm,
    /// Set up at some time (on or off).
    pub configured: bool,
    pub enabled: bool,
    /// "When the credit balance falls below $10.00, buys 1 pack ($25.00), at most 4 packs a period."
    pub summary: String,
    pub packs_this_period: u32,
    pub spent_this_period: String,
    pub packs_left_this_period: u32,
    pub balance: String,
    /// "$25.00" for "$25.00 of credit".
    pub pack_price: String,
    pub pack_credit: String,
    /// Why the tier cannot top up (no burst credit packs); `None` when it can.
    pub unavailable: Option<String>,
}

/// One event queued for the webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WebhookEventRow {
    pub id: String,
    /// `budget.alert`.
    pub event_type: String,
    pub created_at: String,
    /// `pending`, `delivered`, `failed`, `cancelled`.
    pub state: String,
    pub attempts: u32,
    /// "next attempt 14:05 UTC" for a pending event.
    pub note: String,
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WebhookDeliveryRow {
    pub delivery_id: String,
    pub event_type: String,
    pub attempt: u32,
    pub attempted_at: String,
    /// "200" or why no 2xx came ("timed out").
    pub outcome: String,
    pub succeeded: bool,
    pub duration: String,
}

/// The registered webhook and its delivery log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WebhookView {
    pub url: String,
    pub registered_at: String,
    pub event_types: Vec<String>,
    pub events: Vec<WebhookEventRow>,
    pub deliveries: Vec<WebhookDeliveryRow>,
}

/// The answer to registering a webhook: the signing secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WebhookSecretView {
    pub url: String,
    /// The new signing secret; `None` when the URL was replaced and the secret kept.
    pub secret: Option<String>,
    pub note: String,
}

/// The Spend controls section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SpendControlsView {
    pub budget: BudgetView,
    pub top_up: TopUpView,
    /// `None` when no webhook is registered.
    pub webhook: Option<WebhookView>,
    /// Open alerts of the period, budget and top-up, oldest first.
    pub alerts: Vec<AlertView>,
    /// Sent with a save of each form (see [`change_key`]); fresh on every load.
    pub budget_key: String,
    pub top_up_key: String,
    pub webhook_key: String,
    /// "As of Dec 6, 14:03 UTC".
    pub as_of: String,
    /// What the forms' amounts are in, as amounts are written: `$`, `€`, `£`, or the ISO code
    /// (`CHF`) of the account's currency.
    pub currency_sign: String,
}

/// The answer to saving the webhook: its secret once, and the section as it now stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WebhookSaved {
    pub registration: WebhookSecretView,
    pub controls: SpendControlsView,
}

fn plain_amount(amount: Decimal) -> String {
    // The form shows what the engine holds, in whole cents.
    format!("{:.2}", amount)
}

fn basis_id(basis: ForecastBasis) -> (&'static str, &'static str) {
    match basis {
        ForecastBasis::RunRate => ("run_rate", "Run rate"),
        ForecastBasis::P50 => ("p50", "P50"),
        ForecastBasis::P90 => ("p90", "P90"),
    }
}

/// The budget part for the engine's answer. `rough_run_rate` when the run-rate projection
/// rests on under a day of usage (the bill's basis says so): it is then labelled a rough guess
/// and, as the engine does, never taken for a crossing.
pub fn budget_view(status: &BudgetStatus, rough_run_rate: bool, currency: &str) -> BudgetView {
    let money = |amount: Decimal| money_in(amount, currency);
    let s = &status.settings;
    let budget = s.monthly_budget;
    let forecasts: Vec<ForecastView> = status
        .forecasts
        .iter()
        .map(|f| {
            let (id, label) = basis_id(f.basis);
            let rough = rough_run_rate && f.basis == ForecastBasis::RunRate;
            ForecastView {
                basis: id.to_owned(),
                label: label.to_owned(),
                note: rough.then(|| "a rough guess: under a day of usage".to_owned()),
                projected_cost: money(f.projected_cost),
                reaches_budget_on: f.reaches_budget_on.map(day),
                passes: budget.is_some_and(|b| f.projected_cost > b),
                reach: match f.reaches_budget_on {
                    Some(on) if on <= status.as_of.date_naive() => format!("reached the budget on {}", on.format("%b %-d")),
                    Some(on) => format!("reaches the budget on {}", on.format("%b %-d")),
                    None if budget.is_some_and(|b| f.projected_cost > b) => "passes the budget".to_owned(),
                    None => "within the budget".to_owned(),
                },
            }
        })
        .collect();
    let summary = match (budget, status.budget_used_percent) {
        (Some(b), Some(p)) => format!("{} of the {} budget spent ({p}%)", money(status.spend_to_date), money(b)),
        (Some(b), None) => format!("{} of the {} budget spent", money(status.spend_to_date), money(b)),
        (None, _) => "No budget set: set one to be alerted before the bill passes it.".to_owned(),
    };
    let cap_note = s.spend_cap.map(|cap| {
        if status.capped && status.spend_to_date > cap {
            // A tier's base fee put the bill past the cap before any usage reached it.
            format!(
                "this period's bill ({}) is already past the {} spend cap, so usage that would cost more is refused and never billed. Raise or remove the cap to accept it again.",
                money(status.spend_to_date),
                money(cap)
            )
        } else if status.capped {
            format!(
                "this period's bill reached the {} spend cap, so usage that would cost more is refused and never billed. Raise or remove the cap to accept it again.",
                money(cap)
            )
        } else {
            format!("Once this period's bill reaches {}, usage that would cost more is refused and never billed.", money(cap))
        }
    });
    BudgetView {
        form: BudgetForm {
            monthly_budget: budget.map(plain_amount).unwrap_or_default(),
            alert_percents: percents_text(&s.alert_percents),
            alert_on_p90: s.alert_on_p90,
            spend_cap: s.spend_cap.map(plain_amount).unwrap_or_default(),
            confirm_cap_now: false,
        },
        budget: budget.map(money),
        spend_to_date: money(status.spend_to_date),
        used_percent: status.budget_used_percent,
        summary,
        crossing: crossing(status, rough_run_rate, currency),
        forecasts,
        spend_cap: s.spend_cap.map(money),
        capped: status.capped,
        cap_note,
    }
}

fn percents_text(percents: &[u32]) -> String {
    let percents = if percents.is_empty() { &DEFAULT_BUDGET_ALERT_PERCENTS[..] } else { percents };
    percents.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Automatic top-up for the engine's answer; `book` prices the packs, `tier` is the account's.
pub fn top_up_view(status: &AutoTopUpStatus, book: &PriceBook, tier: &str) -> TopUpView {
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let pack = &book.credit_pack;
    let form = match &status.settings {
        Some(s) => TopUpForm {
            enabled: s.enabled,
            below: plain_amount(s.below),
            packs: s.packs.to_string(),
            max_packs_per_period: s.max_packs_per_period.to_string(),
        },
        None => TopUpForm {
            enabled: false,
            below: DEFAULT_TOP_UP_BELOW.to_owned(),
            packs: DEFAULT_TOP_UP_PACKS.to_string(),
            max_packs_per_period: DEFAULT_TOP_UP_MAX_PACKS.to_string(),
        },
    };
    let packs = |n: u32| if n == 1 { "1 pack".to_owned() } else { format!("{n} packs") };
    let summary = match &status.settings {
        Some(s) if s.enabled => format!(
            "When the credit balance falls below {}, buys {} ({}), at most {} a period.",
            money(s.below),
            packs(s.packs),
            money(pack.price.saturating_mul(Decimal::from(s.packs))),
            packs(s.max_packs_per_period)
        ),
        Some(_) => "Automatic top-up is off: nothing is bought automatically.".to_owned(),
        None => "Automatic top-up is not set up: burst credit is bought only when you buy it.".to_owned(),
    };
    let takes_packs = book.tier(tier).is_some_and(|t| t.credit_packs);
    let label = book.tier(tier).map_or(tier, |t| t.display_name());
    TopUpView {
        form,
        configured: status.settings.is_some(),
        enabled: status.settings.as_ref().is_some_and(|s| s.enabled),
        summary,
        packs_this_period: status.packs_this_period,
        spent_this_period: money(status.spent_this_period),
        packs_left_this_period: status.packs_left_this_period,
        balance: money(status.balance),
        pack_price: money(pack.price),
        pack_credit: money(pack.credit),
        unavailable: (!takes_packs)
            .then(|| format!("{label} takes no burst credit packs, so there is nothing to top up; upgrade to use it.")),
    }
}

/// The webhook and its delivery log.
pub fn webhook_view(webhook: &Webhook) -> WebhookView {
    WebhookView {
        url: webhook.url.clone(),
        registered_at: at(webhook.created_at),
        event_types: webhook.event_types.iter().map(|t| t.as_str().to_owned()).collect(),
        events: webhook.recent_events.iter().take(WEBHOOK_ROWS_MAX).map(event_row).collect(),
        deliveries: webhook.recent_deliveries.iter().take(WEBHOOK_ROWS_MAX).map(delivery_row).collect(),
    }
}

fn event_row(e: &WebhookEventStatus) -> WebhookEventRow {
    let (state, note) = match e.state {
        WebhookEventState::Pending => (
            "pending",
            e.next_attempt_at.map_or_else(|| "waiting to be sent".to_owned(), |t| format!("next attempt {}", t.format("%H:%M:%S UTC"))),
        ),
        WebhookEventState::Delivered => ("delivered", String::new()),
        WebhookEventState::Failed => ("failed", "every attempt failed; not tried again".to_owned()),
        WebhookEventState::Cancelled => ("cancelled", "the webhook was deleted first".to_owned()),
    };
    WebhookEventRow {
        id: e.id.clone(),
        event_type: e.event_type.as_str().to_owned(),
        created_at: at(e.created_at),
        state: state.to_owned(),
        attempts: e.attempts,
        note,
    }
}

fn delivery_row(d: &WebhookDelivery) -> WebhookDeliveryRow {
    let outcome = match (d.status_code, &d.error) {
        (Some(code), _) if d.succeeded => code.to_string(),
        (Some(code), Some(error)) => format!("{code}: {error}"),
        (Some(code), None) => code.to_string(),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".to_owned(),
    };
    WebhookDeliveryRow {
        delivery_id: d.delivery_id.clone(),
        event_type: d.event_type.as_str().to_owned(),
        attempt: d.attempt,
        attempted_at: at(d.attempted_at),
        outcome,
        succeeded: d.succeeded,
        duration: format!("{} ms", d.duration_ms),
    }
}

/// The secret of a registration, shown this once.
pub fn webhook_secret_view(r: &WebhookRegistration) -> WebhookSecretView {
    if r.secret_is_new {
        WebhookSecretView {
            url: r.url.clone(),
            secret: Some(r.secret.clone()),
            note: "Copy the signing secret now: it is shown only this once. Each delivery's Edgecost-Signature header is an HMAC-SHA256 with it."
                .to_owned(),
        }
    } else {
        WebhookSecretView {
            url: r.url.clone(),
            secret: None,
            note: "The URL is replaced; the signing secret is the one you already have.".to_owned(),
        }
    }
}

/// The section for the engine's answers.
pub fn spend_controls_view(
    budget: &BudgetStatus,
    top_up: &AutoTopUpStatus,
    webhook: Option<&Webhook>,
    book: &PriceBook,
    tier: &str,
    rough_run_rate: bool,
) -> SpendControlsView {
    SpendControlsView {
        budget: budget_view(budget, rough_run_rate, &book.currency),
        top_up: top_up_view(top_up, book, tier),
        webhook: webhook.map(webhook_view),
        alerts: alert_views(Some(budget), Some(top_up)),
        budget_key: new_intent_key("budget"),
        top_up_key: new_intent_key("top-up"),
        webhook_key: new_intent_key("webhook"),
        as_of: format!("As of {}", at(budget.as_of)),
        currency_sign: edgecost_pricing::format::currency_sign(&book.currency).to_owned(),
    }
}
