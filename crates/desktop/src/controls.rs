//! The Spend controls of the Plan & billing page: the monthly budget with its alerts and the
//! spend cap, automatic top-up of burst credit, and the account's webhook with its delivery
//! log; and the open spend alerts the dashboard shows and the desktop announces once each.
//!
//! The engine computes every figure (spend to date, forecasts, what top-up bought); this
//! module reads the forms as exact decimals, says plainly what is wrong with one, and formats
//! the engine's answers as text. No amount is ever a float.
//!
//! Every change is keyed like a purchase: the page carries an intent key per form, made when
//! the page loads, and the key sent is that intent plus a digest of what is sent. A repeat of
//! the same form (a double press, a retry after a lost answer) repeats the key, so the engine
//! applies it once; an edited form is a new change with a key of its own.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use edgecost_api::{
    AccountAlert, AlertKind, AutoTopUpSettings, AutoTopUpStatus, BudgetSettings, BudgetStatus, DEFAULT_BUDGET_ALERT_PERCENTS,
    ForecastBasis, MAX_BUDGET_ALERTS, MAX_CONTROL_AMOUNT, MAX_TOP_UP_PACKS_PER_PERIOD, MAX_WEBHOOK_URL_CHARS, Webhook, WebhookDelivery,
    WebhookEventState, WebhookEventStatus, WebhookRegistration, WebhookRequest,
};
use edgecost_client::{Client, ClientError};
use edgecost_pricing::format::money;
use edgecost_pricing::{Decimal, PriceBook};
use serde::{Deserialize, Serialize};

use crate::account_actions::{Charged, NotifiedThresholds, PACKS_PER_PURCHASE_MAX, new_intent_key};
use crate::app::App;
use crate::dashboard::DashboardView;
use crate::error::{DesktopError, ErrorCode};

/// Packs one automatic top-up buys, and the most a period, when the form starts empty.
const DEFAULT_TOP_UP_PACKS: u32 = 1;
const DEFAULT_TOP_UP_MAX_PACKS: u32 = 4;
/// The balance under which automatic top-up buys, when the form starts empty.
const DEFAULT_TOP_UP_BELOW: &str = "10.00";
/// Delivery attempts and events the page lists; the API answers up to 100 of each.
const WEBHOOK_ROWS_MAX: usize = 20;

/// The budget form as typed. Amounts are text, read as exact decimals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BudgetForm {
    /// "100", "100.00", "$1,250.50"; empty for no budget.
    pub monthly_budget: String,
    /// "50, 75, 90, 100".
    pub alert_percents: String,
    pub alert_on_p90: bool,
    /// Empty for no cap.
    pub spend_cap: String,
}

/// The automatic top-up form as typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TopUpForm {
    pub enabled: bool,
    /// Buy when the credit balance falls below this amount.
    pub below: String,
    pub packs: String,
    pub max_packs_per_period: String,
}

/// The form field a failure is about, so the page can mark it and move focus there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ControlField {
    MonthlyBudget,
    AlertPercents,
    SpendCap,
    Below,
    Packs,
    MaxPacksPerPeriod,
    WebhookUrl,
}

/// A spend control that could not be read, saved or fetched. Serializes with `code` and
/// `message` like every command error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ControlsFailure {
    /// `invalid_controls` for a form the app or the engine refused, or the failure's code.
    pub code: String,
    pub field: Option<ControlField>,
    pub message: String,
    /// Whether a failed change may have bought credit (switching top-up on may buy at once).
    pub charged: Charged,
}

impl ControlsFailure {
    /// A form the app refuses before sending anything.
    fn invalid(field: ControlField, message: impl Into<String>) -> ControlsFailure {
        ControlsFailure {
            code: ErrorCode::InvalidControls.as_str().to_owned(),
            field: Some(field),
            message: message.into(),
            charged: Charged::No,
        }
    }

    /// A failure before anything was sent.
    pub fn local(e: &DesktopError) -> ControlsFailure {
        let message = match e {
            DesktopError::NotSignedIn => "You are signed out; nothing was changed.".to_owned(),
            DesktopError::Unauthorized { .. } => "The server rejected the token; nothing was changed. Enter a new token.".to_owned(),
            DesktopError::Network { .. } => "Could not reach the server; nothing was changed.".to_owned(),
            other => format!("{other}; nothing was changed."),
        };
        ControlsFailure { code: e.code().to_owned(), field: None, message, charged: Charged::No }
    }

