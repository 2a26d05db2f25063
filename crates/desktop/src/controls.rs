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

use chrono::{DateTime, Utc};
use edgecost_api::{
    AutoTopUpSettings, AutoTopUpStatus, BudgetSettings, BudgetStatus, DEFAULT_BUDGET_ALERT_PERCENTS, ForecastBasis, MAX_BUDGET_ALERTS,
    MAX_CONTROL_AMOUNT, MAX_TOP_UP_PACKS_PER_PERIOD, MAX_WEBHOOK_URL_CHARS, Webhook, WebhookDelivery, WebhookEventState,
    WebhookEventStatus, WebhookRegistration, WebhookRequest,
};
use edgecost_client::{Client, ClientError};
use edgecost_pricing::format::money_in;
use edgecost_pricing::{Decimal, PriceBook, QuantityError};
use serde::{Deserialize, Serialize};

use crate::account_actions::{Charged, NotifiedThresholds, PACKS_PER_PURCHASE_MAX, new_intent_key};
use crate::account_status::{AlertView, alert_views, at, crossing, day};
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
    /// "100", "100.00", "$1,250.50" (with the sign of the account's currency, or none); empty
    /// for no budget.
    pub monthly_budget: String,
    /// "50, 75, 90, 100".
    pub alert_percents: String,
    pub alert_on_p90: bool,
    /// Empty for no cap.
    pub spend_cap: String,
    /// The person has confirmed a spend cap that caps the account as soon as it is saved (at
    /// or below this period's spend so far) or before the period ends (below its projected
    /// bill). Without it such a cap is not sent: the save answers [`CONFIRM_SPEND_CAP`] or
    /// [`CONFIRM_SPEND_CAP_AHEAD`] with what the cap would do. It is never sent to the engine.
    pub confirm_cap_now: bool,
}

/// The code of a budget save held back to ask first: its spend cap is at or below this
/// period's spend so far, so saving it caps the account at once. The message says so.
pub const CONFIRM_SPEND_CAP: &str = "confirm_spend_cap";
/// The code of a save held back because the spend cap is below what the period is projected
/// to cost: it would refuse usage before the period ends.
pub const CONFIRM_SPEND_CAP_AHEAD: &str = "confirm_spend_cap_ahead";

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