    /// A failed read: nothing changed whatever happened.
    fn of_read(e: &ClientError) -> ControlsFailure {
        let message = match e {
            ClientError::Network { .. } | ClientError::InvalidUrl { .. } => {
                "Could not reach the server. The spend controls show once it is reachable.".to_owned()
            }
            ClientError::Unauthorized { .. } => "The server rejected the token. Enter a new token.".to_owned(),
            ClientError::Rejected { message, .. } => format!("The server refused: {message}."),
            ClientError::Server { status, .. } => format!("The server failed (HTTP {status}). Try again in a minute."),
            ClientError::UnexpectedBody { .. } => "The server's answer could not be read.".to_owned(),
        };
        ControlsFailure { code: e.code().to_owned(), field: None, message, charged: Charged::No }
    }

    /// A failed change. `buys` when the change may buy credit (automatic top-up).
    fn of_change(e: &ClientError, buys: bool) -> ControlsFailure {
        let (field, charged, message) = match e {
            ClientError::Network { unsent: true, .. } | ClientError::InvalidUrl { .. } => {
                (None, Charged::No, "Could not reach the server; nothing was changed. Save again once the connection is back.".to_owned())
            }
            ClientError::Network { unsent: false, .. } => (
                None,
                if buys { Charged::Unknown } else { Charged::No },
                format!(
                    "The connection broke before the server answered, so it is not known whether the change was saved. Save again: the same form is sent with the same key, so it is applied once{}.",
                    if buys { " and never buys twice" } else { "" }
                ),
            ),
            ClientError::Unauthorized { .. } => {
                (None, Charged::No, "The server rejected the token; nothing was changed. Enter a new token.".to_owned())
            }
            ClientError::Rejected { code, message, .. } => {
                let field = match code.as_str() {
                    "invalid_pack_count" => Some(ControlField::Packs),
                    "invalid_webhook_url" | "webhook_url_not_https" => Some(ControlField::WebhookUrl),
                    _ => field_named_in(message),
                };
                (field, Charged::No, format!("The server refused the change: {message}. Nothing was changed."))
            }
            ClientError::Server { .. } | ClientError::UnexpectedBody { .. } => (
                None,
                if buys { Charged::Unknown } else { Charged::No },
                "The server failed while saving. It may not have been saved; saving the same form again is safe.".to_owned(),
            ),
        };
        ControlsFailure { code: e.code().to_owned(), field, message, charged }
    }
}

/// The field the engine's `invalid_controls` message names (it names the wire field).
fn field_named_in(message: &str) -> Option<ControlField> {
    [
        ("monthly_budget", ControlField::MonthlyBudget),
        ("alert_percents", ControlField::AlertPercents),
        ("spend_cap", ControlField::SpendCap),
        ("max_packs_per_period", ControlField::MaxPacksPerPeriod),
        ("below", ControlField::Below),
        ("packs", ControlField::Packs),
    ]
    .into_iter()
    .find(|(name, _)| message.contains(name))
    .map(|(_, field)| field)
}

/// An amount typed in a form: digits with at most one `.`, optionally a leading `$` and `,`
/// between groups of three digits. `None` when empty. Read exactly, never through a float.
fn read_amount(field: ControlField, label: &str, text: &str, zero_allowed: bool) -> Result<Option<Decimal>, ControlsFailure> {
    let typed = text.trim();
    let bare = typed.strip_prefix('$').unwrap_or(typed).trim();
    if bare.is_empty() {
        return Ok(None);
    }
    let refuse = |why: String| ControlsFailure::invalid(field, format!("{label}: {why}"));
    if bare.starts_with('-') {
        return Err(refuse(format!("must not be negative; got {typed}")));
    }
    let (whole, cents) = bare.split_once('.').unwrap_or((bare, ""));
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped_well = groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !groups.iter().all(|g| !g.is_empty() && digits(g)) || !grouped_well || !digits(cents) {
        return Err(refuse(format!("write an amount in dollars such as 100 or 1,250.50; got {typed}")));
    }
    if cents.len() > 2 && cents[2..].chars().any(|c| c != '0') {
        return Err(refuse(format!("must be whole cents (at most 2 decimals); got {typed}")));
    }
    let plain = format!("{}.{}", groups.concat(), if cents.is_empty() { "0" } else { cents });
    let too_large = || refuse(format!("must be at most {}; got {typed}", money(Decimal::from(MAX_CONTROL_AMOUNT))));
    let amount: Decimal = plain.parse().map_err(|_| too_large())?;
    if amount > Decimal::from(MAX_CONTROL_AMOUNT) {
        return Err(too_large());
    }
    if amount.is_zero() && !zero_allowed {
        return Err(refuse("must be above $0.00; leave it empty for none".to_owned()));
    }
    Ok(Some(amount))
}

/// A whole number typed in a form, within `min..=max`.
fn read_count(field: ControlField, label: &str, text: &str, min: u32, max: u32) -> Result<u32, ControlsFailure> {
    let typed = text.trim();
    let refuse = || ControlsFailure::invalid(field, format!("{label}: give a whole number from {min} to {max}; got {typed:?}"));
    let n: u32 = typed.parse().map_err(|_| refuse())?;
    if (min..=max).contains(&n) { Ok(n) } else { Err(refuse()) }
}

/// "50, 75, 90%, 100" as percentages 1 to 100, sorted, each once.
fn read_percents(text: &str) -> Result<Vec<u32>, ControlsFailure> {
    let field = ControlField::AlertPercents;
    let mut percents = BTreeSet::new();
    for part in text.split([',', ' ', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let number = part.strip_suffix('%').unwrap_or(part);
        let refuse = || {
            ControlsFailure::invalid(
                field,
                format!("Alert percentages: each is a whole percentage from 1 to 100, such as 50, 75, 90, 100; got {part}"),
            )
        };
        let n: u32 = number.parse().map_err(|_| refuse())?;
        if !(1..=100).contains(&n) {
            return Err(refuse());
        }
        percents.insert(n);
    }
    if percents.is_empty() {
        return Err(ControlsFailure::invalid(field, "Alert percentages: give at least one, such as 50, 75, 90, 100"));
    }
    if percents.len() > MAX_BUDGET_ALERTS {
        return Err(ControlsFailure::invalid(field, format!("Alert percentages: at most {MAX_BUDGET_ALERTS}; got {}", percents.len())));
    }
    Ok(percents.into_iter().collect())
}

/// The budget settings the form asks for, or what is wrong with it.
pub fn budget_settings(form: &BudgetForm) -> Result<BudgetSettings, ControlsFailure> {
    Ok(BudgetSettings {
        monthly_budget: read_amount(ControlField::MonthlyBudget, "Monthly budget", &form.monthly_budget, false)?,
        alert_percents: read_percents(&form.alert_percents)?,
        alert_on_p90: form.alert_on_p90,
        spend_cap: read_amount(ControlField::SpendCap, "Spend cap", &form.spend_cap, false)?,
    })
}

/// The automatic top-up settings the form asks for, or what is wrong with it.
pub fn top_up_settings(form: &TopUpForm) -> Result<AutoTopUpSettings, ControlsFailure> {
    let below = read_amount(ControlField::Below, "Buy below", &form.below, true)?
        .ok_or_else(|| ControlsFailure::invalid(ControlField::Below, "Buy below: give the balance under which to buy, such as 10.00"))?;
    let packs = read_count(ControlField::Packs, "Packs per top-up", &form.packs, 1, PACKS_PER_PURCHASE_MAX)?;
    let max =
        read_count(ControlField::MaxPacksPerPeriod, "Most packs a period", &form.max_packs_per_period, 1, MAX_TOP_UP_PACKS_PER_PERIOD)?;
    if max < packs {
        return Err(ControlsFailure::invalid(
            ControlField::MaxPacksPerPeriod,
            format!("Most packs a period: at least the {packs} packs one top-up buys"),
        ));
    }
    Ok(AutoTopUpSettings { enabled: form.enabled, below, packs, max_packs_per_period: max })
}

/// The webhook registration the form asks for: an `https://` URL (or `http://` to this
/// computer, which the engine checks).
pub fn webhook_request(url: &str, rotate_secret: bool) -> Result<WebhookRequest, ControlsFailure> {
    let url = url.trim();
    let field = ControlField::WebhookUrl;
    if url.is_empty() {
        return Err(ControlsFailure::invalid(field, "Webhook URL: give the https:// address events are posted to"));
    }
    if url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        return Err(ControlsFailure::invalid(field, format!("Webhook URL: at most {MAX_WEBHOOK_URL_CHARS} characters")));
    }
    let lower = url.to_ascii_lowercase();
    if !lower.starts_with("https://") && !lower.starts_with("http://") {
        return Err(ControlsFailure::invalid(field, format!("Webhook URL: must start with https://; got {url}")));
    }
    Ok(WebhookRequest { url: url.to_owned(), rotate_secret: rotate_secret.then_some(true) })
}