/// An amount in `currency` typed in a form, read by the pricing core's reader (`$1,250.50`,
/// `€1,250.50`; a separator only groups thousands, so `12,50` is refused, never read as 1250),
/// in plain digits with at most one `.`: no exponent. `None` when empty. Read exactly, never
/// through a float.
fn read_amount(
    field: ControlField,
    label: &str,
    text: &str,
    zero_allowed: bool,
    currency: &str,
) -> Result<Option<Decimal>, ControlsFailure> {
    let typed = text.trim();
    let sign = edgecost_pricing::format::currency_sign(currency);
    let bare = typed.strip_prefix(sign).unwrap_or(typed).trim();
    if bare.is_empty() {
        return Ok(None);
    }
    let refuse = |why: String| ControlsFailure::invalid(field, format!("{label}: {why}"));
    if bare.starts_with('-') {
        return Err(refuse(format!("must not be negative; got {typed}")));
    }
    let too_large = || refuse(format!("must be at most {}; got {typed}", money_in(Decimal::from(MAX_CONTROL_AMOUNT), currency)));
    let not_an_amount = || refuse(format!("write an amount in {currency} such as 100 or 1,250.50; got {typed}"));
    // Only the account's sign is taken: the reader would take a `$` of its own, which on an
    // account in another currency is not what the amount is in.
    if bare.contains(['e', 'E', '+']) || bare.starts_with('$') {
        return Err(not_an_amount());
    }
    let amount = match edgecost_pricing::parse_amount(bare) {
        Ok(amount) => amount,
        Err(QuantityError::TooLarge { .. }) => return Err(too_large()),
        Err(QuantityError::NotAnAmount { .. }) => return Err(not_an_amount()),
        Err(e) => return Err(refuse(e.to_string())),
    };
    if !edgecost_pricing::bounds::is_whole_cents(amount) {
        return Err(refuse(format!("must be whole cents (at most 2 decimals); got {typed}")));
    }
    if amount > Decimal::from(MAX_CONTROL_AMOUNT) {
        return Err(too_large());
    }
    if amount.is_zero() && !zero_allowed {
        return Err(refuse(format!("must be above {}; leave it empty for none", money_in(Decimal::ZERO, currency))));
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

/// The budget settings the form asks for, its amounts in `currency` (the account's price
/// book's), or what is wrong with it.
pub fn budget_settings(form: &BudgetForm, currency: &str) -> Result<BudgetSettings, ControlsFailure> {
    Ok(BudgetSettings {
        monthly_budget: read_amount(ControlField::MonthlyBudget, "Monthly budget", &form.monthly_budget, false, currency)?,
        alert_percents: read_percents(&form.alert_percents)?,
        alert_on_p90: form.alert_on_p90,
        spend_cap: read_amount(ControlField::SpendCap, "Spend cap", &form.spend_cap, false, currency)?,
    })
}

/// What saving `settings` over the engine's `status` does that must be confirmed first (see
/// docs/billing-rules.md, "Spend cap"):
/// - a new spend cap at or below this period's spend so far caps the account at once (the
///   engine caps "from the usage measured then"): [`CONFIRM_SPEND_CAP`];
/// - a new spend cap below what the engine projects the period to cost at its run rate
///   (`projected_cost`, by `period_end`) is reached before the period ends, and usage is
///   refused from then: [`CONFIRM_SPEND_CAP_AHEAD`].
///
/// `None` when nothing needs asking, also when the cap is the one already in force. Amounts
/// are written in `currency`, the account's price book's.
pub fn spend_cap_question(
    settings: &BudgetSettings,
    status: &BudgetStatus,
    projected_cost: Decimal,
    period_end: DateTime<Utc>,
    currency: &str,
) -> Option<ControlsFailure> {
    let cap = settings.spend_cap?;
    if status.settings.spend_cap == Some(cap) {
        return None;
    }
    let money = |amount: Decimal| money_in(amount, currency);
    let (code, message) = if status.spend_to_date >= cap {
        let message = format!(
            "This period's bill is already {spend}, so a {cap} spend cap caps the account as soon as it is saved: from then on, usage that would cost more is refused and never billed (a meter with included quantity left is still served until that is used up). It stays capped until the period ends or you raise or remove the cap.",
            spend = money(status.spend_to_date),
            cap = money(cap),
        );
        (CONFIRM_SPEND_CAP, message)
    } else if projected_cost > cap {
        let last_day = (period_end - chrono::Duration::seconds(1)).format("%b %-d");
        let message = format!(
            "At this period's run rate the bill comes to {projected} by {last_day}, above a {cap} spend cap: once the spend reaches the cap, usage that would cost more is refused and never billed (a meter with included quantity left is still served until that is used up), until the period ends or you raise or remove the cap. The bill so far is {spend}.",
            projected = money(projected_cost),
            cap = money(cap),
            spend = money(status.spend_to_date),
        );
        (CONFIRM_SPEND_CAP_AHEAD, message)
    } else {
        return None;
    };
    Some(ControlsFailure { code: code.to_owned(), field: None, message, charged: Charged::No })
}

/// The automatic top-up settings the form asks for, its amount in `currency` (the account's
/// price book's), or what is wrong with it.
pub fn top_up_settings(form: &TopUpForm, currency: &str) -> Result<AutoTopUpSettings, ControlsFailure> {
    let below = read_amount(ControlField::Below, "Buy below", &form.below, true, currency)?
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

/// The client of the connected account and the currency its forms' amounts are in, its price
/// book's. A failure to read the book is a change that was not made.
async fn client_and_currency(app: &App) -> Result<(Client, String), ControlsFailure> {
    let client = connection_client(app).await?;
    let book = client.price_book().await.map_err(|e| ControlsFailure::of_change(&e, false))?;
    Ok((client, book.currency))
}

/// The section for the connected account.
pub async fn spend_controls(app: &App) -> Result<SpendControlsView, ControlsFailure> {
    fetch(&connection_client(app).await?).await
}

/// Saves the budget form, then reads the section and syncs the dashboard (its budget line and
/// alerts). The dashboard is `None` when the save went through but the sync failed. A new
/// spend cap at or below the spend so far, or below the projected bill, is only sent once
/// confirmed (`confirm_cap_now`); before that the answer is the question of
/// [`spend_cap_question`] and nothing is sent.
pub async fn save_budget(
    app: &App,
    intent_key: &str,
    form: &BudgetForm,
    now: DateTime<Utc>,
) -> Result<(SpendControlsView, Option<DashboardView>), ControlsFailure> {
    let (client, currency) = client_and_currency(app).await?;
    let settings = budget_settings(form, &currency)?;
    if settings.spend_cap.is_some() && !form.confirm_cap_now {
        let status = client.budget().await.map_err(|e| ControlsFailure::of_change(&e, false))?;
        let bill = client.bill().await.map_err(|e| ControlsFailure::of_change(&e, false))?;
        if let Some(question) = spend_cap_question(&settings, &status, bill.projected_cost, bill.period.end, &currency) {
            return Err(question);
        }
    }
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
    let (client, currency) = client_and_currency(app).await?;
    let settings = top_up_settings(form, &currency)?;
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

mod views;

pub use views::*;

#[cfg(test)]
mod tests;