/// The idempotency key of one change: the form's intent and a digest of what is sent, so a
/// repeat of the same form repeats the key and an edited form gets a key of its own.
pub fn change_key(intent_key: &str, body: &impl Serialize) -> String {
    let json = serde_json::to_vec(body).unwrap_or_default();
    // FNV-1a: a stable digest; the intent's randomness makes the key unique.
    let digest = json.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    let intent: String = intent_key.chars().filter(|c| c.is_ascii_graphic()).take(100).collect();
    format!("{intent}-{digest:016x}")
}

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
    /// "Projected to pass the $100.00 budget on 2026-12-21"; `None` when no projection does.
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

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn at(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %H:%M UTC").to_string()
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
pub fn budget_view(status: &BudgetStatus, rough_run_rate: bool) -> BudgetView {
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
            }
        })
        .collect();
    let summary = match (budget, status.budget_used_percent) {
        (Some(b), Some(p)) => format!("{} of the {} budget spent ({p}%)", money(status.spend_to_date), money(b)),
        (Some(b), None) => format!("{} of the {} budget spent", money(status.spend_to_date), money(b)),
        (None, _) => "No budget set: set one to be alerted before the bill passes it.".to_owned(),
    };
    let cap_note = s.spend_cap.map(|cap| {
        if status.capped {
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
        },
        budget: budget.map(money),
        spend_to_date: money(status.spend_to_date),
        used_percent: status.budget_used_percent,
        summary,
        crossing: crossing(status, rough_run_rate),
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

/// "Projected to pass the $100.00 budget on 2026-12-21": the earliest day a projection the
/// engine alerts on (the P50 with an outlook, else the run rate; the P90 when asked for)
/// expects the spend to reach the budget. `None` without a budget, once the spend already
/// passed it, or when no projection reaches it. A `rough_run_rate` (under a day of usage)
/// suggests nothing.
pub fn crossing(status: &BudgetStatus, rough_run_rate: bool) -> Option<String> {
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
    Some(format!("Projected to pass the {} budget on {}", money(budget), day(first)))
}

/// Automatic top-up for the engine's answer; `book` prices the packs, `tier` is the account's.
pub fn top_up_view(status: &AutoTopUpStatus, book: &PriceBook, tier: &str) -> TopUpView {
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
/// `rough_run_rate` as for [`budget_view`].
pub fn dashboard_budget(status: &BudgetStatus, rough_run_rate: bool) -> Option<DashboardBudgetView> {
    let s = &status.settings;
    if s.monthly_budget.is_none() && s.spend_cap.is_none() {
        return None;
    }
    Some(DashboardBudgetView {
        budget: s.monthly_budget.map(money),
        spend_to_date: money(status.spend_to_date),
        used_percent: status.budget_used_percent,
        crossing: crossing(status, rough_run_rate),
        spend_cap: s.spend_cap.map(money),
        capped: status.capped,
    })
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
        budget: budget_view(budget, rough_run_rate),
        top_up: top_up_view(top_up, book, tier),
        webhook: webhook.map(webhook_view),
        alerts: alert_views(Some(budget), Some(top_up)),
        budget_key: new_intent_key("budget"),
        top_up_key: new_intent_key("top-up"),
        webhook_key: new_intent_key("webhook"),
        as_of: format!("As of {}", at(budget.as_of)),
    }
}

async fn connection_client(app: &App) -> Result<Client, ControlsFailure> {
    let connection = app.connection().await.map_err(|e| ControlsFailure::local(&e))?;
    Ok(connection.client().clone())
}

async fn fetch(client: &Client) -> Result<SpendControlsView, ControlsFailure> {
    let (budget, top_up, webhook, account, book, bill) =
        tokio::try_join!(client.budget(), client.auto_top_up(), client.webhook(), client.account(), client.price_book(), client.bill())
            .map_err(|e| ControlsFailure::of_read(&e))?;
    Ok(spend_controls_view(&budget, &top_up, webhook.as_ref(), &book, &account.tier, bill.basis.short_history))
}

/// The section for the connected account.
pub async fn spend_controls(app: &App) -> Result<SpendControlsView, ControlsFailure> {
    fetch(&connection_client(app).await?).await
}

/// Saves the budget form, then reads the section and syncs the dashboard (its budget line and
/// alerts). The dashboard is `None` when the save went through but the sync failed.
pub async fn save_budget(
    app: &App,
    intent_key: &str,
    form: &BudgetForm,
    now: DateTime<Utc>,
) -> Result<(SpendControlsView, Option<DashboardView>), ControlsFailure> {
    let settings = budget_settings(form)?;
    let client = connection_client(app).await?;
    client.set_budget(&settings, &change_key(intent_key, &settings)).await.map_err(|e| ControlsFailure::of_change(&e, false))?;
    Ok((fetch(&client).await?, app.sync(now).await.ok()))
}

/// Saves the automatic top-up form (which may buy at once), then reads the section and syncs.
pub async fn save_top_up(
    app: &App,
    intent_key: &str,
    form: &TopUpForm,
    now: DateTime<Utc>,
) -> Result<(SpendControlsView, Option<DashboardView>), ControlsFailure> {
    let settings = top_up_settings(form)?;
    let client = connection_client(app).await?;
    client.set_auto_top_up(&settings, &change_key(intent_key, &settings)).await.map_err(|e| ControlsFailure::of_change(&e, true))?;
    Ok((fetch(&client).await?, app.sync(now).await.ok()))
}

/// Registers the webhook (or replaces its URL) and answers its secret once.
pub async fn save_webhook(app: &App, intent_key: &str, url: &str, rotate_secret: bool) -> Result<WebhookSaved, ControlsFailure> {
    let request = webhook_request(url, rotate_secret)?;
    let client = connection_client(app).await?;
    let registration =
        client.put_webhook(&request, &change_key(intent_key, &request)).await.map_err(|e| ControlsFailure::of_change(&e, false))?;
    Ok(WebhookSaved { registration: webhook_secret_view(&registration), controls: fetch(&client).await? })
}

/// Deletes the webhook: nothing more is delivered.
pub async fn delete_webhook(app: &App, intent_key: &str) -> Result<SpendControlsView, ControlsFailure> {
    let client = connection_client(app).await?;
    match client.delete_webhook(&change_key(intent_key, &"delete")).await {
        Ok(_) => {}
        // Already gone (another window, or a repeat after a lost answer): nothing to delete.
        Err(ClientError::Rejected { code, .. }) if code == "webhook_not_registered" => {}
        Err(e) => return Err(ControlsFailure::of_change(&e, false)),
    }
    fetch(&client).await
}

impl NotifiedThresholds {
    /// The alerts of `view` not announced yet this period, recorded as announced (by alert id,
    /// in the same record as the quota notices).
    pub fn take_new_alerts(&self, view: &DashboardView) -> Result<Vec<AlertView>, DesktopError> {
        let ids: Vec<String> = view.alerts.iter().map(|a| format!("alert:{}", a.id)).collect();
        let fresh = self.take_new_keys(&view.period_first_day, &ids)?;
        Ok(view.alerts.iter().zip(ids).filter(|(_, id)| fresh.contains(id)).map(|(a, _)| a.clone()).collect())
    }
}

/// Writes the TypeScript declarations of the section's types into `dir` (committed under
/// `ui/src/bindings/account/`).
pub fn write_typescript(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    SpendControlsView::export_all(cfg)?;
    WebhookSaved::export_all(cfg)?;
    ControlsFailure::export_all(cfg)?;
    BudgetForm::export_all(cfg)?;
    TopUpForm::export_all(cfg)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn form(budget: &str, percents: &str, cap: &str) -> BudgetForm {
        BudgetForm { monthly_budget: budget.into(), alert_percents: percents.into(), alert_on_p90: false, spend_cap: cap.into() }
    }

    #[test]
    fn amounts_are_read_as_exact_dollars_and_cents() {
        let read = |s: &str| budget_settings(&form(s, "50", "")).map(|b| b.monthly_budget);
        assert_eq!(read("100").unwrap(), Some(dec("100")));
        assert_eq!(read(" $1,250.50 ").unwrap(), Some(dec("1250.50")));
        assert_eq!(read("0.10").unwrap(), Some(dec("0.10")));
        assert_eq!(read("12.500").unwrap(), Some(dec("12.500")), "trailing zeros are still whole cents");
        assert_eq!(read("").unwrap(), None, "empty is no budget");
        assert_eq!(read("$").unwrap(), None);
        // The exact figure, not a float's nearest: 0.1 + 0.2 style errors cannot arise.
        assert_eq!(read("9999999.99").unwrap().unwrap().to_string(), "9999999.99");
    }

    #[test]
    fn a_bad_amount_says_what_is_wrong_and_which_field() {
        for (typed, says) in [
            ("12.345", "whole cents"),
            ("-5", "negative"),
            ("0", "above $0.00"),
            ("abc", "amount in dollars"),
            ("1,00", "amount in dollars"),
            ("1e3", "amount in dollars"),
            ("10000000.01", "at most $10,000,000.00"),
            ("99999999999999999999999999999999", "at most"),
        ] {
            let e = budget_settings(&form(typed, "50", "")).unwrap_err();
            assert_eq!((e.code.as_str(), e.field), ("invalid_controls", Some(ControlField::MonthlyBudget)), "{typed}");
            assert!(e.message.starts_with("Monthly budget: ") && e.message.contains(says), "{typed}: {}", e.message);
        }
        let e = budget_settings(&form("100", "50", "0.001")).unwrap_err();
        assert_eq!(e.field, Some(ControlField::SpendCap), "{}", e.message);
    }

    #[test]
    fn alert_percentages_are_whole_1_to_100_sorted_and_once() {
        let read = |s: &str| budget_settings(&form("100", s, "")).map(|b| b.alert_percents);
        assert_eq!(read("90, 50,75 100").unwrap(), vec![50, 75, 90, 100]);
        assert_eq!(read("80%, 80").unwrap(), vec![80]);
        for bad in ["0", "101", "50.5", "half", "", "1,2,3,4,5,6,7,8,9,10,11"] {
            let e = read(bad).unwrap_err();
            assert_eq!(e.field, Some(ControlField::AlertPercents), "{bad}");
            assert!(e.message.starts_with("Alert percentages: "), "{}", e.message);
        }
    }

    #[test]
    fn top_up_packs_are_bounded_and_the_ceiling_holds_one_top_up() {
        let f = |below: &str, packs: &str, max: &str| TopUpForm {
            enabled: true,
            below: below.into(),
            packs: packs.into(),
            max_packs_per_period: max.into(),
        };
        let s = top_up_settings(&f("10", "2", "6")).unwrap();
        assert_eq!((s.below, s.packs, s.max_packs_per_period, s.enabled), (dec("10"), 2, 6, true));
        assert_eq!(top_up_settings(&f("0", "1", "1")).unwrap().below, Decimal::ZERO, "buying at zero balance is allowed");
        assert_eq!(top_up_settings(&f("", "1", "1")).unwrap_err().field, Some(ControlField::Below));
        assert_eq!(top_up_settings(&f("10", "0", "1")).unwrap_err().field, Some(ControlField::Packs));
        assert_eq!(top_up_settings(&f("10", "101", "200")).unwrap_err().field, Some(ControlField::Packs));
        assert_eq!(top_up_settings(&f("10", "1.5", "2")).unwrap_err().field, Some(ControlField::Packs));
        let e = top_up_settings(&f("10", "3", "2")).unwrap_err();
        assert_eq!(e.field, Some(ControlField::MaxPacksPerPeriod));
        assert!(e.message.contains("at least the 3 packs"), "{}", e.message);
        assert_eq!(top_up_settings(&f("10", "1", "1001")).unwrap_err().field, Some(ControlField::MaxPacksPerPeriod));
    }

    #[test]
    fn a_webhook_url_is_http_and_not_empty() {
        assert_eq!(webhook_request(" https://hooks.example.com/edge ", false).unwrap().url, "https://hooks.example.com/edge");
        assert_eq!(webhook_request("http://127.0.0.1:9/x", true).unwrap().rotate_secret, Some(true));
        assert_eq!(webhook_request("", false).unwrap_err().field, Some(ControlField::WebhookUrl));
        assert!(webhook_request("hooks.example.com", false).unwrap_err().message.contains("https://"));
    }

    #[test]
    fn the_same_form_repeats_its_key_and_an_edited_form_gets_another() {
        let a = budget_settings(&form("100", "50", "")).unwrap();
        let b = budget_settings(&form("$100.00", "50%", "")).unwrap();
        let c = budget_settings(&form("120", "50", "")).unwrap();
        let key = |s: &BudgetSettings| change_key("budget-0123", s);
        assert_eq!(key(&a), key(&a));
        assert_ne!(key(&a), key(&c));
        assert!(key(&b).starts_with("budget-0123-") && key(&b).len() <= 128);
        assert!(key(&a).chars().all(|c| c.is_ascii_graphic()));
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn status(budget: Option<&str>, spend: &str, forecasts: Vec<(ForecastBasis, &str, Option<&str>)>) -> BudgetStatus {
        BudgetStatus {
            settings: BudgetSettings { monthly_budget: budget.map(dec), ..BudgetSettings::default() },
            as_of: t("2026-12-06T12:00:00Z"),
            spend_to_date: dec(spend),
            budget_used_percent: budget.map(|b| (dec(spend) * Decimal::ONE_HUNDRED / dec(b)).floor().try_into().unwrap()),
            forecasts: forecasts
                .into_iter()
                .map(|(basis, cost, on)| edgecost_api::BudgetForecast {
                    basis,
                    projected_cost: dec(cost),
                    reaches_budget_on: on.map(|d| d.parse().unwrap()),
                })
                .collect(),
            capped: false,
            alerts: Vec::new(),
        }
    }

    #[test]
    fn without_a_budget_the_section_says_how_to_set_one_and_nothing_is_projected() {
        let view = budget_view(&status(None, "31.40", Vec::new()), false);
        assert_eq!(view.summary, "No budget set: set one to be alerted before the bill passes it.");
        assert_eq!((view.budget, view.crossing, view.cap_note), (None, None, None));
        assert_eq!(view.form.alert_percents, "50, 75, 90, 100", "the default alerts start the form");
        assert_eq!(view.form.monthly_budget, "");
    }

    #[test]
    fn the_crossing_is_the_earliest_day_of_a_projection_that_alerts() {
        use ForecastBasis::*;
        let s = status(
            Some("100"),
            "40.00",
            vec![(RunRate, "90.00", None), (P50, "130.00", Some("2026-12-21")), (P90, "180.00", Some("2026-12-15"))],
        );
        let view = budget_view(&s, false);
        assert_eq!(view.crossing.as_deref(), Some("Projected to pass the $100.00 budget on 2026-12-21"), "the P90 alerts only when asked");
        assert_eq!(view.summary, "$40.00 of the $100.00 budget spent (40%)");
        assert_eq!(
            view.forecasts.iter().map(|f| (f.label.as_str(), f.passes)).collect::<Vec<_>>(),
            [("Run rate", false), ("P50", true), ("P90", true)]
        );
        let mut p90 = s.clone();
        p90.settings.alert_on_p90 = true;
        assert_eq!(crossing(&p90, false).as_deref(), Some("Projected to pass the $100.00 budget on 2026-12-15"));
        // Without an outlook the run rate speaks.
        let run_rate = status(Some("50"), "10", vec![(RunRate, "75.50", Some("2026-12-28"))]);
        assert_eq!(crossing(&run_rate, false).as_deref(), Some("Projected to pass the $50.00 budget on 2026-12-28"));
        // Under a day of usage the run rate is a rough guess: labelled so, and no crossing.
        assert_eq!(crossing(&run_rate, true), None);
        assert_eq!(budget_view(&run_rate, true).forecasts[0].note.as_deref(), Some("a rough guess: under a day of usage"));
        // Already past: nothing is projected any more; the spend alerts say so.
        assert_eq!(crossing(&status(Some("50"), "50.00", vec![(RunRate, "80", Some("2026-12-06"))]), false), None);
        assert_eq!(crossing(&status(Some("500"), "10", vec![(P50, "90", None)]), false), None);
    }

    #[test]
    fn a_reached_cap_reads_capped_plainly() {
        let mut s = status(Some("100"), "150.00", Vec::new());
        s.settings.spend_cap = Some(dec("150"));
        assert!(budget_view(&s, false).cap_note.unwrap().starts_with("Once this period's bill reaches $150.00"));
        s.capped = true;
        let view = budget_view(&s, false);
        assert!(view.capped);
        assert!(view.cap_note.unwrap().starts_with("this period's bill reached the $150.00 spend cap"));
        assert_eq!(view.form.spend_cap, "150.00");
    }

    #[test]
    fn top_up_shows_what_it_does_and_what_it_bought() {
        let book = PriceBook::published();
        let status = AutoTopUpStatus {
            settings: Some(AutoTopUpSettings { enabled: true, below: dec("10"), packs: 2, max_packs_per_period: 6 }),
            packs_this_period: 2,
            spent_this_period: dec("50.00"),
            packs_left_this_period: 4,
            balance: dec("41.25"),
            alerts: Vec::new(),
        };
        let view = top_up_view(&status, book, "production");
        assert_eq!(view.summary, "When the credit balance falls below $10.00, buys 2 packs ($50.00), at most 6 packs a period.");
        assert_eq!((view.spent_this_period.as_str(), view.balance.as_str(), view.packs_left_this_period), ("$50.00", "$41.25", 4));
        assert_eq!(view.form, TopUpForm { enabled: true, below: "10.00".into(), packs: "2".into(), max_packs_per_period: "6".into() });
        assert_eq!(view.unavailable, None);
        let never =
            AutoTopUpStatus { settings: None, packs_this_period: 0, spent_this_period: Decimal::ZERO, packs_left_this_period: 0, ..status };
        let sandbox = top_up_view(&never, book, "sandbox");
        assert!(sandbox.unavailable.unwrap().contains("takes no burst credit packs"));
        assert!(!sandbox.form.enabled && sandbox.form.below == "10.00", "sensible defaults: {:?}", sandbox.form);
    }

    #[test]
    fn the_engines_refusal_is_shown_plainly_on_its_field() {
        let e =
            ClientError::Rejected { status: 422, code: "invalid_controls".into(), message: "spend_cap must be above zero; got 0".into() };
        let f = ControlsFailure::of_change(&e, false);
        assert_eq!((f.code.as_str(), f.field), ("invalid_controls", Some(ControlField::SpendCap)));
        assert_eq!(f.message, "The server refused the change: spend_cap must be above zero; got 0. Nothing was changed.");
        let lost = ClientError::Network { detail: "reset".into(), unsent: false };
        let f = ControlsFailure::of_change(&lost, true);
        assert_eq!(f.charged, Charged::Unknown);
        assert!(f.message.contains("never buys twice") && !f.message.contains("reset"), "{}", f.message);
        assert_eq!(ControlsFailure::of_change(&lost, false).charged, Charged::No);
    }

    #[test]
    fn alerts_of_both_answers_are_listed_once_oldest_first() {
        let alert = |id: &str, kind, at: &str| AccountAlert {
            id: id.into(),
            kind,
            message: format!("{id} happened"),
            raised_at: t(at),
            period_start: t("2026-12-01T00:00:00Z"),
        };
        let mut b = status(Some("100"), "80", Vec::new());
        b.alerts = vec![alert("alr_2", AlertKind::BudgetSpend, "2026-12-05T10:00:00Z")];
        let top = AutoTopUpStatus {
            settings: None,
            packs_this_period: 0,
            spent_this_period: Decimal::ZERO,
            packs_left_this_period: 0,
            balance: Decimal::ZERO,
            alerts: vec![alert("alr_1", AlertKind::TopUpFailed, "2026-12-04T09:30:00Z")],
        };
        let views = alert_views(Some(&b), Some(&top));
        assert_eq!(
            views.iter().map(|a| (a.id.as_str(), a.title.as_str())).collect::<Vec<_>>(),
            [("alr_1", "Automatic top-up failed"), ("alr_2", "Budget")]
        );
        assert_eq!(views[0].raised_at, "Dec 4, 09:30 UTC");
    }
}
